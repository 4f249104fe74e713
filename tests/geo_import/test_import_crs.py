"""CRS handling: WGS84 in, EPSG:2326 out; a missing or wrong CRS is refused with the fix."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from geo_import_helpers import box_row, footprints_gdf

from hktwin.core.errors import DataError
from hktwin.geo.crs import from_wgs84, to_wgs84
from hktwin.geo.pack import open_pack
from hktwin.geo.pack_writer import import_files
from packs import X0, Y0


def _feature_collection(coords_list, props=None, crs=None):
    features = [{"type": "Feature", "properties": props or {"name": f"s{i}"},
                 "geometry": {"type": "Point", "coordinates": list(c)}}
                for i, c in enumerate(coords_list)]
    doc = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc)


def test_wgs84_geojson_is_reprojected_to_hk1980(island_pack, tmp_path):
    x = np.array([X0 + 700.0, X0 + 3100.0])
    y = np.array([Y0 + 1500.0, Y0 + 900.0])
    lon, lat = to_wgs84(x, y)
    path = tmp_path / "stations.geojson"
    path.write_text(_feature_collection(zip(lon, lat, strict=True)))
    report = import_files([path], island_pack)
    assert report.layers[0].kind == "stations"
    table = open_pack(island_pack).vectors[report.layers[0].name]
    np.testing.assert_allclose(shapely.get_x(table.geometry), x, atol=0.01)
    np.testing.assert_allclose(shapely.get_y(table.geometry), y, atol=0.01)
    assert list(table["name"]) == ["s0", "s1"]


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_a_shapefile_without_prj_is_refused(island_pack, tmp_path):
    gdf = footprints_gdf({"Storeys": [3]}, box_row(1), crs=None)
    gdf.to_file(tmp_path / "noprj.shp")
    with pytest.raises(DataError) as err:
        import_files([tmp_path / "noprj.shp"], island_pack)
    text = str(err.value)
    assert "noprj.shp [crs]: the file declares no coordinate reference system" in text
    assert "Fix: declare it with --crs EPSG:2326" in text
    report = import_files([tmp_path / "noprj.shp"], island_pack, crs="EPSG:2326")
    assert report.layers[0].kind == "buildings"


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_an_unreadable_prj_is_named(island_pack, tmp_path):
    gdf = footprints_gdf({"Storeys": [3]}, box_row(1), crs=None)
    gdf.to_file(tmp_path / "bad.shp")
    (tmp_path / "bad.prj").write_text("PROJCS[this is not a CRS")
    with pytest.raises(DataError, match=r"bad.shp \[crs\]: the CRS in bad.prj cannot be read"):
        import_files([tmp_path / "bad.shp"], island_pack)


def test_hk1980_metres_in_a_geojson_without_crs_are_caught(island_pack, tmp_path):
    path = tmp_path / "metres.geojson"
    path.write_text(_feature_collection([(X0 + 700.0, Y0 + 1500.0)]))
    with pytest.raises(DataError) as err:
        import_files([path], island_pack)
    assert "are not longitude/latitude" in str(err.value)
    assert "look like HK1980 Grid metres" in str(err.value)
    assert "--crs EPSG:2326" in str(err.value)
    report = import_files([path], island_pack, crs="EPSG:2326")
    assert report.layers[0].count == 1


def test_data_outside_hong_kong_is_refused(island_pack, tmp_path):
    path = tmp_path / "london.geojson"
    path.write_text(_feature_collection([(-0.12, 51.5)]))
    with pytest.raises(DataError, match="outside Hong Kong"):
        import_files([path], island_pack)


def test_an_unknown_crs_option_is_refused(island_pack, tmp_path):
    path = tmp_path / "s.geojson"
    path.write_text(_feature_collection([(114.15, 22.28)]))
    with pytest.raises(DataError, match=r"\[--crs\]: 'EPSG:999999' is not a coordinate"):
        import_files([path], island_pack, crs="EPSG:999999")


def test_a_wgs84_raster_is_warped_onto_square_hk1980_cells(tmp_path):
    import rasterio
    from affine import Affine

    # A plane tilted east-west: warping keeps its values where the cells land.
    lon0, lat0, step = 114.15, 22.30, 0.0005
    cols, rows = 80, 60
    lon = lon0 + (np.arange(cols) + 0.5) * step
    values = np.tile(((lon - lon0) * 10000).astype(np.float32), (rows, 1))
    src = tmp_path / "wgs84.tif"
    with rasterio.open(src, "w", driver="GTiff", width=cols, height=rows, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=Affine(step, 0, lon0, 0, -step, lat0)) as dst:
        dst.write(values, 1)
    report = import_files([src], tmp_path / "pack")
    city = open_pack(tmp_path / "pack")
    assert report.layers[0].resolution == pytest.approx(city.terrain.cell_size)
    x, y = from_wgs84([lon0 + 0.02], [lat0 - 0.015])
    assert city.terrain.height_at(x, y)[0] == pytest.approx(200.0, abs=3.0)
