"""Suggested sites: choose k small cells that maximise population-weighted outdoor coverage.

How (and why):
- Objective: the weight of the outdoor land cells of the area covered (best RSRP at or above the
  evaluation threshold) by at least one chosen site. A cell weighs the people living there when
  the pack has a population layer (census polygons with `t_pop`, spread over their outdoor
  cells), else its area (m2): outdoor area covered. Covered = the maximum RSRP over the sites
  reaches the threshold, so a set's coverage is the union of its sites' coverages and the
  objective is monotone submodular: greedy selection is within 1 - 1/e of the optimum.
- Each candidate's coverage is computed by the coverage evaluation itself
  (`analysis.coverage.evaluate_tile`, TR 38.901 path loss, line of sight from the 3D city) tile
  by tile, one task per (tile, candidate in reach), on the same runner as an evaluation
  (threads in this process, or a Dask cluster with `scheduler`). The screening grid is coarser
  than an evaluation's (20 m, line of sight on a 5 m surface model by default); the numbers are
  physics at that resolution.
- Greedy with lazy evaluation of marginal gains (a heap of upper bounds: a gain can only shrink
  as sites are added, so a candidate whose recomputed gain still tops the heap is the best).
- Baselines on the same coverage sets: random placement (mean of 20 draws of k candidates) and
  k-means centres of the weighted outdoor cells (each centre snapped to its nearest unused
  candidate); `exhaustive` gives the optimum on small instances.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from hktwin.core.errors import DataError
from hktwin.core.progress import Progress, no_progress, sub_progress

CANDIDATE_KINDS = ("rooftops", "lampposts", "grid")
KIND_NAMES = {"rooftops": "rooftop", "lampposts": "lamppost", "grid": "grid point"}
SCREEN_RES_M = 20.0
SCREEN_LOS_RES_M = 5.0
SCREEN_TILE_M = 1000.0
ROOFTOP_MAST_M = 3.0  # antenna above the roof
LAMPPOST_M = 8.0
GRID_MAST_M = 10.0
LAMPPOST_SPACING_M = 50.0
RANDOM_DRAWS = 20


@dataclass
class CoverageSets:
    """Per candidate, the flat indices of the screening grid's cells it covers."""

    grid: object  # analysis.los.Grid
    weights: np.ndarray  # (cells,) weight of each cell (0 outside the area / indoors / sea)
    sets: list[np.ndarray]
    unit: str  # "people" or "m2"

    def value(self, chosen) -> float:
        if len(chosen) == 0:
            return 0.0
        cells = np.unique(np.concatenate([self.sets[j] for j in chosen]))
        return float(self.weights[cells].sum())


@dataclass
class Suggestion:
    cells: list  # SmallCell, in the order chosen
    gains: list[float]
    total: float
    possible: float  # weight of the whole area (everything coverable or not)
    unit: str
    baselines: dict
    n_candidates: int
    seconds: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"sites": [{"id": c.id, "x": round(c.x, 1), "y": round(c.y, 1),
                           "mounting": c.mounting, "height_m": c.height_m,
                           "gain": round(g, 1)} for c, g in zip(self.cells, self.gains,
                                                                strict=True)],
                "total": round(self.total, 1), "possible": round(self.possible, 1),
                "share": round(self.total / self.possible, 4) if self.possible else None,
                "unit": self.unit, "baselines": self.baselines,
                "candidates": self.n_candidates, "seconds": self.seconds,
                "settings": self.settings}


# --- area and candidates -------------------------------------------------------------------------

