"""5G coverage: the tiled, vectorised engine against a straightforward per-cell implementation.

Run: .venv/bin/python benchmarks/bench_coverage.py [--runs 3] [--sample 400] [--pack DIR]

The scene: a 2 km x 2 km district of the demo city around Central at 2 m (1,000,000 cells), 10
small cells (omni and sectored lampposts, two on rooftops), line of sight from the city. The
engine (`evaluate`, default thread pool, DSM build and metrics included) is timed against the
baseline a first implementation would write: a Python loop over grid cells that, for every small
cell in reach, samples the same 1 m DSM along the segment (one sample per metre) to decide line of
sight, then takes the same TR 38.901 path loss and antenna gain, the best server, SINR and
throughput. Its setup (surface, DSM) is timed once; its loop runs on `--sample` random cells and
is scaled to the whole grid; engine and loop alternate (A B A B ...) and the figure is the ratio
of the projected baseline to the engine. The same sample checks that both
compute the same radio figures.

Then the preview: one cell moved, a 20 m grid over 1 km around it (`preview_settings`), timed
warm over `--previews` moves.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path

import numpy as np
import shapely

from _common import paired, save
from hktwin.analysis import propagation as prop
from hktwin.analysis.coverage import (
    EvaluationSettings,
    choose_scenarios,
    evaluate,
    noise_dbm,
    preview_settings,
    re_power_offset_db,
    throughput_mbps,
)
from hktwin.analysis.los import SEA_LEVEL_M, Grid, build_dsm, build_surface
from hktwin.analysis.sites import SiteSet, SmallCell
from hktwin.geo.pack import open_pack

CENTRAL = (833_900.0, 816_300.0)
HALF = 1000.0
RES = 2.0


def make_sites(city, n: int = 10, seed: int = 4) -> SiteSet:
    """`n` cells at reproducible street positions (outside footprints) in the district."""
    rng = np.random.default_rng(seed)
    tree = shapely.STRtree(city.buildings.footprints)
    cells = []
    while len(cells) < n:
        x, y = rng.uniform(-HALF * 0.8, HALF * 0.8, 2) + CENTRAL
        inside = tree.query(shapely.Point(x, y), predicate="intersects")
        ground = float(max(city.terrain.height_at(x, y), SEA_LEVEL_M))
        i = len(cells)
        if len(inside) and i < 2:  # two rooftop cells: on the roof of the building found
            roof = float(city.buildings.base[inside[0]] + city.buildings.height[inside[0]])
            cells.append(SmallCell(f"roof{i}", x, y, ground_m=roof, height_m=4.0,
                                   mounting="rooftop", azimuth_deg=float(rng.uniform(0, 360))))
        elif not len(inside) and i >= 2:
            azimuth = None if i % 3 else float(rng.uniform(0, 360))
            cells.append(SmallCell(f"post{i}", x, y, ground_m=ground, height_m=10.0,
                                   azimuth_deg=azimuth))
    return SiteSet(tuple(cells))


def baseline_setup(city, sites: SiteSet, settings: EvaluationSettings) -> dict:
    """What the baseline computes once: the street surface, the DSM, the UMi/UMa choice."""
    grid = Grid.over(settings.bounds, settings.resolution_m)
    xmin, ymin, xmax, ymax = grid.bounds
    lattice = Grid(grid.x0, grid.y0, settings.los_res, 0, 0, 1, 1)
    cells = sites.cells
    street = np.fmax(city.terrain.height_at([c.x for c in cells], [c.y for c in cells]), 0.0)
    return {
        "grid": grid,
        "surface": build_surface(city.terrain, city.buildings, grid),
        "dsm": build_dsm(city.terrain, city.buildings,
                         lattice.covering(xmin - HALF, ymin - HALF, xmax + HALF, ymax + HALF)),
        "street": street,
        "umi": choose_scenarios(cells, street, city.buildings),
    }


def per_cell_baseline(setup: dict, sites: SiteSet, settings: EvaluationSettings, rows, cols):
    """RSRP, SINR and throughput for the chosen cells, one grid cell at a time."""
    grid, surface, dsm = setup["grid"], setup["surface"], setup["dsm"]
    street, umi = setup["street"], setup["umi"]
    cells = sites.cells
    xs, ys = grid.centres()
    top, g = dsm.top, dsm.grid
    out = []
    for r, c in zip(rows, cols, strict=True):
        if surface.building[r, c] or not np.isfinite(surface.ground[r, c]):
            out.append((math.nan, math.nan, math.nan))
            continue
        x, y = xs[c], ys[r]
        ue_z = max(float(surface.ground[r, c]), 0.0) + settings.ue_height_m
        powers, rsrps, bws, bands = [], [], [], []
        for k, cell in enumerate(cells):
            d2 = math.hypot(x - cell.x, y - cell.y)
            if d2 > settings.reach(cell.band):
                continue
            z = cell.antenna_z
            d3 = math.hypot(d2, ue_z - z)
            # Line of sight: sample the DSM every metre along the segment.
            n = max(2, int(d3))
            t = np.linspace(0.0, 1.0, n + 1)[1:-1]
            t = t[t * d2 > 2.0]  # the antenna's own mounting does not block it
            px, py = cell.x + t * (x - cell.x), cell.y + t * (y - cell.y)
            pz = z + t * (ue_z - z)
            pr = np.floor((g.y0 - py) / g.res).astype(int) - g.row0
            pc = np.floor((px - g.x0) / g.res).astype(int) - g.col0
            los = not bool(np.any(top[pr, pc] > pz))
            scenario = "UMi" if umi[k] else "UMa"
            h_bs = max(z - street[k], settings.ue_height_m)
            pl = float(prop.path_loss(scenario, los, d2, cell.frequency_ghz, h_bs,
                                      settings.ue_height_m, d3))
            azimuth = math.degrees(math.atan2(x - cell.x, y - cell.y)) % 360
            zenith = math.degrees(math.atan2(d2, ue_z - z))
            gain = float(prop.antenna_gain(azimuth, zenith, cell.azimuth_deg, cell.downtilt_deg,
                                           cell.h_beamwidth_deg, cell.v_beamwidth_deg,
                                           cell.antenna_gain_dbi))
            p = cell.tx_power_dbm + gain - pl
            powers.append(10 ** (p / 10))
            rsrps.append(p - re_power_offset_db(cell))
            bws.append(cell.bandwidth_mhz)
            bands.append(cell.band)
        if not powers:
            out.append((math.nan, math.nan, 0.0))
            continue
        best = int(np.argmax(rsrps))
        interference = sum(p * bws[best] / bws[i] for i, p in enumerate(powers)
                           if i != best and bands[i] == bands[best])
        noise = 10 ** (noise_dbm(bws[best], settings.noise_figure_db) / 10)
        sinr = 10 * math.log10(powers[best] / (interference + noise))
        tput = float(throughput_mbps(sinr, bws[best], settings.nr_overhead))
        out.append((rsrps[best], sinr, tput))
    return np.array(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=400)
    parser.add_argument("--previews", type=int, default=10)
    parser.add_argument("--pack", type=Path, default=None)
    args = parser.parse_args()
    city = open_pack(args.pack)
    sites = make_sites(city)
    x, y = CENTRAL
    settings = EvaluationSettings(bounds=(x - HALF, y - HALF, x + HALF, y + HALF),
                                  resolution_m=RES)
    grid = Grid.over(settings.bounds, RES)
    rng = np.random.default_rng(1)
    rows = rng.integers(0, grid.rows, args.sample)
    cols = rng.integers(0, grid.cols, args.sample)

    result = evaluate(city, sites, settings)  # warm-up (imports, caches), and the reference
    t0 = time.perf_counter()
    setup = baseline_setup(city, sites, settings)
    setup_s = time.perf_counter() - t0
    baseline = per_cell_baseline(setup, sites, settings, rows, cols)
    engine = np.column_stack([result.rsrp_dbm[rows, cols], result.sinr_db[rows, cols],
                              result.throughput_mbps[rows, cols]])
    both = np.isfinite(baseline[:, 0]) & np.isfinite(engine[:, 0])
    close = np.abs(baseline[both, 0] - engine[both, 0]) < 0.05

    timing = paired(lambda: evaluate(city, sites, settings),
                    lambda: per_cell_baseline(setup, sites, settings, rows, cols), args.runs)
    n_cells = grid.rows * grid.cols
    scale = n_cells / args.sample
    projected = setup_s + timing["b_median_s"] * scale

    moved = []
    for i in range(args.previews + 1):
        cells = list(sites.cells)
        c = cells[2]
        cells[2] = SmallCell(c.id, c.x + 10.0 * i, c.y, ground_m=c.ground_m, height_m=c.height_m)
        t0 = time.perf_counter()
        evaluate(city, SiteSet(tuple(cells)), preview_settings(c.x + 10.0 * i, c.y),
                 scheduler="sync")
        moved.append(time.perf_counter() - t0)
    moved = moved[1:]  # the first one warms the caches

    save("coverage_vs_per_cell", {
        "district": "2 km x 2 km around Central (demo city)", "resolution_m": RES,
        "grid_cells": n_cells, "small_cells": len(sites.cells),
        "dsm_resolution_m": settings.los_res,
        "engine_median_s": round(timing["a_median_s"], 3),
        "engine_min_s": round(timing["a_min_s"], 3),
        "baseline_sample_cells": args.sample,
        "baseline_setup_s": round(setup_s, 3),
        "baseline_sample_median_s": round(timing["b_median_s"], 3),
        "baseline_ms_per_cell": round(timing["b_median_s"] / args.sample * 1e3, 3),
        "baseline_projected_s": round(projected, 1),
        "speedup": round(projected / timing["a_median_s"], 1),
        "target_engine_s": 5.0,
        "sample_rsrp_agreement": round(float(close.mean()), 4) if both.any() else None,
        "preview_median_ms": round(statistics.median(moved) * 1e3, 1),
        "preview_max_ms": round(max(moved) * 1e3, 1),
        "preview_grid": "1 km x 1 km at 20 m, DSM 5 m",
        "target_preview_ms": 200.0,
        "runs": args.runs,
    })


if __name__ == "__main__":
    main()
