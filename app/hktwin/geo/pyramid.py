"""Terrain level of detail: a pyramid of square chunks, meshed on demand and chosen per view.

The territory's 5 m DTM (14,000 x 10,000 cells) is 280 M triangles as one mesh, and software GL
draws ~2.5 M a second. Level k of the pyramid averages 2^k x 2^k source cells and is cut into
chunks of `chunk` x `chunk` cells; a chunk is meshed from a small window only when a view needs
it, and kept in an LRU cache. Every chunk carries a bound (metres) on how far its vertices are
from the source heights, so a view refines only where that error would show as more than a few
pixels, skips chunks outside the frustum or under the sea, and stays under a triangle budget.

Chunk vertices sit on cell corners, so a coarse chunk's vertices are a subset of its children's
and each chunk covers exactly its footprint; skirts hanging from the chunk edges hide the small
cracks left where neighbours of different levels meet.
"""

from __future__ import annotations

import logging
import math
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hktwin.geo.mesh import MeshArrays
from hktwin.geo.terrain import Terrain
from hktwin.geo.terrain_mesh import SEA_CUTOFF_M

log = logging.getLogger(__name__)

CHUNK_CELLS = 64
#: The per-chunk statistics a pyramid keeps, one array per level each (cached with the levels).
STAT_NAMES = ("zmin", "zmax", "error", "skirt", "faces")
#: Bump when the cached terrain or pyramid files change meaning.
TERRAIN_CACHE_FORMAT = 1
_STRIP = 256  # rows per strip when reducing the full-resolution level, to bound temporaries


@dataclass(frozen=True, eq=False)
class ChunkMesh(MeshArrays):
    """A chunk's mesh; `surface_z` is each vertex's height on the surface (a skirt vertex has
    its edge vertex's), so colouring by height hides the skirts' seams."""

    surface_z: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


