"""Planning in the window: placing sites on roofs and ground, dragging, editing, undo/redo."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt

from hktwin.model.camera import CameraPose

CENTRAL = CameraPose((833_900.0, 816_300.0, 0.0), 1800.0, azimuth=180.0, elevation=55.0)


def click(qtbot, window, xy) -> None:
    qtbot.mouseClick(window.canvas.native, Qt.MouseButton.LeftButton,
                     pos=QPoint(round(xy[0]), round(xy[1])))


def on_screen_points(window, n: int) -> list[tuple[float, float]]:
    """`n` pixels spread over the middle of the canvas."""
    w, h = window.canvas.size
    xs = np.linspace(0.3 * w, 0.7 * w, 3)
    ys = np.linspace(0.35 * h, 0.65 * h, 2)
    return [(round(x), round(y)) for y in ys for x in xs][:n]


def test_placing_cells_snaps_to_roofs_and_ground_and_undoes(qtbot, window, load):
    load(window)
    window.twin.camera = CENTRAL
    qtbot.wait(50)
    planning = window.planning
    window.planning_panel.place_buttons.buttons()[0].click()  # Place small cell
    assert planning.place_kind == "cell"
    for xy in on_screen_points(window, 6):
        click(qtbot, window, xy)
    cells = list(planning.scenario.cells)
    assert len(cells) == 6
    # Each cell stands where the click met the city: on a roof or on the ground below it.
    scene_ = window.canvas.city_scene
    for cell, xy in zip(cells, on_screen_points(window, 6), strict=True):
        x, y, z, where = scene_.surface_at(xy)
        assert abs(cell.x - x) < 1 and abs(cell.y - y) < 1 and abs(cell.ground_m - z) < 0.1
        assert cell.mounting == ("rooftop" if where == "rooftop" else "lamppost")
    assert any(c.mounting == "rooftop" for c in cells), "Central is full of roofs"
    assert window.planning_panel.sites.count() == 6
    # Undo and redo the last placement.
    window.undo_action.trigger()
    assert len(planning.scenario.cells) == 5
    window.redo_action.trigger()
    assert len(planning.scenario.cells) == 6
    assert window.windowTitle().startswith("HK Twin - Untitled scenario *")
    window.planning_panel.stop_placing()
    assert planning.place_kind is None


def test_dragging_a_cell_moves_it_in_one_undo_step(qtbot, window, load):
    load(window)
    window.twin.camera = CENTRAL
    qtbot.wait(50)
    planning = window.planning
    w, h = window.canvas.size
    surface = window.canvas.city_scene.surface_at((w / 2, h / 2))
    planning.place_kind = "cell"
    planning.place_at(surface)
    planning.place_kind = None
    cell = planning.scenario.cells[0]
    start = window.canvas.city_scene._project_scene(
        np.array([[cell.x - window.twin.origin[0], cell.y - window.twin.origin[1],
                   cell.ground_m + cell.height_m]]))[0]
    assert window.canvas.city_scene.pick_site(tuple(start)) == cell.id
    steps_before = len(planning.stack)
    native = window.canvas.native
    qtbot.mousePress(native, Qt.MouseButton.LeftButton, pos=QPoint(round(start[0]),
                                                                   round(start[1])))
    for dx in (10, 25, 40, 60):
        qtbot.mouseMove(native, QPoint(round(start[0]) + dx, round(start[1]) + dx // 2))
        qtbot.wait(60)
    qtbot.mouseRelease(native, Qt.MouseButton.LeftButton,
                       pos=QPoint(round(start[0]) + 60, round(start[1]) + 30))
    moved = planning.scenario[cell.id]
    assert (moved.x, moved.y) != (cell.x, cell.y)
    assert len(planning.stack) == steps_before + 1, "a drag is one undo step"
    window.undo_action.trigger()
    back = planning.scenario[cell.id]
    assert (back.x, back.y) == (cell.x, cell.y)


def test_editing_a_site_in_the_form_is_undoable(qtbot, window, load):
    load(window)
    planning = window.planning
    record = planning.editor.place("cell", 833_900.0, 816_300.0, 5.0)
    editor = window.planning_panel.editor
    assert editor.widgets["band"].currentText() == "n78"
    editor.widgets["band"].setCurrentText("n257")
    editor.widgets["tx_power_dbm"].setValue(35.0)
    edited = planning.scenario[record.id]
    assert edited.band == "n257" and edited.tx_power_dbm == 35.0
    window.undo_action.trigger()
    assert planning.scenario[record.id].tx_power_dbm == record.tx_power_dbm
    assert editor.widgets["tx_power_dbm"].value() == record.tx_power_dbm  # the form follows
    window.planning_panel.delete_selected()
    assert record.id not in planning.scenario


def test_the_grid_box_follows_the_planning_resolution_however_it_is_set(window):
    """Set in code (a script, a tour step), the evaluation grid shows in the panel's box; an
    unusual grid is added to the box rather than shown as another."""
    panel, planning = window.planning_panel, window.session.planning
    before = planning.resolution_m
    try:
        planning.resolution_m = 20.0
        assert panel.resolution.currentData() == 20.0
        planning.resolution_m = 7.5
        assert panel.resolution.currentData() == 7.5 and "7.5 m" in panel.resolution.currentText()
        panel.resolution.setCurrentIndex(panel.resolution.findData(10.0))
        assert planning.resolution_m == 10.0  # and the box still sets it
    finally:
        planning.resolution_m = before
