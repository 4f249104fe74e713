"""Renders the demo city offscreen in a child process (vispy's EGL backend) and reports the
pixels of known places, so tests can check what the picture shows.

It runs in a spawned process because a process can hold only one vispy backend, and the GUI
tests hold the Qt one.
"""

from __future__ import annotations

import numpy as np

# (longitude, latitude, height) of places every Hong Konger knows.
PLACES = {
    "harbour_star_ferry": (114.1640, 22.2905, 0.0),
    "harbour_wan_chai": (114.1780, 22.2890, 0.0),
    "two_ifc_roof": None,  # from the buildings table
    "central_plaza_roof": None,
    "icc_roof": None,
    "victoria_peak": (114.1455, 22.2759, 552.0),
}
LANDMARKS = {"two_ifc_roof": "Two IFC", "central_plaza_roof": "Central Plaza",
             "icc_roof": "International Commerce Centre"}


def _landmark_roof(buildings, name: str) -> tuple[float, float, float] | None:
    names = np.array([str(n) for n in buildings.names])
    rows = np.flatnonzero(np.char.find(names.astype(str), name) >= 0)
    if len(rows) == 0:
        return None
    r = int(rows[0])
    return (float(buildings.centroid_x[r]), float(buildings.centroid_y[r]),
            float(buildings.base[r] + buildings.height[r]))


def probe(view: str, size: tuple[int, int] = (1280, 800)) -> dict:
    """Image with and without buildings, and the pixel of each place (None if unknown)."""
    from hktwin.geo.crs import from_wgs84
    from hktwin.render.snapshot import render_city

    shot = render_city(None, view, size)
    canvas = shot.canvas
    twin = canvas.city_scene.twin
    points = {}
    for key, place in PLACES.items():
        if place is None:
            xyz = _landmark_roof(twin.city.buildings, LANDMARKS[key])
        else:
            x, y = from_wgs84(place[0], place[1])
            xyz = (float(x), float(y), place[2])
        points[key] = None if xyz is None else canvas.city_scene.project(np.array([xyz]))[0]
    twin.layers.get("Buildings").visible = False
    without_buildings = canvas.render()
    return {"image": shot.image, "without_buildings": without_buildings, "points": points,
            "size": size}
