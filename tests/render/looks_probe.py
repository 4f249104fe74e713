"""Renders for tests/render/test_looks.py, run in a spawned process (EGL, no window)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

WHEN = datetime(2026, 12, 1, 10, 30, tzinfo=timezone(timedelta(hours=8)))
SPOT, HEADING = (834_025.0, 816_005.0), 15.0  # a street in Central (tests/render/ar_probe.py)


def _without(canvas, name: str) -> np.ndarray:
    layer = canvas.twin.layers.get(name)
    layer.visible = False
    image = np.array(canvas.render())
    layer.visible = True
    return image


def probe(looks: bool = True) -> dict:
    """The harbour view at 640 x 400 with and without the sea, and a Central street view with
    and without buildings; `looks=False` builds them with the looks switched off."""
    from hktwin.render import shading
    from hktwin.render.snapshot import render_ar, render_city

    shading.ENABLED = looks
    shot = render_city(None, "harbour", (640, 400), when=WHEN)
    harbour = np.array(shot.image)
    no_sea = _without(shot.canvas, "Sea")
    ar = render_ar(*SPOT, HEADING, pitch=5.0, device="pixel-8", size=(400, 640), when=WHEN)
    street = np.array(ar.image)
    no_buildings = _without(ar.canvas, "Buildings")
    return {"harbour": harbour, "no_sea": no_sea, "street": street,
            "no_buildings": no_buildings}
