"""Line of sight decided by the 3D city: the street surface of the evaluation grid, a DSM, a fast
vectorised viewshed, and an exact mesh-based reference for the tests.

Grids are *lattices*: a fixed origin and cell size, of which any window can be taken. A
window's surface holds the same value per cell as that cell in any other window, and the
viewshed's rays depend only on the transmitter, so a tile of the evaluation gives the same
answer whatever else was tiled with it.

The fast viewshed is a radial sweep over a DSM (`DSM`: terrain, or the roof where a building
stands, on a fine lattice of its own), compiled with numba (`_viewshed_kernel`, cached on disk;
`viewshed_numpy` is the same sweep in numpy, the fallback and the reference). Rays leave the
transmitter on a fixed angular lattice (one DSM cell apart at `reach_m`), samples along each
ray are one DSM cell apart and read the cell they fall in; the running maximum of the
elevation slope along a ray is its horizon, and each target cell compares its own slope with
the horizon of the nearest ray just before it.
Cost: each ray is walked once, to its farthest target; the targets are bucketed by ray, so
nothing of size (samples x rays) is stored. On the demo city (2 km x 2 km, 1 m DSM, 1 M targets,
reach 1.5 km) that is ~0.1 s a site on one core, about half of what GDAL's `gdal_viewshed`
takes on the same DSM (benchmarks/bench_viewshed_peer.py); the numpy sweep takes ~0.5-1 s.

Accuracy is set by the DSM cell, not by the sampling. Against the exact mesh test on real
terrain with synthetic towers (tests/analysis/test_los.py: random transmitters 3-30 m above the
street, eyes 1.5 m above street cells within 700 m, 2,000 pairs per seed): a 1 m DSM sampled
every cell agrees on 99.2-99.6% of pairs (six seeds, mean 99.4%); a 2 m DSM sampled every half
cell (the same number of samples) on 99.0-99.3%, a 5 m one on about 98%; sampling a 1 m DSM
twice as densely changes nothing. What is left is rays grazing a footprint corner or the
ground within about one DSM cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hktwin.geo.buildings import Buildings
from hktwin.geo.terrain import Terrain

#: The sea surface (m above the Hong Kong Principal Datum) below which terrain is read as water.
SEA_LEVEL_M = 0.0
#: Ray samples are this many DSM cells apart, and rays this many cells apart at the reach.
SAMPLE_CELLS = 1.0
#: The coarsest DSM cell (m) the viewshed reads by default (see the module docstring).
LOS_RES_MAX_M = 1.0
#: A DSM larger than this many cells is coarsened (doubling its cell) to bound memory.
DSM_MAX_CELLS = 64_000_000
#: Cells a window keeps around the transmitter and the targets, so that every sample a target
#: reads lies inside it (rays pass within half a cell of their targets).
WINDOW_MARGIN = 2


@dataclass(frozen=True)
class Grid:
    """A north-up window of a raster lattice (EPSG:2326).

    The lattice has its top-left corner at (`x0`, `y0`) and square cells of `res` metres; the
    window is rows `row0 .. row0+rows-1` and columns `col0 .. col0+cols-1` of it.
    """

    x0: float
    y0: float
    res: float
    row0: int
    col0: int
    rows: int
    cols: int

    @staticmethod
    def over(bounds: tuple[float, float, float, float], res: float) -> Grid:
        """A lattice whose window (0, 0) covers `bounds` (xmin, ymin, xmax, ymax)."""
        xmin, ymin, xmax, ymax = bounds
        cols = max(1, math.ceil((xmax - xmin) / res - 1e-9))
        rows = max(1, math.ceil((ymax - ymin) / res - 1e-9))
        return Grid(float(xmin), float(ymax), float(res), 0, 0, rows, cols)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.cols)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        left = self.x0 + self.col0 * self.res
        top = self.y0 - self.row0 * self.res
        return (left, top - self.rows * self.res, left + self.cols * self.res, top)

    @property
    def transform(self):
        """The window's affine transform (rasterio)."""
        from affine import Affine

        left, _, _, top = self.bounds
        return Affine(self.res, 0.0, left, 0.0, -self.res, top)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Eastings of the column centres and northings of the row centres (1-D, float64)."""
        xs = self.x0 + (np.arange(self.col0, self.col0 + self.cols) + 0.5) * self.res
        ys = self.y0 - (np.arange(self.row0, self.row0 + self.rows) + 0.5) * self.res
        return xs, ys

    def window(self, row0: int, col0: int, rows: int, cols: int) -> Grid:
        """Another window of the same lattice (lattice indices)."""
        return Grid(self.x0, self.y0, self.res, row0, col0, rows, cols)

    def covering(self, xmin: float, ymin: float, xmax: float, ymax: float,
                 margin: int = 0) -> Grid:
        """The smallest window of this lattice holding the box, grown by `margin` cells."""
        c0 = math.floor((xmin - self.x0) / self.res) - margin
        c1 = math.floor((xmax - self.x0) / self.res) + margin
        r0 = math.floor((self.y0 - ymax) / self.res) - margin
        r1 = math.floor((self.y0 - ymin) / self.res) + margin
        return self.window(r0, c0, r1 - r0 + 1, c1 - c0 + 1)

    def union(self, other: Grid) -> Grid:
        """The window of the lattice holding both windows."""
        r0, c0 = min(self.row0, other.row0), min(self.col0, other.col0)
        r1 = max(self.row0 + self.rows, other.row0 + other.rows)
        c1 = max(self.col0 + self.cols, other.col0 + other.cols)
        return self.window(r0, c0, r1 - r0, c1 - c0)

    def contains(self, other: Grid) -> bool:
        return (other.row0 >= self.row0 and other.col0 >= self.col0
                and other.row0 + other.rows <= self.row0 + self.rows
                and other.col0 + other.cols <= self.col0 + self.cols)


def _slices(outer: Grid, inner: Grid) -> tuple[slice, slice]:
    if not outer.contains(inner):
        raise ValueError(f"window {inner} lies outside {outer}")
    r = inner.row0 - outer.row0
    c = inner.col0 - outer.col0
    return slice(r, r + inner.rows), slice(c, c + inner.cols)


@dataclass(frozen=True, eq=False)
class Surface:
    """Where people can stand on the evaluation grid: the terrain at cell centres (float32, NaN
    off the terrain raster) and the cells inside buildings."""

    grid: Grid
    ground: np.ndarray  # float32
    building: np.ndarray  # bool

    def window(self, grid: Grid) -> Surface:
        """The same surface on a window inside this one (views, no copy)."""
        rows, cols = _slices(self.grid, grid)
        return Surface(grid, self.ground[rows, cols], self.building[rows, cols])

    @property
    def street(self) -> np.ndarray:
        """The ground a person stands on: terrain, or the sea surface over water (float32)."""
        return np.fmax(self.ground, np.float32(SEA_LEVEL_M))


@dataclass(frozen=True, eq=False)
class DSM:
    """The surface a ray must clear (float32 heights): the ground (water read as the sea
    surface, off the terrain too) or the roof of the building standing there."""

    grid: Grid
    top: np.ndarray

    def window(self, grid: Grid) -> DSM:
        rows, cols = _slices(self.grid, grid)
        return DSM(grid, self.top[rows, cols])


def _axis_weights(coord: np.ndarray, n: int):
    """Bilinear indices and weights along one axis, as `Terrain.height_at` takes them."""
    f = coord - 0.5
    inside = (f >= -0.5) & (f <= n - 0.5)
    f = np.clip(f, 0, n - 1)
    i0 = np.minimum(np.floor(f).astype(np.intp), max(n - 2, 0))
    i1 = np.minimum(i0 + 1, n - 1)
    return i0, i1, f - i0, inside


def terrain_on_grid(terrain: Terrain, grid: Grid) -> np.ndarray:
    """Bilinear terrain height at every cell centre of the grid (float32, NaN off the raster).

    The same interpolation as `Terrain.height_at`, done separably (rows, then columns) since the
    centres form a regular grid: two passes over the output instead of a dozen.
    """
    xs, ys = grid.centres()
    rows, cols = terrain.shape
    r0, r1, tr, in_r = _axis_weights((terrain.origin_y - ys) / terrain.cell_size, rows)
    c0, c1, tc, in_c = _axis_weights((xs - terrain.origin_x) / terrain.cell_size, cols)
    lo, hi = int(c0.min()), int(c1.max()) + 1  # only the source columns this window reads
    h = terrain.heights[:, lo:hi].astype(np.float64)
    by_row = (h[r0] * (1 - tr)[:, None] + h[r1] * tr[:, None]).astype(np.float32)
    out = np.take(by_row, c0 - lo, axis=1)
    out *= (1 - tc).astype(np.float32)
    right = np.take(by_row, c1 - lo, axis=1)
    right *= tc.astype(np.float32)
    out += right
    out[~in_r, :] = np.nan
    out[:, ~in_c] = np.nan
    return out


def roofs_on_grid(buildings: Buildings | None, grid: Grid) -> np.ndarray:
    """Roof height (`base + height`) of the building covering each cell centre, NaN elsewhere.

    One `rasterio.features.rasterize` call over the buildings whose bounds meet the window;
    they are burnt lowest roof first, so where footprints overlap the highest roof wins.
    """
    out = np.full(grid.shape, np.nan, np.float32)
    if buildings is None or len(buildings) == 0:
        return out
    import shapely
    from rasterio.features import rasterize

    xmin, ymin, xmax, ymax = grid.bounds
    b = shapely.bounds(buildings.footprints)
    hit = np.flatnonzero((b[:, 0] <= xmax) & (b[:, 2] >= xmin) & (b[:, 1] <= ymax)
                         & (b[:, 3] >= ymin))
    if len(hit) == 0:
        return out
    roof = (buildings.base[hit].astype(np.float64) + buildings.height[hit])
    order = np.argsort(roof, kind="stable")
    shapes = zip(buildings.footprints[hit][order], roof[order].astype(np.float32), strict=True)
    rasterize(shapes, out=out, transform=grid.transform, all_touched=False)
    return out


def build_surface(terrain: Terrain, buildings: Buildings | None, grid: Grid) -> Surface:
    """Ground and building mask of an evaluation grid window."""
    return Surface(grid, terrain_on_grid(terrain, grid),
                   np.isfinite(roofs_on_grid(buildings, grid)))


def build_dsm(terrain: Terrain, buildings: Buildings | None, grid: Grid) -> DSM:
    """The DSM of a window: max(ground, sea surface) or the roof where a building stands."""
    street = np.fmax(terrain_on_grid(terrain, grid), np.float32(SEA_LEVEL_M))  # NaN -> sea
    roof = roofs_on_grid(buildings, grid)
    return DSM(grid, np.fmax(roof, street))


def los_resolution(res: float, finest: float = LOS_RES_MAX_M) -> float:
    """The DSM cell for line of sight on a `res` grid: `res`, at most `finest`.

    The DSM lattice shares the evaluation lattice's origin but need not share its cell edges:
    the viewshed reads it at world positions.
    """
    return min(float(res), float(finest))


def dsm_resolution(res: float, bounds: tuple[float, float, float, float],
                   max_cells: int = DSM_MAX_CELLS) -> float:
    """`res` doubled until a DSM over `bounds` holds at most `max_cells` cells."""
    xmin, ymin, xmax, ymax = bounds
    while (xmax - xmin) * (ymax - ymin) / res**2 > max_cells:
        res *= 2
    return res


def ray_spacing(reach_m: float, res: float) -> int:
    """Rays in the full circle of a transmitter whose reach is `reach_m` on a `res` grid."""
    return max(8, math.ceil(2 * math.pi * reach_m / (SAMPLE_CELLS * res)))


def viewshed(dsm: DSM, x: float, y: float, z: float, targets: Grid,
             target_z: np.ndarray, reach_m: float, clear_m: float = 0.0) -> np.ndarray:
    """Whether each cell of `targets` sees the point (x, y, z): bool, `targets.shape`.

    `target_z` is the absolute height of the eye in every target cell. `reach_m` fixes the ray
    lattice (rays `SAMPLE_CELLS` DSM cells apart at that distance), so it must be the same for
    every tile of one transmitter; targets farther than it are still answered, from sparser
    rays. Obstacles closer than `clear_m` to the point are ignored (the transmitter's
    own mast or facade cell). `dsm` must hold the box of the point and the targets plus
    `WINDOW_MARGIN` cells; a ray that leaves it is read at its edge, which only concerns samples
    beyond every target on that ray.

    Runs the compiled sweep (`_viewshed_kernel`, numba) when numba is there, else
    `viewshed_numpy`; both read the same samples and give the same answers.
    """
    kernel = _kernel()
    if kernel is None:
        return viewshed_numpy(dsm, x, y, z, targets, target_z, reach_m, clear_m)
    res = dsm.grid.res
    step = SAMPLE_CELLS * res
    n_full = ray_spacing(reach_m, res)
    dtheta = 2 * math.pi / n_full
    xs, ys = targets.centres()
    n = targets.rows * targets.cols
    k = np.empty(n, np.int64)
    jt = np.empty(n, np.int64)
    slope = np.empty(n, np.float64)
    tz = np.ascontiguousarray(np.broadcast_to(np.asarray(target_z, np.float64), targets.shape))
    kernel.target_rays(xs, ys, float(x), float(y), tz, float(z), dtheta, n_full, step,
                       k, jt, slope)
    rays, row = _ray_sector(targets, x, y, k, n_full, dtheta)
    j0 = max(1, math.ceil(clear_m / step - 1e-9))
    theta = rays * dtheta
    grid = dsm.grid
    seen = np.ones(n, bool)
    top = np.ascontiguousarray(dsm.top, dtype=np.float32)
    kernel.sweep(top, grid.col0, grid.row0, (x - grid.x0) / res, (grid.y0 - y) / res,
                 np.cos(theta).astype(np.float32), -np.sin(theta).astype(np.float32), j0,
                 step / res, step, float(z), row, jt, slope, seen)
    return seen.reshape(targets.shape)


def _ray_sector(targets: Grid, x: float, y: float, k: np.ndarray, n_full: int,
                dtheta: float) -> tuple[np.ndarray, np.ndarray]:
    """The rays the targets need and each target's index into them: the full circle when the
    point lies in the window, else the contiguous sector (less than half a turn) they span."""
    xmin, ymin, xmax, ymax = targets.bounds
    res = targets.res
    if xmin - res <= x <= xmax + res and ymin - res <= y <= ymax + res:
        return np.arange(n_full), k
    k_ref = round(math.atan2((ymin + ymax) / 2 - y, (xmin + xmax) / 2 - x) / dtheta)
    rel = (k - k_ref + n_full // 2) % n_full - n_full // 2
    lo = int(rel.min())
    return (k_ref + np.arange(lo, int(rel.max()) + 1)) % n_full, rel - lo


_KERNEL: list = []


def _kernel():
    """The compiled viewshed module, or None without numba (the numpy sweep is used).

    numba caches the machine code beside the module (`__pycache__`); a frozen bundle has no
    source tree to cache beside, so there the cache goes to the user cache folder.
    """
    if not _KERNEL:
        import os
        import sys

        if getattr(sys, "frozen", False):
            from hktwin.core.paths import cache_dir

            os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir() / "numba"))
        try:
            from hktwin.analysis import _viewshed_kernel as kernel
        except Exception:  # numba missing, or it cannot cache here: the numpy sweep serves
            kernel = None
        _KERNEL.append(kernel)
    return _KERNEL[0]


def viewshed_numpy(dsm: DSM, x: float, y: float, z: float, targets: Grid,
                   target_z: np.ndarray, reach_m: float, clear_m: float = 0.0) -> np.ndarray:
    """`viewshed` in numpy alone: the horizon of every (sample, ray) as one float32 array.

    The reference for the compiled sweep and the fallback where numba is not installed; about
    five times slower and (samples x rays x 4) bytes of memory.
    """
    res = dsm.grid.res
    step = SAMPLE_CELLS * res
    n_full = ray_spacing(reach_m, res)
    dtheta = 2 * math.pi / n_full
    xs, ys = targets.centres()
    dx = xs[None, :] - x
    dy = ys[:, None] - y
    dist = np.hypot(dx, dy)
    k = np.rint(np.arctan2(dy, dx) / dtheta).astype(np.int64) % n_full
    jt = np.rint(dist / step).astype(np.int64)  # the target's own sample index
    rays, row = _ray_sector(targets, x, y, k, n_full, dtheta)

    j0 = max(1, math.ceil(clear_m / step - 1e-9))
    j1 = int(jt.max())  # samples j0 .. j1-1 can stand before a target
    slope_t = (np.asarray(target_z, np.float64) - z) / np.maximum(dist, 1e-9)
    if j1 <= j0:
        return np.ones(targets.shape, bool)

    horizon = _ray_horizons(dsm, x, y, z, rays * dtheta, j0, j1, step)
    idx = jt - 1 - j0
    seen = horizon[np.clip(idx, 0, None), row]
    return np.where(idx >= 0, slope_t >= seen, True)


def _ray_horizons(dsm: DSM, x: float, y: float, z: float, theta: np.ndarray,
                  j0: int, j1: int, step: float) -> np.ndarray:
    """Running maximum of the obstacle slope along each ray: float32 (samples j0..j1-1, rays).

    Samples are the leading axis so the running maximum combines whole contiguous rows.
    """
    grid = dsm.grid
    res = grid.res
    # Offsets are taken from the transmitter's own cell, so they are the same numbers whatever
    # window the DSM is: the same rays read the same cells in every tile.
    fx = (x - grid.x0) / res
    fy = (grid.y0 - y) / res
    px, py = math.floor(fx), math.floor(fy)
    r_cells = (np.arange(j0, j1) * (step / res)).astype(np.float32)
    bias = 4096.0  # keeps the sums positive so the int cast is a floor
    cols = np.multiply.outer(r_cells, np.cos(theta).astype(np.float32))
    cols += np.float32(fx - px + bias)
    ci = cols.astype(np.int32)
    del cols
    ci += np.int32(px - int(bias) - grid.col0)
    rows = np.multiply.outer(r_cells, -np.sin(theta).astype(np.float32))
    rows += np.float32(fy - py + bias)
    ri = rows.astype(np.int32)
    del rows
    ri += np.int32(py - int(bias) - grid.row0)
    np.clip(ci, 0, grid.cols - 1, out=ci)
    np.clip(ri, 0, grid.rows - 1, out=ri)
    ri *= np.int32(grid.cols)
    ri += ci
    del ci
    h = dsm.top.ravel().take(ri)
    del ri
    h -= np.float32(z)
    h *= (1.0 / (np.arange(j0, j1) * step)).astype(np.float32)[:, None]
    # The running maximum, one sample row at a time: each step is one vectorised pass over all
    # rays, five times faster than np.maximum.accumulate along the leading axis.
    for i in range(1, len(h)):
        np.maximum(h[i - 1], h[i], out=h[i])
    return h


def surface_window_for(grid: Grid, targets: Grid, x: float, y: float) -> Grid:
    """The window of `grid`'s lattice a viewshed from (x, y) onto `targets` needs."""
    xmin, ymin, xmax, ymax = targets.bounds
    return grid.covering(min(xmin, x), min(ymin, y), max(xmax, x), max(ymax, y), WINDOW_MARGIN)


