"""A learned coverage model (surrogate) against the physics, scored honestly on unseen districts.

What it predicts: for one small cell, the loss from the transmitted power per resource element
to each outdoor cell around it (dB, i.e. path loss minus antenna gain), from the local 3D city:
distances, heights, and what stands between the antenna and the cell (the surface model sampled
at `SAMPLES` points along the path: the largest and mean excess height over the direct line,
the share of samples above it, where along the path the first one is). Target: the physics of
`analysis.coverage.evaluate_tile` (TR 38.901 with line of sight from the 3D city) at 10 m with a
2 m surface model. Model: scikit-learn HistGradientBoosting (squared error), predicted with the
library's own predictor.

Scoring (`compare`): trained on sites in some districts, scored on sites in districts it never
saw: RMSE in dB against the fine physics, the time per site against the fine physics, and the
physics again with a coarser surface model for line of sight, picked to take no longer than the
surrogate, scored the same way. The surrogate is worth using only where it beats that coarse
physics; the model card says whether it does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

SAMPLES = 24
RES_M = 10.0
HALF_M = 400.0
FINE_LOS_M = 2.0
FEATURE_DSM_M = 5.0
COARSE_LOS_M = (5.0, 10.0, 20.0)
FEATURES = ["log_d2d", "d3d", "dz", "h_ant", "max_excess", "mean_excess", "blocked_share",
            "first_block", "last_block", "ue_ground", "umi"]


@dataclass
class SiteSample:
    x: np.ndarray  # (n, F)
    y: np.ndarray  # (n,) loss in dB
    physics_s: float
    district: str


def _box(cell, half: float = HALF_M):
    return (cell.x - half, cell.y - half, cell.x + half, cell.y + half)


def physics(city, cell, los_res: float, res: float = RES_M, half: float = HALF_M,
            repeats: int = 1):
    """(grid, loss dB on the grid (NaN where not outdoors or not heard), seconds of the tile
    computation alone (the best of `repeats`; the rasters are built before), UMi?)."""
    from hktwin.analysis import coverage as cov
    from hktwin.analysis.los import SEA_LEVEL_M, Grid, build_dsm, build_surface

    t0 = time.perf_counter()
    box = _box(cell, half)
    settings = cov.EvaluationSettings(bounds=box, resolution_m=res, los_resolution_m=los_res,
                                      tile_size_m=2 * half + res)
    grid = Grid.over(box, res)
    surface = build_surface(city.terrain, city.buildings, grid)
    pad = 8 * max(los_res, res)
    dsm = build_dsm(city.terrain, city.buildings,
                    Grid.over((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), los_res))
    h = city.terrain.height_at([cell.x], [cell.y])
    street = np.where(np.isfinite(h), np.fmax(h, SEA_LEVEL_M), [cell.ground_m])
    umi = cov.choose_scenarios((cell,), street, city.buildings, "auto")
    arrays = cov.site_arrays((cell,), street, umi, settings)
    task = cov.TileTask(0, grid, surface.ground, surface.building, dsm, None, arrays,
                        settings.ue_height_m, settings.noise_figure_db, settings.nr_overhead,
                        settings.interference_load, False)
    best = np.inf
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        r = cov.evaluate_tile(task)
        best = min(best, time.perf_counter() - t0)
    loss = (cell.tx_power_dbm - float(arrays.re_offset_db[0])) - r.rsrp_dbm.astype(np.float64)
    land = np.isfinite(surface.ground) & ~surface.building & (surface.ground > SEA_LEVEL_M)
    return grid, np.where(land, loss, np.nan), best, bool(umi[0])


def rasters(city, grid):
    """The outdoor surface of `grid` and the feature surface model around it (built once and
    shared, as the physics' rasters are)."""
    from hktwin.analysis.los import Grid, build_dsm, build_surface

    b = grid.bounds
    return (build_surface(city.terrain, city.buildings, grid),
            build_dsm(city.terrain, city.buildings,
                      Grid.over((b[0] - 20, b[1] - 20, b[2] + 20, b[3] + 20), FEATURE_DSM_M)))


def features(city, cell, grid, umi: bool, prepared=None) -> tuple[np.ndarray, np.ndarray]:
    """(X (cells, F), flat indices of the cells they describe): outdoor land cells of `grid`."""
    from hktwin.analysis.los import SEA_LEVEL_M

    surface, dsm = prepared or rasters(city, grid)
    land = np.isfinite(surface.ground) & ~surface.building & (surface.ground > SEA_LEVEL_M)
    idx = np.flatnonzero(land.ravel())
    xs, ys = grid.centres()
    rows, cols = np.divmod(idx, grid.cols)
    cx, cy = xs[cols], ys[rows]
    ground = surface.ground.ravel()[idx].astype(np.float64)
    ue_z = ground + 1.5
    h = city.terrain.height_at([cell.x], [cell.y])
    street = float(np.fmax(h[0], SEA_LEVEL_M)) if np.isfinite(h[0]) else cell.ground_m
    z = cell.antenna_z
    d2 = np.hypot(cx - cell.x, cy - cell.y)
    d3 = np.sqrt(d2 * d2 + (z - ue_z) ** 2)
    t = (np.arange(SAMPLES) + 0.5) / SAMPLES
    px = cell.x + np.outer(cx - cell.x, t)
    py = cell.y + np.outer(cy - cell.y, t)
    g = dsm.grid
    c = np.clip(((px - g.x0) / g.res).astype(np.int64) - g.col0, 0, g.cols - 1)
    r = np.clip(((g.y0 - py) / g.res).astype(np.int64) - g.row0, 0, g.rows - 1)
    top = dsm.top[r, c].astype(np.float64)
    line = z + np.outer(ue_z - z, t)
    excess = top - line
    blocked = excess > 0
    any_b = blocked.any(axis=1)
    first = np.where(any_b, np.argmax(blocked, axis=1) / SAMPLES, 1.0)
    last = np.where(any_b, 1 - np.argmax(blocked[:, ::-1], axis=1) / SAMPLES, 0.0)
    x = np.column_stack([np.log10(np.maximum(d2, 1.0)), d3, z - ue_z,
                         np.full(idx.size, z - street), excess.max(axis=1),
                         np.maximum(excess, 0).mean(axis=1), blocked.mean(axis=1), first, last,
                         ground, np.full(idx.size, float(umi))]).astype(np.float32)
    return x, idx


def sample_sites(city, district: str, n: int, seed: int) -> list:
    """n lamppost cells (8 m) at random outdoor land points of a district."""
    import shapely

    from hktwin.ai.suggest import resolve_area
    from hktwin.analysis.sites import SmallCell

    area = resolve_area(city, district)
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = area.bounds
    out = []
    tree = shapely.STRtree(city.buildings.footprints) if city.buildings is not None else None
    while len(out) < n:
        x, y = rng.uniform(xmin, xmax, 64), rng.uniform(ymin, ymax, 64)
        ok = shapely.contains_xy(area, x, y)
        g = city.terrain.height_at(x, y)
        ok &= np.isfinite(g) & (g > 1.0)
        if tree is not None:
            inside, _ = tree.query(shapely.points(x, y), predicate="within")
            ok[inside] = False
        for xi, yi, gi in zip(x[ok], y[ok], g[ok], strict=True):
            if len(out) < n:
                out.append(SmallCell(id=f"T{len(out):03d}", x=float(xi), y=float(yi),
                                     ground_m=float(gi), height_m=8.0))
    return out


def dataset(city, districts: dict[str, int], seed: int = 0) -> list[SiteSample]:
    """Physics and features of n random sites per district."""
    samples = []
    for k, (name, n) in enumerate(districts.items()):
        for cell in sample_sites(city, name, n, seed + k):
            grid, loss, secs, umi = physics(city, cell, FINE_LOS_M)
            x, idx = features(city, cell, grid, umi)
            y = loss.ravel()[idx]
            ok = np.isfinite(y)
            samples.append(SiteSample(x[ok], y[ok], secs, name))
    return samples


def fit(samples: list[SiteSample], seed: int = 0):
    from sklearn.ensemble import HistGradientBoostingRegressor

    from hktwin.ai.traffic import _limits

    x = np.concatenate([s.x for s in samples])
    y = np.concatenate([s.y for s in samples])
    with _limits():
        return HistGradientBoostingRegressor(max_iter=200, learning_rate=0.1,
                                             max_leaf_nodes=63, random_state=seed).fit(x, y)


def compare(city, model, test_sites: list, districts: list[str]) -> dict:
    """RMSE (dB) against fine physics and seconds per site: surrogate and coarse physics."""
    from hktwin.ai.traffic import _limits

    rows = {"surrogate": [], **{f"physics_los_{r:g}m": [] for r in COARSE_LOS_M}}
    times = {k: [] for k in rows}
    fine_t = []
    for cell in test_sites:
        grid, fine, secs, umi = physics(city, cell, FINE_LOS_M, repeats=3)
        fine_t.append(secs)
        prepared = rasters(city, grid)
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            x, idx = features(city, cell, grid, umi, prepared)
            with _limits():
                pred = model.predict(x)
            best = min(best, time.perf_counter() - t0)
        times["surrogate"].append(best)
        truth = fine.ravel()[idx]
        ok = np.isfinite(truth)
        rows["surrogate"].append(pred[ok] - truth[ok])
        for r in COARSE_LOS_M:
            _, coarse, s2, _ = physics(city, cell, r, repeats=3)
            times[f"physics_los_{r:g}m"].append(s2)
            c = coarse.ravel()[idx][ok]
            good = np.isfinite(c)
            err = np.where(good, c - truth[ok], np.nan)
            rows[f"physics_los_{r:g}m"].append(err[good])
    out = {"test_districts": districts, "test_sites": len(test_sites),
           "fine_physics_s_per_site": round(float(np.mean(fine_t)), 4), "models": {}}
    for k, errs in rows.items():
        e = np.concatenate(errs)
        t = float(np.mean(times[k]))
        out["models"][k] = {"rmse_db": round(float(np.sqrt(np.mean(e * e))), 2),
                            "mae_db": round(float(np.mean(np.abs(e))), 2),
                            "s_per_site": round(t, 4),
                            "speedup": round(float(np.mean(fine_t)) / t, 1)}
    s = out["models"]["surrogate"]
    fair = [v for k, v in out["models"].items()
            if k != "surrogate" and v["s_per_site"] <= s["s_per_site"] * 1.05]
    out["coarse_physics_same_budget"] = min(fair, key=lambda v: v["rmse_db"]) if fair else None
    out["surrogate_beats_coarse_physics"] = bool(
        fair and s["rmse_db"] < min(v["rmse_db"] for v in fair))
    return out


def card(result: dict, train: dict[str, int], n_rows: int) -> str:
    s = result["models"]["surrogate"]
    lines = ["# Model card: coverage surrogate (path loss around a small cell)", "",
             "Generated by benchmarks/bench_ai_surrogate.py; every figure is from that run.", "",
             "## Data", "",
             f"Physics (`analysis.coverage.evaluate_tile`: TR 38.901, line of sight from the "
             f"demo city's approximate 3D model on a {FINE_LOS_M:g} m surface model) for 8 m "
             f"n78 lamppost cells at random outdoor points, {RES_M:g} m grid, {2 * HALF_M:g} m "
             f"square around each site. Training districts: "
             + ", ".join(f"{k} ({v} sites)" for k, v in train.items())
             + f"; {n_rows:,} cells. Test districts (never seen): "
             + ", ".join(result["test_districts"]) + f" ({result['test_sites']} sites).", "",
             "## Features", "", ", ".join(f"`{f}`" for f in FEATURES)
             + f" (the surface model sampled at {SAMPLES} points along each path, "
               f"{FEATURE_DSM_M:g} m cells).", "",
             "## Scores on the held-out districts (against the fine physics)", "",
             "| model | RMSE (dB) | MAE (dB) | s per site | speed-up |", "|---|---|---|---|---|"]
    for k, v in result["models"].items():
        lines.append(f"| {k} | {v['rmse_db']} | {v['mae_db']} | {v['s_per_site']} | "
                     f"{v['speedup']}x |")
    beats = result["surrogate_beats_coarse_physics"]
    lines += ["", f"Fine physics: {result['fine_physics_s_per_site']} s per site. Targets: RMSE "
                  f"under 6 dB (surrogate: {s['rmse_db']} dB), speed-up over 20x "
                  f"(surrogate: {s['speedup']}x).", "",
              "## Verdict", "",
              ("The surrogate beats physics with a coarser surface model at the same time "
               "budget on the held-out districts." if beats else
               "**The surrogate does not beat the physics run with a coarser surface model at "
               "the same time budget**, so the app keeps the coarse physics for previews and "
               "candidate screening; final numbers always come from the physics."), "",
              "## Known limits", "",
              "- Trained and scored on the approximate demo city only; one band (n78), one "
              "antenna height (8 m), omnidirectional antennas.",
              "- Timings are per site, the best of three, of the computation alone (the rasters "
              "both need are built before, as the app would share them), on the shared 2-core "
              "build machine.", ""]
    return "\n".join(lines)

