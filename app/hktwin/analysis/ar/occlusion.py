"""Is an AR anchor hidden by the city? Segments from the eye to points on the card, tested
against the terrain and the building triangles.

The card is a billboard facing the viewer, `content_size_m` wide and `CARD_ASPECT` as tall,
centred on the anchor. An n x n grid of points over it (inset a little from the edges) is
tested: every segment blocked -> `HIDDEN`, some -> `GHOSTED` (the renderer draws it faded
behind the building edge), none -> `VISIBLE`.

The building test is the Möller-Trumbore test of `hktwin.geo.raycast.intersect_ray_triangles`
(the picker's), batched over all segments at once: triangles are first culled to the segments'
common bounding box, then segment/triangle pairs whose boxes overlap are tested together (no
Python loop over rays or buildings). The terrain is marched along every segment at half a cell
(as `intersect_ray_heightfield` does) in one array. Hits within `clear_m` of the card are
ignored: an anchor fixed to a facade must not be hidden by its own wall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from hktwin.analysis.sites import ARAnchor
from hktwin.geo.mesh import MeshArrays

if TYPE_CHECKING:
    from hktwin.analysis.ar.projection import PhoneCamera
    from hktwin.geo.city import CityModel
    from hktwin.geo.terrain import Terrain

#: A card's height over its width.
CARD_ASPECT = 0.6
#: Points per side of the grid sampled over a card (3 -> 9 segments per anchor).
CARD_SAMPLES = 3
#: Share of the card's half-extent the sample grid spans (keeps samples off the very edge).
CARD_INSET = 0.9
#: Obstacles this close (m) to the card are its own mounting, not occluders.
CLEAR_M = 0.75
#: Pairs tested per batch (bounds memory: ~100 bytes a pair).
PAIR_BATCH = 2_000_000


class Visibility(IntEnum):
    """What the viewer sees of an anchor."""

    HIDDEN = 0  # every sampled point of the card is behind the city
    GHOSTED = 1  # some are: drawn faded behind the edge
    VISIBLE = 2  # none is
    OUT_OF_VIEW = 3  # behind the viewer or outside the frame


@dataclass(frozen=True, eq=False)
class Occluder:
    """The city's surfaces near a viewer: building triangles and the terrain.

    `vertices` are in scene coordinates (EPSG:2326 minus `origin`, as the city's meshes are);
    all methods take and return EPSG:2326.
    """

    vertices: np.ndarray  # (n, 3)
    faces: np.ndarray  # (m, 3)
    terrain: Terrain | None = None
    origin: tuple[float, float] = (0.0, 0.0)
    sea_level_m: float | None = 0.0  # water surface the terrain is read at least at

    @staticmethod
    def from_meshes(meshes: Sequence[MeshArrays], terrain: Terrain | None,
                    origin: tuple[float, float] = (0.0, 0.0)) -> Occluder:
        """From meshes already built (the renderer's building tiles)."""
        mesh = MeshArrays.concatenate(list(meshes))
        return Occluder(mesh.vertices, mesh.faces, terrain, origin)

    @staticmethod
    def from_city(city: CityModel, around: tuple[float, float] | None = None,
                  radius_m: float = 800.0) -> Occluder:
        """Extrude the city's buildings within `radius_m` of `around` (all when None)."""
        import shapely

        from hktwin.geo.extrude import extrude_footprints

        b = city.buildings
        origin = city.origin
        if b is None or len(b) == 0:
            return Occluder(np.zeros((0, 3)), np.zeros((0, 3), np.int64), city.terrain, origin)
        rows = np.arange(len(b))
        if around is not None:
            lo_x, lo_y, hi_x, hi_y = shapely.bounds(b.footprints).T
            x, y = around
            rows = np.flatnonzero((hi_x >= x - radius_m) & (lo_x <= x + radius_m)
                                  & (hi_y >= y - radius_m) & (lo_y <= y + radius_m))
        mesh = extrude_footprints(b.footprints[rows], b.base[rows], b.height[rows],
                                  b.ids[rows], origin=origin)
        return Occluder(mesh.vertices, mesh.faces, city.terrain, origin)

    @property
    def n_faces(self) -> int:
        return len(self.faces)

    @cached_property
    def _triangles(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tri = self.vertices[self.faces].astype(np.float64)  # (m, 3, 3)
        return tri, tri.min(axis=1), tri.max(axis=1)

    def segments_clear(self, starts: np.ndarray, ends: np.ndarray,
                       clear_m: float | np.ndarray = CLEAR_M) -> np.ndarray:
        """Whether nothing stands between each start and end point (bool, one per segment).

        Hits within `clear_m` of the end (per segment or one for all) are ignored.
        """
        a = np.asarray(starts, np.float64).reshape(-1, 3)
        b = np.asarray(ends, np.float64).reshape(-1, 3)
        if len(a) == 0:
            return np.zeros(0, bool)
        length = np.linalg.norm(b - a, axis=1)
        t_end = 1.0 - np.broadcast_to(np.asarray(clear_m, np.float64), length.shape) \
            / np.maximum(length, 1e-9)
        blocked = self._buildings_block(a, b, t_end)
        if self.terrain is not None:
            blocked |= self._terrain_blocks(a, b, length, t_end)
        return ~blocked

    # --- buildings -----------------------------------------------------------------------------

    def _buildings_block(self, a: np.ndarray, b: np.ndarray, t_end: np.ndarray) -> np.ndarray:
        blocked = np.zeros(len(a), bool)
        if len(self.faces) == 0:
            return blocked
        shift = np.array([self.origin[0], self.origin[1], 0.0])
        a, b = a - shift, b - shift
        tri, t_lo, t_hi = self._triangles
        s_lo, s_hi = np.minimum(a, b), np.maximum(a, b)
        near = np.all((t_hi >= s_lo.min(axis=0)) & (t_lo <= s_hi.max(axis=0)), axis=1)
        tri, t_lo, t_hi = tri[near], t_lo[near], t_hi[near]
        if len(tri) == 0:
            return blocked
        step = max(1, PAIR_BATCH // len(tri))
        for r0 in range(0, len(a), step):  # batches of segments, each against all triangles
            rs = slice(r0, r0 + step)
            overlap = np.all((t_hi[None] >= s_lo[rs, None]) & (t_lo[None] <= s_hi[rs, None]),
                             axis=2)
            ri, ti = np.nonzero(overlap)
            if len(ri) == 0:
                continue
            ri = ri + r0
            t = _segment_triangle_t(a[ri], b[ri] - a[ri], tri[ti])
            hit = (t > 1e-6) & (t < t_end[ri])
            blocked[ri[hit]] = True
        return blocked

    # --- terrain -------------------------------------------------------------------------------

    def _terrain_blocks(self, a: np.ndarray, b: np.ndarray, length: np.ndarray,
                        t_end: np.ndarray) -> np.ndarray:
        terrain = self.terrain
        step = terrain.cell_size / 2
        n = int(np.clip(np.ceil(length.max() / step), 2, 4000))
        # Samples up to the end of each segment's tested part (`t_end`), the last exactly there,
        # so a point sunk into a slope is caught however coarse the terrain.
        t = np.arange(1, n + 1)[None, :] / n * np.clip(t_end, 0.0, 1.0)[:, None]  # (R, n)
        pts = a[:, None, :] + t[..., None] * (b - a)[:, None, :]
        ground = terrain.height_at(pts[..., 0], pts[..., 1])
        if self.sea_level_m is not None:
            ground = np.fmax(ground, self.sea_level_m)
        # A small tolerance: bilinear ground under an eye 1.6 m up must not block it.
        with np.errstate(invalid="ignore"):
            under = pts[..., 2] < ground - 0.1
        return under.any(axis=1)


def _segment_triangle_t(o: np.ndarray, d: np.ndarray, tri: np.ndarray) -> np.ndarray:
    """Möller-Trumbore, one segment per triangle (rows paired): the hit's fraction of `d`
    along the segment, or inf."""
    v0 = tri[:, 0]
    e1 = tri[:, 1] - v0
    e2 = tri[:, 2] - v0
    p = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, p)
    ok = np.abs(det) > 1e-12
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=ok)
    s = o - v0
    u = np.einsum("ij,ij->i", s, p) * inv
    q = np.cross(s, e1)
    v = np.einsum("ij,ij->i", d, q) * inv
    t = np.einsum("ij,ij->i", e2, q) * inv
    hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1)
    return np.where(hit, t, np.inf)


# --- cards ------------------------------------------------------------------------------------


def anchor_centres(anchors: Sequence[ARAnchor]) -> np.ndarray:
    """(N, 3) content centres in EPSG:2326."""
    return np.array([(a.x, a.y, a.ground_m + a.height_m) for a in anchors],
                    np.float64).reshape(-1, 3)


def card_points(eye: np.ndarray, centres: np.ndarray, widths: np.ndarray,
                n: int = CARD_SAMPLES, aspect: float = CARD_ASPECT,
                inset: float = CARD_INSET) -> np.ndarray:
    """(N, n*n, 3) points on cards facing the eye (billboards, vertical, `widths` wide)."""
    centres = np.asarray(centres, np.float64).reshape(-1, 3)
    widths = np.broadcast_to(np.asarray(widths, np.float64), len(centres))
    dx = centres[:, 0] - eye[0]
    dy = centres[:, 1] - eye[1]
    horiz = np.hypot(dx, dy)
    safe = np.where(horiz > 1e-9, horiz, 1.0)
    right = np.stack([dy / safe, -dx / safe, np.zeros_like(dx)], axis=1)  # (N, 3)
    right[horiz <= 1e-9] = (1.0, 0.0, 0.0)
    g = np.linspace(-inset, inset, n) if n > 1 else np.zeros(1)
    gu, gv = np.meshgrid(g, g)
    half_w = widths / 2
    off_r = gu.ravel()[None, :] * half_w[:, None]  # (N, S)
    off_z = gv.ravel()[None, :] * (half_w * aspect)[:, None]
    return (centres[:, None, :] + off_r[..., None] * right[:, None, :]
            + off_z[..., None] * np.array([0.0, 0.0, 1.0]))


@dataclass(frozen=True, eq=False)
class Occlusion:
    """Per anchor: the sampled points, which are clear, and the verdict."""

    points: np.ndarray  # (N, S, 3)
    clear: np.ndarray  # (N, S) bool
    visible_fraction: np.ndarray  # (N,)
    state: np.ndarray  # (N,) Visibility values (HIDDEN / GHOSTED / VISIBLE)


def occlusion(eye: np.ndarray, centres: np.ndarray, widths: np.ndarray, occluder: Occluder,
              n: int = CARD_SAMPLES, clear_m: float = CLEAR_M,
              aspect: float | np.ndarray = CARD_ASPECT) -> Occlusion:
    """Test n x n points on each card against the city (vectorised over anchors and points).

    `aspect` (one, or one per anchor) is the tested billboard's height over width: a card's,
    or a model's bounding box seen side on."""
    eye = np.asarray(eye, np.float64)
    pts = card_points(eye, centres, widths, n, np.asarray(aspect, np.float64))
    flat = pts.reshape(-1, 3)
    clear = occluder.segments_clear(np.broadcast_to(eye, flat.shape), flat, clear_m)
    clear = clear.reshape(pts.shape[:2])
    frac = clear.mean(axis=1) if clear.size else np.zeros(len(pts))
    state = np.where(frac >= 1.0, Visibility.VISIBLE,
                     np.where(frac <= 0.0, Visibility.HIDDEN, Visibility.GHOSTED))
    return Occlusion(pts, clear, frac, state.astype(np.int64))


def occlusion_for(camera: PhoneCamera, anchors: Sequence[ARAnchor], occluder: Occluder,
                  n: int = CARD_SAMPLES) -> Occlusion:
    """`occlusion` for scenario anchors seen by a phone camera."""
    widths = np.array([a.content_size_m for a in anchors], np.float64)
    return occlusion(camera.eye, anchor_centres(anchors), widths, occluder, n)
