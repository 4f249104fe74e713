"""First run, Help menu and the window's settings, on a real window (under Xvfb)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.gui


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    monkeypatch.setenv("HKTWIN_CONFIG_DIR", str(tmp_path / "cfg"))
    return tmp_path / "cfg"


@pytest.fixture
def window(qtbot, cfg):
    import vispy

    vispy.use("pyside6")
    from hktwin.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1000, 700)
    return win


def test_welcome_is_shown_once(qtbot, cfg, window):
    from hktwin.core import settings
    from hktwin.ui.welcome import maybe_show_welcome

    prefs = settings.load()
    dialog = maybe_show_welcome(window, prefs)
    assert dialog is not None and dialog.isVisible()
    from PySide6.QtWidgets import QLabel

    assert "approximate demo city" in dialog.findChild(QLabel, "welcomeText").text()
    assert not settings.settings_path().exists()  # nothing is written before it is dismissed
    dialog.accept()
    qtbot.waitUntil(lambda: settings.settings_path().exists())
    assert json.loads(settings.settings_path().read_text())["welcome_shown"] is True
    assert maybe_show_welcome(window, settings.load()) is None  # not again, even after restart


def test_help_menu_shortcuts_about_and_guide(qtbot, cfg, window):
    from hktwin.ui import help as help_mod
    from hktwin.ui.app import decorate_window

    decorate_window(window)
    menu = help_mod.install_help_menu(window)  # twice is harmless: the menu is refilled
    titles = [a.text().replace("&", "") for a in menu.actions() if a.text()]
    assert titles[:3] == ["Keyboard Shortcuts", "User Guide", "Welcome"]
    assert "About HK Twin" in titles and "Reset Settings…" in titles
    rows = {what: keys for keys, what in help_mod.shortcut_rows(window)}
    assert rows.get("Keyboard Shortcuts") == "F1"
    assert any(what == "Orbit" for what in rows)
    assert len(rows) > 10  # the window's own shortcuts are listed, not a copied table
    window.show()
    qtbot.waitExposed(window)
    info = help_mod.about_info(window)
    for key in ("Qt", "vispy", "OpenGL", "Data pack"):
        assert info[key]
    assert "unknown" not in info["OpenGL"], info["OpenGL"]
    guide = help_mod.guide_path()
    assert guide is not None
    dialog = help_mod.GuideDialog(window, guide)
    assert len(dialog.browser.toPlainText()) > 500
    html_file = dialog.html_file()
    assert html_file.read_text().count("<") > 50


def test_layout_and_recent_files_round_trip(qtbot, cfg, window, tmp_path):
    from hktwin.core import settings
    from hktwin.ui.window_settings import attach_settings, remember_layout, restore_layout

    window.show()
    qtbot.waitExposed(window)
    window.resize(1200, 760)
    qtbot.wait(50)
    size = (window.width(), window.height())
    prefs = settings.Settings()
    remember_layout(window, prefs)
    scenario = tmp_path / "a.hktwin.json"
    scenario.write_text("{}")
    prefs.add_recent_scenario(scenario)
    settings.save(prefs)

    window.resize(1000, 700)
    qtbot.wait(50)
    assert (window.width(), window.height()) != size
    again = settings.load()
    assert restore_layout(window, again)
    qtbot.wait(50)
    assert (window.width(), window.height()) == size
    attach_settings(window, again)
    from PySide6.QtWidgets import QMenu

    recent = window.findChild(QMenu, "recentMenu")
    assert recent is not None
    recent.aboutToShow.emit()
    assert any("a.hktwin.json" in a.text() for a in recent.actions())
    window.close()  # the close writes the layout back
    assert json.loads(settings.settings_path().read_text())["window"]["geometry"]


def test_reset_from_help(qtbot, cfg, window, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from hktwin.core import settings
    from hktwin.ui.help import reset_settings

    prefs = settings.Settings(units="imperial", welcome_shown=True)
    settings.save(prefs)
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    assert reset_settings(window, prefs)
    assert prefs.units == "metric" and not prefs.welcome_shown
    assert settings.load() == settings.Settings()
    assert (cfg / "settings.json.before-reset").exists()


def test_feed_polling_is_resumed_and_remembered(qtbot, cfg, window, monkeypatch):
    from hktwin.core import settings
    from hktwin.ui.window_settings import attach_settings

    calls = []
    monkeypatch.setattr(window.session, "go_live", lambda: calls.append("live") or [])
    prefs = settings.Settings()
    prefs.feed_polling.enabled = True
    attach_settings(window, prefs)
    window.session.live_added.emit(None)  # the live layers are bound: polling starts again
    assert calls == ["live"]
    window.close()  # nothing polls now, so next time it starts without polling
    assert settings.load().feed_polling.enabled is False
