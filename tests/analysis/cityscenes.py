"""Small synthetic cities for the analysis tests (flat ground, a few towers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from hktwin.geo.buildings import Buildings
from hktwin.geo.city import CityModel
from hktwin.geo.terrain import Terrain

X0, Y0 = 830_000.0, 820_000.0  # top-left corner of the terrain
SIZE = 2000.0
GROUND = 5.0
CENTRE = (X0 + SIZE / 2, Y0 - SIZE / 2)


def make_buildings(footprints, base, height) -> Buildings:
    footprints = np.asarray(footprints, dtype=object)
    n = len(footprints)
    centroids = shapely.centroid(footprints)
    return Buildings(
        ids=np.arange(1, n + 1, dtype=np.int64),
        names=np.array([f"B{i}" for i in range(n)], object),
        kinds=np.array(["test"] * n, object), base=np.broadcast_to(base, n).astype(np.float32),
        height=np.broadcast_to(height, n).astype(np.float32), footprints=footprints,
        centroid_x=shapely.get_x(centroids), centroid_y=shapely.get_y(centroids))


def flat_city(buildings: Buildings | None = None, cell: float = 10.0) -> CityModel:
    n = int(SIZE / cell)
    terrain = Terrain(np.full((n, n), GROUND, np.float32), X0, Y0, cell)
    return CityModel(name="flat test city", path=Path("."), terrain=terrain, buildings=buildings)


def towers(n: int = 40, seed: int = 0, height=(15.0, 80.0)) -> Buildings:
    """`n` square towers scattered around the centre of the flat city."""
    rng = np.random.default_rng(seed)
    cx, cy = CENTRE
    x = rng.uniform(cx - 600, cx + 600, n)
    y = rng.uniform(cy - 600, cy + 600, n)
    half = rng.uniform(8, 20, n)
    return make_buildings(shapely.box(x - half, y - half, x + half, y + half), GROUND,
                          rng.uniform(*height, n))
