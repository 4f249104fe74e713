"""Line of sight: the engine's `viewshed` against GDAL's `gdal_viewshed`, the peer tool.

Run: .venv/bin/python benchmarks/bench_viewshed_peer.py [--runs 1] [--pairs 480] [--pack DIR]

The scene (issue 13): the demo city, 2 km x 2 km around Central, one 1 m DSM (terrain, or the
roof where a building stands) written once as a GeoTIFF, 10 transmitters (the sites of
`bench_coverage.py`: eight lampposts 10 m up, two rooftop cells), reach 1.5 km. Per site:

- the peer: one `gdal_viewshed -ox X -oy Y -oz H -tz 1.5 -md 1500 -cc 0 dsm.tif out.tif`
  process, timed from its start to its exit (so its process start and its output file count,
  as they do for a user of the tool); `-cc 0` because the exact reference has a flat earth;
- the engine: one `los.viewshed` call over the 1 M cells of a 2 m grid over the same box, eyes
  1.5 m above the street, on the same DSM (in process, compiled kernel warm; the first call's
  compile or cache load is reported apart).

They alternate site by site (peer, engine, peer, ...) so machine drift hits both; the figure is
the ratio of the engine's total to the peer's (below 1.0: the engine is faster).

Agreement: `--pairs` random street targets per site within the reach (the 2 m cell and the 1 m
DSM cell GDAL reads there both outdoors) are tested exactly, segment against the triangles of
the terrain and extruded buildings (`los.exact_visible`, trimesh), and each method's answer is
compared with it. Skips, saying why, where `gdal_viewshed` is not installed (Debian: gdal-bin).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import save
from bench_coverage import CENTRAL, HALF, make_sites
from hktwin.analysis.coverage import MOUNT_CLEARANCE_M
from hktwin.analysis.los import (
    Grid,
    build_dsm,
    build_surface,
    city_mesh,
    exact_visible,
    viewshed,
)
from hktwin.geo.buildings import Buildings
from hktwin.geo.pack import open_pack
from hktwin.geo.terrain import Terrain

REACH_M = 1500.0
TARGET_RES = 2.0
DSM_RES = 1.0
EYE_M = 1.5


def write_dsm(dsm, path: Path) -> None:
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", width=dsm.grid.cols, height=dsm.grid.rows,
                       count=1, dtype="float32", crs="EPSG:2326",
                       transform=dsm.grid.transform) as dst:
        dst.write(dsm.top, 1)


def gdal_viewshed(exe: str, src: Path, out: Path, x: float, y: float, oz: float) -> float:
    """Run the peer once; seconds from process start to exit."""
    cmd = [exe, "-q", "-ox", f"{x:.3f}", "-oy", f"{y:.3f}", "-oz", f"{oz:.3f}",
           "-tz", f"{EYE_M}", "-md", f"{REACH_M:g}", "-cc", "0", "-f", "GTiff",
           str(src), str(out)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def read_visible(path: Path, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """GDAL's answer at points: its output covers only the window of its reach."""
    import rasterio

    with rasterio.open(path) as src:
        vis = src.read(1) > 0
        t = src.transform
    c = np.floor((x - t.c) / t.a).astype(np.int64)
    r = np.floor((y - t.f) / t.e).astype(np.int64)
    inside = (r >= 0) & (r < vis.shape[0]) & (c >= 0) & (c < vis.shape[1])
    return np.where(inside, vis[r.clip(0, vis.shape[0] - 1), c.clip(0, vis.shape[1] - 1)], False)


