"""First-generation Traffic Speed Map against the 14 real TD snapshots."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest
from feed_docs import with_td_namespace

from hktwin.feeds import td_speedmap
from hktwin.feeds.base import FeedFormatError
from hktwin.feeds.sources import get_source

HKT = timezone(timedelta(hours=8))
FIELDS = ("LINK_ID", "REGION", "ROAD_TYPE", "ROAD_SATURATION_LEVEL", "TRAFFIC_SPEED",
          "CAPTURE_DATE")


@pytest.fixture(scope="module")
def snapshots(real_data):
    files = sorted((real_data / "td").glob("*-speedmap.xml"))
    assert len(files) == 14, "expected the 14 archived snapshots"
    return files


def independent_read(data: bytes) -> list[dict[str, str]]:
    """The same file read with plain xml.etree, as a reference."""
    return [{f: item.findtext(f) for f in FIELDS}
            for item in ET.fromstring(data).iter("jtis_speedmap")]


def test_every_real_snapshot_gives_607_links_with_the_published_speeds(snapshots):
    for path in snapshots:
        data = path.read_bytes()
        rows = td_speedmap.parse(data)
        ref = independent_read(data)
        assert len(rows) == len(ref) == 607, path.name
        assert [r.key for r in rows] == [x["LINK_ID"] for x in ref]
        assert [r.value for r in rows] == [float(x["TRAFFIC_SPEED"]) for x in ref], path.name
        assert [r.observed_at for r in rows] == [
            datetime.fromisoformat(x["CAPTURE_DATE"]).replace(tzinfo=HKT) for x in ref]
        assert [(r.attrs["region"], r.attrs["road_type"], r.attrs["saturation"]) for r in rows] \
            == [(x["REGION"], x["ROAD_TYPE"], x["ROAD_SATURATION_LEVEL"]) for x in ref]
        assert {r.unit for r in rows} == {"km/h"} and {r.source for r in rows} == {"td-speedmap"}


def test_the_namespaced_variant_parses_identically(snapshots):
    for path in snapshots:
        data = path.read_bytes()
        namespaced = with_td_namespace(data, "jtis_speedlist")
        assert b'xmlns="http://data.one.gov.hk/td"' in namespaced
        assert td_speedmap.parse(namespaced) == td_speedmap.parse(data), path.name


def test_published_codes_and_times(snapshots):
    rows = td_speedmap.parse(snapshots[0].read_bytes())
    assert {r.attrs["region"] for r in rows} <= {"HK", "K", "TM", "ST"}
    assert {r.attrs["road_type"] for r in rows} == {"MAJOR ROUTE", "URBAN ROAD"}
    assert {r.attrs["saturation"] for r in rows} <= {"TRAFFIC GOOD", "TRAFFIC AVERAGE",
                                                     "TRAFFIC BAD"}
    first = rows[0]
    assert first.observed_at.isoformat() == "2016-10-14T17:56:35+08:00"
    assert first.to_json()["time"] == "2016-10-14T17:56:35+08:00"


def test_links_are_the_published_link_and_node_ids(real_data, snapshots):
    with (real_data / "td" / "tsm_link_and_node_info_v2.csv").open(encoding="utf-8-sig") as f:
        known = {row["Link ID"].strip() for row in csv.DictReader(f)}
    keys = {r.key for r in td_speedmap.parse(snapshots[-1].read_bytes())}
    assert keys <= known


DOC = """<?xml version="1.0" encoding="UTF-8"?>
<jtis_speedlist>
  <jtis_speedmap><LINK_ID>722-50059</LINK_ID><REGION>HK</REGION>
    <ROAD_TYPE>MAJOR ROUTE</ROAD_TYPE><ROAD_SATURATION_LEVEL>TRAFFIC GOOD</ROAD_SATURATION_LEVEL>
    <TRAFFIC_SPEED>{speed}</TRAFFIC_SPEED><CAPTURE_DATE>{date}</CAPTURE_DATE></jtis_speedmap>
</jtis_speedlist>"""


def doc(speed: str = "55", date: str = "2016-10-14T17:56:35") -> bytes:
    return DOC.format(speed=speed, date=date).encode()


def test_a_small_document():
    (row,) = td_speedmap.parse(doc())
    assert (row.key, row.value, row.unit) == ("722-50059", 55.0, "km/h")
    assert row.observed_at == datetime(2016, 10, 14, 17, 56, 35, tzinfo=HKT)


def test_an_empty_speed_is_none():
    assert td_speedmap.parse(doc(speed=""))[0].value is None


def test_errors_name_the_field_and_the_link():
    with pytest.raises(FeedFormatError, match="TRAFFIC_SPEED of link 722-50059"):
        td_speedmap.parse(doc(speed="fast"))
    with pytest.raises(FeedFormatError, match="CAPTURE_DATE of link 722-50059"):
        td_speedmap.parse(doc(date="yesterday"))
    with pytest.raises(FeedFormatError, match="CAPTURE_DATE of link 722-50059 is missing"):
        td_speedmap.parse(doc().replace(b"<CAPTURE_DATE>2016-10-14T17:56:35</CAPTURE_DATE>", b""))
    with pytest.raises(FeedFormatError, match="has no LINK_ID"):
        td_speedmap.parse(doc().replace(b"722-50059", b""))


def test_registered_with_its_address_and_cadence():
    source = get_source("td-speedmap")
    assert source.parse is td_speedmap.parse
    assert source.url == "https://resource.data.one.gov.hk/td/speedmap.xml"
    assert source.interval_s == 120
