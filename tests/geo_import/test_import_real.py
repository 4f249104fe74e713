"""A pack built from the real Hong Kong files (../shared/data/hk-real): Lands Department DTM
crops, District Council boundaries, the 2021 census, EPD/HKO station lists, the TD link table."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import rasterio

from hktwin.geo.pack import open_pack
from hktwin.geo.pack_writer import import_files

DTMS = ("dtm/hk-island-north-5m.tif", "dtm/hk-island-south-lamma-5m.tif")
OTHERS = ("districts/district-council-2001.geojson",
          "census/census-2021-stpug-hk-island.geojson",
          "census/hk-island-north-population-density.tif",
          "stations/Air_Quality_Monitoring_Network_of_Hong_Kong.geojson",
          "stations/Network_of_Weather_Stations_in_Hong_Kong.geojson",
          "td/tsm_link_and_node_info_v2.csv")


@pytest.fixture(scope="module")
def real_pack(real_data, tmp_path_factory):
    pack = tmp_path_factory.mktemp("real") / "hk-island"
    report = import_files([real_data / f for f in (*DTMS, *OTHERS)], pack)
    return pack, report


def test_every_file_became_the_right_layer(real_pack):
    pack, report = real_pack
    kinds = {r.name: r.kind for r in report.layers}
    assert kinds == {
        "terrain": "terrain", "districts": "districts", "population": "population",
        "hk_island_north_population_density": "population",
        "air_quality_monitoring_network": "stations",
        "network_of_weather_stations": "stations", "roads": "roads"}
    city = open_pack(pack)
    assert len(city.vectors["districts"]) == 18
    names = set(city.vectors["districts"]["name_en"])
    assert {"Central & Western", "Wan Chai", "Islands"} <= names
    assert len(city.vectors["roads"]) == 617
    assert len(city.vectors["network_of_weather_stations"]) == 49
    census = city.vectors["population"]
    np.testing.assert_array_equal(census["population"], census["t_pop"].astype(float))
    assert census["population"].sum() > 500_000  # residents of the island's 35 unit groups
    assert np.all(census["density_per_km2"] > 0)
    density = city.rasters["hk_island_north_population_density"]
    assert density.shape == (955, 1187) and city.raster_kinds[
        "hk_island_north_population_density"] == "population"


def test_terrain_heights_match_rasterio_on_the_sources(real_pack, real_data):
    pack, _ = real_pack
    terrain = open_pack(pack).terrain
    rng = np.random.default_rng(2326)
    checked = 0
    for name in DTMS:
        with rasterio.open(real_data / name) as src:
            # Cell centres, where the bilinear sample equals the cell's own value.
            cols = rng.integers(0, src.width, 400)
            rows = rng.integers(0, src.height, 400)
            xs, ys = rasterio.transform.xy(src.transform, rows, cols)
            want = np.array([v[0] for v in src.sample(zip(xs, ys, strict=True))])
            got = terrain.height_at(xs, ys)
            land = want != src.nodata
            assert np.all(np.isnan(got[~land]))
            np.testing.assert_allclose(got[land], want[land], atol=0.01)
            checked += int(land.sum())
    assert checked >= 200


def test_the_pack_is_described_by_data_info_json(real_pack):
    pack, _ = real_pack
    result = subprocess.run([sys.executable, "-m", "hktwin", "data", "info", str(pack),
                             "--json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    layers = {layer["name"]: layer for layer in info["layers"]}
    terrain = layers["terrain"]
    assert terrain["kind"] == "terrain" and terrain["crs"] == "EPSG:2326"
    assert terrain["size"] == [3828, 2463] and terrain["resolution"] == 5.0
    assert terrain["cog"] and terrain["overviews"] == [2, 4, 8, 16, 32, 64]
    assert terrain["extent"] == [818982.5, 805717.5, 838122.5, 818032.5]
    assert layers["roads"]["features"] == 617 and layers["roads"]["geometry"] == ["LineString"]
    assert layers["districts"]["crs"] == "EPSG:2326" and len(layers["districts"]["extent"]) == 4
    assert info["bounds"] == terrain["extent"]


def test_snapshot_of_the_real_pack_renders(real_pack, tmp_path):
    pack, _ = real_pack
    out = tmp_path / "real.png"
    result = subprocess.run([sys.executable, "-m", "hktwin", "snapshot", "--pack", str(pack),
                             "--out", str(out), "--size", "320x200"], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.stat().st_size > 1000