def resolve_area(city, text: str):
    """A district of the pack (English or Chinese name, or code) or a WKT polygon (EPSG:2326)."""
    import shapely

    text = text.strip()
    if text.upper().startswith(("POLYGON", "MULTIPOLYGON")):
        try:
            geom = shapely.from_wkt(text)
        except shapely.errors.GEOSException as exc:
            raise DataError(None, f"the WKT does not parse ({exc})",
                            "give e.g. POLYGON((x y, ...)) in EPSG:2326 metres",
                            field="area") from None
        if geom.is_empty or geom.area <= 0:
            raise DataError(None, "the WKT polygon has no area", field="area")
        return geom
    table = city.vectors.get("districts")
    if table is None:
        raise DataError(city.path, "the pack has no districts layer",
                        "give the area as a WKT polygon", field="area")
    keys = [c for c in ("name_en", "name_zh", "code", "name") if c in table]
    for i in range(len(table)):
        if any(str(table[c][i]).strip().lower() == text.lower() for c in keys):
            return table.geometry[i]
    names = ", ".join(str(v) for v in table[keys[0]]) if keys else ""
    raise DataError(None, f"no district called '{text}'", f"use one of: {names}, or a WKT "
                                                         "polygon", field="area")


def candidates(city, area, kind: str = "rooftops", max_n: int = 400, band: str = "n78",
               spacing_m: float = LAMPPOST_SPACING_M) -> list:
    """Candidate small cells in `area`: on roofs, on lampposts along the roads, or on a grid."""
    import shapely

    from hktwin.analysis.sites import SmallCell

    if kind not in CANDIDATE_KINDS:
        raise DataError(None, f"unknown candidate kind '{kind}'",
                        f"use one of {', '.join(CANDIDATE_KINDS)}", field="candidates")
    shapely.prepare(area)
    if kind == "rooftops":
        b = city.buildings
        if b is None or len(b) == 0:
            raise DataError(city.path, "the pack has no buildings for rooftop candidates",
                            "use --candidates grid", field="candidates")
        inside = shapely.contains_xy(area, b.centroid_x, b.centroid_y)
        idx = np.flatnonzero(inside)
        x, y = b.centroid_x[idx], b.centroid_y[idx]
        ground = (b.base[idx] + b.height[idx]).astype(float)
        rank = -b.height[idx].astype(float)  # the tallest roof of each spread cell
        mast, mounting = ROOFTOP_MAST_M, "rooftop"
    elif kind == "lampposts":
        lines = [g for name, t in city.vectors.items() if city.vector_kinds.get(name) == "roads"
                 for g in t.geometry]
        if not lines:
            raise DataError(city.path, "the pack has no roads for lamppost candidates",
                            "use --candidates grid", field="candidates")
        roads = shapely.intersection(np.array(lines, dtype=object), area)
        pts = []
        for g in roads:
            if g.is_empty:
                continue
            n = int(g.length // spacing_m) + 1
            pts.append(shapely.get_coordinates(shapely.line_interpolate_point(
                g, np.arange(n) * spacing_m)))
        xy = np.concatenate(pts) if pts else np.zeros((0, 2))
        x, y = xy[:, 0], xy[:, 1]
        ground = city.terrain.height_at(x, y)
        rank = np.zeros(x.size)
        mast, mounting = LAMPPOST_M, "lamppost"
    else:
        xmin, ymin, xmax, ymax = area.bounds
        step = max(10.0, float(np.sqrt(area.area / max(1, 2 * max_n))))
        gx, gy = np.meshgrid(np.arange(xmin + step / 2, xmax, step),
                             np.arange(ymin + step / 2, ymax, step))
        x, y = gx.ravel(), gy.ravel()
        keep = shapely.contains_xy(area, x, y)
        if city.buildings is not None and len(city.buildings):  # not inside a building
            tree = shapely.STRtree(city.buildings.footprints)
            inside, _ = tree.query(shapely.points(x, y), predicate="within")
            keep[inside] = False
        x, y = x[keep], y[keep]
        ground = city.terrain.height_at(x, y)
        rank = np.zeros(x.size)
        mast, mounting = GRID_MAST_M, "ground"
    ok = np.isfinite(ground) & (ground > 0.0)  # on land
    x, y, ground, rank = x[ok], y[ok], ground[ok], rank[ok]
    if x.size == 0:
        raise DataError(None, f"no {kind} candidates in the area", "choose another area or "
                                                                   "candidate kind",
                        field="candidates")
    pick = _spread(x, y, rank, max_n, area.area)
    return [SmallCell(id=f"S{i + 1:03d}", x=float(x[j]), y=float(y[j]),
                      ground_m=round(float(ground[j]), 2), height_m=mast, mounting=mounting,
                      band=band, name=f"candidate ({KIND_NAMES[kind]})")
            for i, j in enumerate(pick)]


def _spread(x: np.ndarray, y: np.ndarray, rank: np.ndarray, max_n: int, area_m2: float
            ) -> np.ndarray:
    """At most `max_n` indices spread over the area: farthest-point sampling, each distance
    weighted up to 1.5x for better-ranked points (lower `rank`: taller roofs)."""
    if x.size <= max_n:
        return np.arange(x.size)
    spread = rank.max() - rank.min()
    bonus = 1.0 + 0.5 * ((rank.max() - rank) / spread if spread > 0 else 0.0)
    first = int(np.argmin(rank))
    chosen = [first]
    dist = np.hypot(x - x[first], y - y[first])
    for _ in range(max_n - 1):
        j = int(np.argmax(dist * bonus))
        if dist[j] <= 0:
            break
        chosen.append(j)
        np.minimum(dist, np.hypot(x - x[j], y - y[j]), out=dist)
    return np.sort(np.array(chosen))


# --- coverage of every candidate ---------------------------------------------------------------

def coverage_sets(city, cells: list, area, *, resolution_m: float = SCREEN_RES_M,
                  los_resolution_m: float = SCREEN_LOS_RES_M, scheduler: str | None = None,
                  progress: Progress | None = None, threshold_dbm: float | None = None
                  ) -> CoverageSets:
    """Each candidate's covered cells, from the coverage evaluation's own tile function."""
    from rasterio.features import rasterize

    from hktwin.analysis import coverage as cov
    from hktwin.analysis.los import (
        SEA_LEVEL_M,
        Grid,
        build_dsm,
        build_surface,
        dsm_resolution,
    )

    progress = progress or no_progress
    xmin, ymin, xmax, ymax = area.bounds
    settings = cov.EvaluationSettings(
        bounds=(xmin, ymin, xmax, ymax), resolution_m=resolution_m,
        los_resolution_m=los_resolution_m, tile_size_m=SCREEN_TILE_M,
        **({} if threshold_dbm is None else {"rsrp_threshold_dbm": threshold_dbm}))
    grid = Grid.over(settings.bounds, settings.resolution_m)
    cells = tuple(cells)
    cov.validate_cells(cells)
    terrain, buildings = city.terrain, city.buildings
    progress(0.0, "surface model")
    surface = build_surface(terrain, buildings, grid)
    in_area = rasterize([(area, 1)], out_shape=grid.shape, transform=grid.transform,
                        fill=0, dtype="uint8").astype(bool)
    land = np.isfinite(surface.ground) & ~surface.building & (surface.ground > SEA_LEVEL_M)
    land &= in_area
    weights, unit = _weights(city, grid, land)
    h = terrain.height_at([c.x for c in cells], [c.y for c in cells])
    street = np.where(np.isfinite(h), np.fmax(h, SEA_LEVEL_M), [c.ground_m for c in cells])
    umi = cov.choose_scenarios(cells, street, buildings, settings.scenario)
    arrays = cov.site_arrays(cells, street, umi, settings)
    reach = float(arrays.reach_m.max())
    box = (max(xmin - reach, float(arrays.x.min()) - 50), max(ymin - reach,
                                                              float(arrays.y.min()) - 50),
           min(xmax + reach, float(arrays.x.max()) + 50), min(ymax + reach,
                                                              float(arrays.y.max()) + 50))
    pad = 8 * max(settings.los_res, resolution_m)  # the viewshed's window margin and more
    box = (min(box[0], xmin) - pad, min(box[1], ymin) - pad, max(box[2], xmax) + pad,
           max(box[3], ymax) + pad)
    res = dsm_resolution(settings.los_res, box)
    progress(0.05, "surface model for line of sight")
    dsm = build_dsm(terrain, buildings, Grid.over(box, res))
    tiles = cov.plan_tiles(grid, settings.tile_size_m)
    pairs = []  # (tile, candidate) in reach
    for i, t in enumerate(tiles):
        tx0, ty0, tx1, ty1 = t.bounds
        dx = np.maximum(np.maximum(tx0 - arrays.x, arrays.x - tx1), 0.0)
        dy = np.maximum(np.maximum(ty0 - arrays.y, arrays.y - ty1), 0.0)
        tile_land = land[t.row0 - grid.row0:t.row0 - grid.row0 + t.rows,
                         t.col0 - grid.col0:t.col0 - grid.col0 + t.cols]
        if tile_land.any():
            pairs += [(i, int(j)) for j in np.flatnonzero(np.hypot(dx, dy) <= arrays.reach_m)]
    local = [surface.window(t) for t in tiles]

    def task(n: int):
        i, j = pairs[n]
        return cov.TileTask(n, tiles[i], local[i].ground, local[i].building, dsm, None,
                            arrays.take(np.array([j])), settings.ue_height_m,
                            settings.noise_figure_db, settings.nr_overhead,
                            settings.interference_load, False)

    run = cov._runner(scheduler)  # the evaluation's runner: threads, sync or Dask
    step = sub_progress(progress, 0.1, 1.0)
    results = run(task, len(pairs),
                  lambda f, _m: step(f, f"coverage of {len(cells)} candidates"), None, dsm)
    found: list[list[np.ndarray]] = [[] for _ in cells]
    thr = settings.rsrp_threshold_dbm
    for r in results:
        i, j = pairs[r.number]
        t = tiles[i]
        with np.errstate(invalid="ignore"):
            hit = r.rsrp_dbm >= thr
        rows, cols = np.nonzero(hit)
        flat = (rows + t.row0 - grid.row0) * grid.cols + (cols + t.col0 - grid.col0)
        found[j].append(flat[land.ravel()[flat]])
    sets = [np.unique(np.concatenate(f)) if f else np.zeros(0, np.int64) for f in found]
    return CoverageSets(grid, weights.ravel(), sets, unit)


def _weights(city, grid, land: np.ndarray) -> tuple[np.ndarray, str]:
    """People per outdoor land cell (census polygons' t_pop spread evenly), else cell area."""
    table = city.vectors.get("population")
    if table is None or "t_pop" not in table or len(table) == 0:
        return np.where(land, grid.res * grid.res, 0.0), "m2"
    from rasterio.features import rasterize

    ids = np.zeros(grid.shape, np.int32)
    rasterize(zip(table.geometry, np.arange(1, len(table) + 1, dtype=np.int32), strict=True),
              out=ids, transform=grid.transform)
    n = len(table) + 1
    per_poly = np.bincount(ids[land], minlength=n).astype(float)
    pop = np.r_[0.0, np.nan_to_num(np.asarray(table["t_pop"], float))]
    people = np.divide(pop, per_poly, out=np.zeros(n), where=per_poly > 0)
    return np.where(land, people[ids], 0.0), "people"


# --- selection ---------------------------------------------------------------------------------

def greedy(sets: CoverageSets, k: int, allowed: np.ndarray | None = None
           ) -> tuple[list[int], list[float]]:
    """k candidates by lazy greedy; returns them and the marginal gain of each."""
    covered = np.zeros(sets.weights.size, dtype=bool)
    w = sets.weights
    pool = range(len(sets.sets)) if allowed is None else allowed
    heap = [(-float(w[sets.sets[j]].sum()), j) for j in pool]
    heapq.heapify(heap)
    chosen, gains = [], []
    while heap and len(chosen) < k:
        _, j = heapq.heappop(heap)
        s = sets.sets[j]
        gain = float(w[s[~covered[s]]].sum())
        if not heap or gain >= -heap[0][0]:
            chosen.append(j)
            gains.append(gain)
            covered[s] = True
        else:
            heapq.heappush(heap, (-gain, j))
    return chosen, gains


def exhaustive(sets: CoverageSets, k: int) -> tuple[tuple[int, ...], float]:
    """The optimum by trying every k-subset (small instances only)."""
    best, value = (), -1.0
    for combo in itertools.combinations(range(len(sets.sets)), k):
        v = sets.value(combo)
        if v > value:
            best, value = combo, v
    return best, value


def random_baseline(sets: CoverageSets, k: int, draws: int = RANDOM_DRAWS, seed: int = 0
                    ) -> dict:
    rng = np.random.default_rng(seed)
    n = len(sets.sets)
    values = [sets.value(rng.choice(n, min(k, n), replace=False)) for _ in range(draws)]
    return {"mean": round(float(np.mean(values)), 1), "min": round(float(np.min(values)), 1),
            "max": round(float(np.max(values)), 1), "draws": draws}


def kmeans_baseline(sets: CoverageSets, cells: list, k: int, seed: int = 0) -> dict:
    """k-means centres of the weighted outdoor cells, each snapped to its nearest candidate."""
    from sklearn.cluster import KMeans

    from hktwin.ai.traffic import _limits

    w = sets.weights
    idx = np.flatnonzero(w > 0)
    if idx.size < k:
        return {"value": None, "note": "fewer weighted cells than k"}
    xs, ys = sets.grid.centres()
    rows, cols = np.divmod(idx, sets.grid.cols)
    pts = np.column_stack([xs[cols], ys[rows]])
    with _limits():
        km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(pts, sample_weight=w[idx])
    cx = np.array([c.x for c in cells])
    cy = np.array([c.y for c in cells])
    used: list[int] = []
    for x, y in km.cluster_centers_:
        d = np.hypot(cx - x, cy - y)
        d[used] = np.inf
        used.append(int(np.argmin(d)))
    return {"value": round(sets.value(used), 1), "sites": [cells[j].id for j in used]}


def suggest(city, area, k: int, *, kind: str = "rooftops", band: str = "n78",
            max_candidates: int = 400, resolution_m: float = SCREEN_RES_M,
            scheduler: str | None = None, progress: Progress | None = None) -> Suggestion:
    """Candidates, their coverage, the greedy choice and both baselines."""
    from dataclasses import replace

    progress = progress or no_progress
    if k < 1:
        raise DataError(None, f"--k {k} must be at least 1", field="k")
    t0 = time.perf_counter()
    cands = candidates(city, area, kind, max_candidates, band)
    t1 = time.perf_counter()
    sets = coverage_sets(city, cands, area, resolution_m=resolution_m, scheduler=scheduler,
                         progress=sub_progress(progress, 0.0, 0.9))
    t2 = time.perf_counter()
    chosen, gains = greedy(sets, min(k, len(cands)))
    t3 = time.perf_counter()
    progress(0.92, "baselines")
    baselines = {"random": random_baseline(sets, k), "kmeans": kmeans_baseline(sets, cands, k)}
    progress(1.0, "done")
    picked = [replace(cands[j], id=f"AI{n + 1:02d}", name=f"suggested #{n + 1}")
              for n, j in enumerate(chosen)]
    return Suggestion(picked, gains, float(sum(gains)), float(sets.weights.sum()), sets.unit,
                      baselines, len(cands),
                      {"candidates": round(t1 - t0, 2), "coverage": round(t2 - t1, 2),
                       "greedy": round(t3 - t2, 3), "total": round(time.perf_counter() - t0, 2)},
                      {"resolution_m": resolution_m, "los_resolution_m": SCREEN_LOS_RES_M,
                       "kind": kind, "band": band})
