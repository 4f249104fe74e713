"""Culling per view: each view draws only the parts of the shared meshes its own camera can see.

The meshes of a scene graph (terrain, building tiles, plugin overlays) are one GPU buffer each,
shared by every view (`render.mirror`). Their faces are grouped once into square *cells* on the
ground (`CullIndex`, made once per mesh data and shared by every view); before each frame a
view tests the cells' boxes against its own camera (vectorised over cells, recomputed only when
the camera or the data changed) and, when enough are out, draws the mesh through an index buffer
of its own that lists the visible cells' faces, in the mesh's order. The overview and a street
view thus pay each for what they see.

Two tests, both conservative (a cell is dropped only when none of it can show):
- the frustum (`geo.pyramid.View.boxes_visible`);
- for street views, occlusion by the buildings around the eye (`OcclusionMap`): a solid convex
  building rising above the eye hides, in every direction it fully spans, what lies beyond its
  farthest corner between its wall's foot and its roof line. At 1.6 m in a street canyon that
  hides most of the city.
"""

from __future__ import annotations

import math
import os
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Culling on for new views (`HKTWIN_CULL=off` turns it off, to compare).
ENABLED = os.environ.get("HKTWIN_CULL", "").lower() not in ("0", "off", "no", "false")

#: Faces per cell on average (the cell size follows a mesh's density): smaller cells cull more
#: closely and cost more to test and to index.
FACES_PER_CELL = 48
MIN_CELL_M, MAX_CELL_M = 30.0, 2_000.0
#: Meshes smaller than this are drawn whole (culling them saves less than it costs), and so is
#: a mesh of which a view sees most (its index buffer would cost more than it saves).
MIN_FACES = 2_048
MAX_SHOWN = 0.7

# Occlusion map: angular bins (degrees) and the depth levels occluders are sorted into.
BIN_DEG = 0.5
N_AZ = int(360 / BIN_DEG)
EL_MIN = -45.0  # directions steeper down than this are never taken as hidden
N_EL = int((90.0 - EL_MIN) / BIN_DEG)
LEVELS_M = np.array([8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0])
REACH_M = float(LEVELS_M[-1])
#: Margins that keep the tests conservative against rounding: boxes grow, occluders shrink.
PAD_M = 0.5
AZ_MARGIN_DEG = 20.0
NEAR_MARGIN_M = 1.0  # occluders nearer than this may be cut by the near plane


@dataclass(frozen=True, eq=False)
class CullIndex:
    """A face-indexed mesh's faces grouped into ground cells: the cells' boxes (scene
    coordinates) and the cell of every face."""

    lo: np.ndarray  # (c, 3)
    hi: np.ndarray  # (c, 3)
    cell: np.ndarray  # (n,) cell of each face
    n_faces: int

    @staticmethod
    def from_vertices(vertices: np.ndarray) -> CullIndex:
        """From a face-indexed vertex array ((n, 3, 3) or (3n, 3): three vertices per face)."""
        tri = np.asarray(vertices, np.float32).reshape(-1, 3, 3)
        n = len(tri)
        a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
        centre = (a[:, :2] + b[:, :2] + c[:, :2]) / 3.0
        lo_xy, hi_xy = centre.min(axis=0), centre.max(axis=0)
        area = max(float(np.prod(hi_xy - lo_xy)), 1.0)
        size = float(np.clip(math.sqrt(area * FACES_PER_CELL / max(n, 1)), MIN_CELL_M,
                             MAX_CELL_M))
        ij = np.floor((centre - lo_xy) / size).astype(np.int64)
        key = ij[:, 0] * (int(ij[:, 1].max(initial=0)) + 1) + ij[:, 1]
        faces = np.argsort(key, kind="stable")
        new = np.empty(n, bool)
        new[:1] = True
        np.not_equal(key[faces][1:], key[faces][:-1], out=new[1:])
        starts = np.flatnonzero(new)
        cell = np.empty(n, np.int32)
        cell[faces] = np.cumsum(new) - 1
        lo = np.minimum.reduceat(np.minimum(np.minimum(a, b), c)[faces], starts, axis=0)
        hi = np.maximum.reduceat(np.maximum(np.maximum(a, b), c)[faces], starts, axis=0)
        return CullIndex(lo.astype(np.float64), hi.astype(np.float64), cell, n)

    def __len__(self) -> int:
        return len(self.lo)

    def vertices_of(self, shown: np.ndarray) -> np.ndarray:
        """The vertex indices of the faces of the cells where `shown` is true, in the mesh's
        own order (so coplanar faces resolve as when the whole mesh is drawn)."""
        faces = np.flatnonzero(shown[self.cell]).astype(np.uint32)
        return (3 * faces[:, None] + np.arange(3, dtype=np.uint32)).ravel()


