"""Buildings level of detail: each building also as its oriented box, and per view the choice of
which tiles to draw in full, which as boxes (and how many), and which not at all.

The territory's ~342,000 buildings are ~4 M triangles in full; software GL draws ~2.5 M a second.
A box is 10 triangles and, for the rectangular towers that make most of Hong Kong, the building
itself. A tile's boxes are stored largest first, so the boxes worth drawing at a distance (those
covering at least a pixel or so) are a prefix of one array: no per-frame sorting or copying.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from hktwin.geo.extrude import WALL_SKIRT_M
from hktwin.geo.mesh import MeshArrays

if TYPE_CHECKING:
    from hktwin.geo.pyramid import View
    from hktwin.geo.tiles import Tile

BOX_FACES = 10
BOX_VERTICES = 20

# One box: four wall quads (4 vertices each, own normals) then the roof quad.
_WALL_QUAD = np.array([[0, 1, 2], [0, 2, 3]], np.uint32)
_BOX_FACES = np.concatenate([_WALL_QUAD + 4 * i for i in range(5)])


@dataclass(frozen=True, eq=False)
class Boxes:
    """Oriented boxes of a tile's buildings, largest first.

    `corners` (n, 4, 2) are scene x, y counter-clockwise; `z` (n, 2) the bottom (base less the
    wall skirt, as the full mesh) and the roof; `size` (n,) the largest extent of each box in
    metres, descending; `error` how far, in metres, boxes typically stray from their footprints
    (95th percentile of sqrt(box area - footprint area)).
    """

    corners: np.ndarray
    z: np.ndarray
    owner: np.ndarray
    size: np.ndarray
    error: float

    def __len__(self) -> int:
        return len(self.owner)

    @cached_property
    def mesh(self) -> MeshArrays:
        """All boxes as one mesh (built on first use); `prefix(n)` slices the n largest."""
        return box_mesh(self.corners, self.z, self.owner)

    def prefix(self, count: int) -> MeshArrays:
        """The mesh of the `count` largest boxes: views into `mesh`, no copy."""
        m = self.mesh
        count = int(min(max(count, 0), len(self)))
        return MeshArrays(m.vertices[: BOX_VERTICES * count], m.faces[: BOX_FACES * count],
                          m.normals[: BOX_VERTICES * count], m.face_owner[: BOX_FACES * count])


def oriented_boxes(
    footprints: np.ndarray,
    base: ArrayLike,
    height: ArrayLike,
    owner: ArrayLike,
    origin: tuple[float, float] = (0.0, 0.0),
) -> Boxes:
    """The minimum rotated rectangle of every footprint, extruded like the full mesh (vectorised
    in GEOS), ordered largest first."""
    import shapely

    base = np.asarray(base, np.float64)
    top = base + np.asarray(height, np.float64)
    owner = np.asarray(owner, np.int64)
    n = len(footprints)
    if n == 0:
        return Boxes(np.zeros((0, 4, 2), np.float32), np.zeros((0, 2), np.float32),
                     np.zeros(0, np.int64), np.zeros(0, np.float32), 0.0)
    env = shapely.oriented_envelope(footprints)
    good = (shapely.get_type_id(env) == 3) & (shapely.get_num_coordinates(env) == 5)
    if not good.all():  # slivers and points: an axis-aligned box half a metre around
        bounds = shapely.bounds(footprints[~good])
        env = env.copy()
        env[~good] = shapely.box(bounds[:, 0] - 0.5, bounds[:, 1] - 0.5,
                                 bounds[:, 2] + 0.5, bounds[:, 3] + 0.5)
    corners = shapely.get_coordinates(shapely.get_exterior_ring(env)).reshape(n, 5, 2)[:, :4]
    corners = corners - np.asarray(origin, np.float64)
    e1 = corners[:, 1] - corners[:, 0]
    e2 = corners[:, 2] - corners[:, 0]
    clockwise = (e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]) < 0
    corners[clockwise] = corners[clockwise][:, ::-1]
    sides = np.linalg.norm(corners - np.roll(corners, -1, axis=1), axis=2)
    size = np.maximum(sides.max(axis=1), top - base)
    missing = np.maximum(shapely.area(env) - shapely.area(footprints), 0.0)
    order = np.argsort(-size, kind="stable")
    return Boxes(
        corners[order].astype(np.float32),
        np.column_stack([base - WALL_SKIRT_M, top])[order].astype(np.float32),
        owner[order],
        size[order].astype(np.float32),
        float(np.percentile(np.sqrt(missing), 95)),
    )


def box_mesh(corners: np.ndarray, z: np.ndarray, owner: np.ndarray) -> MeshArrays:
    """Boxes as a mesh of unshared vertices: 4 walls and a roof, 20 vertices and 10 faces each,
    so faces keep flat normals and one owner, as in the full mesh."""
    n = len(corners)
    a = corners.astype(np.float64)
    b = np.roll(a, -1, axis=1)
    z0 = np.broadcast_to(z[:, None, 0:1], (n, 4, 1))
    z1 = np.broadcast_to(z[:, None, 1:2], (n, 4, 1))
    walls = np.stack([np.concatenate([a, z0], 2), np.concatenate([b, z0], 2),
                      np.concatenate([b, z1], 2), np.concatenate([a, z1], 2)], axis=2)
    roof = np.concatenate([a, z1], 2)[:, None]
    vertices = np.concatenate([walls, roof], axis=1).reshape(n * BOX_VERTICES, 3)
    d = b - a
    length = np.maximum(np.linalg.norm(d, axis=2, keepdims=True), 1e-9)
    outward = np.concatenate([d[..., 1:2], -d[..., 0:1], np.zeros((n, 4, 1))], 2) / length
    up = np.broadcast_to(np.array([0.0, 0.0, 1.0]), (n, 1, 3))
    normals = np.concatenate([np.repeat(outward, 4, axis=1), np.repeat(up, 4, axis=1)], 1)
    faces = (_BOX_FACES[None] + (BOX_VERTICES * np.arange(n, dtype=np.uint32))[:, None, None])
    return MeshArrays(vertices.astype(np.float32), faces.reshape(-1, 3).astype(np.uint32),
                      normals.reshape(-1, 3).astype(np.float32),
                      np.repeat(np.asarray(owner, np.int64), BOX_FACES))


# -- per-view selection ------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class TileIndex:
    """What the per-view choice needs of every tile, gathered once: bounds, box error, full
    triangle count, and all box sizes in one searchable array."""

    lo: np.ndarray  # (t, 3)
    hi: np.ndarray  # (t, 3)
    error: np.ndarray  # (t,) metres; inf where a tile has no boxes (always drawn in full)
    full_faces: np.ndarray  # (t,)
    n_boxes: np.ndarray  # (t,)
    _keys: np.ndarray  # tile index + (1 - size / scale), ascending
    _offsets: np.ndarray  # (t,) first key of each tile
    _scale: float

    @staticmethod
    def from_tiles(tiles: Sequence[Tile]) -> TileIndex:
        t = len(tiles)
        lo, hi = np.zeros((t, 3)), np.zeros((t, 3))
        error = np.full(t, np.inf)
        sizes, counts = [], np.zeros(t, np.int64)
        for i, tile in enumerate(tiles):
            lo[i], hi[i] = tile.mesh.bounds
            if tile.boxes is not None and len(tile.boxes):
                c = tile.boxes.corners
                lo[i, :2] = np.minimum(lo[i, :2], c.min(axis=(0, 1)))
                hi[i, :2] = np.maximum(hi[i, :2], c.max(axis=(0, 1)))
                error[i] = tile.boxes.error
                sizes.append(tile.boxes.size)
                counts[i] = len(tile.boxes)
        all_sizes = np.concatenate(sizes) if sizes else np.zeros(0, np.float32)
        scale = 2.0 * float(all_sizes.max(initial=0.0)) + 1.0
        tile_of = np.repeat(np.arange(t), counts)
        keys = tile_of + (1.0 - np.maximum(all_sizes, 1e-3) / scale)
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]) if t else np.zeros(0, np.int64)
        full = np.array([tile.mesh.n_faces for tile in tiles], np.int64)
        return TileIndex(lo, hi, error, full, counts, keys, offsets, scale)

    def boxes_at_least(self, tiles: np.ndarray, size: np.ndarray) -> np.ndarray:
        """How many boxes of each tile are at least `size` metres (vectorised over tiles)."""
        q = tiles + 1.0 - np.clip(size, 0.0, self._scale) / self._scale
        found = np.searchsorted(self._keys, q, side="right") - self._offsets[tiles]
        return np.clip(found, 0, self.n_boxes[tiles])


@dataclass(frozen=True, eq=False)
class TileSelection:
    """Tiles drawn in full, tiles drawn as their `count` largest boxes ((m, 2): tile, count),
    the triangles that makes, and the quality factor (<= 1) the budget allowed."""

    full: np.ndarray
    boxes: np.ndarray
    faces: int
    quality: float


def select_tiles(
    index: TileIndex,
    view: View,
    budget: int = 400_000,
    tolerance_px: float = 2.0,
    min_px: float = 1.0,
) -> TileSelection:
    """Cull tiles outside the view; draw a tile in full where its boxes would stray from the
    buildings by more than `tolerance_px` pixels, else draw the boxes that cover at least
    `min_px` pixels. Over `budget` triangles, both thresholds are scaled up together (bisection
    on a log scale) until it fits."""
    shown = np.flatnonzero(view.boxes_visible(index.lo, index.hi))
    distance = np.maximum(view.distance_to(index.lo[shown], index.hi[shown]), 1e-3)
    error_px = index.error[shown] * view.px_per_m / distance

    def plan(quality: float) -> TileSelection:
        full = error_px > tolerance_px / quality
        smallest = (min_px / quality) * distance / view.px_per_m
        count = np.where(full, 0, index.boxes_at_least(shown, smallest))
        boxed = count > 0
        faces = int(index.full_faces[shown[full]].sum() + BOX_FACES * count.sum())
        return TileSelection(shown[full], np.column_stack([shown[boxed], count[boxed]]),
                             faces, quality)

    best = plan(1.0)
    if best.faces <= budget:
        return best
    lo, hi = math.log(1e-4), 0.0
    best = plan(1e-4)
    for _ in range(14):
        mid = (lo + hi) / 2
        trial = plan(math.exp(mid))
        if trial.faces <= budget:
            lo, best = mid, trial
        else:
            hi = mid
    return best
