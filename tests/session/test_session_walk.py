"""The walk as session state: edits are evented, GeoJSON round-trips in EPSG:2326, a bad file
is one DataError naming the file and the field."""

from __future__ import annotations

import json

import pytest

from hktwin.core.errors import DataError
from hktwin.session.walks import Walk, read_walk, report_csv

POINTS = [(834_000.0, 816_000.0), (834_050.5, 816_010.25), (834_060.0, 816_080.0)]


def test_edits_fire_changed_and_ignore_a_repeated_point():
    walk, seen = Walk(), []
    walk.changed.connect(seen.append)
    for p in POINTS:
        walk.add(*p)
    walk.add(*POINTS[-1])  # a double-click's second press
    assert walk.points == tuple(POINTS) and len(seen) == 3
    walk.remove_last()
    assert walk.points == tuple(POINTS[:2]) and seen[-1] == tuple(POINTS[:2])
    assert walk.length_m == pytest.approx(51.53, abs=0.01)
    walk.clear()
    assert not walk.walkable and seen[-1] == ()


def test_geojson_round_trip(tmp_path):
    walk = Walk(POINTS)
    out = walk.save(tmp_path / "walk.geojson")
    doc = json.loads(out.read_text())
    assert doc["geometry"]["type"] == "LineString"
    assert doc["crs"]["properties"]["name"].endswith("2326")
    back = Walk()
    back.load(out)
    assert back.points == walk.points
    # a FeatureCollection or a bare LineString reads too
    (tmp_path / "fc.json").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}},
        {"type": "Feature", "geometry": doc["geometry"]}]}))
    assert read_walk(tmp_path / "fc.json") == list(POINTS)


@pytest.mark.parametrize("doc, field, words", [
    ("{not json", None, "not valid JSON"),
    ({"type": "Point", "coordinates": [834_000, 816_000]}, "type", "not a walk"),
    ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []}}, "geometry.type",
     "not a LineString"),
    ({"type": "LineString", "coordinates": [[834_000, 816_000]]}, "coordinates", "two or more"),
    ({"type": "LineString", "coordinates": [[834_000, 816_000], [834_000, "x"]]},
     "coordinates[1]", "not [easting, northing]"),
    ({"type": "LineString", "coordinates": [[114.15, 22.28], [114.16, 22.28]]},
     "coordinates[0]", "longitude and latitude"),
    ({"type": "Feature", "crs": {"type": "name", "properties": {"name": "EPSG:4326"}},
      "geometry": {"type": "LineString", "coordinates": [[834_000, 816_000], [834_010, 816_000]]}},
     "crs", "not EPSG:2326"),
])
def test_a_bad_file_names_the_file_and_the_field(tmp_path, doc, field, words):
    bad = tmp_path / "bad.geojson"
    bad.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    walk = Walk(POINTS)
    with pytest.raises(DataError) as err:
        walk.load(bad)
    assert str(bad) in str(err.value) and words in str(err.value)
    if field is not None:
        assert err.value.field == field
    assert walk.points == tuple(POINTS)  # left as it was


def test_saving_needs_two_points(tmp_path):
    with pytest.raises(DataError):
        Walk(POINTS[:1]).save(tmp_path / "w.geojson")
    assert not (tmp_path / "w.geojson").exists()


def test_report_csv_says_not_evaluated():
    rows = [{"id": "a1", "name": "Card", "seen_share": 0.5, "first_seen_m": 2.0,
             "seen_m": [(2.0, 10.0), (20.0, 24.5)], "below_requirement_m": None,
             "below_requirement_share_of_seen": None}]
    text = report_csv(rows)
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,name,seen_share")
    assert lines[1] == "a1,Card,0.5,2.0,2.0-10.0; 20.0-24.5,not evaluated,"
