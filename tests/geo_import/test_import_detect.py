"""Kinds decided from content; `--as` overrides; layer names stay unique."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import shapely
from geo_import_helpers import box_row, footprints_gdf, write_asc, write_dtm

from hktwin.core.errors import DataError
from hktwin.geo.importers.detect import detect
from hktwin.geo.pack import open_pack
from hktwin.geo.pack_writer import import_files
from packs import X0, Y0


def _points(tmp_path):
    gdf = footprints_gdf({"Facility Name": ["A", "B"]},
                         list(shapely.points([X0 + 500, X0 + 900], [Y0 + 1500, Y0 + 1600])))
    gdf.to_file(tmp_path / "points.gpkg")
    return tmp_path / "points.gpkg"


@pytest.mark.parametrize(("fields", "geometry", "kind"), [
    ({"TopHeight": [9.0], "BaseHeight": [1.0]}, "polygon", "buildings"),
    ({"NUMSTOREY": [3]}, "polygon", "buildings"),
    ({"t_pop": [1200]}, "polygon", "population"),
    ({"DC_ENG": ["Eastern"]}, "polygon", "districts"),
    ({"zone": ["R(A)"]}, "polygon", "vector"),
    ({"ROAD_NAME": ["Queen's Road"]}, "line", "roads"),
    ({"Facility Name": ["AWS"]}, "point", "stations"),
])
def test_vector_kinds_from_fields_and_geometry(tmp_path, fields, geometry, kind):
    shape = {"polygon": box_row(1)[0],
             "line": shapely.LineString([(X0, Y0), (X0 + 100, Y0 + 50)]),
             "point": shapely.Point(X0, Y0)}[geometry]
    footprints_gdf(fields, [shape]).to_file(tmp_path / "f.geojson")
    source = detect(tmp_path / "f.geojson")
    assert (source.kind, source.geometry, source.form) == (kind, geometry, "vector")


def test_rasters_grids_and_td_tables(tmp_path, island_dtm):
    assert detect(island_dtm).kind == "terrain"
    density = write_dtm(tmp_path / "population-density.tif")
    assert detect(density).kind == "population"
    grid = write_asc(tmp_path / "g.asc", np.zeros((3, 4), np.float32), X0, Y0, 5.0)
    assert (detect(grid).form, detect(grid).kind) == ("ascii-grid", "terrain")
    csv = tmp_path / "links.csv"
    csv.write_text("Link ID,Start Node,Start Node Eastings,Start Node Northings,End Node,"
                   "End Node Eastings,End Node Northings,Region,Road Type\n")
    assert (detect(csv).form, detect(csv).kind) == ("td-links", "roads")


def test_as_overrides_the_kind_but_not_the_form(tmp_path, island_dtm):
    path = _points(tmp_path)
    assert detect(path, "vector").kind == "vector"
    assert detect(island_dtm, "raster").kind == "raster"
    with pytest.raises(DataError, match=r"is a raster; it cannot be imported as buildings"):
        detect(island_dtm, "buildings")
    with pytest.raises(DataError, match=r"is a vector file; it cannot be imported as terrain"):
        detect(path, "terrain")
    with pytest.raises(DataError, match=r"holds points, but buildings need footprint polygons"):
        detect(path, "buildings")
    with pytest.raises(DataError, match=r"\[--as\]: unknown kind 'moon'"):
        detect(path, "moon")


def test_a_height_field_makes_plain_polygons_buildings(tmp_path):
    footprints_gdf({"H": [20.0]}, box_row(1)).to_file(tmp_path / "p.gpkg")
    assert detect(tmp_path / "p.gpkg").kind == "vector"
    assert detect(tmp_path / "p.gpkg", height_field="H").kind == "buildings"


def test_a_zip_with_several_data_files_is_refused_by_name(tmp_path, island_dtm):
    archive = tmp_path / "two.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(island_dtm, "a.tif")
        z.write(island_dtm, "b.tif")
    with pytest.raises(DataError, match=r"holds a\.tif, b\.tif.*Fix: unzip it"):
        detect(archive)


def test_a_zipped_geojson_is_read_in_place(island_pack, tmp_path):
    doc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "DC_ENG": "Test"}, "geometry": json.loads(shapely.to_geojson(shapely.box(
            114.14, 22.27, 114.16, 22.29)))}]}
    (tmp_path / "d.geojson").write_text(json.dumps(doc))
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as z:
        z.write(tmp_path / "d.geojson", "nested/d.geojson")
    report = import_files([tmp_path / "d.zip"], island_pack)
    assert report.layers[0].kind == "districts"
    assert list(open_pack(island_pack).vectors["districts"]["name_en"]) == ["Test"]


def test_names_stay_unique_and_name_replaces(island_pack, tmp_path):
    path = _points(tmp_path)
    first = import_files([path], island_pack).layers[0].name
    second = import_files([path], island_pack).layers[0].name
    assert (first, second) == ("points", "points_2")
    replaced = import_files([path], island_pack, name="points").layers[0]
    assert replaced.replaced == "points"
    city = open_pack(island_pack)
    assert sorted(city.vectors) == ["points", "points_2"]
    assert city.vector_kinds["points"] == "stations"
    assert sorted(p.name for p in island_pack.iterdir()) == [
        "manifest.json", "points.parquet", "points_2.parquet", "terrain.tif"]


def test_a_raster_layer_opens_into_city_rasters(island_pack, tmp_path, island_dtm):
    report = import_files([island_dtm], island_pack, as_kind="raster", name="slope")
    assert report.layers[0].kind == "raster"
    city = open_pack(island_pack)
    assert city.raster_kinds == {"slope": "raster"}
    np.testing.assert_array_equal(city.rasters["slope"].heights, city.terrain.heights)


def test_a_multi_layer_geopackage_notes_the_layer_it_took(island_pack, tmp_path):
    path = tmp_path / "two-layers.gpkg"
    footprints_gdf({"Storeys": [3]}, box_row(1)).to_file(path, layer="blocks")
    footprints_gdf({"Storeys": [4, 5]}, box_row(2)).to_file(path, layer="towers")
    report = import_files([path], island_pack)
    assert report.layers[0].count == 1
    assert any("[layer]: the file holds 2 layers" in w and "--layer" in w
               for w in report.warnings)
    assert import_files([path], island_pack, layer="towers").layers[0].count == 2
    with pytest.raises(DataError, match=r"\[--layer\]: no layer named 'roofs'"):
        import_files([path], island_pack, layer="roofs")


def test_the_pack_may_be_given_as_dot(island_pack, monkeypatch, tmp_path):
    monkeypatch.chdir(island_pack)
    path = _points(tmp_path)
    report = import_files([path], ".")
    assert report.pack == island_pack
    assert not [p for p in island_pack.iterdir() if p.name.startswith(".")]
    assert "points" in open_pack(island_pack).vectors
