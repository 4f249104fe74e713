"""The Help menu: keyboard shortcuts, the user guide, the welcome again, reset settings, About.

`install_help_menu(window)` fills the window's Help menu (made when missing): its entries go
first, replacing the window's own About; whatever else is there (plugins) stays below. It
reads the shortcuts from the window's own actions, so the list stays true when menus change.
The user guide is the Markdown in docs/ (the user guide when there is one, else the README),
rendered in a dialog with Qt's Markdown support, with a button that opens it in the browser;
wheels and bundles carry docs/ as hktwin/docs.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from hktwin import __version__
from hktwin.core import settings as settings_mod

#: mouse gestures on the map (they have no QAction to read them from)
MOUSE = [
    ("Left drag", "Orbit"),
    ("Shift + left drag", "Pan"),
    ("Wheel or right drag", "Zoom"),
    ("Click", "Inspect a building, select a site, road link or station"),
]
GUIDE_NAMES = ("user-guide.md", "README.md")


def _label(action: QAction) -> str:
    return action.text().split("\t")[0].replace("&", "")


def shortcut_rows(window: QWidget) -> list[tuple[str, str]]:
    """(keys, what) for every action of the window with a shortcut, then the mouse gestures."""
    rows: dict[str, str] = {}
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = [k for k in keys if k]
        if keys and _label(action):
            rows.setdefault(", ".join(keys), _label(action))
    listed = sorted(rows.items(), key=lambda kv: kv[1].lower())
    return listed + MOUSE


class ShortcutsDialog(QDialog):
    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard Shortcuts")
        rows = shortcut_rows(window)
        table = QTableWidget(len(rows), 2, self)
        table.setObjectName("shortcutsTable")
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        for i, (keys, what) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(keys))
            table.setItem(i, 1, QTableWidgetItem(what))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.resize(560, 520)


def guide_path() -> Path | None:
    """The user guide's Markdown: the installed copy in resources/docs, else the source tree's."""
    source_root = Path(__file__).resolve().parents[3]
    installed = Path(__file__).resolve().parents[1] / "docs"  # wheel and bundle: hktwin/docs
    for folder in (installed, source_root / "docs", source_root):
        for name in GUIDE_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


class GuideDialog(QDialog):
    """The guide rendered from Markdown (images and links resolved beside the file)."""

    def __init__(self, parent: QWidget | None, path: Path) -> None:
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.setWindowTitle(f"HK Twin User Guide ({path.name})")
        self.path = path
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("guideBrowser")
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(path.parent)])
        self.browser.document().setBaseUrl(QUrl.fromLocalFile(str(path.parent) + "/"))
        self.browser.setMarkdown(path.read_text(encoding="utf-8"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        browser_button = QPushButton("Open in Browser")
        buttons.addButton(browser_button, QDialogButtonBox.ButtonRole.ActionRole)
        browser_button.clicked.connect(self.open_in_browser)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(900, 700)

    def html_file(self) -> Path:
        """The rendered guide as an HTML file beside nothing of the user's (a temp folder)."""
        out = Path(tempfile.gettempdir()) / "hktwin-guide" / (self.path.stem + ".html")
        out.parent.mkdir(parents=True, exist_ok=True)
        body = self.browser.document().toHtml()
        base = f'<base href="{QUrl.fromLocalFile(str(self.path.parent) + "/").toString()}">'
        out.write_text(body.replace("<head>", "<head>" + base, 1), encoding="utf-8")
        return out

    def open_in_browser(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.html_file())))


def gl_renderer(window: QWidget) -> str:
    """The OpenGL renderer and version of the window's canvas (e.g. 'llvmpipe ... / 4.5 Mesa')."""
    canvas = getattr(window, "canvas", None)
    if canvas is None:
        return "unknown (no canvas)"
    try:
        from vispy.gloo import gl

        canvas.set_current()
        return f"{gl.glGetParameter(gl.GL_RENDERER)} / OpenGL {gl.glGetParameter(gl.GL_VERSION)}"
    except Exception as exc:  # a context not made yet is not an error worth showing
        return f"unknown ({type(exc).__name__})"


