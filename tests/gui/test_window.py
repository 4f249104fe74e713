"""The window opens, loads in the background, toggles layers, picks buildings, flies views."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gui_helpers import look_at_tiny_island, pixel, render
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from hktwin.model.camera import named_views


def building_roof(win, name):
    """EPSG:2326 roof centre of a named building in the window's city."""
    b = win.twin.city.buildings
    row = int(np.flatnonzero(b.names == name)[0])
    return np.array([[b.centroid_x[row], b.centroid_y[row], b.base[row] + b.height[row]]])


def test_loading_runs_in_the_background_with_progress(qtbot, window, tiny_pack, monkeypatch):
    import time

    import hktwin.session.session as loader_module

    real_load = loader_module.load_city

    def slow_load(*args, **kwargs):  # a big pack: the worker is busy for a while
        result = real_load(*args, **kwargs)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(loader_module, "load_city", slow_load)
    ticks = []
    window.load_pack(tiny_pack)
    assert window.progress.isVisible()
    timer_id = window.startTimer(20)
    window.timerEvent = lambda event: ticks.append(window.progress.isVisible())
    qtbot.waitUntil(lambda: window.twin.layers.get("Buildings") is not None, timeout=60_000)
    window.killTimer(timer_id)
    assert sum(ticks) >= 5, "the event loop must keep running (showing progress) while loading"
    assert window.progress.value() > 0
    assert not window.progress.isVisible()
    assert window.twin.city.name == "Tiny test island"


def test_layer_panel_toggles_visibility_and_the_picture_changes(qtbot, window, load, tiny_pack):
    load(window, tiny_pack)
    look_at_tiny_island(window)
    roof = building_roof(window, "Tower 36")
    xy = window.canvas.city_scene.project(roof)[0]
    before = pixel(render(window), xy)
    panel = window.layer_panel
    row = [panel.list.item(r).text() for r in range(panel.list.count())].index("Buildings")
    item = panel.list.item(row)
    rect = panel.list.visualItemRect(item)
    # Click the check box at the left of the row.
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(rect.left() + 10, rect.center().y()))
    assert window.twin.layers.get("Buildings").visible is False
    after = pixel(render(window), xy)
    assert np.abs(before - after).sum() > 30, (before, after)
    window.twin.layers.get("Buildings").visible = True
    assert item.checkState() == Qt.CheckState.Checked  # model -> widget too


def test_opacity_slider_and_order_buttons_drive_the_model(window, load, tiny_pack):
    load(window, tiny_pack)
    panel = window.layer_panel
    rows = [panel.list.item(r).text() for r in range(panel.list.count())]
    panel.list.setCurrentRow(rows.index("Buildings"))
    panel.opacity.setValue(40)
    assert window.twin.layers.get("Buildings").opacity == 0.4
    names = window.twin.layers.names()
    at = names.index("Buildings")
    panel.down.click()  # lower: drawn one step earlier
    assert window.twin.layers.names().index("Buildings") == at - 1
    assert panel.current_layer().name == "Buildings"
    panel.up.click()
    assert window.twin.layers.names() == names


def test_clicking_a_building_shows_it_in_the_inspector(qtbot, window, load, tiny_pack):
    load(window, tiny_pack)
    window.twin.camera = named_views()["harbour"].moved(
        center=(833_000.0, 816_700.0, 0.0), distance=2500.0, azimuth=180.0, elevation=35.0)
    qtbot.wait(50)
    x, y = window.canvas.city_scene.project(building_roof(window, "Tower 33"))[0]
    qtbot.mouseClick(window.canvas.native, Qt.MouseButton.LeftButton, pos=QPoint(int(x), int(y)))
    qtbot.waitUntil(lambda: window.twin.selection is not None, timeout=5000)
    assert window.inspector.values["name"].text() == "Tower 33"
    assert window.inspector.values["height_m"].text().endswith(" m")
    layer = window.twin.layers.get("Buildings")
    assert layer.selected == window.twin.selection["id"]
    # Clicking the open sea clears it (straight ahead, so it is on screen however narrow the
    # docks leave the canvas).
    sea = window.canvas.city_scene.project(np.array([[833_000.0, 817_900.0, 0.0]]))[0]
    assert window.canvas.city_scene.contains(tuple(sea))
    qtbot.mouseClick(window.canvas.native, Qt.MouseButton.LeftButton,
                     pos=QPoint(int(sea[0]), int(sea[1])))
    assert window.twin.selection is None and layer.selected is None


def test_status_bar_reads_the_ground_under_the_cursor(qtbot, window, load, tiny_pack):
    load(window, tiny_pack)
    look_at_tiny_island(window)
    from tests_helpers_gui import move_mouse

    hill = np.array([[834_600.0, 816_000.0, 400.0]])
    x, y = window.canvas.city_scene.project(hill)[0]
    move_mouse(qtbot, window.canvas.native, int(x), int(y))
    qtbot.waitUntil(lambda: "ground" in window.cursor_label.text(), timeout=5000)
    text = window.cursor_label.text()
    assert "HK1980 E 834," in text and "22.2" in text and "114.1" in text
    height = float(text.split("ground ")[1].split(" m")[0].replace(",", ""))
    assert 300 < height < 410


def test_number_keys_fly_to_named_views(qtbot, window, load, tiny_pack):
    load(window, tiny_pack)
    with qtbot.waitActive(window):
        window.activateWindow()
    window.canvas.native.setFocus()
    qtbot.keyClick(window.canvas.native, Qt.Key.Key_4)
    assert window.flight.active
    qtbot.waitUntil(lambda: not window.flight.active, timeout=5000)
    target = named_views()["territory"]
    assert window.twin.camera.distance == pytest.approx(target.distance)
    assert window.twin.camera.center == pytest.approx(target.center)


def test_a_broken_pack_is_reported_and_the_window_keeps_its_city(qtbot, window, load, tiny_pack,
                                                                  tmp_path):
    load(window, tiny_pack)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text(json.dumps({"format": "hktwin-pack", "version": 7,
                                                      "layers": {}}))
    window.load_pack(broken)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "loadErrorBox") is not None,
                    timeout=10_000)
    box = window.findChild(QMessageBox, "loadErrorBox")
    assert "manifest.json" in box.text() and "update HK Twin" in box.text()
    box.close()
    assert window.twin.city.name == "Tiny test island" and window.twin.layers.get("Buildings")
