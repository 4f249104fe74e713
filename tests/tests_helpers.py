"""Builders of small in-memory models for tests, and the picture checks several tests share."""

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


def is_sky(rgb: np.ndarray) -> np.ndarray:
    """Sky pixels: bright and blue (a flat sky colour or a gradient with haze)."""
    c = np.asarray(rgb, float)[..., :3]
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    return (b > 150) & (b - r > 25) & (b >= g)


def count_uploaded_bytes(patch=setattr) -> dict:
    """Count the bytes vispy sends to GL buffers and textures from now on (`patch` is
    `setattr`, or pytest's `monkeypatch.setattr` to undo it after the test)."""
    from vispy.gloo import glir

    counts = {"bytes": 0}
    original = glir.GlirParser._parse
    kinds = (glir.GlirVertexBuffer, glir.GlirIndexBuffer, glir.GlirTexture)

    def _parse(parser, command):
        if command[0] == "DATA" and isinstance(parser._objects.get(command[1]), kinds):
            counts["bytes"] += int(getattr(command[3], "nbytes", 0))
        return original(parser, command)

    patch(glir.GlirParser, "_parse", _parse)
    return counts
