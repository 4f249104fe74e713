"""The first-run welcome: what the demo city is, how to get official data, where the samples are.

Shown once, non-modal, over the window after it opens; closing it (Got it, Esc or the window's
close button) records `welcome_shown` in the settings so it does not come back. Help > Welcome
opens it again on demand.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from hktwin.core import settings as settings_mod
from hktwin.core.paths import resources_dir

#: the few shortcuts worth knowing on day one (Help > Keyboard Shortcuts lists them all)
FIRST_SHORTCUTS = [
    ("Left drag / Shift+drag / wheel", "orbit / pan / zoom"),
    ("H, 1-4", "home and the named views"),
    ("Ctrl+O / Ctrl+S", "open / save a scenario"),
    ("Ctrl+I", "import official data"),
    ("F11", "full screen"),
    ("F1", "keyboard shortcuts"),
]


def welcome_html() -> str:
    scenarios = resources_dir() / "scenarios"
    where = (f"<code>{scenarios}</code>" if scenarios.is_dir()
             else "the <code>scenarios</code> folder of the app's resources")
    keys = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;{v}</td></tr>" for k, v in FIRST_SHORTCUTS)
    return f"""
<h2>Welcome to HK Twin</h2>
<p>The city on screen is an <b>approximate demo city</b>: the real coastline and summits, published
tower heights and a generated building stock, so the app works with no download. It is
<b>not for planning</b>; the status bar and every snapshot say so.</p>
<p><b>Official data</b>: File &gt; Import Data (<b>Ctrl+I</b>) builds a data pack from the Lands
Department's terrain model and building footprints, district boundaries, census and station
tables; or run <code>hktwin data fetch NAME --pack DIR</code>. Open a pack with File &gt; Open Data
Pack (<b>Ctrl+Shift+O</b>).</p>
<p><b>Sample scenarios</b> (small cells, AR anchors, sensors) are in {where}: open one with
File &gt; Open Scenario (<b>Ctrl+O</b>) and press <i>Evaluate coverage</i>.</p>
<table>{keys}</table>
<p>Help &gt; Welcome shows this again; Help &gt; User Guide has the rest.</p>
"""


class WelcomeDialog(QDialog):
    """The welcome text and one button; `dismissed` runs once when it closes."""

    def __init__(self, parent: QWidget | None = None,
                 on_dismissed: Callable[[], None] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeDialog")
        self.setWindowTitle("Welcome to HK Twin")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._on_dismissed = on_dismissed
        text = QLabel(welcome_html())
        text.setObjectName("welcomeText")
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        text.setMinimumWidth(520)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Got it")
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)
        self.finished.connect(self._dismissed)

    def _dismissed(self, _result: int = 0) -> None:
        if self._on_dismissed is not None:
            callback, self._on_dismissed = self._on_dismissed, None
            callback()


def show_welcome(parent: QWidget | None = None,
                 settings: settings_mod.Settings | None = None) -> WelcomeDialog:
    """Open the welcome (non-modal); dismissing it records `welcome_shown` in `settings`."""

    def remember() -> None:
        if settings is not None and not settings.welcome_shown:
            settings.welcome_shown = True
            settings_mod.save(settings)

    dialog = WelcomeDialog(parent, on_dismissed=remember)
    dialog.show()
    return dialog


def maybe_show_welcome(parent: QWidget | None,
                       settings: settings_mod.Settings) -> WelcomeDialog | None:
    """The first-run welcome, unless it was dismissed before."""
    if settings.welcome_shown:
        return None
    return show_welcome(parent, settings)
