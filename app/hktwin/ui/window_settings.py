"""The window's side of the settings: layout saved and restored, recent files, notices.

`attach_settings(window, settings)` is all the window needs: it restores the saved geometry and
dock layout, adds File > Open Recent, records scenarios and packs as they are opened or saved,
starts polling the feeds when it was on at the last quit, shows any notice about the settings
file in the status bar, and writes all this back when the window closes. Kept out of
main_window.py so that file stays about the window itself.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject
from PySide6.QtWidgets import QMainWindow, QMenu

from hktwin.core import settings as settings_mod
from hktwin.core.errors import HKTwinError


def restore_layout(window: QMainWindow, settings: settings_mod.Settings) -> bool:
    """Put the window back where the user left it; False when nothing usable was saved."""
    layout = settings.window
    ok = False
    try:
        if isinstance(layout.get("geometry"), str):
            ok = window.restoreGeometry(QByteArray.fromBase64(layout["geometry"].encode()))
        if isinstance(layout.get("state"), str):
            ok = window.restoreState(QByteArray.fromBase64(layout["state"].encode())) and ok
    except (TypeError, ValueError):
        return False
    return bool(ok)


def remember_layout(window: QMainWindow, settings: settings_mod.Settings) -> None:
    settings.window = {
        "geometry": bytes(window.saveGeometry().toBase64()).decode(),
        "state": bytes(window.saveState().toBase64()).decode(),
        "maximized": window.isMaximized(),
    }


def _find_menu(window: QMainWindow, title: str) -> QMenu | None:
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text().replace("&", "") == title:
            return action.menu()
    return None


def build_recent_menu(window: QMainWindow, settings: settings_mod.Settings) -> QMenu | None:
    """File > Open Recent: the recent scenarios, then the recent data packs."""
    file_menu = _find_menu(window, "File")
    if file_menu is None:
        return None
    recent = QMenu("Open &Recent", window)
    recent.setObjectName("recentMenu")

    def refill() -> None:
        recent.clear()
        for text in settings.recent_scenarios:
            path = Path(text)
            action = recent.addAction(f"{path.name}  ({path.parent})")
            action.setEnabled(path.exists())
            action.triggered.connect(lambda _c=False, p=path: window.open_scenario(p))
        if settings.recent_scenarios and settings.recent_packs:
            recent.addSeparator()
        for text in settings.recent_packs:
            path = Path(text)
            action = recent.addAction(f"Data pack: {path.name}  ({path.parent})")
            action.setEnabled((path / "manifest.json").exists())
            action.triggered.connect(lambda _c=False, p=path: window.load_pack(p))
        if recent.isEmpty():
            recent.addAction("(nothing yet)").setEnabled(False)

    recent.aboutToShow.connect(refill)
    refill()
    actions = file_menu.actions()
    before = actions[1] if len(actions) > 1 else None
    file_menu.insertMenu(before, recent) if before is not None else file_menu.addMenu(recent)
    return recent


class _CloseWatcher(QObject):
    """Writes the layout (and everything else) back when the window closes."""

    def __init__(self, window: QMainWindow, settings: settings_mod.Settings) -> None:
        super().__init__(window)
        self.window, self.settings = window, settings

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Close:
            save_on_close(self.window, self.settings)
        return False


def save_on_close(window: QMainWindow, settings: settings_mod.Settings) -> None:
    if not getattr(settings, "reset_requested", False):
        remember_layout(window, settings)
        feeds = getattr(getattr(window, "session", None), "feeds", None)
        if feeds is not None and hasattr(feeds, "live"):
            settings.feed_polling.enabled = bool(feeds.live)  # polling on at quit: on next time
    try:
        settings_mod.save(settings)
    except (OSError, HKTwinError) as exc:  # a read-only config folder must not stop closing
        print(f"hktwin: settings not saved: {exc}")


def _record_recent(window: QMainWindow, settings: settings_mod.Settings) -> None:
    session = getattr(window, "session", None)
    if session is None:
        return
    planning = getattr(session, "planning", None)

    def scenario_seen(*_: object) -> None:
        path = getattr(planning, "path", None)
        if path is not None and (not settings.recent_scenarios
                                 or settings.recent_scenarios[0] != str(Path(path).resolve())):
            settings.add_recent_scenario(path)

    def pack_opened(loaded: object) -> None:
        city = getattr(loaded, "city", None)
        path = getattr(city, "path", None)
        if path is not None and not getattr(city, "approximate", False):
            settings.add_recent_pack(path)

    if planning is not None:
        for name in ("scenario_changed", "status"):
            signal = getattr(planning, name, None)
            if signal is not None:
                signal.connect(scenario_seen)
    opened = getattr(session, "city_opened", None)
    if opened is not None:
        opened.connect(pack_opened)
    live_added = getattr(session, "live_added", None)
    if live_added is not None:
        # polling was on when the app last closed: start it again once the live layers are bound
        live_added.connect(lambda _loaded: settings.feed_polling.enabled and session.go_live())


def attach_settings(window: QMainWindow, settings: settings_mod.Settings) -> None:
    """Everything the window does with the settings (see the module docstring)."""
    restore_layout(window, settings)
    build_recent_menu(window, settings)
    _record_recent(window, settings)
    watcher = _CloseWatcher(window, settings)
    window.installEventFilter(watcher)
    window._settings_watcher = watcher  # kept alive with the window
    notices = list(dict.fromkeys([*settings.notices, *settings_mod.take_notices()]))
    if notices and window.statusBar() is not None:
        window.statusBar().showMessage(notices[0], 15000)
    for notice in notices:
        print(f"hktwin: {notice}")
