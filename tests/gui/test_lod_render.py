"""Level of detail in the window: a synthetic pack large enough (with lowered thresholds) to be
drawn from the terrain pyramid and building boxes stays under its triangle budgets, still shows
terrain and buildings, refines where the camera goes, and picks on the full geometry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gui_helpers import render

from hktwin.model.camera import CameraPose

X0, Y0, CELL = 830_000.0, 812_000.0, 10.0
ROWS, COLS = 480, 720  # 4.8 km x 7.2 km
TOWER = 1  # building id of the tallest tower, alone in the middle of the downtown cluster


def write_lod_pack(folder: Path) -> Path:
    """Hills with a harbour (sea along the north edge) and ~6,000 buildings in three towns."""
    import geopandas as gpd
    import rasterio
    import shapely
    from rasterio.transform import from_origin

    folder.mkdir(parents=True, exist_ok=True)
    r, c = np.mgrid[0:ROWS, 0:COLS].astype(np.float64)
    z = 40 + 35 * np.sin(c / 41.0) * np.cos(r / 29.0) + 260 * np.exp(
        -((c - 560) ** 2 + (r - 330) ** 2) / (2 * 70.0**2))
    z = np.where(r < 70, -10.0, z * np.clip((r - 70) / 25.0, 0.0, 1.0) + 1.0)
    with rasterio.open(folder / "terrain.tif", "w", driver="GTiff", width=COLS, height=ROWS,
                       count=1, dtype="float32", crs="EPSG:2326",
                       transform=from_origin(X0, Y0 + ROWS * CELL, CELL, CELL)) as dst:
        dst.write(z.astype(np.float32), 1)
    rng = np.random.default_rng(7)
    towns = [(1500.0, 3300.0, 2500), (3300.0, 2600.0, 2000), (5200.0, 1300.0, 1500)]
    xs, ys = [], []
    for tx, ty, n in towns:
        xs.append(tx + rng.normal(0, 350, n))
        ys.append(ty + rng.normal(0, 250, n))
    x = X0 + np.concatenate([[1500.0], *xs])
    y = Y0 + np.concatenate([[3300.0], *ys])
    n = len(x)
    half = rng.uniform(5, 14, (n, 2))
    half[0] = (25, 20)
    height = rng.lognormal(3.0, 0.5, n).clip(6, 120)
    height[0] = 300.0
    col = ((x - X0) / CELL).astype(int).clip(0, COLS - 1)
    row = ((Y0 + ROWS * CELL - y) / CELL).astype(int).clip(0, ROWS - 1)
    base = z[row, col].astype(np.float32)
    keep = base > 2.0
    keep[1:] &= np.hypot(x[1:] - x[0], y[1:] - y[0]) > 60  # nothing hides the tower's roof
    ids = np.arange(1, n + 1)[keep]
    # Two in five are L-shaped (a quarter cut out), so their boxes stray from them.
    hx, hy = half[:, 0], half[:, 1]
    ring = np.stack([np.column_stack(p) for p in [
        (x - hx, y - hy), (x + hx, y - hy), (x + hx, y), (x, y), (x, y + hy), (x - hx, y + hy)]],
        axis=1)
    footprints = np.where(np.arange(n) % 5 < 2, shapely.polygons(ring),
                          shapely.box(x - hx, y - hy, x + hx, y + hy))
    footprints[0] = shapely.box(x[0] - hx[0], y[0] - hy[0], x[0] + hx[0], y[0] + hy[0])
    gpd.GeoDataFrame(
        {"building_id": ids, "name": [f"B{i}" for i in ids], "kind": ["commercial"] * len(ids),
         "base": base[keep], "height": height[keep].astype(np.float32)},
        geometry=footprints[keep],
        crs="EPSG:2326",
    ).to_parquet(folder / "buildings.parquet")
    manifest = {"format": "hktwin-pack", "version": 1, "name": "LOD test town",
                "crs": "EPSG:2326", "approximate": True,
                "layers": {"terrain": {"path": "terrain.tif", "kind": "terrain"},
                           "buildings": {"path": "buildings.parquet", "kind": "buildings"}}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture(scope="module")
def lod_pack(tmp_path_factory) -> Path:
    return write_lod_pack(tmp_path_factory.mktemp("lod") / "pack")


@pytest.fixture
def lod_window(window, load, lod_pack, monkeypatch):
    """The pack loaded with thresholds and budgets scaled down to its size."""
    from hktwin.model import loading
    from hktwin.render import lod_visuals

    monkeypatch.setattr(loading, "TERRAIN_PYRAMID_CELLS", 100_000)
    monkeypatch.setattr(loading, "BUILDINGS_LOD_FACES", 20_000)
    monkeypatch.setattr(loading, "LOD_TILE_BUILDINGS", 400)
    monkeypatch.setattr(lod_visuals, "SETTINGS", lod_visuals.LodSettings(
        terrain_budget=40_000, buildings_budget=25_000))
    load(window, lod_pack)
    return window


def settle(qtbot, win) -> np.ndarray:
    """Draw, let the level of detail catch up with the camera off the GUI thread, draw again."""
    render(win)
    lods = [a.lod for a in win.canvas.city_scene.adapters.values()
            if getattr(a, "lod", None) is not None]
    qtbot.waitUntil(lambda: all(lod.driver.idle for lod in lods), timeout=20_000)
    return render(win)


def adapters(win):
    scene_ = win.canvas.city_scene
    return (scene_.adapter(win.twin.layers.get("Terrain")),
            scene_.adapter(win.twin.layers.get("Buildings")))


def test_zoomed_out_over_everything_stays_under_budget_and_shows_terrain_and_buildings(
        qtbot, lod_window):
    win = lod_window
    terrain, buildings = adapters(win)
    assert terrain.lod is not None and buildings.lod is not None
    full_faces = win.twin.layers.get("Buildings").n_faces
    win.twin.camera = CameraPose((X0 + 3600, Y0 + 2400, 0.0), 9000.0, 0.0, 60.0)
    image = settle(qtbot, win)
    assert 0 < terrain.n_faces <= 40_000
    assert 0 < buildings.n_faces <= 25_000 < full_faces
    assert win.canvas.city_scene.n_faces <= 40_000 + 25_000 + 10
    # Terrain: land pixels are green-brown, not sky or sea.
    land = (X0 + 6500, Y0 + 3500)  # away from the towns
    z = float(win.twin.city.terrain.height_at(*land))
    hill = win.canvas.city_scene.project(np.array([[*land, z]]))[0]
    r, g, b = image[round(hill[1]), round(hill[0]), :3].astype(int)
    assert g > b + 20, (r, g, b)
    # Buildings: hiding them changes the towns' pixels.
    win.twin.layers.get("Buildings").visible = False
    bare = render(win)
    win.twin.layers.get("Buildings").visible = True
    changed = (np.abs(image[..., :3].astype(int) - bare[..., :3]).sum(axis=2) > 30).sum()
    assert changed > 500, changed


def test_moving_close_refines_terrain_and_draws_near_tiles_in_full(qtbot, lod_window):
    win = lod_window
    terrain, buildings = adapters(win)
    win.twin.camera = CameraPose((X0 + 3600, Y0 + 2400, 0.0), 9000.0, 0.0, 60.0)
    settle(qtbot, win)
    far_levels = terrain.lod.keys[:, 0].min()
    updates = terrain.lod.driver.background_updates
    win.twin.camera = CameraPose((X0 + 1500, Y0 + 3300, 40.0), 500.0, 200.0, 12.0)
    settle(qtbot, win)
    assert terrain.lod.driver.background_updates > updates  # recomputed on the worker thread
    assert terrain.lod.keys[:, 0].min() == 0 < far_levels
    assert len(buildings.lod.full) > 0
    assert buildings.n_faces <= 25_000 and terrain.n_faces <= 40_000


def test_picking_uses_the_full_geometry_whatever_is_drawn(qtbot, lod_window):
    win = lod_window
    scene_ = win.canvas.city_scene
    b = win.twin.city.buildings
    row = b.row_of(TOWER)
    roof = np.array([[b.centroid_x[row], b.centroid_y[row], b.base[row] + b.height[row]]])
    for pose in (CameraPose((X0 + 1500, Y0 + 3300, 0.0), 1500.0, 200.0, 50.0),
                 CameraPose((X0 + 3600, Y0 + 2400, 0.0), 9000.0, 0.0, 60.0)):
        win.twin.camera = pose
        settle(qtbot, win)
        hit = scene_.pick(tuple(scene_.project(roof)[0]))
        assert hit is not None and hit[1] == TOWER
