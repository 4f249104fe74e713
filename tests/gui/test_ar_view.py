"""The AR street view in the window: a second view of the same canvas (no second upload),
a phone picture beside the overview, walking kept out of buildings, device and orientation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_helpers import look_at_tiny_island, render

from tests_helpers import count_uploaded_bytes, is_sky

pytestmark = pytest.mark.gui

OUT = Path(__file__).resolve().parents[2] / ".cache" / "snapshots"

@pytest.fixture
def ar_window(qtbot, window, load, tiny_pack, monkeypatch):
    from packs import X0, Y0

    counts = count_uploaded_bytes(monkeypatch.setattr)
    load(window, tiny_pack)
    render(window)
    before = counts["bytes"]
    window.actions["ar_view"].trigger()
    view = window.ar_view
    assert view is not None
    # Between two rows of towers, west of the first column, looking east along the gap.
    view.stand(X0 + 330.0, Y0 + 1495.0, 90.0)
    qtbot.wait(100)  # the dock takes its room: the canvas resizes and lays its views out again
    image = render(window)
    window.ar_upload = counts["bytes"] - before
    window.overview_upload = before
    window.ar_image = image
    OUT.mkdir(parents=True, exist_ok=True)
    from vispy.io import write_png

    write_png(str(OUT / "window-ar-view.png"), image)
    return window


def test_the_ar_view_shares_the_overviews_gpu_data(ar_window):
    # Cards, HUD, phone frame and the mirrored lines/labels only: no mesh goes up again.
    assert ar_window.overview_upload > 1_000_000
    assert ar_window.ar_upload < 0.15 * ar_window.overview_upload, (
        ar_window.ar_upload, ar_window.overview_upload)
    assert len(ar_window.canvas.views) == 2


def test_the_phone_picture_sits_beside_the_overview_with_sky_and_facades(ar_window):
    canvas = ar_window.canvas
    street = ar_window.ar_view.preview.street
    (x, y), (w, h) = street.box.pos, street.box.size
    assert h > w  # portrait
    assert canvas.city_scene.box.size[0] + 1 <= x
    x, y, w, h = x + 2, y + 2, w - 4, h - 4  # inside the box's edges (fractional positions)
    pic = ar_window.ar_image[int(y) : int(y + h), int(x) : int(x + w), :3].astype(float)
    sky = is_sky(pic)
    # Held upright the lens spans ~32 degrees: sky up the gap, the nearer row of towers on the
    # left edge, the street below the horizon.
    assert sky[int(h * 0.2) : int(h * 0.3), int(w * 0.4) : int(w * 0.6)].mean() > 0.8
    assert sky[int(h * 0.4) : int(h * 0.5), : int(w * 0.08)].mean() < 0.1
    assert sky[int(h * 0.7) :].mean() < 0.01


def test_walking_keeps_out_of_buildings_and_on_the_ground(qtbot, ar_window):
    view = ar_window.ar_view
    start = ar_window.twin.street
    assert view.walk(forward=3.0)
    moved = ar_window.twin.street
    assert moved.x == pytest.approx(start.x + 3.0) and moved.ground == pytest.approx(2.0, 0.1)
    # Walk on between the first towers; their faces are 30 m either side of the gap: a step of
    # 40 m sideways (into the tower on the right) is refused.
    assert view.walk(forward=60.0)
    moved = ar_window.twin.street
    assert not view.walk(right=40.0)
    assert ar_window.twin.street == moved
    # W through the canvas moves the viewer on (the window's key path).
    from PySide6.QtCore import Qt

    qtbot.keyClick(ar_window.canvas.native, Qt.Key.Key_W)
    assert ar_window.twin.street.x > moved.x


def test_device_and_orientation_change_the_lens_and_the_frame(ar_window):
    view = ar_window.ar_view
    street = view.preview.street
    narrow = street.pose.hfov
    view.landscape.setChecked(True)
    w, h = street.box.size
    assert w > h and street.pose.hfov > narrow + 10
    view.device.setCurrentIndex(view.device.findData("pixel-8"))
    assert view.preview.device == "pixel-8"
    view.error.setCurrentIndex(view.error.findData("vps"))
    assert view.preview.error_model == "vps"


def test_the_overview_shows_the_viewer_cone_and_closing_restores_it(ar_window):
    cone = ar_window.ar_view.preview._cone
    pos = np.asarray(cone.pos)
    eye = pos[0]
    assert len(pos) == 6 and np.linalg.norm(pos[1] - eye) == pytest.approx(120.0, abs=0.5)
    ar_window.actions["ar_view"].trigger()
    assert ar_window.ar_view is None and len(ar_window.canvas.views) == 1
    assert ar_window.canvas.city_scene.box.size[0] == ar_window.canvas.size[0]


def test_dragging_the_viewer_on_the_overview_moves_the_ar_view(qtbot, ar_window):
    from PySide6.QtCore import QPoint, Qt

    look_at_tiny_island(ar_window)
    qtbot.wait(50)
    render(ar_window)
    preview = ar_window.ar_view.preview
    before = ar_window.twin.street
    px, py = preview.viewer_pixel()
    assert ar_window.canvas.city_scene.contains((px, py))
    native = ar_window.canvas.native
    qtbot.mousePress(native, Qt.MouseButton.LeftButton, pos=QPoint(round(px), round(py)))
    qtbot.mouseMove(native, QPoint(round(px), round(py) + 25))
    qtbot.mouseRelease(native, Qt.MouseButton.LeftButton, pos=QPoint(round(px), round(py) + 25))
    after = ar_window.twin.street
    assert (after.x, after.y) != (before.x, before.y)
    assert after.heading == before.heading
    assert ar_window.canvas.city_scene.box.camera.interactive
    # The picture follows: the street camera stands where the viewer was dropped.
    eye = preview.street.camera.eye_in_scene()
    assert eye[0] + ar_window.twin.origin[0] == pytest.approx(after.x)


def test_a_card_image_that_cannot_be_read_is_said_in_the_status_bar_once(ar_window, tmp_path):
    """The card is drawn without it (render.ar); the window tells the planner which file."""
    from hktwin.analysis.sites import ARAnchor
    from packs import X0, Y0

    (tmp_path / "poster.png").write_bytes(b"not a png at all")
    view = ar_window.ar_view
    view.preview.set_content_dir(tmp_path)
    view.preview.set_anchors([ARAnchor("broken", X0 + 360.0, Y0 + 1495.0, image="poster.png",
                                       name="Broken poster")])
    view.stand(X0 + 332.0, Y0 + 1495.0, 90.0)
    message = ar_window.statusBar().currentMessage()
    assert message.startswith("AR content left out:") and "poster.png" in message
    ar_window.statusBar().clearMessage()
    view.stand(X0 + 334.0, Y0 + 1495.0, 90.0)
    assert ar_window.statusBar().currentMessage() == ""  # said once
