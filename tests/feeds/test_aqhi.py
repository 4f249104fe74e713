"""EPD AQHI: the current RSS and the past-24-hour report through one parser."""

from __future__ import annotations

import pytest
from feed_docs import fixture

from hktwin.feeds import aqhi, stations
from hktwin.feeds.base import FeedFormatError
from hktwin.feeds.sources import get_source


@pytest.fixture(scope="module")
def current():
    return {r.key: r for r in aqhi.parse(fixture("aqhi_ind_rss_Eng.xml"))}


@pytest.fixture(scope="module")
def past():
    return aqhi.parse(fixture("24aqhi_Eng.xml"))


def test_current_rss_gives_the_18_stations(current):
    assert set(current) == set(stations.aqhi_stations())
    assert all("known_place" not in r.attrs for r in current.values())
    cw = current["Central/Western"]
    assert (cw.value, cw.attrs["band"], cw.attrs["station_type"]) == (3.0, "Low", "general")
    assert cw.attrs["report"] == "current"
    assert cw.observed_at.isoformat() == "2026-03-22T17:30:00+08:00"
    assert current["Tuen Mun"].attrs["band"] == "High"
    assert current["Causeway Bay"].attrs == {"band": "Very High", "station_type": "roadside",
                                             "report": "current"}


def test_ten_plus_is_eleven_and_serious(current):
    mk = current["Mong Kok"]
    assert (mk.value, mk.attrs["band"], mk.attrs["station_type"]) == (11.0, "Serious", "roadside")


def test_past_24_hours_gives_every_station_hour(past, current):
    assert len(past) == 54
    assert {r.attrs["report"] for r in past} == {"24h"}
    latest = {r.key: r for r in past}  # items run oldest to newest per station
    assert {k: (r.value, r.attrs["band"]) for k, r in latest.items()} == {
        k: (r.value, r.attrs["band"]) for k, r in current.items()}
    assert latest["Mong Kok"].observed_at.isoformat() == "2026-03-22T17:00:00+08:00"
    down = [r for r in past if r.key == "Tap Mun" and r.observed_at.hour == 15]
    assert len(down) == 1 and down[0].value is None and down[0].attrs["band"] is None


@pytest.mark.parametrize(("value", "band"), [(1, "Low"), (3, "Low"), (4, "Moderate"),
                                             (6, "Moderate"), (7, "High"), (8, "Very High"),
                                             (10, "Very High"), (11, "Serious")])
def test_bands(value, band):
    assert aqhi.band_of(value) == band


RSS = """<rss version="2.0"><channel><pubDate>Sun, 22 Mar 2026 17:30:00 +0800</pubDate>
<item><title>{title}</title><description>{desc}</description></item></channel></rss>"""


def rss(title: str, desc: str = "") -> bytes:
    return RSS.format(title=title, desc=desc).encode()


def test_item_time_falls_back_to_the_channel():
    (row,) = aqhi.parse(rss("Eastern : 2 : Low"))
    assert row.observed_at.isoformat() == "2026-03-22T17:30:00+08:00"


def test_unknown_station_keeps_its_name_and_type():
    (row,) = aqhi.parse(rss("Lantau : 4 : Moderate", "Lantau - Roadside Stations: 4 Moderate"))
    assert row.key == "Lantau"
    assert row.attrs == {"band": "Moderate", "station_type": "roadside", "known_place": False,
                         "report": "current"}


def test_a_station_without_an_index():
    (row,) = aqhi.parse(rss("Tap Mun : - : -"))
    assert row.value is None and row.attrs["band"] is None


def test_errors():
    with pytest.raises(FeedFormatError, match="title is not 'station : index : risk'"):
        aqhi.parse(rss("Eastern 2 Low"))
    with pytest.raises(FeedFormatError, match="AQHI of Eastern"):
        aqhi.parse(rss("Eastern : two : Low"))
    with pytest.raises(FeedFormatError, match="no channel"):
        aqhi.parse(b"<rss/>")
    with pytest.raises(FeedFormatError, match=r"root element <feed>"):
        aqhi.parse(b"<feed/>")
    with pytest.raises(FeedFormatError, match="time is not RFC 822"):
        aqhi.parse(b"<AQHI24HrReport><item><StationName>Eastern</StationName>"
                   b"<DateTime>yesterday</DateTime><aqhi>3</aqhi></item></AQHI24HrReport>")
    with pytest.raises(FeedFormatError, match="has no StationName"):
        aqhi.parse(b"<AQHI24HrReport><item><aqhi>3</aqhi></item></AQHI24HrReport>")


def test_registered():
    source = get_source("aqhi")
    assert source.parse is aqhi.parse
    assert source.url == "https://www.aqhi.gov.hk/epd/ddata/html/out/aqhi_ind_rss_Eng.xml"
