"""The acceptance path on the embedded demo city: it opens, a layer toggles, a tower is picked.
A screenshot of the window is kept in .cache/snapshots/window-demo.png for a person to look at."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gui_helpers import pixel, render
from PySide6.QtCore import QPoint, Qt

from hktwin.model.camera import CameraPose
from hktwin.render.scene import SKY

SHOTS = Path(__file__).resolve().parents[2] / ".cache" / "snapshots"
SKY_RGB = np.array([round(c * 255) for c in SKY[:3]])
TWO_IFC = "Two International Finance Centre (Two IFC)"


def test_demo_city_opens_toggles_and_picks(qtbot, window, load):
    load(window)
    twin = window.twin
    assert twin.city.approximate
    names = twin.layers.names()
    assert names[:5] == ["Terrain", "Sea", "Districts", "Roads", "Buildings"]
    assert {"Traffic", "Weather", "Air quality", "Rainfall"} <= set(names[5:])
    assert "Approximate demo city" in window.notice_label.text()
    assert len(twin.city.buildings) > 20_000

    SHOTS.mkdir(parents=True, exist_ok=True)
    qtbot.wait(200)
    window.grab().save(str(SHOTS / "window-demo.png"))
    # The first view looks over Victoria Harbour, not at the sky.
    image = render(window)
    sky = np.all(np.abs(image[..., :3].astype(int) - SKY_RGB) < 6, axis=-1)
    assert sky.mean() < 0.4, f"{sky.mean():.0%} of the view is sky"
    star_ferry = np.array([[834_940.0, 816_840.0, 0.0]])  # mid-harbour on the ferry route
    harbour = window.canvas.city_scene.project(star_ferry)[0]
    r, g, b = pixel(image, harbour)
    assert b > r + 25, f"Victoria Harbour should be water, got {(r, g, b)}"

    # Look at Two IFC from the harbour, close enough to click it.
    b = twin.city.buildings
    row = int(np.flatnonzero(b.names == TWO_IFC)[0])
    x, y = float(b.centroid_x[row]), float(b.centroid_y[row])
    twin.camera = CameraPose((x, y, 150.0), 1500.0, azimuth=170.0, elevation=25.0)
    mid = np.array([[x, y, b.base[row] + b.height[row] * 0.6]])
    px, py = window.canvas.city_scene.project(mid)[0]
    before = pixel(render(window), (px, py))
    qtbot.mouseClick(window.canvas.native, Qt.MouseButton.LeftButton,
                     pos=QPoint(round(px), round(py)))
    qtbot.waitUntil(lambda: twin.selection is not None, timeout=5000)
    assert window.inspector.values["name"].text() == TWO_IFC
    assert window.inspector.values["height_m"].text() == f"{b.height[row]:,.1f} m"

    twin.layers.get("Buildings").visible = False
    after = pixel(render(window), (px, py))
    assert np.abs(before - after).sum() > 40, (before, after)
