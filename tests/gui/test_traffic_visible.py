"""The traffic links are drawn: turning the Traffic layer off changes the picture along the roads
(a colour check on the layer alone would pass with nothing on screen)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from gui_helpers import render

from hktwin.model.camera import CameraPose


def test_traffic_links_show_on_screen(qtbot, window, load):
    load(window)
    twin = window.twin
    for layer in twin.layers:
        if layer.name not in ("Terrain", "Sea", "Traffic"):
            layer.visible = False
    twin.clock.seek(twin.clock.start + timedelta(hours=8))
    twin.camera = CameraPose((835_500.0, 818_500.0, 0.0), 9000.0, 10.0, 45.0)
    with_traffic = render(window)
    twin.layers.get("Traffic").visible = False
    without = render(window)
    diff = np.abs(with_traffic[..., :3].astype(int) - without[..., :3].astype(int)).sum(axis=-1)
    assert (diff > 60).sum() > 500, "the traffic links should be visible"