# -- occlusion by buildings -----------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Occluders:
    """The buildings of a layer that can hide what is behind them: convex, single polygons
    that are drawn (`ids` in the meshes), in scene coordinates, with their rings' corners."""

    x: np.ndarray  # (m,) ring corners, all buildings one after another
    y: np.ndarray
    first: np.ndarray  # (k,) first corner of each building
    cx: np.ndarray  # (k,) centroids
    cy: np.ndarray
    bottom: np.ndarray  # (k,) base + margin
    top: np.ndarray  # (k,) roof - margin

    @staticmethod
    def from_layer(layer: Any, origin: tuple[float, float]) -> Occluders:
        """A buildings layer's occluders: only buildings its tiles draw count."""
        b = layer.buildings
        drawn = np.unique(np.concatenate([t.mesh.face_owner for t in layer.tiles])
                          if layer.tiles else np.zeros(0, np.int64))
        keep = np.isin(b.ids, drawn)
        return Occluders.from_footprints(b.footprints[keep], np.asarray(b.base)[keep],
                                         np.asarray(b.height)[keep], origin)

    @staticmethod
    def from_footprints(footprints: np.ndarray, base: np.ndarray, height: np.ndarray,
                        origin: tuple[float, float] = (0.0, 0.0)) -> Occluders:
        """Occluders from footprints (EPSG:2326) standing from `base` to `base + height`; those
        that are not single convex polygons without holes are left out (a courtyard or an L
        does not hide all it spans)."""
        import shapely

        fp = np.asarray(footprints, dtype=object)
        keep = (shapely.get_type_id(fp) == 3) & (shapely.get_num_interior_rings(fp) == 0)
        rows = np.flatnonzero(keep)
        hull = shapely.area(shapely.convex_hull(fp[rows]))
        rows = rows[shapely.area(fp[rows]) >= 0.995 * np.maximum(hull, 1e-9)]
        coords, owner = shapely.get_coordinates(shapely.get_exterior_ring(fp[rows]),
                                                return_index=True)
        coords = coords - np.asarray(origin, np.float64)
        first = np.searchsorted(owner, np.arange(len(rows)))
        # A point inside each (convex) footprint: the mean of its ring's corners.
        n = np.bincount(owner, minlength=len(rows))
        cx = np.bincount(owner, coords[:, 0], minlength=len(rows)) / np.maximum(n, 1)
        cy = np.bincount(owner, coords[:, 1], minlength=len(rows)) / np.maximum(n, 1)
        bottom = np.asarray(base, np.float64)[rows]
        top = bottom + np.asarray(height, np.float64)[rows]
        return Occluders(coords[:, 0], coords[:, 1], first, cx, cy, bottom + 0.2, top - 0.2)


