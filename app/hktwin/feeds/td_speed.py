"""Transport Department road network segment speeds, second generation (`irnAvgSpeed-all.xml`).

"Traffic Speeds of Road Network Segments (Processed Data)": root `segment_speed_list` with `date`
(YYYY-MM-DD), `time` (HH:MM:SS, local), `irn_version`, then `segments` holding ~4,400 `segment`
elements with `segment_id` (the ROUTE_ID of the Road Network 2nd generation centreline), `speed`
(km/h, decimal) and `valid` (Y = detector online, N = offline). Real files also carry segments
with an empty `<speed/>` and no `valid`. Invalid or empty speeds give value None, attrs
valid=False. This is the largest feed polled every minute, so the segment loop touches each
element once and shares one timestamp.
"""

from __future__ import annotations

import math

from hktwin.core.limits import SPEED_KMH
from hktwin.feeds import xmlsafe
from hktwin.feeds.base import FeedFormatError, FeedSource, Observation

NAME = "td-speed"
URL = "https://resource.data.one.gov.hk/td/traffic-detectors/irnAvgSpeed-all.xml"
MAX_BYTES = 20_000_000  # about 0.4 MB for 4,405 segments


def parse(data: bytes) -> list[Observation]:
    """One observation per road segment (km/h, None where not valid)."""
    root, ns = xmlsafe.parse(data, NAME, ("segment_speed_list",), max_bytes=MAX_BYTES)
    date = xmlsafe.child_text(root, ns, "date")
    time = xmlsafe.child_text(root, ns, "time")
    if not date:
        raise FeedFormatError(NAME, "date is missing")
    if not time and "T" not in date:
        raise FeedFormatError(NAME, "time is missing", date)
    stamp = f"{date}T{time}" if time else date
    when = xmlsafe.hk_time(stamp, NAME, "date and time")
    version = xmlsafe.child_text(root, ns, "irn_version")
    segments = xmlsafe.child(root, ns, "segments")
    if segments is None:
        raise FeedFormatError(NAME, "segments element is missing")
    seg_tag, t_id, t_speed, t_valid = (ns + n for n in ("segment", "segment_id", "speed", "valid"))
    base = {"irn_version": version} if version else {}
    rows: list[Observation] = []
    append = rows.append
    for n, seg in enumerate(segments):
        if seg.tag != seg_tag:
            continue
        seg_id = (seg.findtext(t_id) or "").strip()
        if not seg_id:
            raise FeedFormatError(NAME, f"segment #{n + 1} has no segment_id")
        text = seg.findtext(t_speed)
        speed = _speed(text, seg_id) if text and not text.isspace() else None
        valid = speed is not None and (seg.findtext(t_valid) or "").strip() == "Y"
        if valid and not SPEED_KMH[0] <= speed <= SPEED_KMH[1]:
            raise FeedFormatError(NAME, f"speed of segment {seg_id} is {speed:g} km/h, outside "
                                  f"{SPEED_KMH[0]:g}..{SPEED_KMH[1]:g} km/h: it cannot be real",
                                  text or "")
        append(Observation(NAME, seg_id, when, speed if valid else None, "km/h",
                           {"valid": valid, **base}))
    return rows


def _speed(text: str, seg_id: str) -> float:
    """xmlsafe.number for the hot loop: float() with errors naming the segment."""
    try:
        speed = float(text)
    except ValueError:
        raise FeedFormatError(NAME, f"speed of segment {seg_id} is not a number", text) from None
    if not math.isfinite(speed):
        raise FeedFormatError(NAME, f"speed of segment {seg_id} is not a finite number", text)
    return speed


SOURCES = {NAME: FeedSource(
    NAME, URL, 60.0, parse,
    "Road network segment speeds (second generation, processed): ~4,400 segments", MAX_BYTES)}
