"""Edit > Suggest Sites... in the window: the menu entry is the built-in plugin's, the dialog
lists the pack's districts, the search runs as a task with a progress dialog that cancels it,
and the sites land in the scenario as one undo step."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QPushButton

from packs import X0, Y0

pytestmark = pytest.mark.gui

AREA = (f"POLYGON(({X0 + 200} {Y0 + 1000}, {X0 + 1800} {Y0 + 1000}, {X0 + 1800} {Y0 + 1950}, "
        f"{X0 + 200} {Y0 + 1950}, {X0 + 200} {Y0 + 1000}))")


def test_suggest_sites_from_the_menu_lands_a_draft_that_undo_takes_back(qtbot, window, load,
                                                                         tiny_pack):
    from hktwin.ui.suggest_dialog import SuggestDialog, start_suggesting

    win = load(window, tiny_pack)
    entry = win.actions.get("builtin:suggest-sites")
    assert entry is not None and entry.text().replace("&", "") == "Suggest Sites..."
    assert entry.parent() is not None
    dialog = SuggestDialog(win.twin.city, win)
    dialog.area.setEditText(AREA)
    dialog.k.setValue(2)
    dialog.kind.setCurrentIndex(dialog.kind.findData("grid"))
    area, k, kind = dialog.choice()
    assert (k, kind) == (2, "grid")
    task = start_suggesting(win, area, k, kind)
    assert task is not None and win.suggest_progress.isVisible()
    qtbot.waitUntil(lambda: not task.running, timeout=60_000)
    qtbot.waitUntil(lambda: len(win.planning.scenario.cells) == 2, timeout=5000)
    assert all(c.name.startswith("suggested #") for c in win.planning.scenario.cells)
    assert "Suggested 2 sites" in win.statusBar().currentMessage()
    win.actions["undo"].trigger()
    assert not win.planning.scenario.cells


def test_cancel_in_the_progress_dialog_cancels_the_search(qtbot, window, load, tiny_pack):
    from hktwin.ui.suggest_dialog import start_suggesting

    win = load(window, tiny_pack)
    task = start_suggesting(win, AREA, 3, "grid")
    win.suggest_progress.findChild(QPushButton).click()  # the dialog's Cancel button
    qtbot.waitUntil(lambda: not task.running, timeout=60_000)
    assert task.state == "cancelled"  # clicked within milliseconds of a seconds-long search
    assert not win.planning.scenario.cells
    qtbot.waitUntil(lambda: "cancelled" in win.statusBar().currentMessage(), timeout=5000)
    assert not win.suggest_progress.isVisible()


def test_the_dialog_lists_the_demo_city_districts():
    """The area box offers the pack's districts by English name (what resolve_area takes)."""
    from hktwin.geo.pack import open_pack
    from hktwin.ui.suggest_dialog import district_names

    names = district_names(open_pack(None, base=False))
    assert "Central and Western" in names and "Yau Tsim Mong" in names