def local_city(city, box: tuple[float, float, float, float], margin: float = 100.0):
    """The terrain and buildings of the box (plus a margin), for the exact mesh."""
    t = city.terrain
    xmin, ymin, xmax, ymax = box
    c0 = int((xmin - margin - t.origin_x) // t.cell_size)
    c1 = int((xmax + margin - t.origin_x) // t.cell_size) + 1
    r0 = int((t.origin_y - ymax - margin) // t.cell_size)
    r1 = int((t.origin_y - ymin + margin) // t.cell_size) + 1
    terrain = Terrain(np.ascontiguousarray(t.heights[r0:r1, c0:c1]),
                      t.origin_x + c0 * t.cell_size, t.origin_y - r0 * t.cell_size, t.cell_size)
    b = city.buildings
    keep = np.flatnonzero((b.centroid_x > xmin - margin) & (b.centroid_x < xmax + margin)
                          & (b.centroid_y > ymin - margin) & (b.centroid_y < ymax + margin))
    local = Buildings(b.ids[keep], b.names[keep], b.kinds[keep], b.base[keep], b.height[keep],
                      b.footprints[keep], b.centroid_x[keep], b.centroid_y[keep])
    return terrain, local


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1, help="passes over the 10 sites")
    parser.add_argument("--pairs", type=int, default=480, help="exact pairs per site")
    parser.add_argument("--pack", type=Path, default=None)
    args = parser.parse_args()
    exe = shutil.which("gdal_viewshed")
    if exe is None:
        print("skipped: gdal_viewshed is not installed (Debian: apt-get install gdal-bin)")
        return 0

    city = open_pack(args.pack)
    x, y = CENTRAL
    box = (x - HALF, y - HALF, x + HALF, y + HALF)
    grid = Grid.over(box, TARGET_RES)
    surface = build_surface(city.terrain, city.buildings, grid)
    dsm = build_dsm(city.terrain, city.buildings, Grid.over(box, DSM_RES))
    eye = (surface.street + EYE_M).astype(np.float64)
    street = ~surface.building & np.isfinite(surface.ground)
    sites = make_sites(city).cells
    xs, ys = grid.centres()
    # The 1 m DSM cell holding each 2 m cell centre (what GDAL answers there), and whether it
    # is street as well (its top is the ground, not a roof).
    gr = np.floor((dsm.grid.y0 - ys) / DSM_RES).astype(np.int64).clip(0, dsm.grid.rows - 1)
    gc = np.floor((xs - dsm.grid.x0) / DSM_RES).astype(np.int64).clip(0, dsm.grid.cols - 1)
    dsm_street = np.abs(dsm.top[gr[:, None], gc[None, :]] - surface.street) < 0.5

    t0 = time.perf_counter()
    viewshed(dsm, sites[0].x, sites[0].y, sites[0].antenna_z, grid, eye, REACH_M,
             MOUNT_CLEARANCE_M)
    first_call_s = time.perf_counter() - t0

    rng = np.random.default_rng(5)
    engine_s, peer_s = [], []
    picks, a, b, engine_vis, peer_vis = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="hktwin-viewshed-") as tmp:
        src = Path(tmp) / "dsm.tif"
        write_dsm(dsm, src)
        for run in range(args.runs):
            for i, cell in enumerate(sites):
                out = Path(tmp) / f"vis{i}.tif"
                r_s = int((dsm.grid.y0 - cell.y) // DSM_RES)
                c_s = int((cell.x - dsm.grid.x0) // DSM_RES)
                oz = cell.antenna_z - float(dsm.top[r_s, c_s])
                peer_s.append(gdal_viewshed(exe, src, out, cell.x, cell.y, oz))
                t0 = time.perf_counter()
                seen = viewshed(dsm, cell.x, cell.y, cell.antenna_z, grid, eye, REACH_M,
                                MOUNT_CLEARANCE_M)
                engine_s.append(time.perf_counter() - t0)
                if run:
                    continue
                d = np.hypot(xs[None, :] - cell.x, ys[:, None] - cell.y)
                ok = np.flatnonzero((street & dsm_street & (d < REACH_M) & (d > 5.0)).ravel())
                pick = rng.choice(ok, args.pairs, replace=False)
                pr, pc = np.divmod(pick, grid.cols)
                engine_vis.append(seen[pr, pc])
                # GDAL answers per 1 m cell: ask it at the centre of the cell it read.
                peer_vis.append(read_visible(out, dsm.grid.x0 + (gc[pc] + 0.5) * DSM_RES,
                                             dsm.grid.y0 - (gr[pr] + 0.5) * DSM_RES))
                a.append(np.tile([cell.x, cell.y, cell.antenna_z], (args.pairs, 1)))
                b.append(np.column_stack([xs[pc], ys[pr], eye[pr, pc]]))
                picks.append(pick)

    terrain, buildings = local_city(city, box)
    origin = (round(x), round(y))
    t0 = time.perf_counter()
    exact = exact_visible(city_mesh(terrain, buildings, origin), origin, np.concatenate(a),
                          np.concatenate(b))
    exact_s = time.perf_counter() - t0
    engine_vis = np.concatenate(engine_vis)
    peer_vis = np.concatenate(peer_vis)
    ratio = sum(engine_s) / sum(peer_s)
    save("viewshed_vs_gdal", {
        "scene": "demo city, 2 km x 2 km around Central, 1 m DSM "
                 f"({dsm.grid.rows} x {dsm.grid.cols}), reach {REACH_M:g} m",
        "sites": len(sites), "targets_per_site": grid.rows * grid.cols,
        "peer": subprocess.run(["gdalinfo", "--version"], capture_output=True,
                               text=True).stdout.strip() or "gdal_viewshed",
        "peer_per_site_s": round(sum(peer_s) / len(peer_s), 4),
        "engine_per_site_s": round(sum(engine_s) / len(engine_s), 4),
        "engine_first_call_s": round(first_call_s, 3),
        "time_ratio_engine_over_peer": round(ratio, 3),
        "target_ratio": 1.0,
        "pairs": len(exact), "los_share_exact": round(float(exact.mean()), 4),
        "engine_agreement": round(float((engine_vis == exact).mean()), 4),
        "peer_agreement": round(float((peer_vis == exact).mean()), 4),
        "target_agreement": 0.994,
        # Most street pairs are blocked; agreement on the pairs the exact test finds visible:
        "engine_agreement_on_visible": round(float(engine_vis[exact].mean()), 4),
        "peer_agreement_on_visible": round(float(peer_vis[exact].mean()), 4),
        "exact_test_s": round(exact_s, 1),
        "runs": args.runs,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
