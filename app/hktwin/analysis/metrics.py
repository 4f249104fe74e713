"""What a coverage result means for planners: area and people covered, holes, cell density,
the share each cell serves, and whether each AR anchor can be enjoyed where people stand.

The area metrics count outdoor land cells (`CoverageResult.land`): people do not stand inside
buildings or on the sea. Population covered is a proxy: the people of a census unit times the
share of its outdoor land that is covered (they live indoors; the street outside their door is
what this model evaluates).

Latency model (`latency_ms`): a round trip to an edge server is the band's air-interface round
trip (scheduling request, grant, TDD slot alignment: 8 ms in n78 at 30 kHz subcarriers, 3 ms in
FR2 at 120 kHz), plus the transport to the edge (`EDGE_RTT_MS`), plus HARQ retransmissions: the
block error rate is the 10% link-adaptation target while SINR >= 0 dB and rises linearly to 100%
at -10 dB, and each of up to three retransmissions costs one HARQ round trip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hktwin.analysis.los import Grid, build_dsm, viewshed
from hktwin.analysis.sites import ARAnchor

if TYPE_CHECKING:
    from hktwin.analysis.coverage import CoverageResult
    from hktwin.geo.city import CityModel
    from hktwin.geo.vector import VectorTable

#: Air-interface round trip (ms) by band, and one HARQ round trip (ms).
AIR_RTT_MS: dict[str, float] = {"n78": 8.0, "n257": 3.0, "n258": 3.0}
HARQ_RTT_MS: dict[str, float] = {"n78": 2.5, "n257": 1.0, "n258": 1.0}
#: Transport and edge-server round trip (ms).
EDGE_RTT_MS = 5.0
#: Target block error rate of link adaptation, and the HARQ retransmissions allowed.
BLER_TARGET = 0.1
MAX_RETRANSMISSIONS = 3
#: An anchor's requirements are met when this share of its viewing positions meets both.
ANCHOR_SHARE_REQUIRED = 0.95
#: How many worst spots to list, and the lattice (m) at which large holes are cut into spots.
WORST_SPOTS = 5
SPOT_BLOCK_M = 250.0


@dataclass(frozen=True, eq=False)
class PopulationRaster:
    """People per km2 on a north-up grid (e.g. a census-derived density GeoTIFF)."""

    density_per_km2: np.ndarray
    transform: object  # affine.Affine

    @staticmethod
    def read(path) -> PopulationRaster:
        import rasterio

        with rasterio.open(path) as src:
            data = src.read(1, masked=True).astype(np.float64)
            return PopulationRaster(np.ma.filled(data, 0.0), src.transform)


def latency_ms(sinr_db: np.ndarray, band: np.ndarray) -> np.ndarray:
    """Round-trip latency (ms) to the edge at an SINR on a band (names); inf without SINR."""
    sinr = np.asarray(sinr_db, np.float64)
    names, which = np.unique(np.asarray(band, dtype=str), return_inverse=True)
    air = np.array([AIR_RTT_MS.get(b, np.inf) for b in names])[which].reshape(sinr.shape)
    harq = np.array([HARQ_RTT_MS.get(b, np.inf) for b in names])[which].reshape(sinr.shape)
    with np.errstate(invalid="ignore"):
        bler = np.clip(BLER_TARGET + (1 - BLER_TARGET) * (-sinr / 10.0), BLER_TARGET, 1.0)
    retx = sum(bler**k for k in range(1, MAX_RETRANSMISSIONS + 1))
    out = air + EDGE_RTT_MS + harq * retx
    return np.where(np.isfinite(sinr), out, np.inf)


def compute_metrics(result: CoverageResult, city: CityModel | None = None,
                    population: VectorTable | PopulationRaster | None = None) -> dict:
    """The metrics of a coverage result as a JSON-ready dict.

    Also sets `result.roads`: the city's road geometries meeting the area (None without), which
    the report's basemap draws."""
    s = result.settings
    cell_km2 = result.resolution_m**2 / 1e6
    land = result.land
    n_land = int(land.sum())
    covered = result.covered
    rsrp = result.rsrp_dbm[land]
    heard = np.isfinite(rsrp)
    tput = result.throughput_mbps[land]
    xmin, ymin, xmax, ymax = result.bounds
    area_km2 = (xmax - xmin) * (ymax - ymin) / 1e6
    inside = [c for c in result.cells if xmin <= c.x <= xmax and ymin <= c.y <= ymax]
    notes: list[str] = []
    out: dict = {
        "grid": {"bounds": list(result.bounds), "resolution_m": result.resolution_m,
                 "rows": result.grid.rows, "cols": result.grid.cols, "crs": "EPSG:2326"},
        "settings": s.to_dict(),
        "cells": len(result.cells),
        "evaluated_area_km2": round(area_km2, 4),
        "outdoor_area_km2": round(n_land * cell_km2, 4),
        "covered_area_km2": round(int(covered.sum()) * cell_km2, 4),
        "coverage_share": _share(int(covered.sum()), n_land),
        "rsrp_threshold_dbm": s.rsrp_threshold_dbm,
        "no_signal_share": _share(int((~heard).sum()), n_land),
        "median_rsrp_dbm": _pct(rsrp[heard], 50),
        "p5_rsrp_dbm": _pct(rsrp[heard], 5),
        "median_sinr_db": _pct(result.sinr_db[land][heard], 50),
        "median_throughput_mbps": _pct(tput, 50),
        "p5_throughput_mbps": _pct(tput, 5),
        "los_share": _share(int((result.los_count[land] > 0).sum()), n_land),
        "cells_per_km2": round(len(inside) / area_km2, 3) if area_km2 else None,
        "elapsed_s": round(result.elapsed_s, 3),
    }
    out["population"] = population_covered(result, population)
    if out["population"]["covered"] is None:
        notes.append(out["population"]["note"])
    roads = None if city is None else city.vectors.get("roads")
    out["worst_spots"] = worst_spots(result, roads=roads)
    # The report's basemap draws the roads; the result keeps the few that meet its area.
    result.roads = road_lines(city, result.bounds)
    out["beyond_reach_km2"] = round(int((land & ~np.isfinite(result.rsrp_dbm)).sum())
                                    * cell_km2, 4)
    out["los_source"] = _los_source(result, city)
    if out["los_source"] == "terrain only":
        notes.append("line of sight is from the terrain only: the pack has no buildings, so "
                     "no street is shadowed by one")
    out["per_cell"] = per_cell(result)
    out["anchors"] = [] if city is None else [anchor_metrics(result, city, a)
                                               for a in result.anchors]
    if city is None and result.anchors:
        notes.append("AR anchors not evaluated: no city surface was given")
    out["notes"] = notes
    return out


