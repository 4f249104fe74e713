"""Station and district tables against the real published networks and feeds."""

from __future__ import annotations

import json
import math

import pytest
from feed_docs import fixture

from hktwin.feeds import stations
from hktwin.geo.crs import from_wgs84

AQHI_SUFFIX_EN = " Air Quality Monitoring Station"
AQHI_SUFFIX_TC = "空氣質素監測站"


def features(path):
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def distance_m(place, easting, northing):
    return math.hypot(place.easting - easting, place.northing - northing)


def test_table_sizes_and_kinds():
    assert len(stations.aqhi_stations()) == 18
    assert len(stations.districts()) == 18
    assert len(stations.weather_stations()) >= 49
    assert {p.station_type for p in stations.aqhi_stations().values()} == {"general", "roadside"}
    assert sorted(n for n, p in stations.aqhi_stations().items()
                  if p.station_type == "roadside") == ["Causeway Bay", "Central", "Mong Kok"]


@pytest.mark.parametrize("kind", stations.KINDS)
def test_grid_coordinates_agree_with_the_wgs84_positions(kind):
    table = list(stations.places(kind).values())
    x, y = from_wgs84([p.lon for p in table], [p.lat for p in table])
    for place, e, n in zip(table, x, y, strict=True):
        assert distance_m(place, e, n) < 2.0, place.name
        assert 800_000 < place.easting < 870_000 and 800_000 < place.northing < 850_000


def test_every_rhrread_place_of_the_real_sample_maps_to_a_station(real_data):
    doc = json.loads((real_data / "hko" / "rhrread.json").read_text(encoding="utf-8"))
    for section, kind in (("temperature", "weather"), ("humidity", "weather"),
                          ("uvindex", "weather"), ("rainfall", "district")):
        for entry in doc[section]["data"]:
            assert stations.canonical_place(entry["place"], kind), entry["place"]


def test_every_rhrread_place_of_the_english_fixture_maps_to_the_same_names(real_data):
    tc = json.loads((real_data / "hko" / "rhrread.json").read_text(encoding="utf-8"))
    en = json.loads(fixture("rhrread_en.json"))
    for section, kind in (("temperature", "weather"), ("rainfall", "district")):
        names_tc = [stations.canonical_place(e["place"], kind) for e in tc[section]["data"]]
        names_en = [stations.canonical_place(e["place"], kind) for e in en[section]["data"]]
        assert names_tc == names_en


def test_weather_stations_lie_within_1_km_of_the_published_network(real_data):
    network = features(real_data / "stations" / "Network_of_Weather_Stations_in_Hong_Kong.geojson")
    assert len(network) == 49
    for feature in network:
        props = feature["properties"]
        by_tc = stations.place(props["設施名稱"], "weather")
        by_en = stations.place(props["Facility Name"], "weather")
        assert by_tc is by_en, props["Facility Name"]
        assert distance_m(by_tc, props["Easting"], props["Northing"]) < 1000, by_tc.name
        lon, lat = feature["geometry"]["coordinates"]
        assert abs(by_tc.lon - lon) < 0.01 and abs(by_tc.lat - lat) < 0.01, by_tc.name


def test_aqhi_stations_match_the_published_network(real_data):
    network = features(real_data / "stations" /
                       "Air_Quality_Monitoring_Network_of_Hong_Kong.geojson")
    seen = set()
    for feature in network:
        props = feature["properties"]
        place = stations.place(props["Facility Name"].removesuffix(AQHI_SUFFIX_EN), "aqhi")
        assert stations.place(props["設施名稱"].removesuffix(AQHI_SUFFIX_TC), "aqhi") is place
        assert distance_m(place, props["Easting"], props["Northing"]) < 1000, place.name
        published = props["Types of Air Quality Monitoring Station"].split()[0].lower()
        assert place.station_type == published, place.name
        seen.add(place.name)
    assert seen == set(stations.aqhi_stations())


def test_districts_match_the_district_council_boundaries(real_data):
    shapely = pytest.importorskip("shapely.geometry")
    boundaries = features(real_data / "districts" / "district-council-2001.geojson")
    assert {f["properties"]["DC_ENG"] for f in boundaries} == set(stations.districts())
    for feature in boundaries:
        props = feature["properties"]
        place = stations.districts()[props["DC_ENG"]]
        assert stations.place(props["DC_CHIN"], "district") is place
        assert place.code == props["DC_CODE"]
        assert shapely.shape(feature["geometry"]).contains(shapely.Point(place.lon, place.lat)), \
            place.name


@pytest.mark.parametrize(("name", "kind", "expected"), [
    ("京士柏", None, "King's Park"), ("king’s  PARK", None, "King's Park"),
    ("赤鱲角", "weather", "Chek Lap Kok"),
    ("Hong Kong International Airport", None, "Chek Lap Kok"),
    ("Star Ferry(Kowloon)", "weather", "Star Ferry"),
    ("Central & Western District", "district", "Central & Western"),
    ("中西區", "district", "Central & Western"), ("中西區", "aqhi", "Central/Western"),
    ("中西區", None, "Central & Western"), ("葵青", "district", "Kwai Tsing"),
    ("離島區", None, "Islands"), ("Islands District", None, "Islands"),
    ("旺角", "aqhi", "Mong Kok"), ("Kwai Chung", None, "Kwai Chung"),
])
def test_canonical_place(name, kind, expected):
    assert stations.canonical_place(name, kind) == expected


def test_unknown_places_list_the_known_names():
    with pytest.raises(KeyError) as info:
        stations.canonical_place("Atlantis")
    assert "Atlantis" in str(info.value) and "King's Park" in str(info.value)
    with pytest.raises(KeyError, match=r"\(aqhi\); known: Causeway Bay"):
        stations.canonical_place("King's Park", "aqhi")
    with pytest.raises(KeyError, match="unknown place kind"):
        stations.places("lamppost")


def test_coordinates():
    e, n = stations.coordinates("Hong Kong Observatory")
    assert abs(e - 836000) < 300 and abs(n - 818100) < 300
    lon, lat = stations.coordinates("香港天文台", crs="wgs84")
    assert (round(lon, 2), round(lat, 2)) == (114.17, 22.30)
    with pytest.raises(ValueError, match="crs"):
        stations.coordinates("Hong Kong Observatory", crs="EPSG:3857")


def test_tables_are_read_only():
    with pytest.raises(TypeError):
        stations.districts()["Atlantis"] = None  # type: ignore[index]
