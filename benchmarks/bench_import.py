"""Importing a territory: 342,000 Lands Department style footprints, and a 14,000 x 10,000 DTM.

Run: .venv/bin/python benchmarks/bench_import.py [--buildings 342000] [--runs 3] [--skip-dtm]

Figures (written to results/import_territory.json):
- cold: `import_files` (DTM + footprints -> validated pack) followed by the first `load_city`
  (building meshes into an empty cache), in a fresh child process that also reports its peak
  memory (VmHWM). Targets: under 60 s on 2 cores, under 4 GB.
- warm: opening the imported pack with the meshes cached, against reading the same footprints
  file with pyogrio alone (`pyogrio.raw.read`), alternately in this process. Target: under 2 s.
- DTM: a 14,000 x 10,000 float32 GeoTIFF (LandsD-like: nodata -9999 offshore) converted to a
  Cloud-Optimised GeoTIFF in a child process: time and peak memory of the conversion alone (read
  in bands, so the peak stays far below the grid's 560 MB) and of the whole import, whose
  validation opens the pack and so reads the full grid, as every open of the pack does. Then the
  streaming ESRI ASCII reader's throughput on a 4,000 x 3,000 grid written like LandsD's.

The synthetic footprints are rectangles and L-shapes, rotated at random, 6-60 m across, with
TopHeight = BaseHeight + a lognormal height clipped to 5-300 m, spread over the land of a 40 km
square around Hong Kong Island (EPSG:2326), in a GeoPackage as LandsD distributes them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import paired, save

WEST, SOUTH, SIZE = 815_000.0, 800_000.0, 40_000.0  # metres, EPSG:2326
DTM_CELL = 10.0  # the pack's terrain for the buildings run: 4000 x 4000 cells


def ground(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Smooth hills rising from a sea at -10 m: land where the hills poke through."""
    u, v = (x - WEST) / SIZE, (y - SOUTH) / SIZE
    h = (420 * np.sin(3.1 * u + 0.4) * np.cos(2.3 * v - 0.2) + 160 * np.sin(9.0 * u * v + 1.0)
         + 120)
    return np.where(h > 0, h, -10.0).astype(np.float32)


def write_dtm(path: Path, cols: int, rows: int, cell: float, nodata_sea: bool) -> None:
    """A LandsD-like DTM GeoTIFF written in bands of rows (never whole in memory)."""
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    with rasterio.open(path, "w", driver="GTiff", width=cols, height=rows, count=1,
                       dtype="float32", crs="EPSG:2326", nodata=-9999.0, tiled=True,
                       blockxsize=512, blockysize=512, compress="deflate", predictor=3,
                       bigtiff="IF_SAFER",
                       transform=Affine(cell, 0, WEST, 0, -cell, SOUTH + rows * cell)) as dst:
        xs = WEST + (np.arange(cols) + 0.5) * cell
        for r0 in range(0, rows, 512):
            r1 = min(r0 + 512, rows)
            ys = SOUTH + rows * cell - (np.arange(r0, r1) + 0.5) * cell
            gx, gy = np.meshgrid(xs, ys)
            h = ground(gx, gy)
            if nodata_sea:
                h[h < 0] = -9999.0
            dst.write(h, 1, window=Window(0, r0, cols, r1 - r0))


def footprints(n: int, seed: int = 342):
    """`n` rotated rectangles and L-shapes on land, with LandsD fields (vectorised)."""
    import shapely

    rng = np.random.default_rng(seed)
    x = rng.uniform(WEST + 500, WEST + SIZE - 500, n * 3)
    y = rng.uniform(SOUTH + 500, SOUTH + SIZE - 500, n * 3)
    base = ground(x, y)
    land = np.flatnonzero(base > 2.0)[:n]
    x, y, base = x[land], y[land], base[land]
    w = rng.uniform(6, 60, n)
    d = w * rng.uniform(0.4, 1.0, n)
    is_l = rng.random(n) < 0.35
    # Unit outlines (closed rings): a rectangle padded to 7 points, and an L.
    rect = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0], [0, 0], [0, 0]], float)
    ell = np.array([[0, 0], [1, 0], [1, 0.45], [0.45, 0.45], [0.45, 1], [0, 1], [0, 0]], float)
    unit = np.where(is_l[:, None, None], ell, rect)
    pts = (unit - 0.5) * np.stack([w, d], axis=1)[:, None, :]
    angle = rng.uniform(0, np.pi, n)
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    px = pts[..., 0] * c - pts[..., 1] * s + x[:, None]
    py = pts[..., 0] * s + pts[..., 1] * c + y[:, None]
    coords = np.stack([px, py], axis=2)
    rings = np.empty(n, dtype=object)
    rings[is_l] = list(shapely.polygons(coords[is_l]))
    rings[~is_l] = list(shapely.polygons(coords[~is_l, :5]))
    height = np.clip(rng.lognormal(np.log(22.0), 0.8, n), 5, 300)
    fields = {
        "BuildingID": np.arange(1_000_001, 1_000_001 + n),
        "BaseHeight": np.round(base, 2), "TopHeight": np.round(base + height, 2),
        "BuildingBlockType": rng.choice(["Residential", "Commercial", "Industrial",
                                         "Government", "Village House"], n),
    }
    return rings, fields


