"""Level of detail at the scale of the whole territory: a synthetic Hong Kong-sized pack (342,000
buildings, a 14,000 x 10,000 5 m DTM with overviews) opened cold and warm, then drawn from a
territory view and at street level against a bare vispy Mesh holding the same triangles.

Run: .venv/bin/python benchmarks/bench_lod.py [--pack DIR] [--regenerate] [--runs 8]
The pack is generated once under /tmp (about a minute; never in the repository). Each stage runs
in a fresh child process, so open times and memory peaks are those of an app that just started:
  cold open (empty cache: read, pyramid, mesh 342k buildings and their boxes, write the cache)
  warm open (the mesh cache filled)
  render (warm open, then EGL offscreen 1280x800 frames from the whole territory, a pedestrian's
  eye and a planner's oblique view; the peak memory of an app holding the full territory).
Target: frame ratio city / bare <= 1.2 at every view.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

GENERATOR = 1  # bump when the synthetic territory changes, so an old one is rebuilt
DEFAULT_PACK = Path(tempfile.gettempdir()) / "hktwin-territory"
X0, Y0, CELL = 800_000.0, 800_000.0, 5.0  # south-west corner (EPSG:2326) and cell size
ROWS, COLS, N_BUILDINGS = 10_000, 14_000, 342_000
STRIP = 512


# -- the synthetic territory -----------------------------------------------------------------
def upsample(a: np.ndarray, shape: tuple[int, int], out: np.ndarray | None = None,
             scale: float = 1.0) -> np.ndarray:
    """Bilinear resize of `a` to `shape`, strip by strip; added (times `scale`) to `out`."""
    rows, cols = shape
    rin, cin = a.shape

    def axis(n_out: int, n_in: int):
        u = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        i0 = np.clip(np.floor(u).astype(np.int64), 0, n_in - 2)
        return i0, np.clip(u - i0, 0.0, 1.0).astype(np.float32)

    r0, tr = axis(rows, rin)
    c0, tc = axis(cols, cin)
    if out is None:
        out = np.zeros(shape, np.float32)
    a = a.astype(np.float32)
    for s in range(0, rows, STRIP):
        rr, t = r0[s : s + STRIP], tr[s : s + STRIP, None]
        line = a[rr] * (1 - t) + a[rr + 1] * t
        out[s : s + STRIP] += scale * (line[:, c0] * (1 - tc) + line[:, c0 + 1] * tc)
    return out


def fractal(shape: tuple[int, int], rng: np.random.Generator, octaves: int = 6,
            base: tuple[int, int] = (3, 4), persistence: float = 0.55) -> np.ndarray:
    """Value noise: random grids of doubling frequency, upsampled and summed; about -1..1."""
    f = np.zeros(shape, np.float32)
    for o in range(octaves):
        g = rng.standard_normal((base[0] * 2**o + 2, base[1] * 2**o + 2))
        upsample(g, shape, f, persistence**o)
    return f / np.abs(f).max()


def territory_heights(rng: np.random.Generator) -> np.ndarray:
    """Islands and a mainland to the north with ridges up to ~950 m and coastal plains; sea at
    -10 to -30 m. Built at 100 m, resized to 5 m with 20 m roughness added."""
    macro = (ROWS // 20, COLS // 20)
    rows = np.linspace(1.0, -1.0, macro[0])[:, None]  # north = +1
    land = fractal(macro, rng, 7, (4, 6), 0.6) + 0.3 * rows - 0.08  # ~45 % land
    ridge = 1.0 - np.abs(fractal(macro, rng, 6, (6, 8)))
    up = np.clip(land, 0.0, None)
    elevation = 1400.0 * up**1.3 * (0.3 + 0.7 * ridge**2) + 2.0
    coarse = np.where(land > 0, elevation, -10.0 - 40.0 * np.clip(-land, 0, 0.5))
    heights = upsample(coarse.astype(np.float32), (ROWS, COLS))
    rough = rng.standard_normal((ROWS // 4, COLS // 4)).astype(np.float32)
    slope_scale = np.clip(upsample(up.astype(np.float32), (ROWS // 4, COLS // 4)) * 12, 0, 3)
    upsample(rough * slope_scale, (ROWS, COLS), heights)
    return heights


def territory_buildings(heights: np.ndarray, rng: np.random.Generator, n: int = N_BUILDINGS):
    """Towns on low, gentle land: a few dense cores with towers and many villages of houses."""
    import shapely

    top = Y0 + ROWS * CELL
    coarse = heights[::40, ::40]  # 200 m
    ok = (coarse > 3) & (coarse < 60)
    cand_r, cand_c = np.nonzero(ok)
    n_towns = 90
    pick = rng.choice(len(cand_r), n_towns, replace=False)
    cx = X0 + (cand_c[pick] + 0.5) * 200.0
    cy = top - (cand_r[pick] + 0.5) * 200.0
    weight = rng.pareto(1.1, n_towns) + 0.2
    share = np.maximum((weight / weight.sum() * n * 1.6).astype(int), 200)
    sigma = 250.0 + 1100.0 * np.sqrt(weight / weight.max())
    angle = rng.uniform(0, np.pi / 2, n_towns)
    town = np.repeat(np.arange(n_towns), share)
    x = cx[town] + rng.normal(0, 1, len(town)) * sigma[town]
    y = cy[town] + rng.normal(0, 1, len(town)) * sigma[town] * 0.7
    col = ((x - X0) / CELL).astype(np.int64)
    row = ((top - y) / CELL).astype(np.int64)
    inside = (col >= 0) & (col < COLS) & (row >= 0) & (row < ROWS)
    z = np.full(len(x), -99.0, np.float32)
    z[inside] = heights[row[inside], col[inside]]
    keep = np.flatnonzero((z > 1.5) & (z < 150))
    keep = rng.permutation(keep)[:n]
    if len(keep) < n:
        raise RuntimeError(f"only {len(keep)} building sites found; change the seed")
    x, y, z, town = x[keep], y[keep], z[keep], town[keep]
    radius = np.hypot(x - cx[town], y - cy[town]) / sigma[town]
    core = (radius < 0.6) & (weight[town] > np.median(weight))
    draw = rng.random(n)
    kind = np.where(core, np.where(draw < 0.45, "commercial", np.where(draw < 0.95, "residential",
                                                                        "public")),
                    np.where(draw < 0.45, "village", np.where(draw < 0.8, "residential",
                                                              np.where(draw < 0.93, "industrial",
                                                                       "public"))))
    half_range = {"commercial": (12, 30), "residential": (9, 22), "village": (4, 6.5),
                  "industrial": (15, 40), "public": (10, 25)}
    median_h = {"commercial": 70, "residential": 45, "village": 8, "industrial": 18, "public": 20}
    hx, hy, height = np.empty(n), np.empty(n), np.empty(n)
    for k, (lo, hi) in half_range.items():
        m = kind == k
        hx[m] = rng.uniform(lo, hi, m.sum())
        hy[m] = hx[m] * rng.uniform(0.5, 1.0, m.sum())
        height[m] = median_h[k] * rng.lognormal(0.0, 0.45 if k != "village" else 0.15, m.sum())
    height = np.clip(height, 4.0, 420.0)
    theta = angle[town] + rng.normal(0, 0.05, n)
    # Rectangles, and one in four an L (a quarter cut out), rotated to the town's street grid.
    unit_rect = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64)
    unit_l = np.array([[-1, -1], [1, -1], [1, 0], [0, 0], [0, 1], [-1, 1]], np.float64)
    shapes = np.empty(n, dtype=object)
    l_shaped = rng.random(n) < 0.25
    for unit, sel in ((unit_rect, ~l_shaped), (unit_l, l_shaped)):
        u = unit[None] * np.stack([hx[sel], hy[sel]], axis=1)[:, None]
        c, s = np.cos(theta[sel])[:, None], np.sin(theta[sel])[:, None]
        xy = np.stack([u[..., 0] * c - u[..., 1] * s + x[sel, None],
                       u[..., 0] * s + u[..., 1] * c + y[sel, None]], axis=-1)
        shapes[sel] = shapely.polygons(xy)
    names = np.full(n, "", dtype=object)
    tallest = np.argsort(-height)[:300]
    names[tallest] = [f"Tower {i + 1}" for i in range(len(tallest))]
    return {"building_id": np.arange(1, n + 1), "name": names, "kind": kind.astype(object),
            "base": z.astype(np.float32), "height": height.astype(np.float32)}, shapes


def generate(folder: Path, seed: int = 2326) -> dict:
    """Write the territory pack (terrain.tif with overviews, buildings.parquet, manifest)."""
    import geopandas as gpd
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    heights = territory_heights(rng)
    t_relief = time.perf_counter() - t0
    profile = {"driver": "GTiff", "width": COLS, "height": ROWS, "count": 1, "dtype": "float32",
               "crs": "EPSG:2326", "transform": from_origin(X0, Y0 + ROWS * CELL, CELL, CELL),
               "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "deflate",
               "predictor": 3, "zlevel": 1, "nodata": -9999.0}
    with (rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"),
          rasterio.open(folder / "terrain.tif", "w", **profile) as dst):
        for s in range(0, ROWS, STRIP):
            block = heights[s : s + STRIP]
            dst.write(block, 1, window=Window(0, s, COLS, len(block)))
        dst.build_overviews([2, 4, 8, 16, 32, 64, 128], Resampling.average)
        dst.update_tags(ns="rio_overview", resampling="average")
    t_tif = time.perf_counter() - t0 - t_relief
    columns, shapes = territory_buildings(heights, rng)
    gpd.GeoDataFrame(columns, geometry=shapes, crs="EPSG:2326").to_parquet(
        folder / "buildings.parquet")
    land = float((heights > 0).mean())
    manifest = {
        "format": "hktwin-pack", "version": 1, "name": "Synthetic territory (benchmark)",
        "approximate": True, "crs": "EPSG:2326",
        "notice": "synthetic territory for benchmarks; not Hong Kong",
        "bounds": [X0, Y0, X0 + COLS * CELL, Y0 + ROWS * CELL],
        "layers": {"terrain": {"path": "terrain.tif", "kind": "terrain"},
                   "buildings": {"path": "buildings.parquet", "kind": "buildings"}},
        "built_by": "benchmarks/bench_lod.py", "generator": GENERATOR, "seed": seed,
        "counts": {"buildings": N_BUILDINGS, "terrain_cells": ROWS * COLS,
                   "land_fraction": round(land, 3)},
        "street_view": street_view(columns, shapes),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return {"relief_s": t_relief, "geotiff_s": t_tif,
            "total_s": time.perf_counter() - t0, "land_fraction": land}


def street_view(columns: dict, shapes: np.ndarray) -> dict:
    """A building among the towers of the densest core: the street view stands near it."""
    import shapely

    c = shapely.centroid(shapes)
    x, y = shapely.get_x(c), shapely.get_y(c)
    tall = np.flatnonzero(columns["height"] > 80)
    counts = np.array([np.sum(np.hypot(x[tall] - x[i], y[tall] - y[i]) < 400) for i in tall[:400]])
    i = tall[int(np.argmax(counts))]
    return {"x": float(x[i]) + 30.0, "y": float(y[i]) - 30.0, "z": float(columns["base"][i])}


def pack_ready(folder: Path) -> bool:
    try:
        return json.loads((folder / "manifest.json").read_text()).get("generator") == GENERATOR
    except (OSError, ValueError):
        return False


# -- stages (each in its own process) -----------------------------------------------------------
def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stage_open(pack: Path, cache: Path) -> dict:
    from hktwin.model.loading import load_city

    t0 = time.perf_counter()
    loaded = load_city(pack, cache=cache)
    seconds = time.perf_counter() - t0
    terrain = loaded.layers[0]  # plugin layers follow the buildings: find them by kind
    buildings = next(la for la in loaded.layers if la.kind == "buildings")
    return {"seconds": seconds, "from_cache": loaded.meshes_from_cache,
            "peak_rss_mb": peak_rss_mb(), "buildings": len(loaded.city.buildings),
            "tiles": len(buildings.tiles), "building_triangles_full": buildings.n_faces,
            "box_triangles_all": 10 * len(loaded.city.buildings),
            "terrain_levels": terrain.pyramid.n_levels if terrain.pyramid else 0,
            "terrain_triangles_full": 2 * int(np.prod(loaded.city.terrain.shape))}


def stage_render(pack: Path, cache: Path, runs: int) -> dict:
    os.environ.setdefault("EGL_PLATFORM", "surfaceless")
    from _common import bare_canvas, paired
    from hktwin.render.snapshot import select_headless_backend

    backend = select_headless_backend()
    from vispy import gloo, scene

    from hktwin.model.loading import load_city
    from hktwin.model.twin import Twin
    from hktwin.render.scene import CityCanvas

    loaded = load_city(pack, cache=cache)
    twin = Twin(city=loaded.city)
    twin.layers.extend(loaded.layers)
    views = benchmark_views(loaded.city, json.loads((pack / "manifest.json").read_text()))
    canvas = CityCanvas(twin, size=(1280, 800), show=False)
    out = {"backend": backend}
    for name, pose in views.items():
        twin.camera = pose
        t0 = time.perf_counter()
        image = canvas.render()  # selects, meshes the chunks and merges at draw time (sync)
        first_ms = (time.perf_counter() - t0) * 1000
        lods = {a.layer.name: a.lod for a in canvas.city_scene.adapters.values()
                if getattr(a, "lod", None) is not None}
        t0 = time.perf_counter()
        for lod in lods.values():  # a recomputation with nothing to rebuild: selection only
            lod.driver.update_now()
        select_ms = (time.perf_counter() - t0) * 1000
        counts = {a.layer.name: a.n_faces for a in canvas.city_scene.adapters.values()
                  if a.layer.visible and a.n_faces}
        bare = bare_canvas(canvas, scene)
        for _ in range(2):
            canvas.render()
            bare.render()
        timing = paired(canvas.render, bare.render, runs)
        from hktwin.render.snapshot import write_png

        write_png(Path(tempfile.gettempdir()) / f"hktwin-lod-{name}.png", image)
        out[name] = {
            "triangles_drawn": int(canvas.city_scene.n_faces), "by_layer": counts,
            "first_frame_ms": first_ms, "reselect_ms": select_ms,
            "city_frame_ms_median": timing["a_median_s"] * 1000,
            "bare_frame_ms_median": timing["b_median_s"] * 1000,
            "city_over_bare": timing["ratio_median"], "ratio_min": timing["ratio_min"],
            "ratio_max": timing["ratio_max"],
        }
    # A camera move at street level: how long the worker needs before the new detail shows.
    x, y, z = views["street"].center
    twin.camera = views["street"].moved(center=(x + 300.0, y, z))
    t0 = time.perf_counter()
    for a in canvas.city_scene.adapters.values():
        if getattr(a, "lod", None) is not None:
            a.lod.driver.update_now()
    out["street_move_update_ms"] = (time.perf_counter() - t0) * 1000
    drivers = {a.layer.name: a.lod.driver for a in canvas.city_scene.adapters.values()
               if getattr(a, "lod", None) is not None}
    out["street_move_compute_ms"] = {k: d.compute_ms for k, d in drivers.items()}
    out["street_move_swap_ms"] = {k: d.apply_ms for k, d in drivers.items()}
    t0 = time.perf_counter()
    canvas.render()  # the first frame after a swap uploads the new arrays
    out["street_move_first_frame_ms"] = (time.perf_counter() - t0) * 1000
    out["renderer"] = gloo.gl.glGetParameter(gloo.gl.GL_RENDERER)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def benchmark_views(city, manifest: dict) -> dict:
    """The whole territory from 75 km; a pedestrian's eye (2 m up, in the open nearest the
    densest core, looking across it); the core from 1.5 km up at 20 degrees, a planner's view."""
    import shapely

    from hktwin.model.camera import CameraPose

    xmin, ymin, xmax, ymax = city.bounds
    core = manifest["street_view"]
    tree = shapely.STRtree(city.buildings.footprints)
    centre = np.array([core["x"], core["y"]])
    grid = np.mgrid[-800:800:20, -800:800:20].reshape(2, -1).T + centre
    azimuth = 30.0
    eye = grid - 40.0 * np.array([np.sin(np.radians(azimuth)), np.cos(np.radians(azimuth))])
    _, d_centre = tree.query_nearest(shapely.points(grid), return_distance=True,
                                     all_matches=False)
    _, d_eye = tree.query_nearest(shapely.points(eye), return_distance=True, all_matches=False)
    open_ = np.flatnonzero((d_centre > 20) & (d_eye > 10))
    spot = grid[open_[np.argmin(np.linalg.norm(grid[open_] - centre, axis=1))]]
    ground = float(city.terrain.height_at(*spot))
    return {
        "territory": CameraPose(((xmin + xmax) / 2, (ymin + ymax) / 2, 0.0), 75_000.0, 0.0, 60.0),
        "street": CameraPose((spot[0], spot[1], ground + 2.0), 40.0, azimuth, 2.0),
        "district": CameraPose((spot[0], spot[1], ground), 1500.0, azimuth, 20.0),
    }