# -- the view ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class View:
    """What level-of-detail selection needs of a camera, in scene coordinates.

    `planes` (p, 4): a point is in view where `[x, y, z, 1] @ plane >= 0` for every plane.
    `px_per_m` is how many pixels one metre spans one metre in front of the eye, so a feature of
    size s at distance d covers s * px_per_m / d pixels. `matrix` (row vectors) maps scene
    points to viewport pixels times w: `[x, y, z, 1] @ matrix = [px * w, py * w, ., w]`.
    """

    eye: np.ndarray
    planes: np.ndarray
    px_per_m: float
    matrix: np.ndarray
    size: tuple[int, int]

    @staticmethod
    def from_matrix(matrix: np.ndarray, size: tuple[int, int]) -> View:
        """From a scene-to-viewport matrix (vispy's transform sampled at 4 points, say)."""
        m = np.asarray(matrix, np.float64)
        w, h = size
        # The eye is the point that maps to px * w = py * w = w = 0.
        eye = np.linalg.solve(m[:3][:, [0, 1, 3]].T, -m[3, [0, 1, 3]])
        forward = m[:3, 3] / np.linalg.norm(m[:3, 3])
        side = np.cross(forward, (0.0, 0.0, 1.0))
        if np.linalg.norm(side) < 1e-6:
            side = np.cross(forward, (1.0, 0.0, 0.0))
        side /= np.linalg.norm(side)
        probe = np.array([[*(eye + forward), 1.0], [*(eye + forward + 1e-3 * side), 1.0]]) @ m
        px = probe[:, :2] / probe[:, 3:]
        px_per_m = float(np.linalg.norm(px[1] - px[0]) / 1e-3)
        planes = np.stack([m[:, 0], w * m[:, 3] - m[:, 0], m[:, 1], h * m[:, 3] - m[:, 1],
                           m[:, 3]])
        return View(eye, planes, px_per_m, m, (int(w), int(h)))

    @staticmethod
    def look(eye, target, fov: float = 45.0, size: tuple[int, int] = (1280, 800),
             up=(0.0, 0.0, 1.0)) -> View:
        """A pinhole camera at `eye` looking at `target`; `fov` spans the viewport's smaller side
        (as in vispy). For tests, benchmarks and headless use."""
        e = np.asarray(eye, np.float64)
        f = np.asarray(target, np.float64) - e
        f /= np.linalg.norm(f)
        r = np.cross(f, up)
        r /= np.linalg.norm(r)
        u = np.cross(r, f)
        w, h = size
        focal = min(w, h) / 2 / math.tan(math.radians(fov) / 2)
        col_w = np.append(f, -e @ f)
        m = np.stack([w / 2 * col_w + focal * np.append(r, -e @ r),
                      h / 2 * col_w - focal * np.append(u, -e @ u), col_w, col_w], axis=1)
        return View.from_matrix(m, size)

    def boxes_visible(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Which axis-aligned boxes (n, 3) reach into the view (conservative: never drops a box
        that shows)."""
        n = self.planes[:, :3]
        corner = np.where(n[None] >= 0, hi[:, None, :], lo[:, None, :])  # the most inside corner
        return ((corner * n[None]).sum(axis=2) + self.planes[None, :, 3] >= 0).all(axis=1)

    def distance_to(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Distance from the eye to the nearest point of each box (0 inside it)."""
        return np.linalg.norm(np.clip(self.eye, lo, hi) - self.eye, axis=1)


# -- levels --------------------------------------------------------------------------------------
def halve(a: np.ndarray) -> np.ndarray:
    """Average 2 x 2 blocks (NaN-aware; an odd last row or column is averaged with itself)."""
    rows, cols = a.shape
    out = np.empty(((rows + 1) // 2, (cols + 1) // 2), np.float32)
    for s in range(0, out.shape[0], _STRIP):
        block = a[2 * s : 2 * (s + _STRIP)]
        quads = [_odd_even(_odd_even(block, p, 0), q, 1) for p in (0, 1) for q in (0, 1)]
        nan = [np.isnan(x) for x in quads]
        if not any(m.any() for m in nan):
            out[s : s + _STRIP] = (quads[0] + quads[1] + quads[2] + quads[3]) * 0.25
            continue
        total = sum(np.where(m, 0.0, x) for x, m in zip(quads, nan, strict=True))
        count = sum((~m).astype(np.float32) for m in nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[s : s + _STRIP] = total / count
    return out


def _odd_even(a: np.ndarray, parity: int, axis: int) -> np.ndarray:
    """Every other row (axis 0) or column (axis 1) from `parity`; the last even one repeats
    where the odd side is one short."""
    n = a.shape[axis]
    idx = np.arange(parity, n + (n & 1), 2)
    return np.take(a, np.minimum(idx, n - 1), axis=axis)


def level_count(shape: tuple[int, int], chunk: int = CHUNK_CELLS) -> int:
    """Levels needed for the coarsest to fit in one chunk."""
    return 1 + max(0, math.ceil(math.log2(max(shape) / chunk)))


def build_levels(heights: np.ndarray, n_levels: int) -> list[np.ndarray]:
    """Level 0 is `heights` itself (no copy); each next level averages 2 x 2 of the previous."""
    levels = [heights]
    for _ in range(1, n_levels):
        levels.append(halve(levels[-1]))
    return levels


def levels_from_raster(path: str | Path, heights: np.ndarray, n_levels: int) -> list[np.ndarray]:
    """Levels read from the GeoTIFF's overviews where it has them at exactly 2^k (decimated
    reads), averaged from the level below where it does not."""
    import rasterio

    rows, cols = heights.shape
    levels = [heights]
    with rasterio.open(path) as src:
        factors = set(src.overviews(1))
        for k in range(1, n_levels):
            f = 2**k
            if f in factors and rows % f == 0 and cols % f == 0:
                data = src.read(1, out_shape=(rows // f, cols // f), masked=True)
                levels.append(np.ma.filled(data.astype(np.float32), np.nan))
            else:
                levels.append(halve(levels[-1]))
    return levels


# -- per-chunk statistics -------------------------------------------------------------------------
def _block_reduce(a: np.ndarray, size: int, ufunc: np.ufunc) -> np.ndarray:
    """`ufunc`-reduce each size x size block (ragged at the far edges), strip by strip."""
    starts = np.arange(0, a.shape[1], size)
    rows = [ufunc.reduceat(ufunc.reduce(a[r : r + size], axis=0), starts)
            for r in range(0, a.shape[0], size)]
    return np.stack(rows)


def _reduce2(grid: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
    """Combine each 2 x 2 block of a chunk grid into its parent (ragged edges kept)."""
    rows = ufunc.reduceat(grid, np.arange(0, grid.shape[0], 2), axis=0)
    return ufunc.reduceat(rows, np.arange(0, grid.shape[1], 2), axis=1)


def _dilate(grid: np.ndarray) -> np.ndarray:
    """Max over each cell's 3 x 3 neighbourhood (edges clamp)."""
    p = np.pad(grid, 1, mode="edge")
    rows = np.maximum(np.maximum(p[:-2], p[1:-1]), p[2:])
    return np.maximum(np.maximum(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:])


def _land_cells(level: np.ndarray, chunk: int, cutoff: float | None) -> np.ndarray:
    """Per chunk, the cells that may carry a kept quad: a cell in reach (3 x 3) of a cell at or
    above the cut-off. An upper bound on the quads a chunk keeps, so budgets hold."""
    rows = []
    for r in range(0, level.shape[0], chunk):
        win = level[max(r - 1, 0) : r + chunk + 1]
        land = np.isfinite(win) if cutoff is None else win >= cutoff
        near = land.copy()
        near[1:] |= land[:-1]
        near[:-1] |= land[1:]
        near[:, 1:] |= near[:, :-1].copy()
        near[:, :-1] |= near[:, 1:].copy()
        near = near[(1 if r > 0 else 0) :][:chunk]
        rows.append(np.add.reduceat(near.sum(axis=0), np.arange(0, level.shape[1], chunk)))
    return np.stack(rows).astype(np.int64)


def _level_error(fine: np.ndarray, coarse: np.ndarray, chunk: int) -> np.ndarray:
    """Per chunk of the coarse level, the largest difference between a fine cell and the coarse
    cell that averages it (NaN ignored)."""
    out = []
    span = 2 * chunk
    starts = np.arange(0, fine.shape[1], span)
    for i, r in enumerate(range(0, fine.shape[0], span)):
        f = fine[r : r + span]
        c = coarse[i * chunk : (i + 1) * chunk]
        up = np.repeat(np.repeat(c, 2, axis=0), 2, axis=1)[: f.shape[0], : f.shape[1]]
        diff = np.abs(f - up)
        out.append(np.fmax.reduceat(np.fmax.reduce(diff, axis=0), starts))
    return np.nan_to_num(np.stack(out), nan=0.0)


# -- the pyramid ---------------------------------------------------------------------------------
class TerrainPyramid:
    """Chunked levels of a terrain with per-chunk bounds, and their meshes built on demand.

    Thread-safe: a renderer may build chunks on a worker thread while the GUI thread reads.
    """

    def __init__(
        self,
        terrain: Terrain,
        origin: tuple[float, float] = (0.0, 0.0),
        chunk: int = CHUNK_CELLS,
        levels: list[np.ndarray] | None = None,
        drop_below: float | None = SEA_CUTOFF_M,
        cache_chunks: int = 512,
        stats: dict[str, list[np.ndarray]] | None = None,
    ) -> None:
        self.terrain = terrain
        self.origin = origin
        self.chunk = chunk
        self.drop_below = drop_below
        self.levels = levels if levels is not None else build_levels(
            terrain.heights, level_count(terrain.shape, chunk))
        self._cache: OrderedDict[tuple[int, int, int], ChunkMesh] = OrderedDict()
        self._cache_chunks = cache_chunks
        self._lock = threading.Lock()
        if stats is not None and all(len(stats.get(n, ())) == len(self.levels)
                                     for n in STAT_NAMES):
            for name in STAT_NAMES:  # from the cache (`cached_pyramid`)
                setattr(self, name, list(stats[name]))
        else:
            self._stats()

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    def grid_shape(self, level: int) -> tuple[int, int]:
        """Chunks (rows, columns) at a level."""
        rows, cols = self.levels[level].shape
        return -(-rows // self.chunk), -(-cols // self.chunk)

    def cell_size(self, level: int) -> float:
        return self.terrain.cell_size * 2**level

    def _stats(self) -> None:
        """Per level and chunk: height range, error bound and kept-quad bound."""
        n = self.chunk
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            zmin = [_block_reduce(self.levels[0], n, np.fmin)]
            zmax = [_block_reduce(self.levels[0], n, np.fmax)]
            raw = [np.zeros_like(zmin[0])]
            for k in range(1, self.n_levels):
                zmin.append(_reduce2(zmin[-1], np.fmin))
                zmax.append(_reduce2(zmax[-1], np.fmax))
                delta = _level_error(self.levels[k - 1], self.levels[k], n)
                raw.append(delta + _reduce2(raw[-1], np.fmax))
        # Dilated, like the error: edge vertices average the neighbours' cells too.
        self.zmin = [-_dilate(-np.nan_to_num(z, nan=0.0)) for z in zmin]
        self.zmax = [_dilate(np.nan_to_num(z, nan=0.0)) for z in zmax]
        #: error[k][r, c]: metres a vertex of chunk (r, c) at level k may be off the source.
        #: Dilated by one chunk because a vertex on an edge also averages the neighbour's cells.
        self.error = [_dilate(e) for e in raw]
        # A skirt must reach past both sides' errors where a chunk meets a coarser neighbour.
        self.skirt = [2 * np.maximum(self.error[k], self._parent_error(k)) + 1.0
                      for k in range(self.n_levels)]
        if self.drop_below is not None:
            # Where the sea cuts the chunk, the coast drawn may stray sideways by half a cell:
            # from above that shows more than any height error, so count it as one.
            for k in range(1, self.n_levels):
                coast = (self.zmin[k] < self.drop_below) & (self.zmax[k] > self.drop_below)
                self.error[k] = np.where(coast, np.maximum(self.error[k], self.cell_size(k) / 2),
                                         self.error[k])
        #: Triangles each chunk may hold (an upper bound: quads near land, plus skirts).
        self.faces = []
        for k in range(self.n_levels):
            quads = _land_cells(self.levels[k], n, self.drop_below)
            self.faces.append(np.where(quads > 0, 2 * quads + 8 * n, 0))

    def _parent_error(self, level: int) -> np.ndarray:
        rows, cols = self.grid_shape(level)
        if level + 1 >= self.n_levels:
            return self.error[level]
        parent = self.error[level + 1]
        return np.repeat(np.repeat(parent, 2, axis=0), 2, axis=1)[:rows, :cols]

    def chunk_boxes(self, level: int, rows: np.ndarray, cols: np.ndarray):
        """Scene-space bounding boxes (lo, hi), each (n, 3), of chunks at a level."""
        span = self.cell_size(level) * self.chunk
        t = self.terrain
        _, ymin, xmax, _ = t.bounds
        x0 = np.minimum(t.origin_x + cols * span, xmax)
        x1 = np.minimum(t.origin_x + (cols + 1) * span, xmax)
        y1 = np.maximum(t.origin_y - rows * span, ymin)
        y0 = np.maximum(t.origin_y - (rows + 1) * span, ymin)
        z0 = self.zmin[level][rows, cols] - self.skirt[level][rows, cols]
        z1 = self.zmax[level][rows, cols]
        ox, oy = self.origin
        lo = np.column_stack([x0 - ox, y0 - oy, z0])
        hi = np.column_stack([x1 - ox, y1 - oy, z1])
        return lo, hi

    # -- meshes ----------------------------------------------------------------------------------
    def chunk_mesh(self, level: int, row: int, col: int) -> ChunkMesh:
        """The mesh of one chunk (cached, least recently used dropped first)."""
        key = (level, row, col)
        with self._lock:
            mesh = self._cache.get(key)
            if mesh is not None:
                self._cache.move_to_end(key)
                return mesh
        mesh = self._build_chunk(level, row, col)
        with self._lock:
            self._cache[key] = mesh
            while len(self._cache) > self._cache_chunks:
                self._cache.popitem(last=False)
        return mesh

    def _posts(self, level: int, r0: int, c0: int, nr: int, nc: int) -> np.ndarray:
        """Heights at cell corners r0-1 .. r0+nr+1 x c0-1 .. c0+nc+1 of a level (the average of
        the up to four cells around each corner; NaN beyond the raster)."""
        cells = self.levels[level]
        win = np.full((nr + 4, nc + 4), np.nan, np.float32)
        rs, cs = max(r0 - 2, 0), max(c0 - 2, 0)
        re, ce = min(r0 + nr + 2, cells.shape[0]), min(c0 + nc + 2, cells.shape[1])
        win[rs - (r0 - 2) : re - (r0 - 2), cs - (c0 - 2) : ce - (c0 - 2)] = cells[rs:re, cs:ce]
        quads = np.stack([win[:-1, :-1], win[:-1, 1:], win[1:, :-1], win[1:, 1:]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(quads, axis=0)

    def _build_chunk(self, level: int, row: int, col: int) -> ChunkMesh:
        n = self.chunk
        rows_k, cols_k = self.levels[level].shape
        r0, c0 = row * n, col * n
        nr, nc = min(n, rows_k - r0), min(n, cols_k - c0)
        if nr <= 0 or nc <= 0:
            e = MeshArrays.empty()
            return ChunkMesh(e.vertices, e.faces, e.normals, e.face_owner)
        posts = self._posts(level, r0, c0, nr, nc)
        z = posts[1:-1, 1:-1]
        normals = _normals(posts, self.cell_size(level))

        t = self.terrain
        _, ymin, xmax, _ = t.bounds
        size = self.cell_size(level)
        xs = np.minimum(t.origin_x + (c0 + np.arange(nc + 1)) * size, xmax) - self.origin[0]
        ys = np.maximum(t.origin_y - (r0 + np.arange(nr + 1)) * size, ymin) - self.origin[1]
        gx, gy = np.meshgrid(xs, ys)
        vertices = np.column_stack([gx.ravel(), gy.ravel(), z.ravel()]).astype(np.float32)

        idx = np.arange((nr + 1) * (nc + 1), dtype=np.uint32).reshape(nr + 1, nc + 1)
        a, b = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel()
        c, d = idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
        faces = np.concatenate([np.column_stack([a, c, b]), np.column_stack([b, c, d])])

        # Skirts: each edge's vertices again, lowered, joined to the edge by a strip of quads.
        edges = [idx[0], idx[-1], idx[:, 0], idx[:, -1]]
        rim = np.concatenate(edges)
        drop = self.skirt[level][row, col]
        low = len(vertices) + np.arange(len(rim), dtype=np.uint32)
        starts = np.cumsum([0] + [len(e) for e in edges[:-1]])
        seg = np.concatenate([s + np.arange(len(e) - 1) for s, e in zip(starts, edges,
                                                                         strict=True)])
        skirt = np.concatenate([np.column_stack([rim[seg], rim[seg + 1], low[seg + 1]]),
                                np.column_stack([rim[seg], low[seg + 1], low[seg]])])
        lowered = vertices[rim].copy()
        lowered[:, 2] -= drop
        vertices = np.concatenate([vertices, lowered])
        normals = np.concatenate([normals, normals[rim]])

        # A skirt quad shows only where its top edge would be drawn.
        edge_z = vertices[:, 2][np.column_stack([rim[seg], rim[seg + 1]])]
        keep = np.concatenate([self._kept(vertices[:, 2][faces]),
                               np.tile(self._kept(edge_z), 2)])
        faces = np.concatenate([faces, skirt])
        vertices[:, 2] = np.nan_to_num(vertices[:, 2], nan=0.0)
        surface_z = np.concatenate([vertices[: len(idx.ravel()), 2], vertices[rim, 2]])
        return ChunkMesh(vertices, faces[keep].astype(np.uint32), normals,
                         np.full(int(keep.sum()), -1, np.int64), surface_z)

    def _kept(self, corner_z: np.ndarray) -> np.ndarray:
        """Faces with no nodata corner and not wholly under the sea cut-off."""
        keep = ~np.isnan(corner_z).any(axis=1)
        if self.drop_below is not None:
            keep &= ~(corner_z < self.drop_below).all(axis=1)
        return keep


def _normals(posts: np.ndarray, spacing: float) -> np.ndarray:
    """Unit normals of the inner posts by central differences (one-sided where a neighbour is
    missing), so neighbouring chunks of a level shade their shared edge alike."""
    c = posts[1:-1, 1:-1]

    def slope(before: np.ndarray, after: np.ndarray) -> np.ndarray:
        ok_b, ok_a = np.isfinite(before), np.isfinite(after)
        b = np.where(ok_b, before, c)
        a = np.where(ok_a, after, c)
        return (a - b) / (spacing * np.maximum(ok_b.astype(np.float32) + ok_a, 1.0))

    dz_dcol = slope(posts[1:-1, :-2], posts[1:-1, 2:])
    dz_drow = slope(posts[:-2, 1:-1], posts[2:, 1:-1])
    # Rows run south as the index grows, so the northward slope is -dz/drow.
    n = np.stack([-dz_dcol, dz_drow, np.ones_like(c)], axis=-1).reshape(-1, 3)
    n = np.nan_to_num(n, nan=0.0)
    n[:, 2] = np.where(np.isfinite(c.ravel()), n[:, 2], 1.0)
    return (n / np.linalg.norm(n, axis=1, keepdims=True)).astype(np.float32)


# -- selection -----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ChunkSelection:
    """The chunks to draw for one view: `keys` (n, 3) rows of (level, row, col), coarse first;
    `faces` an upper bound on their triangles; `tolerance_px` the error the budget allowed."""

    keys: np.ndarray
    faces: int
    tolerance_px: float


def select_chunks(
    pyramid: TerrainPyramid,
    view: View,
    tolerance_px: float = 3.0,
    budget: int = 600_000,
) -> ChunkSelection:
    """Quadtree selection: refine a chunk while its error would show as more than
    `tolerance_px` pixels; skip chunks outside the view or wholly under the sea.

    When the result would exceed `budget` triangles the tolerance is raised (bisection on a log
    scale), so the cost of a frame stays bounded wherever the camera is.
    """
    best = _select(pyramid, view, tolerance_px)
    if best.faces <= budget:
        return best
    lo, hi = tolerance_px, tolerance_px * 4
    coarse = _select(pyramid, view, hi)
    while coarse.faces > budget and hi < 1e7:
        lo, hi = hi, hi * 4
        coarse = _select(pyramid, view, hi)
    for _ in range(10):
        mid = math.sqrt(lo * hi)
        trial = _select(pyramid, view, mid)
        if trial.faces <= budget:
            hi, coarse = mid, trial
        else:
            lo = mid
    return coarse


def _select(pyramid: TerrainPyramid, view: View, tolerance_px: float) -> ChunkSelection:
    top = pyramid.n_levels - 1
    rows, cols = np.indices(pyramid.grid_shape(top)).reshape(2, -1)
    chosen, faces = [], 0
    for level in range(top, -1, -1):
        if not len(rows):
            break
        lo, hi = pyramid.chunk_boxes(level, rows, cols)
        keep = (pyramid.faces[level][rows, cols] > 0) & view.boxes_visible(lo, hi)
        rows, cols, lo, hi = rows[keep], cols[keep], lo[keep], hi[keep]
        distance = np.maximum(view.distance_to(lo, hi), 1e-3)
        shown_px = pyramid.error[level][rows, cols] * view.px_per_m / distance
        refine = shown_px > tolerance_px if level > 0 else np.zeros(len(rows), bool)
        here = ~refine
        chosen.append(np.column_stack([np.full(here.sum(), level), rows[here], cols[here]]))
        faces += int(pyramid.faces[level][rows[here], cols[here]].sum())
        g_rows, g_cols = pyramid.grid_shape(level - 1) if level > 0 else (0, 0)
        rows = (2 * rows[refine])[:, None] + np.array([0, 0, 1, 1])
        cols = (2 * cols[refine])[:, None] + np.array([0, 1, 0, 1])
        inside = (rows < g_rows) & (cols < g_cols)
        rows, cols = rows[inside], cols[inside]
    keys = np.concatenate(chosen) if chosen else np.zeros((0, 3), np.int64)
    return ChunkSelection(keys.astype(np.int64), faces, tolerance_px)


# -- the terrain cache ---------------------------------------------------------------------------
# The territory's 5 m DTM is 560 MB of float32 behind DEFLATE: decompressing it (and reading its
# overviews, and the per-chunk statistics) took most of a warm open. The cache keeps them as
# plain .npy files that are memory-mapped, so an open reads only the header and the pages a view
# or an analysis touches. Keyed by the source file's path, size and modification time (a pack
# swap writes new files); the arrays are read-only.
def _source_folder(path: Path, cache_dir: Path) -> Path:
    import hashlib
    import os

    st = os.stat(path)
    ident = f"{TERRAIN_CACHE_FORMAT}:{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}"
    return cache_dir / "terrain" / hashlib.sha256(ident.encode()).hexdigest()[:32]


def _save_npy(path: Path, array: np.ndarray) -> None:
    from hktwin.core.files import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)


def _load_npy(path: Path, shape: tuple[int, ...] | None = None) -> np.ndarray | None:
    try:
        a = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:  # truncated or damaged: rebuilt by the caller
        log.warning("terrain cache %s unusable (%s); rebuilding it", path, exc)
        return None
    if a.dtype != np.float32 or (shape is not None and a.shape != shape):
        return None
    return a


def cached_terrain(path: str | Path, cache_dir: Path | None, read) -> Terrain:
    """`read(path)` (a `Terrain`), or the same heights memory-mapped from the cache, which it
    fills on the first read. Failing to write the cache is logged, never fatal."""
    import json

    path = Path(path)
    if cache_dir is None:
        return read(path)
    folder = _source_folder(path, cache_dir)
    meta_path, heights_path = folder / "terrain.json", folder / "heights.npy"
    if meta_path.is_file() and heights_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
            heights = _load_npy(heights_path, tuple(meta["shape"]))
            if heights is not None:
                return Terrain(heights, float(meta["origin_x"]), float(meta["origin_y"]),
                               float(meta["cell_size"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("terrain cache %s unusable (%s); rebuilding it", folder, exc)
    terrain = read(path)
    try:
        _save_npy(heights_path, terrain.heights)
        meta = {"shape": list(terrain.shape), "origin_x": terrain.origin_x,
                "origin_y": terrain.origin_y, "cell_size": terrain.cell_size}
        meta_path.write_text(json.dumps(meta))  # last: the entry counts once this exists
    except Exception as exc:  # a read-only or full cache folder must not stop the app
        log.warning("could not write the terrain cache %s: %s", folder, exc)
    return terrain


def cached_pyramid(path: str | Path, terrain: Terrain, origin: tuple[float, float],
                   cache_dir: Path | None, n_levels: int, levels=None) -> TerrainPyramid:
    """A pyramid whose coarse levels and per-chunk statistics come from the cache when it holds
    them for this source file (else `levels()` or averaging builds them, and they are stored)."""
    path = Path(path)
    if cache_dir is None:
        return TerrainPyramid(terrain, origin, levels=levels() if levels else None)
    folder = _source_folder(path, cache_dir) / f"pyramid-{CHUNK_CELLS}-{n_levels}"
    stats_path = folder / "stats.npz"
    if stats_path.is_file():
        found = [terrain.heights]
        rows, cols = terrain.shape
        for k in range(1, n_levels):
            shape = (-(-rows // 2**k), -(-cols // 2**k))
            level = _load_npy(folder / f"level{k}.npy")
            if level is None or abs(level.shape[0] - shape[0]) > 1 or \
                    abs(level.shape[1] - shape[1]) > 1:
                break
            found.append(level)
        if len(found) == n_levels:
            try:
                with np.load(stats_path, allow_pickle=False) as data:
                    stats = {n: [data[f"{n}{k}"] for k in range(n_levels)] for n in STAT_NAMES}
                return TerrainPyramid(terrain, origin, levels=found, stats=stats)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("terrain cache %s unusable (%s); rebuilding it", stats_path, exc)
    pyramid = TerrainPyramid(terrain, origin, levels=levels() if levels else None)
    try:
        for k in range(1, pyramid.n_levels):
            _save_npy(folder / f"level{k}.npy", pyramid.levels[k])
        from hktwin.core.files import atomic_path

        arrays = {f"{n}{k}": getattr(pyramid, n)[k] for n in STAT_NAMES
                  for k in range(pyramid.n_levels)}
        with atomic_path(stats_path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)  # last: the entry counts once this exists
    except Exception as exc:
        log.warning("could not write the terrain cache %s: %s", folder, exc)
    return pyramid
