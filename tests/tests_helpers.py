"""Builders of small in-memory models for tests."""

from __future__ import annotations

import numpy as np
import shapely

from hktwin.geo.buildings import Buildings


def make_buildings(n: int, extent: float = 2000.0, seed: int = 0) -> Buildings:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, extent, n)
    y = rng.uniform(0, extent, n)
    footprints = shapely.box(x - 10, y - 8, x + 10, y + 8)
    return Buildings(
        ids=np.arange(1, n + 1, dtype=np.int64),
        names=np.array([f"B{i}" for i in range(1, n + 1)], dtype=object),
        kinds=np.array(["residential"] * n, dtype=object),
        base=np.zeros(n, np.float32),
        height=rng.uniform(10, 100, n).astype(np.float32),
        footprints=footprints,
        centroid_x=x,
        centroid_y=y,
    )
