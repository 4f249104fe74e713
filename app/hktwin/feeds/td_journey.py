"""Transport Department Journey Time Indicators, version 2 (`Journeytimev2.xml`).

Root `jtis_journey_list` (published in the namespace `http://data.one.gov.hk/td`) with one
`jtis_journey_time` per indicator board and destination: LOCATION_ID (board, e.g. H1, K02),
DESTINATION_ID (e.g. CH, EH, WH, LRT), CAPTURE_DATE (local time), JOURNEY_TYPE (1 = journey time,
2 = text message), JOURNEY_DATA (minutes for type 1, where -1 means not available; a message code
for type 2: 1 congestion and 3 closure as consumers of the feed read them - the official code list
was not at hand, so other codes are kept as "code N"), COLOUR_ID (1 red / congested, 2 amber /
slow, 3 green / smooth) and, in v2, JOURNEY_DESC (free text, often empty). Key
"LOCATION->DESTINATION"; value the minutes when JOURNEY_TYPE is 1, else None with the message in
attrs.
"""

from __future__ import annotations

from datetime import datetime

from hktwin.feeds import xmlsafe
from hktwin.feeds.base import FeedFormatError, FeedSource, Observation

NAME = "td-journey"
URL = "https://resource.data.one.gov.hk/td/jss/Journeytimev2.xml"
MAX_BYTES = 5_000_000

COLOURS = {1: "red", 2: "amber", 3: "green"}
MESSAGES = {1: "congestion", 3: "closure"}  # JOURNEY_TYPE 2 codes; others kept as "code N"
FIELDS = ("LOCATION_ID", "DESTINATION_ID", "CAPTURE_DATE", "JOURNEY_TYPE", "JOURNEY_DATA",
          "COLOUR_ID", "JOURNEY_DESC")


def parse(data: bytes) -> list[Observation]:
    """One observation per (board, destination): journey time in minutes, or None."""
    root, ns = xmlsafe.parse(data, NAME, ("jtis_journey_list",), max_bytes=MAX_BYTES)
    item_tag = ns + "jtis_journey_time"
    tags = {ns + f: f for f in FIELDS}
    times: dict[str, datetime] = {}
    rows: list[Observation] = []
    for n, item in enumerate(root):
        if item.tag != item_tag:
            continue
        f = {tags[c.tag]: (c.text or "").strip() for c in item if c.tag in tags}
        loc, dest = f.get("LOCATION_ID"), f.get("DESTINATION_ID")
        if not loc or not dest:
            raise FeedFormatError(NAME, f"jtis_journey_time #{n + 1} lacks LOCATION_ID or "
                                  "DESTINATION_ID")
        key = f"{loc}->{dest}"
        stamp = f.get("CAPTURE_DATE") or ""
        when = times.get(stamp) or times.setdefault(
            stamp, xmlsafe.hk_time(stamp, NAME, f"CAPTURE_DATE of {key}"))
        kind = _integer(f.get("JOURNEY_TYPE"), f"JOURNEY_TYPE of {key}")
        amount = _integer(f.get("JOURNEY_DATA"), f"JOURNEY_DATA of {key}")
        colour = _integer(f.get("COLOUR_ID"), f"COLOUR_ID of {key}")
        desc = f.get("JOURNEY_DESC", "")
        attrs: dict[str, object] = {
            "location": loc, "destination": dest, "journey_type": kind,
            "colour_id": colour, "colour": COLOURS.get(colour) if colour is not None else None}
        value: float | None = None
        if kind == 1 and amount is not None and amount >= 0:
            value = float(amount)
        elif kind == 1:
            attrs["message"] = desc or "journey time not available"
        else:
            attrs["message"] = desc or (MESSAGES.get(amount, f"code {amount}")
                                        if amount is not None else "no message")
        if desc:
            attrs["description"] = desc
        rows.append(Observation(NAME, key, when, value, "min", attrs))
    return rows


def _integer(text: str | None, field: str) -> int | None:
    value = xmlsafe.number(text, NAME, field)
    if value is None:
        return None
    if not value.is_integer():
        raise FeedFormatError(NAME, f"{field} is not a whole number", text or "")
    return int(value)


SOURCES = {NAME: FeedSource(
    NAME, URL, 120.0, parse,
    "Journey Time Indicators v2: minutes from roadside boards to tunnels and routes", MAX_BYTES)}