def _los_source(result: CoverageResult, city: CityModel | None) -> str:
    """What decided line of sight: the 3D city, the terrain alone, or the LoS probability."""
    if result.settings.los_mode == "statistical":
        return "statistical (TR 38.901 LoS probability)"
    if city is not None and (city.buildings is None or len(city.buildings) == 0):
        return "terrain only"
    return "terrain and buildings"


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 5) if whole else None


def _pct(values: np.ndarray, q: float) -> float | None:
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    return round(float(np.percentile(values, q)), 3) if len(values) else None


# --- Population ---------------------------------------------------------------------------------


def population_covered(result: CoverageResult,
                       population: VectorTable | PopulationRaster | None) -> dict:
    """People in the area and how many live where the street is covered."""
    if population is None:
        return {"covered": None, "total": None, "share": None,
                "note": "population not evaluated: the pack has no 'population' layer"}
    if isinstance(population, PopulationRaster):
        return _population_from_raster(result, population)
    if "t_pop" not in population:
        return {"covered": None, "total": None, "share": None,
                "note": "population not evaluated: the population layer has no 't_pop' column"}
    return _population_from_polygons(result, population)


def _population_from_polygons(result: CoverageResult, table: VectorTable) -> dict:
    import shapely
    from rasterio.features import rasterize

    grid = result.grid
    box = shapely.box(*grid.bounds)
    geoms = table.geometry
    area = shapely.area(geoms)
    inside = np.where(area > 0, shapely.area(shapely.intersection(geoms, box)) /
                      np.where(area > 0, area, 1.0), 0.0)
    pop = np.nan_to_num(np.asarray(table["t_pop"], np.float64)) * inside
    ids = np.zeros(grid.shape, np.int32)
    hit = np.flatnonzero(inside > 0)
    if len(hit):
        rasterize(zip(geoms[hit], (hit + 1).astype(np.int32), strict=True), out=ids,
                  transform=grid.transform)
    n = len(geoms) + 1
    land = np.bincount(ids[result.land], minlength=n)[1:]
    cov = np.bincount(ids[result.covered], minlength=n)[1:]
    share = np.divide(cov, land, out=np.zeros(len(land)), where=land > 0)
    total = float(pop.sum())
    covered = float((pop * share).sum())
    return {"covered": round(covered), "total": round(total),
            "share": round(covered / total, 5) if total else None,
            "source": "census polygons (t_pop)"}