def run_stage(args: list[str]) -> dict:
    """Run a stage in a fresh interpreter; its last stdout line is its JSON result."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"stage {args[:2]} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", type=Path, default=DEFAULT_PACK)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--stage", choices=("open", "render"), help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage == "open":
        print(json.dumps(stage_open(args.pack, args.cache)))
        return
    if args.stage == "render":
        print(json.dumps(stage_render(args.pack, args.cache, args.runs)))
        return

    from _common import save

    generated = None
    if args.regenerate or not pack_ready(args.pack):
        print(f"generating the synthetic territory in {args.pack} ...", flush=True)
        generated = generate(args.pack)
        print(json.dumps(generated), flush=True)
    cache = Path(tempfile.mkdtemp(prefix="hktwin-lod-cache-"))
    try:
        cold = run_stage(["--stage", "open", "--pack", str(args.pack), "--cache", str(cache)])
        warm = run_stage(["--stage", "open", "--pack", str(args.pack), "--cache", str(cache)])
        render = run_stage(["--stage", "render", "--pack", str(args.pack), "--cache", str(cache),
                            "--runs", str(args.runs)])
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    assert not cold["from_cache"] and warm["from_cache"]
    save("lod_territory", {
        "pack": str(args.pack), "generated": generated,
        "buildings": cold["buildings"], "tiles": cold["tiles"],
        "building_triangles_full": cold["building_triangles_full"],
        "terrain_triangles_full": cold["terrain_triangles_full"],
        "terrain_levels": cold["terrain_levels"],
        "cold_open_s": cold["seconds"], "cold_peak_rss_mb": cold["peak_rss_mb"],
        "warm_open_s": warm["seconds"], "warm_peak_rss_mb": warm["peak_rss_mb"],
        **render, "runs": args.runs,
    })


if __name__ == "__main__":
    main()
