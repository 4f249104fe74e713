"""The window is built from contributions: a dock and a menu command added through
`ui.contributions` appear, run against the session, and the built-in menus stay in order."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from hktwin.ui import contributions as contrib


def test_a_contributed_dock_and_menu_command_join_the_window(qtbot):
    from hktwin.ui.main_window import MainWindow

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
