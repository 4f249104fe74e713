"""Ray casting against triangle meshes and the terrain heightfield, vectorised.

Used to pick buildings under the cursor and to find the ground under it; the same functions serve
line-of-sight analysis later.
"""

from __future__ import annotations

import numpy as np

from hktwin.geo.terrain import Terrain


def intersect_ray_triangles(
    origin: np.ndarray, direction: np.ndarray, vertices: np.ndarray, faces: np.ndarray
) -> tuple[float, int]:
    """Nearest hit (distance along the unit ray, face index) or (inf, -1). Möller-Trumbore."""
    if len(faces) == 0:
        return np.inf, -1
    o = np.asarray(origin, np.float64)
    d = np.asarray(direction, np.float64)
    v0 = vertices[faces[:, 0]].astype(np.float64)
    e1 = vertices[faces[:, 1]] - v0
    e2 = vertices[faces[:, 2]] - v0
    p = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, p)
    ok = np.abs(det) > 1e-9
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=ok)
    s = o - v0
    u = np.einsum("ij,ij->i", s, p) * inv
    q = np.cross(s, e1)
    v = (q @ d) * inv
    t = np.einsum("ij,ij->i", e2, q) * inv
    hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 1e-6)
    if not hit.any():
        return np.inf, -1
    t = np.where(hit, t, np.inf)
    best = int(np.argmin(t))
    return float(t[best]), best


def ray_hits_box(origin: np.ndarray, direction: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bool:
    """Whether the ray passes through an axis-aligned box (slab test)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / np.asarray(direction, np.float64)
        t1 = (lo - origin) * inv
        t2 = (hi - origin) * inv
    tmin = np.nanmax(np.minimum(t1, t2))
    tmax = np.nanmin(np.maximum(t1, t2))
    return bool(tmax >= max(tmin, 0.0))


def intersect_ray_heightfield(
    origin: np.ndarray,
    direction: np.ndarray,
    terrain: Terrain,
    offset: tuple[float, float] = (0.0, 0.0),
    max_distance: float = 200_000.0,
    floor: float | None = 0.0,
) -> float:
    """Distance to where the ray first meets the ground (or the sea surface at `floor`), or NaN.

    The ray is in scene coordinates (`offset` added gives EPSG:2326). It is marched in steps of
    half a cell, vectorised, then the crossing is refined by bisection.
    """
    o = np.asarray(origin, np.float64)
    d = np.asarray(direction, np.float64)
    step = terrain.cell_size / 2
    # Only march where the ray can be within the terrain's height range.
    t = np.arange(0.0, max_distance, step)
    pts = o + t[:, None] * d

    def ground(points: np.ndarray) -> np.ndarray:
        h = terrain.height_at(points[..., 0] + offset[0], points[..., 1] + offset[1])
        if floor is not None:
            h = np.fmax(h, floor)
        return h

    below = pts[:, 2] <= ground(pts)
    if not below.any():
        return float("nan")
    i = int(np.argmax(below))
    if i == 0:
        return 0.0
    lo, hi = t[i - 1], t[i]
    for _ in range(20):
        mid = (lo + hi) / 2
        p = o + mid * d
        if p[2] <= ground(p[None, :])[0]:
            hi = mid
        else:
            lo = mid
    return float(hi)
