"""Points and population have visuals of their own: stations as glyphs with labels, census
polygons as a draped choropleth of people per km2 with a legend, a density raster as a draped
coloured grid."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hktwin.model.context_layers import RAMP, FillLayer, PointsLayer, classify
from hktwin.model.loading import load_city
from packs import X0, Y0


@pytest.fixture(scope="module")
def pack(tmp_path_factory, tiny_pack):
    import shutil

    import geopandas as gpd
    import rasterio
    import shapely
    from rasterio.transform import from_origin

    folder = tmp_path_factory.mktemp("pop") / "pack"
    shutil.copytree(tiny_pack, folder)
    west = shapely.box(X0 + 200, Y0 + 200, X0 + 1200, Y0 + 1200)  # 1 km2
    east = shapely.box(X0 + 2000, Y0 + 200, X0 + 3000, Y0 + 1200)
    gpd.GeoDataFrame({"population": [500.0, 40_000.0]}, geometry=[west, east],
                     crs="EPSG:2326").to_parquet(folder / "census.parquet")
    gpd.GeoDataFrame({"name": ["Hill top", "Shore"]},
                     geometry=[shapely.Point(X0 + 2600, Y0 + 1000),
                               shapely.Point(X0 + 500, Y0 + 1500)],
                     crs="EPSG:2326").to_parquet(folder / "stations.parquet")
    density = np.zeros((30, 40), np.float32)
    density[:, 20:] = 30_000.0
    density[:, 10:20] = 1_000.0
    with rasterio.open(folder / "density.tif", "w", driver="GTiff", width=40, height=30,
                       count=1, dtype="float32", crs="EPSG:2326",
                       transform=from_origin(X0, Y0 + 3000, 100.0, 100.0)) as dst:
        dst.write(density, 1)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["layers"].update({
        "census": {"path": "census.parquet", "kind": "population"},
        "weather": {"path": "stations.parquet", "kind": "stations"},
        "density": {"path": "density.tif", "kind": "population"}})
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture(scope="module")
def layers(pack):
    loaded = load_city(pack, cache=False, plugin_layers=False)
    return loaded.city, {la.name: la for la in loaded.layers}


def _class_at(layer: FillLayer, origin, x: float, y: float) -> int:
    v = layer.mesh.vertices
    i = int(np.argmin(np.hypot(v[:, 0] + origin[0] - x, v[:, 1] + origin[1] - y)))
    rgba = layer.colors[i]
    if rgba[3] == 0:
        return -1
    return int(np.argmin(np.abs(RAMP - rgba[:3]).sum(axis=1)))


def test_census_choropleth(layers):
    city, by_name = layers
    fill = by_name["Census (people per km\u00b2)"]
    assert isinstance(fill, FillLayer) and fill.legend
    west = _class_at(fill, city.origin, X0 + 700, Y0 + 700)
    east = _class_at(fill, city.origin, X0 + 2500, Y0 + 700)
    gap = _class_at(fill, city.origin, X0 + 1600, Y0 + 700)
    assert 0 <= west < east and gap == -1
    # Draped: every vertex lies on the ground (or just above the sea).
    v = fill.mesh.vertices.astype(np.float64)
    ground = np.fmax(np.nan_to_num(city.terrain.height_at(v[:, 0] + city.origin[0],
                                                          v[:, 1] + city.origin[1])), 0)
    assert (v[:, 2] >= ground - 1.0).all() and np.median(v[:, 2] - ground) < 10


def test_density_raster_is_draped_in_classes(layers):
    city, by_name = layers
    fill = by_name["Density (density)"]
    low = _class_at(fill, city.origin, X0 + 1500, Y0 + 1500)
    high = _class_at(fill, city.origin, X0 + 3000, Y0 + 1500)
    none = _class_at(fill, city.origin, X0 + 500, Y0 + 1500)
    assert none == -1 and 0 <= low < high


def test_stations_are_labelled_glyphs_above_the_ground(layers):
    city, by_name = layers
    points = by_name["Weather"]
    assert isinstance(points, PointsLayer)
    assert points.labels == ["Hill top", "Shore"]
    top = points.points[0]
    ground = float(city.terrain.height_at(top[0] + city.origin[0], top[1] + city.origin[1]))
    assert top[2] > ground + 5 and ground > 300  # on the hill, not at sea level
    assert "Weather" in by_name and not any(n.startswith("Weather") and n != "Weather"
                                            for n in by_name)


def test_classify_is_quantiles_with_a_legend():
    classes, legend = classify(np.array([np.nan, 0.0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
    assert classes[0] == -1 and classes[1] == -1
    assert classes[2] == 0 and classes[-1] == len(legend) - 1 == 4
    assert np.all(np.diff(classes[2:]) >= 0)
    assert legend[0][0].startswith("1 - ")