def write_footprints(path: Path, n: int) -> None:
    import geopandas as gpd

    rings, fields = footprints(n)
    gpd.GeoDataFrame(fields, geometry=rings, crs="EPSG:2326").to_file(path, engine="pyogrio")


#: Peak resident memory of the child itself: VmHWM, not ru_maxrss, which a child inherits from
#: the (large) parent it was forked from.
PEAK = """
def peak_mb():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) / 1024
"""

CHILD_IMPORT = PEAK + """
import json, sys, time
from pathlib import Path
from hktwin.geo.pack_writer import import_files
from hktwin.model.loading import load_city
dtm, gpkg, pack, cache = map(Path, sys.argv[1:5])
t0 = time.perf_counter()
report = import_files([dtm, gpkg], pack)
t1 = time.perf_counter()
loaded = load_city(pack, cache=cache)
t2 = time.perf_counter()
assert not loaded.meshes_from_cache
print(json.dumps({"import_s": t1 - t0, "mesh_s": t2 - t1, "total_s": t2 - t0,
                  "buildings": len(loaded.city.buildings),
                  "peak_rss_mb": peak_mb()}))
"""

CHILD_DTM = PEAK + """
import json, sys, time
from pathlib import Path
from hktwin.geo.pack_writer import import_files
t0 = time.perf_counter()
report = import_files([Path(sys.argv[1])], Path(sys.argv[2]), crs="EPSG:2326")
layer = report.layers[0]
print(json.dumps({"seconds": time.perf_counter() - t0, "size": layer.size,
                  "peak_rss_mb": peak_mb()}))
"""

#: The conversion alone (windowed read -> staging -> overviews -> COG), without the pack's
#: validation, which reads the whole grid as every open of the pack does.
CHILD_CONVERT = PEAK + """
import json, sys, time
from pathlib import Path
from hktwin.geo.importers.common import ImportOptions
from hktwin.geo.importers.detect import detect
from hktwin.geo.importers.terrain import import_rasters
src, out = Path(sys.argv[1]), Path(sys.argv[2])
out.parent.mkdir(parents=True, exist_ok=True)
t0 = time.perf_counter()
layer = import_rasters([detect(src)], out, "terrain", "terrain", ImportOptions(crs="EPSG:2326"))
print(json.dumps({"seconds": time.perf_counter() - t0, "size": layer.size,
                  "peak_rss_mb": peak_mb()}))
"""


