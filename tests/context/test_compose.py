"""A pack covering part of Hong Kong drawn over its base (the demo city): no cliff at the seam,
no double buildings, lines on whichever ground is under them, views framed on the pack."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hktwin.core.errors import DataError
from hktwin.geo.compose import FEATHER_CELLS, Surface, drawn_terrain
from hktwin.geo.pack import open_pack
from hktwin.model.camera import fitted, named_views
from hktwin.model.loading import load_city

# A 3 km x 2 km crop of Central at 10 m, 30 m higher than the demo city's ground where it is land
# (so a seam without blending would be a 30 m cliff).
X0, Y0, CELL, COLS, ROWS, LIFT = 832_000.0, 814_500.0, 10.0, 300, 200, 30.0


def write_crop(folder: Path, buildings: bool = True, **manifest_extra) -> Path:
    import geopandas as gpd
    import rasterio
    import shapely
    from rasterio.transform import from_origin

    demo = open_pack(None).terrain
    folder.mkdir(parents=True, exist_ok=True)
    xs = X0 + (np.arange(COLS) + 0.5) * CELL
    ys = Y0 + ROWS * CELL - (np.arange(ROWS) + 0.5) * CELL
    gx, gy = np.meshgrid(xs, ys)
    under = demo.height_at(gx, gy)
    heights = np.where(under > 0, under + LIFT, np.nan).astype(np.float32)  # sea is nodata
    with rasterio.open(folder / "terrain.tif", "w", driver="GTiff", width=COLS, height=ROWS,
                       count=1, dtype="float32", crs="EPSG:2326", nodata=np.nan,
                       transform=from_origin(X0, Y0 + ROWS * CELL, CELL, CELL)) as dst:
        dst.write(heights, 1)
    layers = {"terrain": {"path": "terrain.tif", "kind": "terrain"}}
    if buildings:
        cx, cy = X0 + 1500.0, Y0 + 600.0
        gpd.GeoDataFrame({"building_id": [1, 2], "base": [40.0, 40.0], "height": [80.0, 60.0]},
                         geometry=[shapely.box(cx, cy, cx + 30, cy + 30),
                                   shapely.box(cx + 60, cy, cx + 90, cy + 30)],
                         crs="EPSG:2326").to_parquet(folder / "buildings.parquet")
        layers["buildings"] = {"path": "buildings.parquet", "kind": "buildings"}
    manifest = {"format": "hktwin-pack", "version": 1, "name": "Central crop", "crs": "EPSG:2326",
                "approximate": False, "layers": layers, **manifest_extra}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture(scope="module")
def crop(tmp_path_factory) -> Path:
    return write_crop(tmp_path_factory.mktemp("crop") / "pack")


@pytest.fixture(scope="module")
def loaded(crop):
    return load_city(crop, cache=False, plugin_layers=False)


def test_a_partial_pack_opens_over_the_demo_city(loaded):
    city = loaded.city
    assert city.base is not None and city.base.approximate
    assert city.covered is not None
    x0, y0, x1, y1 = city.covered
    assert x0 >= X0 and x1 <= X0 + COLS * CELL and y0 >= Y0 and y1 <= Y0 + ROWS * CELL
    names = [layer.name for layer in loaded.layers]
    assert "Terrain (demo city)" in names and "Official data outline" in names
    assert "Buildings (demo city)" in names and "Buildings" in names
    # The sea spans the base, not just the crop.
    sea = next(layer for layer in loaded.layers if layer.kind == "sea")
    assert sea.bounds[2] - sea.bounds[0] > 10 * COLS * CELL


def test_the_pack_itself_is_unchanged_for_analysis(crop, loaded):
    alone = open_pack(crop)
    np.testing.assert_array_equal(np.isnan(alone.terrain.heights),
                                  np.isnan(loaded.city.terrain.heights))
    assert alone.base is None


def test_the_seam_has_no_cliff(loaded):
    city = loaded.city
    drawn = drawn_terrain(city)
    base = city.base.terrain
    assert np.isfinite(drawn.heights).all()
    xs, ys = drawn.cell_centres()
    gx, gy = np.meshgrid(xs, ys)
    under = base.height_at(gx, gy)
    pad = round((city.terrain.origin_x - drawn.origin_x) / CELL)
    official = np.full(drawn.shape, np.nan, np.float32)
    official[pad:pad + ROWS, pad:pad + COLS] = city.terrain.heights
    # Outside the official data the drawn ground is the base's; deep inside, the official one.
    outside = ~np.isfinite(official)
    np.testing.assert_allclose(drawn.heights[outside], under[outside], atol=1e-3)
    deep = np.zeros_like(outside)
    deep[60:-60, 60:-60] = True
    deep &= np.isfinite(official)
    from scipy.ndimage import distance_transform_edt

    far = distance_transform_edt(np.isfinite(official)) > 3 * max(FEATHER_CELLS, 10)
    sel = deep & far
    assert sel.sum() > 1000
    np.testing.assert_allclose(drawn.heights[sel], official[sel], atol=1e-3)
    # No step between neighbouring cells comes near the 30 m lift: it is spread over the band.
    step = max(np.abs(np.diff(drawn.heights, axis=0)).max(),
               np.abs(np.diff(drawn.heights, axis=1)).max())
    raw_step = max(np.nanmax(np.abs(np.diff(under, axis=0))),
                   np.nanmax(np.abs(np.diff(under, axis=1))))
    assert step < raw_step + LIFT / 5


def test_base_terrain_has_a_hole_under_the_pack(loaded):
    city = loaded.city
    ctx = next(layer for layer in loaded.layers if layer.name == "Terrain (demo city)")
    ox, oy = city.origin
    centres = ctx.mesh.vertices[ctx.mesh.faces].mean(axis=1)
    x0, y0, x1, y1 = city.terrain.bounds
    within = ((centres[:, 0] + ox > x0) & (centres[:, 0] + ox < x1)
              & (centres[:, 1] + oy > y0) & (centres[:, 1] + oy < y1))
    assert not within.any()
    # ... and the drawn grid covers all the ground the hole leaves out (it reaches further).
    d = drawn_terrain(city).bounds
    v = ctx.mesh.vertices
    kept_inside = ((v[:, 0] + ox > d[0]) & (v[:, 0] + ox < d[2])
                   & (v[:, 1] + oy > d[1]) & (v[:, 1] + oy < d[3]))
    assert kept_inside.any()  # the two overlap a little: no gap


def test_official_buildings_replace_the_base_ones(loaded):
    city = loaded.city
    base_b = city.base.buildings
    x0, y0, x1, y1 = city.covered
    within = ((base_b.centroid_x >= x0) & (base_b.centroid_x <= x1)
              & (base_b.centroid_y >= y0) & (base_b.centroid_y <= y1))
    assert not within.any()
    assert len(base_b) < len(open_pack(None).buildings)
    assert len(city.buildings) == 2


def test_without_official_buildings_the_base_ones_stand_on_official_ground(tmp_path):
    city = load_city(write_crop(tmp_path / "p", buildings=False), cache=False,
                     plugin_layers=False).city
    b = city.base.buildings
    assert len(b) == len(open_pack(None).buildings)
    x0, y0, x1, y1 = city.covered
    within = ((b.centroid_x > x0 + 300) & (b.centroid_x < x1 - 300)
              & (b.centroid_y > y0 + 300) & (b.centroid_y < y1 - 300))
    assert within.sum() > 10
    ground = city.terrain.height_at(b.centroid_x[within], b.centroid_y[within])
    land = np.isfinite(ground)
    np.testing.assert_allclose(b.base[within][land], ground[land], atol=0.5)


def test_lines_are_draped_on_the_ground_under_them(loaded):
    city = loaded.city
    surface = Surface(city)
    roads = next(layer for layer in loaded.layers if layer.name == "Roads (demo city)")
    pts = roads.segments.reshape(-1, 3).astype(np.float64)
    x, y = pts[:, 0] + city.origin[0], pts[:, 1] + city.origin[1]
    ground = np.fmax(np.nan_to_num(surface.height_at(x, y), nan=0.5), 0.5)
    assert np.abs(pts[:, 2] - 3.0 - ground).max() < 1.0
    inside = ((x > city.covered[0]) & (x < city.covered[2]) & (y > city.covered[1])
              & (y < city.covered[3]) & (ground > 5))
    assert inside.any()  # roads cross the crop, on the lifted official ground


def test_manifest_base_field(tmp_path, crop):
    alone = tmp_path / "alone"
    shutil.copytree(crop, alone)
    manifest = json.loads((alone / "manifest.json").read_text())
    manifest["base"] = False
    (alone / "manifest.json").write_text(json.dumps(manifest))
    assert load_city(alone, cache=False, plugin_layers=False).city.base is None
    manifest["base"] = "../elsewhere"
    (alone / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="outside the pack") as info:
        open_pack(alone)
    assert info.value.field == "base"


def test_a_tiny_approximate_pack_stands_alone(tiny_pack):
    assert open_pack(tiny_pack, base=True).base is None


def test_named_views_frame_the_pack(loaded):
    city = loaded.city
    x0, y0, x1, y1 = city.covered
    for name, pose in named_views().items():
        view = fitted(pose, city)
        cx, cy, _ = view.center
        assert x0 <= cx <= x1 and y0 <= cy <= y1, name
        assert view.distance <= np.hypot(x1 - x0, y1 - y0) * 1.5 + 1
    territory = named_views()["territory"]
    assert fitted(territory, open_pack(None)) is territory  # a whole-territory pack: unchanged


def test_a_real_5m_crop_opens_in_context(real_data, tmp_path):
    dtm = real_data / "dtm" / "hk-island-north-5m.tif"
    if not dtm.is_file():
        pytest.skip(f"{dtm} is absent")
    pack = tmp_path / "real"
    pack.mkdir()
    shutil.copy(dtm, pack / "terrain.tif")
    (pack / "manifest.json").write_text(json.dumps({
        "format": "hktwin-pack", "version": 1, "name": "HK Island north", "approximate": False,
        "layers": {"terrain": {"path": "terrain.tif", "kind": "terrain"}}}))
    city = load_city(pack, cache=False, plugin_layers=False).city
    assert city.base is not None
    drawn = drawn_terrain(city)
    assert np.isfinite(drawn.heights).all()
    # Along the drawn grid's edge the ground is the demo city's: the base mesh meets it there.
    edge = np.concatenate([drawn.heights[0], drawn.heights[-1], drawn.heights[:, 0],
                           drawn.heights[:, -1]])
    xs, ys = drawn.cell_centres()
    ex = np.concatenate([xs, xs, np.full(len(ys), xs[0]), np.full(len(ys), xs[-1])])
    ey = np.concatenate([np.full(len(xs), ys[0]), np.full(len(xs), ys[-1]), ys, ys])
    np.testing.assert_allclose(edge, city.base.terrain.height_at(ex, ey), atol=1e-3)
