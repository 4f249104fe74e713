"""The KMB/LWB route ETA document (data.etabus.gov.hk, API v1, `route-eta/{route}/{service}`)
turned into observation rows: one per stop of the route (key `route/bound/seq`), the value the
minutes from the document's time to the next bus, the next arrivals kept in `attrs`."""

from __future__ import annotations

import json
from datetime import datetime

import hktwin.plugins as hp

NAME = "kmb-route-eta"
ROUTE, SERVICE_TYPE = "1A", 1
URL = f"https://data.etabus.gov.hk/v1/transport/kmb/route-eta/{ROUTE}/{SERVICE_TYPE}"
FIELDS = ("route", "dir", "seq", "eta_seq", "eta", "data_timestamp")


def _time(text, where: str) -> datetime | None:
    if text in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(text))
    except ValueError:
        raise hp.FeedFormatError(NAME, f"{where} is not an ISO 8601 time", str(text)) from None
    if when.tzinfo is None:
        raise hp.FeedFormatError(NAME, f"{where} has no UTC offset", str(text))
    return when


def parse(data: bytes) -> list:
    """Rows of a RouteETA document; `FeedFormatError` for anything else."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise hp.FeedFormatError(NAME, f"not JSON ({exc})",
                                 data[:200].decode("utf-8", "replace")) from None
    if not isinstance(doc, dict) or doc.get("type") != "RouteETA" or not isinstance(
            doc.get("data"), list):
        raise hp.FeedFormatError(NAME, "not a KMB RouteETA document (type, data)", str(doc)[:200])
    generated = _time(doc.get("generated_timestamp"), "generated_timestamp")
    by_stop: dict[str, dict] = {}
    for item in doc["data"]:
        if not isinstance(item, dict) or any(f not in item for f in FIELDS):
            raise hp.FeedFormatError(NAME, f"an arrival lacks one of {', '.join(FIELDS)}",
                                     str(item)[:200])
        key = f"{item['route']}/{item['dir']}/{int(item['seq'])}"
        stop = by_stop.setdefault(key, {"etas": [], "remarks": [], "dest_en": "",
                                        "data_time": None})
        eta = _time(item["eta"], "eta")
        if eta is not None:
            stop["etas"].append(eta)
        if item.get("rmk_en"):
            stop["remarks"].append(str(item["rmk_en"]))
        stop["dest_en"] = str(item.get("dest_en", ""))
        stamp = _time(item["data_timestamp"], "data_timestamp")
        if stamp and (stop["data_time"] is None or stamp > stop["data_time"]):
            stop["data_time"] = stamp
    rows = []
    for key, stop in by_stop.items():
        etas = sorted(stop["etas"])
        when = stop["data_time"] or generated
        if when is None:
            raise hp.FeedFormatError(NAME, "no generated_timestamp or data_timestamp", key)
        minutes = None
        if etas and generated is not None:
            minutes = max((etas[0] - generated).total_seconds() / 60.0, 0.0)
        route, bound, seq = key.split("/")
        rows.append(hp.Observation(
            source=NAME, key=key, observed_at=when, value=minutes, unit="min",
            attrs={"route": route, "bound": bound, "seq": int(seq), "dest_en": stop["dest_en"],
                   "etas": [t.isoformat() for t in etas], "remarks": stop["remarks"]}))
    return rows


def make_source():
    return hp.FeedSource(name=NAME, url=URL, interval_s=60.0, parse=parse,
                         description=f"KMB route {ROUTE} estimated arrivals at every stop "
                                     "(data.etabus.gov.hk, updated every minute)")


SOURCE = make_source