def child(code: str, *args: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                            text=True, timeout=1800)
    if result.returncode != 0:
        raise SystemExit(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buildings", type=int, default=342_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-dtm", action="store_true")
    parser.add_argument("--dtm-cols", type=int, default=14_000)
    parser.add_argument("--dtm-rows", type=int, default=10_000)
    parser.add_argument("--asc-cols", type=int, default=4_000)
    parser.add_argument("--asc-rows", type=int, default=3_000, help="0 to skip")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hktwin-bench-import-"))
    try:
        result = buildings_run(work, args)
        if not args.skip_dtm:
            result["dtm"] = dtm_run(work, args)
        save("import_territory", result)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def buildings_run(work: Path, args) -> dict:
    import pyogrio

    from hktwin.model.loading import load_city

    t = time.perf_counter()
    dtm = work / "dtm-10m.tif"
    write_dtm(dtm, int(SIZE / DTM_CELL), int(SIZE / DTM_CELL), DTM_CELL, nodata_sea=False)
    gpkg = work / "Building_Footprint.gpkg"
    write_footprints(gpkg, args.buildings)
    print(f"inputs written in {time.perf_counter() - t:.1f} s "
          f"({gpkg.stat().st_size / 1e6:.0f} MB GeoPackage)", file=sys.stderr)

    colds = []
    for i in range(args.runs):
        pack, cache = work / f"pack-{i}", work / f"cache-{i}"
        colds.append(child(CHILD_IMPORT, dtm, gpkg, pack, cache))
        print(f"cold run {i + 1}: {colds[-1]}", file=sys.stderr)
        if i:
            shutil.rmtree(pack)
            shutil.rmtree(cache)
    pack, cache = work / "pack-0", work / "cache-0"

    def warm() -> None:
        assert load_city(pack, cache=cache).meshes_from_cache

    def bare_read() -> None:
        pyogrio.raw.read(gpkg)

    warm_vs_read = paired(warm, bare_read, args.runs)
    t = time.perf_counter()
    pyogrio.raw.read(gpkg)
    read_s = time.perf_counter() - t
    totals = sorted(c["total_s"] for c in colds)
    return {
        "buildings": colds[0]["buildings"], "gpkg_mb": round(gpkg.stat().st_size / 1e6, 1),
        "cold_import_s": [round(c["import_s"], 2) for c in colds],
        "cold_mesh_s": [round(c["mesh_s"], 2) for c in colds],
        "cold_total_median_s": round(totals[len(totals) // 2], 2),
        "cold_peak_rss_mb": round(max(c["peak_rss_mb"] for c in colds)),
        "cold_over_bare_read": round(totals[len(totals) // 2] / read_s, 1),
        "warm_open_median_s": round(warm_vs_read["a_median_s"], 3),
        "bare_pyogrio_read_median_s": round(warm_vs_read["b_median_s"], 3),
        "warm_over_bare_read": round(warm_vs_read["ratio_median"], 2),
        "targets": {"cold_total_s": 60, "warm_open_s": 2, "peak_rss_mb": 4096},
    }


def dtm_run(work: Path, args) -> dict:
    t = time.perf_counter()
    big = work / "dtm-5m-big.tif"
    write_dtm(big, args.dtm_cols, args.dtm_rows, 5.0, nodata_sea=True)  # 70 x 50 km at 5 m
    print(f"DTM written in {time.perf_counter() - t:.1f} s "
          f"({big.stat().st_size / 1e6:.0f} MB)", file=sys.stderr)
    convert = child(CHILD_CONVERT, big, work / "convert" / "terrain.tif")
    full = child(CHILD_DTM, big, work / "dtm-pack")
    out = {"cells": args.dtm_cols * args.dtm_rows, "geotiff_mb": round(big.stat().st_size / 1e6),
           "cog_mb": round((work / "dtm-pack" / "terrain.tif").stat().st_size / 1e6, 1),
           "convert_s": round(convert["seconds"], 2),
           "convert_peak_rss_mb": round(convert["peak_rss_mb"]),
           "import_with_validation_s": round(full["seconds"], 2),
           "import_with_validation_peak_rss_mb": round(full["peak_rss_mb"])}
    big.unlink()
    shutil.rmtree(work / "dtm-pack")
    if args.asc_rows:
        out["ascii_grid"] = ascii_run(work, args.asc_cols, args.asc_rows)
    print(f"DTM import: {out}", file=sys.stderr)
    return out


def ascii_run(work: Path, cols: int, rows: int) -> dict:
    """The streaming ESRI ASCII reader's throughput, on a grid written like LandsD's."""
    asc = work / "grid.asc"
    xs = WEST + (np.arange(cols) + 0.5) * 5.0
    with asc.open("w") as f:
        f.write(f"ncols {cols}\nnrows {rows}\nxllcorner {WEST}\nyllcorner {SOUTH}\n"
                "cellsize 5\nNODATA_value -9999\n")
        for r0 in range(0, rows, 500):
            ys = SOUTH + rows * 5.0 - (np.arange(r0, min(r0 + 500, rows)) + 0.5) * 5.0
            gx, gy = np.meshgrid(xs, ys)
            h = ground(gx, gy)
            h[h < 0] = -9999.0
            np.savetxt(f, h, fmt="%.1f")
    mb = asc.stat().st_size / 1e6
    convert = child(CHILD_CONVERT, asc, work / "asc" / "terrain.tif")
    return {"cells": cols * rows, "mb": round(mb), "convert_s": round(convert["seconds"], 2),
            "mb_per_s": round(mb / convert["seconds"], 1),
            "convert_peak_rss_mb": round(convert["peak_rss_mb"])}


if __name__ == "__main__":
    main()
