"""Coverage of a whole district: 10 km x 10 km at 5 m (4 M cells), 100 small cells, line of
sight from the city, in process and on a Dask LocalCluster (issue 13).

Run: .venv/bin/python benchmarks/bench_coverage_district.py [--workers 2] [--no-dask]

The district is the demo city's harbour (Central, Wan Chai, Tsim Sha Tsui, Yau Ma Tei: land,
sea and the densest buildings). 100 cells stand at reproducible street positions (every tenth a
rooftop cell), 10 m up, n78, reach 1 km. Timed: `evaluate` as `hktwin evaluate` runs it (surface,
DSM, tiles on the thread pool, metrics), then the same through `scheduler=` on a
`distributed.LocalCluster` of `--workers` single-threaded worker processes (cluster start-up not
counted; the DSM's scatter to the workers is). Both results must be the same cell by cell.
The budget is 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import shapely

from _common import save
from hktwin.analysis.coverage import EvaluationSettings, evaluate
from hktwin.analysis.los import SEA_LEVEL_M
from hktwin.analysis.sites import SiteSet, SmallCell
from hktwin.geo.pack import open_pack

CENTRE = (835_500.0, 818_500.0)
HALF = 5000.0
RES = 5.0
N_CELLS = 100


def district_sites(city, n: int = N_CELLS, seed: int = 13) -> SiteSet:
    """`n` cells on land in the district: street lampposts, every tenth on a roof."""
    rng = np.random.default_rng(seed)
    tree = shapely.STRtree(city.buildings.footprints)
    cells: list[SmallCell] = []
    while len(cells) < n:
        x, y = rng.uniform(-HALF * 0.9, HALF * 0.9, 2) + CENTRE
        ground = float(city.terrain.height_at(x, y))
        if not ground > SEA_LEVEL_M:
            continue
        inside = tree.query(shapely.Point(x, y), predicate="intersects")
        i = len(cells)
        if i % 10 == 0 and len(inside):
            roof = float(city.buildings.base[inside[0]] + city.buildings.height[inside[0]])
            cells.append(SmallCell(f"roof{i}", x, y, ground_m=roof, height_m=4.0,
                                   mounting="rooftop", azimuth_deg=float(rng.uniform(0, 360))))
        elif i % 10 and not len(inside):
            azimuth = None if i % 3 else float(rng.uniform(0, 360))
            cells.append(SmallCell(f"post{i}", x, y, ground_m=ground, height_m=10.0,
                                   azimuth_deg=azimuth))
    return SiteSet(tuple(cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    city = open_pack()
    sites = district_sites(city)
    x, y = CENTRE
    settings = EvaluationSettings(bounds=(x - HALF, y - HALF, x + HALF, y + HALF),
                                  resolution_m=RES)
    from hktwin.analysis.los import _kernel

    t0 = time.perf_counter()
    _kernel()  # numba's import and cached code: paid once per process (reported apart)
    kernel_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    local = evaluate(city, sites, settings)
    local_s = time.perf_counter() - t0
    out = {
        "district": "10 km x 10 km of the demo city's harbour", "resolution_m": RES,
        "grid_cells": local.grid.rows * local.grid.cols, "small_cells": len(sites.cells),
        "cores": os.cpu_count(), "kernel_load_s": round(kernel_s, 2),
        "threads_s": round(local_s, 1), "target_s": 60.0,
        "coverage_share": local.metrics["coverage_share"],
        "los_share": local.metrics["los_share"], "notes": local.metrics["notes"],
    }
    if not args.no_dask:
        from distributed import LocalCluster

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            t0 = time.perf_counter()
            remote = evaluate(city, sites, settings, scheduler=cluster.scheduler_address)
            out["dask_s"] = round(time.perf_counter() - t0, 1)
            out["dask_workers"] = args.workers
        same = np.array_equal(local.rsrp_dbm, remote.rsrp_dbm, equal_nan=True)
        out["dask_same_as_threads"] = bool(same)
    save("coverage_district", out)


if __name__ == "__main__":
    main()