def _population_from_raster(result: CoverageResult, raster: PopulationRaster) -> dict:
    grid = result.grid
    xs, ys = grid.centres()
    t = raster.transform
    if t.b != 0 or t.d != 0:
        raise ValueError("the population raster must be north-up (no rotation)")
    cols = np.floor((xs - t.c) / t.a).astype(np.int64)
    rows = np.floor((ys - t.f) / t.e).astype(np.int64)
    h, w = raster.density_per_km2.shape
    ok = (rows[:, None] >= 0) & (rows[:, None] < h) & (cols[None, :] >= 0) & (cols[None, :] < w)
    dens = raster.density_per_km2[np.clip(rows, 0, h - 1)[:, None], np.clip(cols, 0, w - 1)]
    people = np.where(ok, np.nan_to_num(dens), 0.0) * (grid.res**2 / 1e6)
    total = float(people.sum())
    land_people = float(people[result.land].sum())
    share = float(people[result.covered].sum()) / land_people if land_people else 0.0
    return {"covered": round(total * share), "total": round(total),
            "share": round(share, 5) if total else None,
            "source": "population density raster (people/km2)"}


# --- Holes and cells --------------------------------------------------------------------------


def worst_spots(result: CoverageResult, n: int = WORST_SPOTS,
                roads: VectorTable | None = None) -> list[dict]:
    """The largest holes in the plan's reach, largest first.

    A hole is a connected cluster (8-neighbour, `scipy.ndimage.label`) of outdoor land where a
    cell is in reach but the best RSRP is below the threshold, cut where it crosses the
    `SPOT_BLOCK_M` lattice so that no spot is a district-sized blob (each piece is connected on
    its own). Land beyond every cell's reach is not a spot: it is the plan's edge, summarised as
    `beyond_reach_km2`. When every cell in reach is covered, the pockets of its weakest 1%.

    Each spot: `x`, `y` (HK1980) and `lon`, `lat` (WGS84) of the spot's cell nearest its
    centroid (so the point lies in the spot), its area, lowest and mean RSRP, and the nearest
    named road of the pack with the distance to it.
    """
    land = result.land
    rsrp = result.rsrp_dbm
    heard = land & np.isfinite(rsrp)
    bad = heard & ~result.covered
    if not bad.any():
        if not heard.any():
            return []
        bad = heard & (rsrp <= np.percentile(rsrp[heard], 1))
    grid = result.grid
    labels, count = _block_labels(bad, max(1, round(SPOT_BLOCK_M / grid.res)))
    if count == 0:
        return []
    counts = np.bincount(labels.ravel(), minlength=count + 1)
    counts[0] = 0
    order = np.lexsort((np.arange(count + 1), -counts))
    order = order[counts[order] > 0][:n]
    xs, ys = grid.centres()
    picks, low, mean = [], [], []
    for k in order:  # at most `n` spots: one pass over the labels each
        r, c = np.nonzero(labels == k)
        values = rsrp[r, c]
        low.append(float(values.min()))
        mean.append(float(values.mean()))
        i = int(np.argmin((r - r.mean()) ** 2 + (c - c.mean()) ** 2))
        picks.append((float(xs[c[i]]), float(ys[r[i]])))
    from hktwin.geo.crs import to_wgs84

    px = np.array([p[0] for p in picks])
    py = np.array([p[1] for p in picks])
    lon, lat = to_wgs84(px, py)
    street = nearest_roads(roads, px, py)
    out = []
    for i, k in enumerate(order):
        out.append({
            "x": round(px[i], 1), "y": round(py[i], 1),
            "lon": round(float(lon[i]), 6), "lat": round(float(lat[i]), 6),
            "area_m2": round(float(counts[k]) * grid.res**2, 1),
            "min_rsrp_dbm": round(low[i], 2),
            "mean_rsrp_dbm": round(mean[i], 2),
            "street": street[i][0], "street_distance_m": street[i][1],
        })
    return out


