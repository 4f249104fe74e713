"""Walks in the window: draw a path on the overview (clicks picked on the ground), play it at
walking speed, record it to GIF and MP4 without freezing the window, and the walk report
(chart and table) equal to `evaluate_walk` worked out directly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_helpers import render

pytestmark = pytest.mark.gui

OUT = Path(__file__).resolve().parents[2] / ".cache" / "snapshots"


@pytest.fixture
def walk_window(qtbot, window, load, tiny_pack):
    from hktwin.model.camera import CameraPose
    from packs import X0, Y0

    load(window, tiny_pack)
    editor = window.session.planning.editor
    # Along the street between the first two rows of towers: one card in the open ahead, one
    # round the corner behind a tower.
    editor.place("anchor", X0 + 470.0, Y0 + 1497.0, 2.0, name="Open card", height_m=4.0)
    editor.place("anchor", X0 + 400.0, Y0 + 1580.0, 2.0, name="Behind tower", height_m=4.0)
    window.session.select_site(None)
    window.actions["ar_view"].trigger()
    window.twin.camera = CameraPose((X0 + 350.0, Y0 + 1495.0, 0.0), 500.0, 180.0, 60.0)
    qtbot.wait(100)
    render(window)
    return window


def _pixel(win, x, y):
    ground = float(win.twin.city.terrain.height_at(x, y))
    return tuple(float(v) for v in win.canvas.city_scene.project(np.array([[x, y, ground]]))[0])


def test_draw_a_walk_with_clicks_and_keys(qtbot, walk_window):
    from PySide6.QtCore import QPoint, Qt

    from packs import X0, Y0

    win = walk_window
    panel = win.ar_view.walks
    walk = win.session.walk
    panel.draw_button.click()
    assert panel.drawing
    targets = [(X0 + 300.0, Y0 + 1495.0), (X0 + 360.0, Y0 + 1495.0), (X0 + 360.0, Y0 + 1440.0)]
    # the first point by a real click on the canvas, the others through the same slot
    px, py = _pixel(win, *targets[0])
    qtbot.mouseClick(win.canvas.native, Qt.MouseButton.LeftButton, pos=QPoint(round(px),
                                                                             round(py)))
    for t in targets[1:]:
        assert panel.add_point_at(_pixel(win, *t))
    assert len(walk) == 3
    got = np.array(walk.points)
    assert np.abs(got - np.array(targets)).max() < 3.0  # picked on the ground under the pixel
    assert win.session.selection is None  # the click drew, it did not select
    # Backspace removes the last point, Enter ends (the window's shortcuts don't get them)
    qtbot.keyClick(win.canvas.native, Qt.Key.Key_Backspace)
    assert len(walk) == 2
    qtbot.keyClick(win.canvas.native, Qt.Key.Key_Return)
    assert not panel.drawing and len(walk) == 2
    street = win.twin.street  # the viewer stands at the start, facing along the walk
    assert (street.x, street.y) == pytest.approx(walk.points[0], abs=1e-6)
    assert street.heading == pytest.approx(90.0, abs=3.0)
    # the overlay draws the polyline on the overview
    overlay = win.walk_overlay
    assert overlay.line.visible and len(overlay.scene_points()) == 2
    # Esc while drawing again puts the walk back as it was
    panel.start_drawing()
    panel.add_point_at(_pixel(win, X0 + 330.0, Y0 + 1470.0))
    assert len(walk) == 3
    qtbot.keyClick(win.canvas.native, Qt.Key.Key_Escape)
    assert not panel.drawing and len(walk) == 2
    # the walk outlives the dock
    win.actions["ar_view"].trigger()
    assert win.ar_view is None and len(win.session.walk) == 2


def test_play_walks_the_street_view_to_the_end(qtbot, walk_window):
    from hktwin.analysis.ar.walk import WALK_SPEED_M_S
    from packs import X0, Y0

    win = walk_window
    panel = win.ar_view.walks
    start, end = (X0 + 300.0, Y0 + 1495.0), (X0 + 370.0, Y0 + 1495.0)
    win.session.walk.set_points([start, end])
    panel.play()
    qtbot.waitUntil(lambda: win.twin.street.x > start[0] + 0.1, timeout=5000)  # the timer
    player = panel.player
    player.pause()
    player.seek(0)
    player.step(10.0)  # ten seconds of walking at 1x
    pose = win.twin.street
    assert pose.x == pytest.approx(start[0] + 10 * WALK_SPEED_M_S, abs=0.1)
    assert pose.y == pytest.approx(start[1]) and pose.heading == pytest.approx(90.0)
    assert panel.slider.value() == player.index
    eye = win.ar_view.preview.street.camera.eye_in_scene()  # the picture and the cone follow
    assert eye[0] + win.twin.origin[0] == pytest.approx(pose.x)
    cone = np.asarray(win.ar_view.preview._cone.pos)
    assert cone[0][0] + win.twin.origin[0] == pytest.approx(pose.x)
    panel.speed.setCurrentIndex(panel.speed.findData(8.0))
    player.step(10.0)  # 8x: 112 m further, past the end: it stops there
    pose = win.twin.street
    assert (pose.x, pose.y) == pytest.approx(end, abs=1e-6)
    assert player.state == "paused" and panel.play_button.text() == "Play walk"
    # scrubbing the slider moves the viewer
    panel.slider.setValue(len(player.path) // 2)
    assert win.twin.street.x == pytest.approx((start[0] + end[0]) / 2, abs=0.2)
    panel.stop()
    assert win.twin.street.x == pytest.approx(start[0])


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_record_a_short_walk(qtbot, walk_window, tmp_path, suffix):
    import imageio.v3 as iio

    from packs import X0, Y0

    win = walk_window
    panel = win.ar_view.walks
    win.session.walk.set_points([(X0 + 300.0, Y0 + 1495.0), (X0 + 308.4, Y0 + 1495.0)])
    panel.speed.setCurrentIndex(panel.speed.findData(4.0))  # 5.6 m/s: 2.8 m a frame at 2 fps
    before = win.twin.street
    out = tmp_path / f"walk{suffix}"
    rec = panel.start_recording(out, fps=2.0)
    assert rec is not None and rec.dialog is not None and rec.dialog.isVisible()
    qtbot.waitUntil(lambda: rec.done, timeout=30_000)
    assert rec.error is None and out.exists()
    frames = iio.imread(out, index=None)
    assert len(frames) == len(rec.path) == 4
    box = win.ar_view.preview.street.box
    assert frames.shape[1] >= int(box.size[1]) - 1 and frames.shape[2] >= int(box.size[0]) - 1
    assert frames[0].std() > 5  # a picture, not a blank
    OUT.mkdir(parents=True, exist_ok=True)
    iio.imwrite(OUT / f"walk-frame{suffix}.png", frames[-1][..., :3])
    assert win.twin.street == before  # the viewer is put back
    assert "Saved" in win.statusBar().currentMessage()


def test_cancelled_or_failed_recording_leaves_no_file(qtbot, walk_window, tmp_path):
    from packs import X0, Y0

    win = walk_window
    panel = win.ar_view.walks
    win.session.walk.set_points([(X0 + 300.0, Y0 + 1495.0), (X0 + 340.0, Y0 + 1495.0)])
    out = tmp_path / "walk.gif"
    rec = panel.start_recording(out, fps=4.0)
    qtbot.waitUntil(lambda: rec.frame >= 1, timeout=10_000)
    from PySide6.QtWidgets import QPushButton

    rec.dialog.findChild(QPushButton).click()  # the dialog's Cancel
    assert rec.done and not out.exists() and not list(tmp_path.iterdir())
    assert "cancelled" in win.statusBar().currentMessage()
    assert panel.start_recording(tmp_path / "no" / "such" / "dir" / "walk.mp4") is None
    assert "Cannot record the walk" in win.statusBar().currentMessage()
    assert panel.start_recording(tmp_path / "walk.avi") is None


def test_walk_report_table_equals_evaluate_walk(qtbot, walk_window, tmp_path):
    from hktwin.analysis.ar.walk import evaluate_walk
    from hktwin.session.walks import walk_inputs
    from hktwin.ui.walk_report import NOT_EVALUATED, table_cells
    from packs import X0, Y0

    win = walk_window
    points = [(X0 + 330.0, Y0 + 1495.0), (X0 + 420.0, Y0 + 1495.0), (X0 + 420.0, Y0 + 1460.0)]
    win.session.walk.set_points(points)
    win.actions["walk_report"].trigger()
    report = win.walk_report
    qtbot.waitUntil(lambda: report.report is not None, timeout=30_000)
    inputs = walk_inputs(win.twin.city, points, win.session.planning.scenario.anchors)
    direct = evaluate_walk(**inputs, device=win.ar_view.device.currentData())
    assert report.report.table() == direct.table()
    shown = [[report.table.item(i, j).text() for j in range(report.table.columnCount())]
             for i in range(report.table.rowCount())]
    assert shown == table_cells(direct.table())
    rows = {r["name"]: r for r in direct.table()}
    assert rows["Open card"]["seen_m"]  # the card in the open is seen on the way
    assert all(row[3] == NOT_EVALUATED for row in shown)  # no coverage evaluation yet
    assert "not evaluated" in report.summary.text()
    out = report.export_csv(tmp_path / "walk.csv")
    assert out.read_text().count("\n") == 1 + len(rows)
    # screenshot of the window with the walk drawn and the report dock, halfway along
    player = win.ar_view.walks.player
    player.seek(len(player.path) // 3)
    OUT.mkdir(parents=True, exist_ok=True)
    qtbot.wait(50)
    render(win)
    win.grab().save(str(OUT / "window-walk-report.png"))
    # a changed walk is worked out again
    first = report.report
    win.session.walk.remove_last()
    qtbot.waitUntil(lambda: report.report is not first and report.report is not None,
                    timeout=30_000)
    assert len(report.report.path) < len(first.path)
    # a new anchor is reported too; a closed report works nothing out until shown again
    second = report.report
    win.session.planning.editor.place("anchor", X0 + 380.0, Y0 + 1497.0, 2.0, name="Third")
    qtbot.waitUntil(lambda: report.report is not second and report.report is not None,
                    timeout=30_000)
    assert report.table.rowCount() == 3
    win.walk_report_dock.close()
    third = report.report
    win.session.walk.set_points(points)
    qtbot.wait(600)
    assert report.report is third and not win.session.tasks.running("walk")
    win.actions["walk_report"].trigger()
    qtbot.waitUntil(lambda: report.report is not third and report.report is not None,
                    timeout=30_000)


def test_walk_geojson_menu_round_trip_and_a_bad_file(qtbot, walk_window, tmp_path):
    from hktwin.ui.walk_panel import open_walk, save_walk
    from packs import X0, Y0

    win = walk_window
    points = ((X0 + 300.0, Y0 + 1495.0), (X0 + 420.5, Y0 + 1495.25))
    win.session.walk.set_points(points)
    out = save_walk(win, tmp_path / "walk.geojson")
    win.session.walk.clear()
    assert open_walk(win, out) and win.session.walk.points == points
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "Feature", "geometry": {"type": "LineString", '
                   '"coordinates": [[114.15, 22.28], [114.16, 22.28]]}}')
    assert not open_walk(win, bad)
    message = win.statusBar().currentMessage()
    assert str(bad) in message and "geometry.coordinates[0]" in message
    assert win.session.walk.points == points and win.isVisible()


def test_walk_report_with_coverage_shades_the_shortfall(qtbot, walk_window):
    import pyqtgraph as pg

    from hktwin.analysis.ar.walk import evaluate_walk
    from hktwin.session.walks import latest_coverage, walk_inputs
    from packs import X0, Y0

    win = walk_window
    planning = win.session.planning
    planning.editor.place("cell", X0 + 300.0, Y0 + 1497.0, 2.0, height_m=6.0)
    planning.editor.place("anchor", X0 + 380.0, Y0 + 1497.0, 2.0, name="Holo show",
                          height_m=4.0, required_dl_mbps=5000.0)  # more than a cell gives
    planning.resolution_m = 10.0
    points = [(X0 + 250.0, Y0 + 1497.0), (X0 + 420.0, Y0 + 1497.0), (X0 + 420.0, Y0 + 1460.0)]
    win.session.walk.set_points(points)
    report = win.actions["walk_report"].trigger() or win.walk_report
    task = planning.evaluate()
    assert task is not None
    qtbot.waitUntil(lambda: not task.running, timeout=60_000)
    assert task.state == "done"
    # the evaluation's end starts the walk report again, now with coverage
    qtbot.waitUntil(lambda: report.report is not None and report.report.evaluated,
                    timeout=30_000)
    coverage = latest_coverage(planning)
    inputs = walk_inputs(win.twin.city, points, planning.scenario.anchors, coverage)
    direct = evaluate_walk(**inputs, device=win.ar_view.device.currentData())
    assert report.report.table() == direct.table()
    assert np.array_equal(report.report.rsrp_dbm, direct.rsrp_dbm, equal_nan=True)
    assert np.isfinite(direct.rsrp_dbm).any()
    short = [r for r in direct.table() if r["below_requirement_m"]]
    regions = [i for i in report.rsrp_plot.items if isinstance(i, pg.LinearRegionItem)]
    assert [r["name"] for r in short] == ["Holo show"] and regions
    assert all(r["below_requirement_m"] is not None for r in direct.table())  # evaluated
    qtbot.wait(50)
    render(win)
    win.grab().save(str(OUT / "window-walk-report-coverage.png"))


def test_a_recording_whose_window_goes_away_leaves_no_file(qtbot, tmp_path):
    """ui.capture.FrameRecording: the parent widget destroyed mid-recording aborts the writer,
    so no temporary video is left beside the target."""
    import numpy as np
    from PySide6.QtWidgets import QWidget

    from hktwin.ui.capture import FrameRecording

    parent = QWidget()
    rec = FrameRecording(lambda i: np.zeros((32, 32, 3), np.uint8), 1000, tmp_path / "w.mp4",
                         10.0, parent=parent, dialog=False)
    qtbot.waitUntil(lambda: rec.frame >= 3, timeout=10_000)
    parent.deleteLater()
    qtbot.wait(100)
    assert not list(tmp_path.iterdir())
