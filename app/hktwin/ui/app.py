"""Starting the GUI: Qt application, vispy's Qt backend, the main window, the first load."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hktwin.core.errors import HKTwinError

#: Qt platforms that need no display server (anything else on Linux needs X11 or Wayland)
_HEADLESS_PLATFORMS = ("offscreen", "minimal", "eglfs", "linuxfb", "vnc", "vkkhrdisplay")
NO_DISPLAY = ("no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset). "
              "Fix: run `xvfb-run hktwin`, or `hktwin snapshot --out view.png` for a picture "
              "without a screen")


def display_problem(env: dict[str, str] | None = None) -> str | None:
    """Why the window cannot open here, or None. Checked before Qt loads, because Qt's xcb
    plugin aborts the process (core dump, a message blaming libxcb-cursor) with no display."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if platform in _HEADLESS_PLATFORMS:
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return NO_DISPLAY


def run_gui(pack: Path | None = None, view: str = "harbour") -> int:
    """Open the main window on `pack` (the demo city when None) and run until it closes."""
    problem = display_problem()
    if problem:
        raise HKTwinError(problem)  # the CLI prints it as one line and exits 2
    import vispy
    from PySide6.QtWidgets import QApplication

    vispy.use("pyside6")
    from hktwin.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("HK Twin")
    app.setOrganizationName("hktwin")
    window = MainWindow(initial_view=view)
    window.load_pack(pack)  # the worker starts reading while the window is being shown
    prefs = decorate_window(window)
    if os.environ.get("HKTWIN_EXIT_AFTER_FIRST_FRAME"):
        _exit_after_first_frame(app, window)
    window.show()
    _show_welcome_later(window, prefs)
    return app.exec()


def _exit_after_first_frame(app, window) -> None:
    """Start-up probe (benchmarks/bench_bundle_startup.py): print the seconds from process
    creation to the first frame with the city in it, then quit. Works the same in a bundle."""

    def on_draw(_event) -> None:
        if len(window.twin.layers) > 0:
            print(f"first_frame_s {_seconds_since_process_start():.3f}", flush=True)
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, app.quit)

    window.canvas.events.draw.connect(on_draw, position="last")


def _seconds_since_process_start() -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) - start_ticks / ticks


def decorate_window(window, prefs=None):
    """The installed app's extras around the window: settings (layout, recent files), the Help
    menu. Returns the settings in use. Not done in MainWindow itself so that tests building a
    window never read or write the user's settings."""
    from hktwin.core import settings as settings_mod
    from hktwin.ui.help import install_help_menu
    from hktwin.ui.window_settings import attach_settings

    prefs = settings_mod.load() if prefs is None else prefs
    attach_settings(window, prefs)
    install_help_menu(window, prefs)
    return prefs


def _show_welcome_later(window, prefs) -> None:
    from PySide6.QtCore import QTimer

    from hktwin.ui.welcome import maybe_show_welcome

    # after the first events, so the window (and its first frame) come first
    QTimer.singleShot(300, lambda: maybe_show_welcome(window, prefs))