def _ranges(start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """`start[i] + arange(length[i])` for every i, concatenated (no Python loop)."""
    offsets = np.cumsum(length) - length
    return np.repeat(start - offsets, length) + np.arange(int(length.sum()))


def _ring_distance(dx: np.ndarray, dy: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Distance from the origin to each closed ring (corners relative to the eye, rings one
    after another from `starts`, each ending on its first corner): the nearest of its edges."""
    ax, ay, bx, by = dx[:-1], dy[:-1], dx[1:], dy[1:]
    ex, ey = bx - ax, by - ay
    t = np.clip(-(ax * ex + ay * ey) / np.maximum(ex * ex + ey * ey, 1e-12), 0.0, 1.0)
    d = np.hypot(ax + t * ex, ay + t * ey)
    d = np.append(d, np.inf)
    d[starts[1:] - 1] = np.inf  # the step from one ring's last corner to the next ring's first
    return np.minimum.reduceat(d, starts)


def _wrap(deg: np.ndarray) -> np.ndarray:
    return (deg + 180.0) % 360.0 - 180.0


class OcclusionMap:
    """What the occluders around an eye hide, as a map over directions (azimuth x elevation
    bins) for each depth level: `hidden(lo, hi)` tells which boxes lie wholly in covered bins,
    beyond the occluders that cover them."""

    def __init__(self, eye: np.ndarray, occluders: list[Occluders],
                 azimuths: tuple[int, int] | None = None) -> None:
        """`azimuths`: (first bin, number of bins) the map needs to hold (those the view spans,
        `view_azimuths`); directions outside it are taken as open."""
        self.eye = np.asarray(eye, np.float64)
        ex, ey, ez = self.eye
        self._b0, self._nb = azimuths if azimuths is not None else (0, N_AZ)
        diff = np.zeros((len(LEVELS_M), self._nb, N_EL + 1), np.int16)
        self.n_occluders = 0
        for occ in occluders:
            near = (np.hypot(occ.cx - ex, occ.cy - ey) < REACH_M) & (occ.top > ez + 0.5)
            rows = np.flatnonzero(near)
            if not len(rows):
                continue
            # The corners of the chosen buildings, gathered without a loop per building.
            ends = np.append(occ.first[1:], len(occ.x))
            n_corners = ends[rows] - occ.first[rows]
            idx = _ranges(occ.first[rows], n_corners)
            starts = np.cumsum(n_corners) - n_corners
            dx, dy = occ.x[idx] - ex, occ.y[idx] - ey
            r_far = np.maximum.reduceat(np.hypot(dx, dy), starts)
            centre = np.degrees(np.arctan2(occ.cy[rows] - ey, occ.cx[rows] - ex))
            delta = _wrap(np.degrees(np.arctan2(dy, dx)) - np.repeat(centre, n_corners))
            a_lo = centre + np.minimum.reduceat(delta, starts)
            a_hi = centre + np.maximum.reduceat(delta, starts)
            d_min = _ring_distance(dx, dy, starts)
            top, bottom = occ.top[rows], occ.bottom[rows]
            el_hi = np.degrees(np.arctan2(top - ez, r_far))
            el_lo = np.degrees(np.where(bottom < ez, np.arctan2(bottom - ez, r_far),
                                        np.arctan2(bottom - ez, np.maximum(d_min, 1e-3))))
            # Bins wholly inside each building's span of directions.
            b0 = np.ceil(a_lo / BIN_DEG).astype(np.int64)
            b1 = np.floor(a_hi / BIN_DEG).astype(np.int64)
            e0 = np.ceil((el_lo - EL_MIN) / BIN_DEG).astype(np.int64)
            e1 = np.floor((el_hi - EL_MIN) / BIN_DEG).astype(np.int64)
            good = ((a_hi - a_lo) < 170.0) & (d_min > NEAR_MARGIN_M) & (b1 > b0) & (e1 > e0)
            if not good.any():
                continue
            b0, b1, e0, e1 = b0[good], b1[good], np.clip(e0[good], 0, N_EL), \
                np.clip(e1[good], 0, N_EL)
            level = np.searchsorted(LEVELS_M, r_far[good], side="left")
            inside = level < len(LEVELS_M)
            b0, b1, e0, e1, level = b0[inside], b1[inside], e0[inside], e1[inside], level[inside]
            self.n_occluders += len(b0)
            # One entry per (occluder, azimuth bin, level): an occluder counts at its own depth
            # level and every deeper one.
            depth = len(LEVELS_M) - level
            bins = (_ranges(b0, b1 - b0) - self._b0) % N_AZ  # relative to the map's first bin
            per = np.repeat(depth, b1 - b0)
            held = bins < self._nb
            per = np.where(held, per, 0)
            bins = np.repeat(bins, per)
            lv = _ranges(np.repeat(level, b1 - b0), per)
            e0r = np.repeat(np.repeat(e0, b1 - b0), per)
            e1r = np.repeat(np.repeat(e1, b1 - b0), per)
            flat = (lv * self._nb + bins) * (N_EL + 1)
            size = diff.size
            diff += (np.bincount(flat + e0r, minlength=size)
                     - np.bincount(flat + e1r, minlength=size)).reshape(diff.shape).astype(np.int16)
        # A level holds the occluders no farther than its depth; a bin is covered where any does.
        # `_open[l, b, e]`: bins below elevation bin e at azimuth b that level l leaves open.
        np.cumsum(diff, axis=2, dtype=np.int16, out=diff)
        self._open = np.zeros((len(LEVELS_M), self._nb + 1, N_EL + 1), np.int16)
        np.cumsum(diff[:, :, :N_EL] == 0, axis=2, dtype=np.int16, out=self._open[:, :-1, 1:])
        # The last row stands for every bin outside the map: all open.
        self._open[:, -1, 1:] = np.arange(1, N_EL + 1, dtype=np.int16)

    def hidden(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Which boxes (n, 3) no ray from the eye can reach without first meeting an occluder."""
        n = len(lo)
        out = np.zeros(n, bool)
        if not self.n_occluders or not n:
            return out
        ex, ey, ez = self.eye
        lo = np.asarray(lo, np.float64) - PAD_M
        hi = np.asarray(hi, np.float64) + PAD_M
        outside = (ex < lo[:, 0]) | (ex > hi[:, 0]) | (ey < lo[:, 1]) | (ey > hi[:, 1])
        nearest = np.clip(self.eye[:2], lo[:, :2], hi[:, :2])
        r_min = np.hypot(nearest[:, 0] - ex, nearest[:, 1] - ey)
        level = np.searchsorted(LEVELS_M, r_min, side="right") - 1
        ask = np.flatnonzero(outside & (level >= 0))
        if not len(ask):
            return out
        lo, hi, r_min, level = lo[ask], hi[ask], r_min[ask], level[ask]
        cx = np.stack([lo[:, 0], hi[:, 0], hi[:, 0], lo[:, 0]], axis=1) - ex
        cy = np.stack([lo[:, 1], lo[:, 1], hi[:, 1], hi[:, 1]], axis=1) - ey
        r_max = np.hypot(cx, cy).max(axis=1)
        centre = np.degrees(np.arctan2((lo[:, 1] + hi[:, 1]) / 2 - ey,
                                       (lo[:, 0] + hi[:, 0]) / 2 - ex))
        delta = _wrap(np.degrees(np.arctan2(cy, cx)) - centre[:, None])
        b0 = np.floor((centre + delta.min(axis=1)) / BIN_DEG).astype(np.int64)
        b1 = np.floor((centre + delta.max(axis=1)) / BIN_DEG).astype(np.int64)
        top, bottom = hi[:, 2] - ez, lo[:, 2] - ez
        el_hi = np.degrees(np.arctan2(top, np.where(top > 0, r_min, r_max)))
        el_lo = np.degrees(np.arctan2(bottom, np.where(bottom < 0, r_min, r_max)))
        e0 = np.floor((el_lo - EL_MIN) / BIN_DEG).astype(np.int64)
        e1 = np.clip(np.floor((el_hi - EL_MIN) / BIN_DEG).astype(np.int64), 0, N_EL - 1)
        steep = e0 < 0  # reaches below the map: never hidden
        e0 = np.clip(e0, 0, N_EL - 1)
        # Open bins in each box's rectangle of directions, summed over its azimuth bins.
        spans = b1 - b0 + 1
        starts = np.cumsum(spans) - spans
        bins = (_ranges(b0, spans) - self._b0) % N_AZ
        bins = np.minimum(bins, self._nb)  # outside the map: its all-open last row
        lv, e0r, e1r = (np.repeat(a, spans) for a in (level, e0, e1))
        per_bin = self._open[lv, bins, e1r + 1].astype(np.int32) - self._open[lv, bins, e0r]
        out[ask] = (np.add.reduceat(per_bin, starts) == 0) & ~steep
        return out


# -- the per-view state ---------------------------------------------------------------------
class _NodeCull:
    """What one drawn node of a view draws: everything, nothing, or its own index buffer."""

    def __init__(self, node: Any, index: CullIndex) -> None:
        self.index = index
        self.shown: np.ndarray | None = None  # None: all cells
        self.buffer = None  # gloo.IndexBuffer, made on first need
        self.faces = index.n_faces
        original = type(node).draw

        def draw() -> None:
            shown = self.shown
            if shown is None:
                return original(node)
            if self.buffer is None:  # nothing to draw
                return None
            share = node._vshare
            held = share.index_buffer
            share.index_buffer = self.buffer  # for this draw call only: views share `_vshare`
            try:
                return original(node)
            finally:
                share.index_buffer = held

        node.draw = draw  # an instance attribute, so vispy's frozen nodes accept it

    def show(self, shown: np.ndarray) -> None:
        from vispy import gloo

        if self.shown is not None and np.array_equal(shown, self.shown):
            return
        vertices = self.index.vertices_of(shown)
        if len(vertices) > 3 * MAX_SHOWN * self.index.n_faces:
            self.shown, self.faces = None, self.index.n_faces
            return
        self.shown = shown
        self.faces = len(vertices) // 3
        if not len(vertices):
            self.buffer = None
            return
        if self.buffer is None:
            self.buffer = gloo.IndexBuffer(vertices)
        else:
            self.buffer.set_data(vertices)


_INDEXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # MeshData -> CullIndex
#: Buildings table -> (tiles, scene origin, Occluders): shared by every view of a twin.
_OCCLUDERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cull_index(visual: Any) -> CullIndex | None:
    """The `CullIndex` of a mesh visual's current data (made once, shared by every view), or
    None where the visual is not a face-indexed triangle mesh worth culling."""
    from vispy.visuals import MeshVisual

    from hktwin.render.lod_visuals import LodMesh

    if not isinstance(visual, MeshVisual) or isinstance(visual, LodMesh):
        return None
    md = visual.mesh_data
    if md is None or md.get_faces() is None or len(md.get_faces()) < MIN_FACES:
        return None
    if visual._vshare.index_buffer is not None or visual._vshare.draw_mode != "triangles":
        return None
    found = _INDEXES.get(md)
    if found is None or found.n_faces != len(md.get_faces()):  # new data, or changed in place
        found = CullIndex.from_vertices(md.get_vertices(indexed="faces"))
        _INDEXES[md] = found
    return found


def view_azimuths(view: Any) -> tuple[int, int] | None:
    """The azimuth bins a view's rays span: (first bin, number of bins), with `AZ_MARGIN_DEG` to
    spare on each side (for boxes reaching past the picture's edge); None where it looks
    straight up or down (it spans every azimuth)."""
    m = np.asarray(view.matrix, np.float64)
    w, h = view.size
    px = np.array([0.0, w, 0.0, w])[:, None]
    py = np.array([0.0, 0.0, h, h])[:, None]
    # A corner's ray lies on the two planes px * w = x and py * w = y (row-vector matrix); its
    # direction is their normals' cross product, turned to the front (w > 0).
    d = np.cross(m[:3, 0] - px * m[:3, 3], m[:3, 1] - py * m[:3, 3])
    d *= np.sign(d @ m[:3, 3])[:, None]
    eye = view.eye
    vertical = np.array([[eye[0], eye[1], eye[2] + 1.0, 1.0],
                         [eye[0], eye[1], eye[2] - 1.0, 1.0]]) @ view.planes.T
    if (vertical >= 0).all(axis=1).any() or (np.hypot(d[:, 0], d[:, 1]) < 1e-6).any():
        return None
    az = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
    centre = az[0]
    delta = _wrap(az - centre)
    lo, hi = centre + delta.min(), centre + delta.max()
    lo, hi = lo - AZ_MARGIN_DEG, hi + AZ_MARGIN_DEG
    if hi - lo > 300.0:
        return None
    b0 = int(np.floor(lo / BIN_DEG))
    return b0 % N_AZ, int(np.floor(hi / BIN_DEG)) + 1 - b0


def _scene_matrix(box: Any) -> tuple[np.ndarray, tuple[int, int]] | None:
    from hktwin.render.lod_visuals import view_matrix

    return view_matrix(box.scene)


def _plain_path(node: Any, top: Any) -> bool:
    """Whether scene coordinates reach `node` unchanged (no transform between it and `top`)."""
    from vispy.visuals.transforms import NullTransform

    while node is not None and node is not top:
        if not isinstance(node.transform, NullTransform):
            return False
        node = node.parent
    return node is top


class ViewCuller:
    """Keeps, for one view, which cells of each shared mesh it draws (see the module's notes).

    `root()` gives the subtree the view draws (the graph's root for the hosting view, its
    mirror's root for the others); `occlusion` adds the buildings test (street views).
    `enabled = False` draws everything (the A/B of tests and benchmarks).
    """

    def __init__(self, box: Any, root: Any, twin: Any, occlusion: bool = False) -> None:
        self.box = box
        self._root = root
        self.twin = twin
        self.occlusion = occlusion
        self.enabled = ENABLED
        self._states: dict[int, tuple[Any, _NodeCull]] = {}
        self._key: tuple | None = None
        self.updates = 0  # times the visible cells were worked out (camera or data changed)
        self.n_occluders = 0

    @property
    def faces_culled(self) -> int:
        """Triangles of the shared meshes this view leaves out in its last frame."""
        return sum(s.index.n_faces - s.faces for _, s in self._states.values())

    def _nodes(self) -> list[tuple[Any, CullIndex]]:
        from vispy.visuals import MeshVisual

        top = self.box.scene
        out, stack = [], [self._root()]
        while stack:
            node = stack.pop()
            if node is None or not node.visible:
                continue
            source = getattr(node, "_visual", node)  # a mirror's original (`render.mirror`)
            if isinstance(source, MeshVisual):
                index = cull_index(source)
                if index is not None and _plain_path(node, top):
                    out.append((node, index))
                continue
            stack.extend(node.children)
        return out

    def _occluders_now(self) -> list[Occluders]:
        from hktwin.model.layers import BuildingsLayer

        out = []
        origin = tuple(self.twin.origin)
        for layer in self.twin.layers:
            if (not isinstance(layer, BuildingsLayer) or not layer.visible or layer.lod
                    or layer.opacity < 1.0 or layer.buildings is None):
                continue
            found = _OCCLUDERS.get(layer.buildings)
            if found is None or found[0] is not layer.tiles or found[1] != origin:
                found = (layer.tiles, origin, Occluders.from_layer(layer, origin))
                _OCCLUDERS[layer.buildings] = found
            out.append(found[2])
        return out

    def _layers_key(self) -> tuple:
        return tuple((id(layer), layer.visible, layer.opacity) for layer in self.twin.layers)

    def update(self) -> None:
        """Called before each frame of the view: cheap unless the camera or the data changed."""
        nodes = self._nodes()
        if not self.enabled:
            for _, state in self._states.values():
                state.shown, state.faces = None, state.index.n_faces
            self._key = None
            return
        found = _scene_matrix(self.box)
        for key in set(self._states) - {id(n) for n, _ in nodes}:
            node, _ = self._states.pop(key)
            node.__dict__.pop("draw", None)  # back to the class's draw
        if found is None:
            return
        matrix, size = found
        key = (matrix.tobytes(), size, tuple((id(n), id(i)) for n, i in nodes),
               self._layers_key() if self.occlusion else None)
        if key == self._key:
            return
        self._key = key
        from hktwin.geo.pyramid import View

        try:
            view = View.from_matrix(matrix, size)
        except np.linalg.LinAlgError:  # an orthographic camera: draw everything
            return
        hide = None
        if self.occlusion:
            occlusion = OcclusionMap(view.eye, self._occluders_now(), view_azimuths(view))
            self.n_occluders = occlusion.n_occluders
            hide = occlusion.hidden if occlusion.n_occluders else None
        self.updates += 1
        for node, index in nodes:
            entry = self._states.get(id(node))
            if entry is None or entry[0] is not node or entry[1].index is not index:
                entry = (node, _NodeCull(node, index))
                self._states[id(node)] = entry
            shown = view.boxes_visible(index.lo, index.hi)
            if hide is not None:
                ask = np.flatnonzero(shown)
                shown[ask[hide(index.lo[ask], index.hi[ask])]] = False
            entry[1].show(shown)
