"""Environmental Protection Department Air Quality Health Index (AQHI) per monitoring station.

One parser for the two published documents, told apart by their root element:
  current, `aqhi_ind_rss_Eng.xml`: RSS 2.0, one `item` per station with a title such as
    "Central/Western : 2 : Low" (station : index : health risk) and an RFC 822 `pubDate`;
  past 24 hours, `24aqhi_Eng.xml`: root `AQHI24HrReport`, one `item` per station and hour with
    `type` (General Stations / Roadside Stations), `StationName`, `DateTime` (RFC 822), `aqhi`.
Key the canonical station name; value the index, with "10+" read as 11.0 (band "Serious");
attrs band (Low, Moderate, High, Very High, Serious), station_type (general / roadside) and
report ("current" or "24h"). An index that is not a number ("-" while a station is down) gives
value None.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from hktwin.feeds import stations, xmlsafe
from hktwin.feeds.base import FeedFormatError, FeedSource, Observation

NAME = "aqhi"
URL = "https://www.aqhi.gov.hk/epd/ddata/html/out/aqhi_ind_rss_Eng.xml"
PAST_24H_URL = "https://www.aqhi.gov.hk/epd/ddata/html/out/24aqhi_Eng.xml"
MAX_BYTES = 5_000_000
BANDS = ("Low", "Moderate", "High", "Very High", "Serious")
NO_DATA = ("", "-", "--", "*", "N/A", "NA")


def band_of(value: float) -> str:
    """The health risk band of an AQHI value (1-3, 4-6, 7, 8-10, 10+)."""
    if value <= 3:
        return "Low"
    if value <= 6:
        return "Moderate"
    if value <= 7:
        return "High"
    if value <= 10:
        return "Very High"
    return "Serious"


def _index(text: str, where: str) -> float | None:
    """AQHI text -> value: "10+" is 11.0; "-", "N/A" or "" (no data) are None."""
    text = text.strip()
    if text == "10+":
        return 11.0
    if text.upper() in NO_DATA:
        return None
    return xmlsafe.number(text, NAME, f"AQHI of {where}")


def _rfc822(text: str | None, where: str) -> datetime:
    if not text or not text.strip():
        raise FeedFormatError(NAME, f"{where} has no time")
    try:
        when = parsedate_to_datetime(text.strip())
    except (ValueError, TypeError, IndexError, OverflowError):
        raise FeedFormatError(NAME, f"{where}: time is not RFC 822", text) from None
    return when.replace(tzinfo=xmlsafe.HKT) if when.tzinfo is None else when


def _station(name: str, published_type: str) -> tuple[str, dict[str, object]]:
    """Canonical name and the station attrs (type from the table, else from the document)."""
    kind = published_type.lower()
    fallback = "roadside" if "roadside" in kind else "general" if "general" in kind else ""
    try:
        place = stations.place(name, "aqhi")
    except KeyError:
        return name, {"station_type": fallback, "known_place": False}
    return place.name, {"station_type": place.station_type or fallback}


def _text(item: Element, name: str) -> str:
    found = item.find(name)
    return (found.text or "").strip() if found is not None else ""


def _current(channel: Element) -> list[Observation]:
    default_time = _text(channel, "pubDate") or _text(channel, "lastBuildDate")
    rows = []
    for n, item in enumerate(channel.iterfind("item")):
        title = _text(item, "title")
        parts = [p.strip() for p in title.split(":")]
        if len(parts) != 3 or not parts[0]:
            raise FeedFormatError(NAME, f"item #{n + 1} title is not 'station : index : risk'",
                                  title)
        name, index, risk = parts
        when = _rfc822(_text(item, "pubDate") or default_time, f"item {name}")
        value = _index(index, name)
        band = next((b for b in BANDS if b.lower() == risk.lower()), None)
        if band is None and value is not None:
            band = band_of(value)
        desc = _text(item, "description")  # "Central/Western - General Stations: 2 Low - ..."
        key, attrs = _station(name, desc)
        rows.append(Observation(NAME, key, when, value, "",
                                {"band": band, **attrs, "report": "current"}))
    return rows


def _past_24h(root: Element) -> list[Observation]:
    rows = []
    for n, item in enumerate(root.iterfind("item")):
        name = _text(item, "StationName")
        if not name:
            raise FeedFormatError(NAME, f"item #{n + 1} has no StationName")
        when = _rfc822(_text(item, "DateTime"), f"item {name}")
        value = _index(_text(item, "aqhi"), name)
        key, attrs = _station(name, _text(item, "type"))
        band = band_of(value) if value is not None else None
        rows.append(Observation(NAME, key, when, value, "", {"band": band, **attrs,
                                                              "report": "24h"}))
    return rows


def parse(data: bytes) -> list[Observation]:
    """Rows from either AQHI document (current RSS or past-24-hour report)."""
    root, _ = xmlsafe.parse(data, NAME, ("rss", "AQHI24HrReport"), namespaces=("",),
                            max_bytes=MAX_BYTES)
    if root.tag == "AQHI24HrReport":
        return _past_24h(root)
    channel = root.find("channel")
    if channel is None:
        raise FeedFormatError(NAME, "RSS document has no channel")
    return _current(channel)


SOURCES = {NAME: FeedSource(
    NAME, URL, 600.0, parse,
    "EPD Air Quality Health Index at the 18 monitoring stations (hourly)", MAX_BYTES)}
