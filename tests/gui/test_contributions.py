"""The window is built from contributions: a dock and a menu command added through
`ui.contributions` appear, run against the session, and the built-in menus stay in order."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from hktwin.ui import contributions as contrib


def test_a_contributed_dock_and_menu_command_join_the_window(qtbot):
    from hktwin.plugins.registry import PluginRegistry, reset_registry
    from hktwin.ui.main_window import MainWindow

    previous = reset_registry(PluginRegistry([], enabled=lambda name: True))  # no plugins
    ran = []
    contrib.add_dock(contrib.DockContribution(
        "Noise", lambda session, parent: QLabel(f"layers: {len(session.twin.layers)}", parent),
        "right", tabify_with="Inspector", plugin="noise"))
    contrib.add_menu_command(contrib.MenuCommand("&Noise", "Compute &noise",
                                                 lambda w: ran.append(w.session), name="noise"))
    try:
        win = MainWindow()
        qtbot.addWidget(win)
    finally:
        contrib.clear_contributions()
        reset_registry(previous)
    assert win.docks["Noise"].widget().text() == "layers: 0"
    titles = [a.text() for a in win.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "F&eeds", "&Noise", "&Help"]
    win.actions["noise"].trigger()
    assert ran == [win.session]
    # The built-in ones forward to the same session.
    record = win.session.planning.editor.place("cell", 833_000.0, 816_000.0, 2.0)
    win.undo_action.trigger()
    assert record.id not in win.session.planning.scenario
    win.close()


PLUGIN = '''
[plugin]
name = "{name}"
title = "Test plugin {name}"
version = "0.1"
api = "1.0"

[[docks]]
name = "panel"
title = "{name} panel"
widget = "{name}.ui:panel"
area = "left"

[[menus]]
name = "hello"
title = "Say hello"
menu = "&Tools"
command = "{name}.ui:hello"
'''

CODE = '''
from PySide6.QtWidgets import QLabel

RAN = []


def panel(session, parent):
    if {broken}:
        raise RuntimeError("the dock is broken")
    return QLabel("layers: %d" % len(session.twin.layers), parent)


def hello(window):
    RAN.append(window.session)
'''


def _plugin(tmp_path, name, broken):
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "hktwin-plugin.toml").write_text(PLUGIN.format(name=name))
    (package / "ui.py").write_text(CODE.format(broken=broken))


def test_plugin_docks_and_menus_come_from_the_registry_and_a_broken_one_is_left_out(
        qtbot, tmp_path, monkeypatch):
    import importlib

    from hktwin.plugins.registry import Found, PluginRegistry, reset_registry
    from hktwin.ui.main_window import MainWindow

    _plugin(tmp_path, "good_plugin", False)
    _plugin(tmp_path, "bad_plugin", True)
    monkeypatch.syspath_prepend(str(tmp_path))
    previous = reset_registry(PluginRegistry(
        [Found("good_plugin", "good_plugin"), Found("bad_plugin", "bad_plugin")],
        enabled=lambda name: True))
    try:
        win = MainWindow()
        qtbot.addWidget(win)
        assert win.docks["good_plugin panel"].widget().text().startswith("layers:")
        assert "bad_plugin panel" not in win.docks  # left out, the window carries on
        from hktwin.plugins import registry

        bad = registry().plugin("bad_plugin")
        assert not bad.active and "the dock is broken" in (bad.error or "")
        assert "&Tools" in [a.text() for a in win.menuBar().actions()]
        win.actions["good_plugin:hello"].trigger()
        ran = importlib.import_module("good_plugin.ui").RAN
        assert ran == [win.session]
        win.close()
    finally:
        reset_registry(previous)
