"""Terrain raster -> a triangle mesh with smooth normals, vectorised over the whole grid."""

from __future__ import annotations

import numpy as np

from hktwin.geo.mesh import MeshArrays
from hktwin.geo.terrain import Terrain

#: Triangles whose three corners all lie below this height are sea: hidden under the sea plane,
#: so they are dropped (about half of the Hong Kong box). The demo city stores -10 m at sea; the
#: Lands Department DTM stores 0 m, which this cut-off also treats as sea.
SEA_CUTOFF_M = 0.05


def terrain_mesh(
    terrain: Terrain,
    step: int = 1,
    origin: tuple[float, float] = (0.0, 0.0),
    drop_below: float | None = SEA_CUTOFF_M,
) -> MeshArrays:
    """A regular-grid mesh through every `step`-th cell centre.

    Cells that are NaN (nodata) and, when `drop_below` is set, triangles entirely below it are
    left out. `face_owner` is -1 (terrain faces belong to no feature).
    """
    xs, ys = terrain.cell_centres(step)
    z = terrain.heights[::step, ::step].astype(np.float32)
    rows, cols = z.shape
    gx, gy = np.meshgrid(xs - origin[0], ys - origin[1])
    vertices = np.column_stack([gx.ravel(), gy.ravel(), z.ravel()]).astype(np.float32)

    spacing = terrain.cell_size * step
    filled = np.where(np.isnan(z), np.nanmin(z) if np.isfinite(z).any() else 0.0, z)
    dz_drow, dz_dcol = np.gradient(filled, spacing)
    # Rows run south as the index grows, so the northward slope is -dz/drow.
    normals = np.stack([-dz_dcol, dz_drow, np.ones_like(filled)], axis=-1).reshape(-1, 3)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)

    idx = np.arange(rows * cols, dtype=np.uint32).reshape(rows, cols)
    a, b = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel()
    c, d = idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    # Counter-clockwise seen from above (y grows north, rows grow south).
    faces = np.concatenate([np.column_stack([a, c, b]), np.column_stack([b, c, d])])
    fz = vertices[:, 2][faces]
    keep = ~np.isnan(fz).any(axis=1)
    if drop_below is not None:
        keep &= ~(fz < drop_below).all(axis=1)
    faces = faces[keep]
    vertices[:, 2] = np.nan_to_num(vertices[:, 2], nan=0.0)
    return MeshArrays(
        vertices, faces.astype(np.uint32), normals.astype(np.float32),
        np.full(len(faces), -1, np.int64),
    )


def choose_step(terrain: Terrain, max_vertices: int) -> int:
    """The smallest stride that keeps the grid under `max_vertices`."""
    rows, cols = terrain.shape
    step = 1
    while (rows // step) * (cols // step) > max_vertices:
        step += 1
    return step
