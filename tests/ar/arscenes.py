"""A small synthetic street for the AR tests: flat ground, one tower north of the viewer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from hktwin.analysis.sites import ARAnchor
from hktwin.geo.buildings import Buildings
from hktwin.geo.city import CityModel
from hktwin.geo.terrain import Terrain

X0, Y0 = 830_000.0, 820_000.0
SIZE = 1000.0
GROUND = 5.0
VIEWER = (X0 + SIZE / 2, Y0 - SIZE / 2)
# The tower: 20 m wide, 30-50 m north of the viewer, 60 m tall.
TOWER = (VIEWER[0] - 10, VIEWER[1] + 30, VIEWER[0] + 10, VIEWER[1] + 50)
TOWER_HEIGHT = 60.0


def buildings(boxes=(TOWER,), height=TOWER_HEIGHT) -> Buildings:
    fps = np.array([shapely.box(*b) for b in boxes], dtype=object)
    n = len(fps)
    c = shapely.centroid(fps)
    return Buildings(ids=np.arange(1, n + 1, dtype=np.int64),
                     names=np.array([f"T{i}" for i in range(n)], object),
                     kinds=np.array(["test"] * n, object),
                     base=np.full(n, GROUND, np.float32), height=np.full(n, height, np.float32),
                     footprints=fps, centroid_x=shapely.get_x(c), centroid_y=shapely.get_y(c))


def city(b: Buildings | None = None, heights: np.ndarray | None = None) -> CityModel:
    cell = 5.0
    n = int(SIZE / cell)
    h = np.full((n, n), GROUND, np.float32) if heights is None else heights
    return CityModel("ar test street", Path("."), Terrain(h, X0, Y0, cell),
                     buildings() if b is None else b)


def anchor(aid: str, dx: float, dy: float, height_m: float = 5.0, size: float = 3.0,
           view_radius_m: float = 150.0, **kw) -> ARAnchor:
    return ARAnchor(aid, VIEWER[0] + dx, VIEWER[1] + dy, ground_m=GROUND, height_m=height_m,
                    content_size_m=size, view_radius_m=view_radius_m, name=aid, **kw)