# --- Exact reference (tests) -------------------------------------------------------------------


def city_mesh(terrain: Terrain, buildings: Buildings | None, origin: tuple[float, float]):
    """The terrain and the extruded buildings as one `trimesh.Trimesh` (scene coordinates)."""
    import trimesh

    from hktwin.geo.extrude import extrude_footprints
    from hktwin.geo.mesh import MeshArrays
    from hktwin.geo.terrain_mesh import terrain_mesh

    parts = [terrain_mesh(terrain, origin=origin, drop_below=None)]
    if buildings is not None and len(buildings):
        parts.append(extrude_footprints(buildings.footprints, buildings.base, buildings.height,
                                        buildings.ids, origin=origin))
    mesh = MeshArrays.concatenate(parts)
    return trimesh.Trimesh(mesh.vertices.astype(np.float64), mesh.faces, process=False)


def exact_visible(mesh, origin: tuple[float, float], a: np.ndarray, b: np.ndarray,
                  piece_m: float = 20.0) -> np.ndarray:
    """Whether each segment a[i] -> b[i] (EPSG:2326 xyz) misses every triangle of `mesh`.

    A slow, exact reference for testing `viewshed`, never used by the engine. Candidate
    triangles come from the mesh's R-tree, queried in one batch with the boxes of `piece_m`
    long pieces of the segments (a long diagonal segment's own box would hold most of the
    city); the candidates are then intersected exactly with trimesh (plane crossing plus
    barycentric containment). A hit strictly between the end points blocks the segment.
    """
    from trimesh import intersections
    from trimesh import triangles as tri

    shift = np.array([origin[0], origin[1], 0.0])
    a = np.asarray(a, np.float64) - shift
    b = np.asarray(b, np.float64) - shift
    d = b - a
    length = np.linalg.norm(d, axis=1)
    n_pieces = np.maximum(1, np.ceil(length / piece_m).astype(np.int64))
    seg = np.repeat(np.arange(len(a)), n_pieces)
    first = np.repeat(np.cumsum(n_pieces) - n_pieces, n_pieces)
    i = np.arange(len(seg)) - first
    p0 = a[seg] + d[seg] * (i / n_pieces[seg])[:, None]
    p1 = a[seg] + d[seg] * ((i + 1) / n_pieces[seg])[:, None]
    ids, counts = mesh.triangles_tree.intersection_v(np.minimum(p0, p1), np.maximum(p0, p1))
    pair_seg = np.repeat(seg, counts.astype(np.int64))
    pairs = np.unique(np.column_stack([pair_seg, ids.astype(np.int64)]), axis=0)
    blocked = np.zeros(len(a), bool)
    if len(pairs) == 0:
        return ~blocked
    s_idx, t_idx = pairs[:, 0], pairs[:, 1]
    triangles = mesh.triangles[t_idx]
    normals, ok = tri.normals(triangles)
    triangles, s_idx = triangles[ok], s_idx[ok]
    unit = d[s_idx] / length[s_idx, None]
    loc, valid = intersections.planes_lines(triangles[:, 0], normals, a[s_idx], unit)
    triangles, s_idx = triangles[valid], s_idx[valid]
    bary = tri.points_to_barycentric(triangles, loc)
    inside = ((bary > -1e-9) & (bary < 1 + 1e-9)).all(axis=1)
    t = np.einsum("ij,ij->i", loc - a[s_idx], unit[valid])
    hit = inside & (t > 1e-6) & (t < length[s_idx] - 1e-3)
    blocked[s_idx[hit]] = True
    return ~blocked