def data_pack_line(window: QWidget) -> str:
    twin = getattr(window, "twin", None)
    city = getattr(twin, "city", None)
    if city is None:
        return "none loaded yet"
    name = getattr(city, "name", "?")
    kind = "approximate demo" if getattr(city, "approximate", False) else "official data"
    version = getattr(city, "pack_version", None) or getattr(city, "version", None)
    return f"{name} ({kind}{f', pack format {version}' if version else ''})"


def about_info(window: QWidget) -> dict[str, str]:
    """What About shows, as data (tests read it without a dialog)."""
    import PySide6
    import vispy
    from PySide6.QtCore import qVersion

    return {
        "HK Twin": __version__,
        "Qt": f"{qVersion()} (PySide6 {PySide6.__version__})",
        "vispy": vispy.__version__,
        "OpenGL": gl_renderer(window),
        "Data pack": data_pack_line(window),
        "Settings": str(settings_mod.settings_path()),
    }


def show_about(window: QWidget) -> None:
    rows = "".join(f"<tr><td><b>{html.escape(k)}</b>&nbsp;</td><td>{html.escape(v)}</td></tr>"
                   for k, v in about_info(window).items())
    QMessageBox.about(
        window, "About HK Twin",
        "<b>HK Twin</b><p>A 3D digital twin of Hong Kong for planning 5G small cells, AR "
        "anchors and sensors. The bundled city is an <i>approximate demo</i> built from public "
        "facts; import official Lands Department data for planning.</p>"
        f"<table>{rows}</table><p>MIT licence.</p>")


def reset_settings(window: QWidget, settings: settings_mod.Settings | None = None) -> bool:
    """Ask, then put the settings back to their defaults (the old file is kept beside)."""
    answer = QMessageBox.question(
        window, "Reset Settings",
        "Put every setting back to its default (window layout, recent files, enabled plugins, "
        "feed polling, units, language) and show the welcome again?\n\nThe current file is kept "
        f"as settings.json.before-reset in {settings_mod.config_dir()}.")
    if answer != QMessageBox.StandardButton.Yes:
        return False
    fresh = settings_mod.reset()
    if settings is not None:  # the running app keeps using the same object
        for name in settings_mod.Settings.__dataclass_fields__:
            setattr(settings, name, getattr(fresh, name))
        settings.reset_requested = True  # the window does not write its layout back on quit
    return True


def install_help_menu(window: QMainWindow,
                      settings: settings_mod.Settings | None = None) -> QMenu:
    """Fill the window's Help menu (making one when it has none); returns it."""
    from hktwin.ui.welcome import show_welcome

    menu = None
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == "Help":
            menu = action.menu()
    if menu is None:
        menu = window.menuBar().addMenu("&Help")
    ours = {"Keyboard Shortcuts", "User Guide", "Welcome", "Reset Settings…", "About HK Twin"}
    for action in menu.actions():  # ours replace the window's own About (and a second install)
        if _label(action) in ours or (action.isSeparator() and action.objectName() == "helpSep"):
            menu.removeAction(action)
    others = menu.actions()  # what plugins or the window added stays, after ours
    before = others[0] if others else None

    def place(action: QAction) -> None:
        if before is None:
            menu.addAction(action)
        else:
            menu.insertAction(before, action)

    def separator() -> None:
        sep = QAction(window)
        sep.setSeparator(True)
        sep.setObjectName("helpSep")
        place(sep)

    def add(text: str, slot, shortcut: str | None = None, name: str = "") -> QAction:
        action = QAction(text, window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if name:
            action.setObjectName(name)
        action.triggered.connect(lambda _checked=False: slot())
        place(action)
        return action

    add("&Keyboard Shortcuts", lambda: ShortcutsDialog(window).open(), "F1", "helpShortcuts")

    def guide() -> None:
        path = guide_path()
        if path is None:
            QMessageBox.information(window, "User Guide", "No user guide is installed.")
        else:
            GuideDialog(window, path).open()

    add("&User Guide", guide, name="helpGuide")
    add("&Welcome", lambda: show_welcome(window, settings), name="helpWelcome")
    separator()
    add("&Reset Settings…", lambda: reset_settings(window, settings), name="helpReset")
    separator()
    add("&About HK Twin", lambda: show_about(window), name="helpAbout")
    if before is not None:
        separator()
    return menu
