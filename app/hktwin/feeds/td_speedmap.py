"""Transport Department Traffic Speed Map, first generation (`speedmap.xml`).

Root `jtis_speedlist` with one `jtis_speedmap` per link: LINK_ID ("start node-end node"), REGION
(HK, K, TM, ST), ROAD_TYPE (MAJOR ROUTE, URBAN ROAD), ROAD_SATURATION_LEVEL (TRAFFIC GOOD /
AVERAGE / BAD), TRAFFIC_SPEED (integer km/h) and CAPTURE_DATE (local time without offset). The
official XSD puts these in the namespace `http://data.one.gov.hk/td`; archived copies have none,
so both are read. One row per link: key LINK_ID, value the speed.
"""

from __future__ import annotations

from datetime import datetime

from hktwin.core.limits import SPEED_KMH
from hktwin.feeds import xmlsafe
from hktwin.feeds.base import FeedFormatError, FeedSource, Observation

NAME = "td-speedmap"
URL = "https://resource.data.one.gov.hk/td/speedmap.xml"
MAX_BYTES = 5_000_000  # about 200 kB for ~600 links


def parse(data: bytes) -> list[Observation]:
    """One observation per link (km/h; None when the speed is empty)."""
    root, ns = xmlsafe.parse(data, NAME, ("jtis_speedlist",), max_bytes=MAX_BYTES)
    item_tag = ns + "jtis_speedmap"
    t_link, t_region, t_type, t_level, t_speed, t_date = (
        ns + n for n in ("LINK_ID", "REGION", "ROAD_TYPE", "ROAD_SATURATION_LEVEL",
                         "TRAFFIC_SPEED", "CAPTURE_DATE"))
    times: dict[str, datetime] = {}  # every link usually shares one capture time
    rows: list[Observation] = []
    for n, item in enumerate(root):
        if item.tag != item_tag:
            continue
        fields = {c.tag: (c.text or "").strip() for c in item}
        link = fields.get(t_link)
        if not link:
            raise FeedFormatError(NAME, f"jtis_speedmap #{n + 1} has no LINK_ID")
        stamp = fields.get(t_date)
        when = times.get(stamp) if stamp else None
        if when is None:
            when = times[stamp] = xmlsafe.hk_time(stamp, NAME, f"CAPTURE_DATE of link {link}")
        speed = xmlsafe.number(fields.get(t_speed), NAME, f"TRAFFIC_SPEED of link {link}",
                               SPEED_KMH, "km/h")
        rows.append(Observation(NAME, link, when, speed, "km/h", {
            "region": fields.get(t_region, ""), "road_type": fields.get(t_type, ""),
            "saturation": fields.get(t_level, "")}))
    return rows


SOURCES = {NAME: FeedSource(  # the data spec says every 5 minutes; archives show 2-minute updates
    NAME, URL, 120.0, parse,
    "Traffic Speed Map (first generation): speed and saturation of ~600 links", MAX_BYTES)}
