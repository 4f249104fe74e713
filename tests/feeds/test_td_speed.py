"""Second-generation segment speeds: the fixture, the namespaced variant and a full-size file."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import pytest
from feed_docs import fixture, irn_document, with_td_namespace

from hktwin.feeds import td_speed
from hktwin.feeds.base import FeedFormatError
from hktwin.feeds.sources import get_source


@pytest.fixture(scope="module")
def rows():
    return td_speed.parse(fixture("irnAvgSpeed-all.xml"))


def test_fixture_rows(rows):
    assert len(rows) == 36
    assert {r.source for r in rows} == {"td-speed"} and {r.unit for r in rows} == {"km/h"}
    assert {r.observed_at.isoformat() for r in rows} == {"2025-08-05T08:01:00+08:00"}
    assert all(r.attrs["irn_version"] == "20221210" for r in rows)
    assert all(r.key.isdigit() for r in rows)


def test_invalid_segments_have_no_value(rows):
    invalid = [r for r in rows if not r.attrs["valid"]]
    assert len(invalid) == 5  # four valid=N and one empty <speed/> without a flag
    assert all(r.value is None for r in invalid)
    assert all(r.value is not None and r.value > 0 for r in rows if r.attrs["valid"])


def test_values_equal_an_independent_read():
    data = fixture("irnAvgSpeed-all.xml")
    ref = {s.findtext("segment_id"): (s.findtext("speed"), s.findtext("valid"))
           for s in ET.fromstring(data).iter("segment")}
    for row in td_speed.parse(data):
        speed, valid = ref[row.key]
        assert row.attrs["valid"] == (valid == "Y" and bool(speed))
        assert row.value == (float(speed) if valid == "Y" else None)


def test_namespaced_variant_parses_identically(rows):
    data = with_td_namespace(fixture("irnAvgSpeed-all.xml"), "segment_speed_list")
    assert td_speed.parse(data) == rows


def test_full_size_generated_document():
    data = irn_document()
    rows = td_speed.parse(data)
    assert len(rows) == 4405
    assert len({r.key for r in rows}) == 4405
    ref = [(s.findtext("segment_id"), s.findtext("speed"), s.findtext("valid"))
           for s in ET.fromstring(data).iter("segment")]
    assert [(r.key, r.value) for r in rows] == [
        (i, float(v) if ok == "Y" else None) for i, v, ok in ref]
    assert td_speed.parse(irn_document(namespaced=True)) == rows


def test_full_size_parse_is_fast():
    data = irn_document()
    best = min(_timed(td_speed.parse, data) for _ in range(3))
    assert best < 0.25, f"{best * 1000:.0f} ms for 4,405 segments (benchmark target 50 ms)"


def _timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


HEAD = b'<segment_speed_list><date>2025-08-05</date><time>08:01:00</time>'


def test_errors_name_the_field():
    with pytest.raises(FeedFormatError, match="date is missing"):
        td_speed.parse(b"<segment_speed_list><segments/></segment_speed_list>")
    with pytest.raises(FeedFormatError, match="segments element is missing"):
        td_speed.parse(HEAD + b"</segment_speed_list>")
    with pytest.raises(FeedFormatError, match="speed of segment 58280"):
        td_speed.parse(HEAD + b"<segments><segment><segment_id>58280</segment_id>"
                       b"<speed>quick</speed><valid>Y</valid></segment></segments>"
                       b"</segment_speed_list>")
    with pytest.raises(FeedFormatError, match="segment #1 has no segment_id"):
        td_speed.parse(HEAD + b"<segments><segment><speed>1</speed></segment></segments>"
                       b"</segment_speed_list>")
    with pytest.raises(FeedFormatError, match="date and time"):
        td_speed.parse(b"<segment_speed_list><date>05/08/2025</date><time>08:01:00</time>"
                       b"<segments/></segment_speed_list>")
    with pytest.raises(FeedFormatError, match="time is missing"):
        td_speed.parse(b"<segment_speed_list><date>2025-08-05</date><segments/>"
                       b"</segment_speed_list>")


def test_a_document_without_time_needs_a_full_date_time():
    data = (b"<segment_speed_list><date>2025-08-05T08:01:00</date><segments/>"
            b"</segment_speed_list>")
    assert td_speed.parse(data) == []


def test_registered_with_its_address_and_cadence():
    source = get_source("td-speed")
    assert source.parse is td_speed.parse
    assert source.url.endswith("/td/traffic-detectors/irnAvgSpeed-all.xml")
    assert source.interval_s == 60
