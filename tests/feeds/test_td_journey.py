"""Journey Time Indicators v2: minutes, messages and colours."""

from __future__ import annotations

import pytest
from feed_docs import fixture

from hktwin.feeds import td_journey
from hktwin.feeds.base import FeedFormatError
from hktwin.feeds.sources import get_source


@pytest.fixture(scope="module")
def rows():
    return {r.key: r for r in td_journey.parse(fixture("Journeytimev2.xml"))}


def test_fixture_rows(rows):
    assert len(rows) == 22
    assert {r.observed_at.isoformat() for r in rows.values()} == {"2026-03-22T17:28:00+08:00"}
    assert {r.unit for r in rows.values()} == {"min"}


def test_journey_times_in_minutes_with_colour(rows):
    h1 = rows["H1->CH"]
    assert h1.value == 9.0
    assert h1.attrs == {"location": "H1", "destination": "CH", "journey_type": 1,
                        "colour_id": 2, "colour": "amber"}
    assert rows["K02->CH"].attrs["colour"] == "red"
    assert rows["H2->CH"].attrs["colour"] == "green"


def test_unavailable_time_and_messages_have_no_value(rows):
    missing = rows["K03->CH"]
    assert missing.value is None and missing.attrs["message"] == "journey time not available"
    assert missing.attrs["colour"] is None
    congested = rows["SJ2->TCT"]
    assert congested.value is None and congested.attrs["journey_type"] == 2
    assert congested.attrs["message"] == "congestion"
    assert rows["SJ4->TKTL"].attrs["message"] == "closure"


def test_without_the_namespace_parses_identically(rows):
    data = fixture("Journeytimev2.xml").replace(b' xmlns="http://data.one.gov.hk/td"', b"")
    assert b"data.one.gov.hk" not in data
    assert {r.key: r for r in td_journey.parse(data)} == rows


ONE = """<jtis_journey_list><jtis_journey_time><LOCATION_ID>H1</LOCATION_ID>
<DESTINATION_ID>CH</DESTINATION_ID><CAPTURE_DATE>2026-03-22T17:28:00</CAPTURE_DATE>
<JOURNEY_TYPE>{type}</JOURNEY_TYPE><JOURNEY_DATA>{data}</JOURNEY_DATA><COLOUR_ID>1</COLOUR_ID>
<JOURNEY_DESC>{desc}</JOURNEY_DESC></jtis_journey_time></jtis_journey_list>"""


def one(type: str = "1", data: str = "9", desc: str = "") -> bytes:
    return ONE.format(type=type, data=data, desc=desc).encode()


def test_the_description_is_the_message_when_given():
    (row,) = td_journey.parse(one("2", "2", "Accident at Canal Road Flyover"))
    assert row.value is None
    assert row.attrs["message"] == row.attrs["description"] == "Accident at Canal Road Flyover"
    (row,) = td_journey.parse(one("2", "2"))
    assert row.attrs["message"] == "code 2"


def test_errors_name_the_field_and_the_journey():
    with pytest.raises(FeedFormatError, match="JOURNEY_DATA of H1->CH"):
        td_journey.parse(one(data="nine"))
    with pytest.raises(FeedFormatError, match="JOURNEY_DATA of H1->CH is not a whole number"):
        td_journey.parse(one(data="9.5"))
    with pytest.raises(FeedFormatError, match="CAPTURE_DATE of H1->CH"):
        td_journey.parse(one().replace(b"2026-03-22T17:28:00", b"now"))
    with pytest.raises(FeedFormatError, match="lacks LOCATION_ID or DESTINATION_ID"):
        td_journey.parse(one().replace(b"<LOCATION_ID>H1</LOCATION_ID>", b""))


def test_registered_with_its_address():
    source = get_source("td-journey")
    assert source.parse is td_journey.parse
    assert source.url == "https://resource.data.one.gov.hk/td/jss/Journeytimev2.xml"