def _block_labels(mask: np.ndarray, block: int) -> tuple[np.ndarray, int]:
    """Connected components (8-neighbour) of `mask` that never cross a `block`-cell lattice.

    The grid is viewed as (block rows, block cols, block, block) and labelled with a structure
    that connects only within the last two axes: one `ndimage.label` call for every block.
    """
    from scipy import ndimage

    rows, cols = mask.shape
    br, bc = -(-rows // block), -(-cols // block)
    padded = np.zeros((br * block, bc * block), bool)
    padded[:rows, :cols] = mask
    blocks = padded.reshape(br, block, bc, block).transpose(0, 2, 1, 3)
    structure = np.zeros((3, 3, 3, 3), bool)
    structure[1, 1] = True
    labels, count = ndimage.label(blocks, structure=structure)
    back = labels.transpose(0, 2, 1, 3).reshape(br * block, bc * block)[:rows, :cols]
    return np.ascontiguousarray(back), int(count)


def road_lines(city: CityModel | None, bounds: tuple[float, float, float, float]):
    """The pack's road geometries that meet `bounds` (for maps), or None without roads."""
    roads = None if city is None else city.vectors.get("roads")
    if roads is None or len(roads) == 0:
        return None
    import shapely

    hit = shapely.intersects(roads.geometry, shapely.box(*bounds))
    return roads.geometry[hit] if hit.any() else None


def nearest_roads(roads: VectorTable | None, x: np.ndarray,
                  y: np.ndarray) -> list[tuple[str | None, float | None]]:
    """(name, distance m) of the nearest road to each point: its name, else its route or kind."""
    if roads is None or len(roads) == 0 or len(x) == 0:
        return [(None, None)] * len(x)
    import shapely

    tree = shapely.STRtree(roads.geometry)
    (_, which), dist = tree.query_nearest(shapely.points(x, y), return_distance=True,
                                          all_matches=False)
    names = []
    for column in ("name", "name_en", "route", "kind"):
        if column in roads:
            names.append(np.asarray(roads[column], object))
    out = []
    for i, d in zip(which, dist, strict=True):
        label = next((str(c[i]) for c in names if c[i] not in (None, "") and c[i] == c[i]),
                     "unnamed road")
        out.append((label, round(float(d), 1)))
    return out


def per_cell(result: CoverageResult) -> list[dict]:
    """Per small cell: scenario chosen, area it serves best, median RSRP and throughput there."""
    land = result.land
    best = np.where(land, result.best_server, -1).ravel()
    counts = np.bincount(best + 1, minlength=len(result.cells) + 1)[1:]
    area = counts * result.resolution_m**2
    rsrp = result.rsrp_dbm.ravel()
    tput = result.throughput_mbps.ravel()
    order = np.argsort(best, kind="stable")
    starts = np.searchsorted(best[order], np.arange(len(result.cells)))
    ends = np.searchsorted(best[order], np.arange(len(result.cells)), side="right")
    out = []
    for i, cell in enumerate(result.cells):
        rows = order[starts[i]:ends[i]]
        out.append({
            "id": cell.id, "name": cell.name, "band": cell.band,
            "scenario": result.scenarios[i],
            "served_area_km2": round(float(area[i]) / 1e6, 5),
            "median_rsrp_dbm": _pct(rsrp[rows], 50),
            "median_throughput_mbps": _pct(tput[rows], 50),
        })
    return out


# --- AR anchors -----------------------------------------------------------------------------


def anchor_metrics(result: CoverageResult, city: CityModel, anchor: ARAnchor) -> dict:
    """Whether an anchor is seen from the street around it and can be served there.

    Viewing positions: outdoor land cells of the result within `view_radius_m` whose eye
    (ground + UE height) sees the content centre (viewshed over the city's surface; the content's
    own extent, `content_size_m / 2`, is not an obstacle).
    """
    grid = result.grid
    s = result.settings
    base = {"id": anchor.id, "name": anchor.name, "required_dl_mbps": anchor.required_dl_mbps,
            "required_latency_ms": anchor.required_latency_ms}
    r = anchor.view_radius_m
    targets = _clip(grid.covering(anchor.x - r, anchor.y - r, anchor.x + r, anchor.y + r), grid)
    if targets is None:
        return {**base, "visible_share": None, "viewing_area_m2": 0.0, "meets": False,
                "note": "outside the evaluated area"}
    rows = slice(targets.row0 - grid.row0, targets.row0 - grid.row0 + targets.rows)
    cols = slice(targets.col0 - grid.col0, targets.col0 - grid.col0 + targets.cols)
    xs, ys = targets.centres()
    near = np.hypot(xs[None, :] - anchor.x, ys[:, None] - anchor.y) <= r
    street = result.land[rows, cols] & near
    if not street.any():
        return {**base, "visible_share": None, "viewing_area_m2": 0.0, "meets": False,
                "note": "no outdoor land within the view radius"}
    los_res = s.los_res
    los_grid = Grid(grid.x0, grid.y0, los_res, 0, 0, 1, 1).covering(*targets.bounds, margin=2)
    dsm = build_dsm(city.terrain, city.buildings, los_grid)
    eye = np.fmax(result.ground[rows, cols], 0.0).astype(np.float64) + s.ue_height_m
    z = anchor.ground_m + anchor.height_m
    seen = viewshed(dsm, anchor.x, anchor.y, z, targets, eye, reach_m=max(r, 10.0),
                    clear_m=max(anchor.content_size_m / 2, los_res)) & street
    n_view = int(seen.sum())
    out = {**base, "visible_share": round(n_view / int(street.sum()), 4),
           "viewing_area_m2": round(n_view * grid.res**2, 1)}
    if n_view == 0:
        return {**out, "meets": False, "note": "not visible from the street around it"}
    tput = result.throughput_mbps[rows, cols][seen]
    best = result.best_server[rows, cols][seen]
    bands = np.array([c.band for c in result.cells] + [""])[best]  # -1 (no server) -> ""
    lat = latency_ms(result.sinr_db[rows, cols][seen], bands)
    ok_t = tput >= anchor.required_dl_mbps
    ok_l = lat <= anchor.required_latency_ms
    both = float((ok_t & ok_l).mean())
    return {**out,
            "throughput_ok_share": round(float(ok_t.mean()), 4),
            "latency_ok_share": round(float(ok_l.mean()), 4),
            "requirements_ok_share": round(both, 4),
            "p5_throughput_mbps": round(float(np.percentile(tput, 5)), 2),
            "p95_latency_ms": _finite_or_none(np.percentile(lat, 95)),
            "meets": both >= ANCHOR_SHARE_REQUIRED}


def _finite_or_none(value: float) -> float | None:
    return round(float(value), 2) if math.isfinite(value) else None


def _clip(window: Grid, grid: Grid) -> Grid | None:
    r0, c0 = max(window.row0, grid.row0), max(window.col0, grid.col0)
    r1 = min(window.row0 + window.rows, grid.row0 + grid.rows)
    c1 = min(window.col0 + window.cols, grid.col0 + grid.cols)
    if r1 <= r0 or c1 <= c0:
        return None
    return grid.window(r0, c0, r1 - r0, c1 - c0)
