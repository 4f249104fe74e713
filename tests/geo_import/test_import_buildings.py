"""Lands Department building footprints -> the pack's building schema."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from geo_import_helpers import box_row, footprints_gdf
from shapely.geometry import MultiPolygon, Polygon

from hktwin.core.errors import DataError
from hktwin.geo.buildings import read_buildings
from hktwin.geo.pack import open_pack
from hktwin.geo.pack_writer import import_files
from packs import X0, Y0


def _import(pack, gdf, tmp_path, name="footprints.gpkg", **kw):
    path = tmp_path / name
    gdf.to_file(path)
    report = import_files([path], pack, **kw)
    return report, read_buildings(pack / "buildings.parquet")


def test_top_minus_base_heights_and_landsd_names_and_types(island_pack, tmp_path):
    gdf = footprints_gdf({
        "BuildingID": [101, 102, 103],
        "TopHeight": [52.0, 130.5, 18.0], "BaseHeight": [4.0, 2.5, 6.0],
        "BuildingBlockType": ["Residential", "Commercial Office", "Industrial"],
        "EnglishBuildingName": ["Harbour View", "Tower One", None],
    }, box_row(3))
    report, b = _import(island_pack, gdf, tmp_path)
    assert not report.warnings
    np.testing.assert_allclose(b.height, [48.0, 128.0, 12.0])
    np.testing.assert_allclose(b.base, [4.0, 2.5, 6.0])
    assert list(b.kinds) == ["residential", "commercial", "industrial"]
    assert list(b.names) == ["Harbour View", "Tower One", ""]
    assert report.layers[0].stats["height_from"] == {"TopHeight-BaseHeight": 3}


def test_storeys_only_use_the_documented_storey_height(island_pack, tmp_path):
    gdf = footprints_gdf({"NUMSTOREY": [1, 10, 40]}, box_row(3))
    report, b = _import(island_pack, gdf, tmp_path)
    np.testing.assert_allclose(b.height, [3.0, 30.0, 120.0])
    assert report.layers[0].stats["height_from"] == {"storeys": 3}
    _, b2 = _import(island_pack, gdf, tmp_path, name="again.gpkg", storey_height=3.5)
    np.testing.assert_allclose(b2.height, [3.5, 35.0, 140.0])


def test_a_named_height_field_is_used(island_pack, tmp_path):
    gdf = footprints_gdf({"ROOF_M": [12.5, 33.0], "REMARK": ["x", "y"]}, box_row(2))
    report, b = _import(island_pack, gdf, tmp_path, height_field="roof_m")  # any case
    np.testing.assert_allclose(b.height, [12.5, 33.0])
    assert report.layers[0].stats["height_from"] == {"field": 2}


def test_no_height_at_all_gets_the_default_and_a_warning_that_counts(island_pack, tmp_path):
    gdf = footprints_gdf({"TopHeight": [40.0, None, None, None],
                          "BaseHeight": [5.0, None, None, None]}, box_row(4))
    report, b = _import(island_pack, gdf, tmp_path)
    np.testing.assert_allclose(b.height, [35.0, 10.0, 10.0, 10.0])
    (warning,) = report.warnings
    assert "3 of 4 buildings have no usable height" in warning
    assert "footprints.gpkg" in warning and "--height-field" in warning


def test_missing_base_is_the_lowest_terrain_under_the_footprint(island_pack, tmp_path):
    # A 300 m footprint on the hill's flank: the lowest ground is on its downhill edge.
    x, y = X0 + 2600.0 - 600.0, Y0 + 1000.0
    gdf = footprints_gdf({"Storeys": [5]}, [shapely.box(x, y - 150, x + 300, y + 150)])
    _, b = _import(island_pack, gdf, tmp_path)
    terrain = open_pack(island_pack).terrain
    xs, ys = np.meshgrid(np.linspace(x, x + 300, 61), np.linspace(y - 150, y + 150, 61))
    under = terrain.height_at(xs.ravel(), ys.ravel())
    assert b.base[0] == pytest.approx(np.nanmin(under), abs=0.5)
    assert b.base[0] < terrain.height_at([x + 150], [y])[0] - 20  # not the centre's height


def test_multipolygons_are_exploded_keeping_the_source_id(island_pack, tmp_path):
    a, b_, c = box_row(3)
    gdf = footprints_gdf({"BuildingID": [7, 8], "TopHeight": [30.0, 60.0],
                          "BaseHeight": [0.0, 0.0]}, [MultiPolygon([a, b_]), c])
    report, b = _import(island_pack, gdf, tmp_path)
    import geopandas as gpd

    table = gpd.read_parquet(island_pack / "buildings.parquet")
    assert list(table["source_id"]) == [7, 7, 8]
    assert list(table["building_id"]) == [1, 2, 3]  # unique per part
    np.testing.assert_allclose(b.height, [30.0, 30.0, 60.0])
    assert report.layers[0].count == 3


def test_a_bow_tie_is_repaired_into_its_polygon_parts(island_pack, tmp_path):
    x, y = X0 + 500.0, Y0 + 1500.0
    bow_tie = Polygon([(x, y), (x + 20, y + 20), (x + 20, y), (x, y + 20)])
    assert not bow_tie.is_valid
    gdf = footprints_gdf({"BuildingID": [5], "Storeys": [4]}, [bow_tie])
    report, b = _import(island_pack, gdf, tmp_path)
    assert len(b) == 2 and all(shapely.is_valid(b.footprints))
    assert sum(shapely.area(b.footprints)) == pytest.approx(200.0)
    assert report.layers[0].stats["repaired"] == 1


def test_holes_are_kept(island_pack, tmp_path):
    outer = shapely.box(X0 + 500, Y0 + 1500, X0 + 560, Y0 + 1560)
    courtyard = shapely.box(X0 + 520, Y0 + 1520, X0 + 540, Y0 + 1540)
    ring = Polygon(outer.exterior.coords, [courtyard.exterior.coords])
    _, b = _import(island_pack, footprints_gdf({"Storeys": [6]}, [ring]), tmp_path)
    assert len(b.footprints[0].interiors) == 1
    assert shapely.area(b.footprints[0]) == pytest.approx(3600 - 400)


def test_unrepairable_footprints_are_reported_by_id(island_pack, tmp_path):
    x, y = X0 + 500.0, Y0 + 1500.0
    flat = Polygon([(x, y), (x + 10, y), (x + 20, y), (x, y)])  # collapses to a line
    gdf = footprints_gdf({"BuildingID": [1, 2], "Storeys": [3, 3]}, [flat, box_row(1)[0]])
    report, b = _import(island_pack, gdf, tmp_path)
    assert len(b) == 1
    (warning,) = report.warnings
    assert "cannot be repaired" in warning and "feature ids" in warning


def test_text_in_the_height_field_is_refused_naming_the_field(island_pack, tmp_path):
    gdf = footprints_gdf({"HEIGHT_M": ["12", "about 30 m", ""]}, box_row(3))
    with pytest.raises(DataError) as err:
        _import(island_pack, gdf, tmp_path, height_field="HEIGHT_M")
    text = str(err.value)
    assert "footprints.gpkg [HEIGHT_M]" in text and "about 30 m" in text and "Fix:" in text


def test_a_missing_named_field_lists_the_fields(island_pack, tmp_path):
    gdf = footprints_gdf({"Storeys": [3]}, box_row(1))
    with pytest.raises(DataError, match=r"no field named 'HGT'.*Storeys"):
        _import(island_pack, gdf, tmp_path, height_field="HGT")


def test_geoparquet_and_geojson_sources_work_too(island_pack, tmp_path):
    gdf = footprints_gdf({"TopHeight": [20.0], "BaseHeight": [2.0]}, box_row(1), crs="EPSG:2326")
    gdf.to_parquet(tmp_path / "b.parquet")
    report = import_files([tmp_path / "b.parquet"], island_pack)
    assert report.layers[0].kind == "buildings"
    gdf.to_crs("EPSG:4326").to_file(tmp_path / "b.geojson")
    report = import_files([tmp_path / "b.geojson"], island_pack)
    b = read_buildings(island_pack / "buildings.parquet")
    assert shapely.area(b.footprints[0]) == pytest.approx(400.0, rel=1e-4)
    assert report.layers[0].replaced == "buildings"


def test_the_cli_import_leaves_the_meshes_cached_for_the_first_open(island_pack, tmp_path):
    from hktwin.cli import main
    from hktwin.model.loading import load_city

    gdf = footprints_gdf({"TopHeight": np.linspace(20, 90, 6), "BaseHeight": np.zeros(6)},
                         box_row(6))
    gdf.to_file(tmp_path / "f.gpkg")
    assert main(["data", "import", str(tmp_path / "f.gpkg"), "--pack", str(island_pack)]) == 0
    loaded = load_city(island_pack)
    assert loaded.meshes_from_cache  # the import filled the cache
    assert len(loaded.city.buildings) == 6


def test_chinese_names_fill_in_where_english_ones_are_missing(island_pack, tmp_path):
    gdf = footprints_gdf({"Storeys": [3, 3, 3], "EnglishBuildingName": ["Block A", None, ""],
                          "ChineseBuildingName": ["甲座", "乙座", None]}, box_row(3))
    _, b = _import(island_pack, gdf, tmp_path)
    assert list(b.names) == ["Block A", "乙座", ""]
