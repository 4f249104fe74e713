"""Which published document a file looks like, from its root element or top-level keys.

`hktwin feeds parse doc --source X` uses it to refuse a document of another kind by name
("it looks like a hko-fnd document") instead of parsing it into nonsense.
"""

from __future__ import annotations

import json
import re

#: XML root element (local name) -> source.
XML_ROOTS = {"segment_speed_list": "td-speed", "jtis_speedlist": "td-speedmap",
             "jtis_journey_list": "td-journey", "rss": "aqhi", "AQHI24HrReport": "aqhi"}
#: HKO open data documents no source here reads, by a key only they have.
UNREAD = {"generalSituation": "the HKO local weather forecast (dataType=flw)",
          "swt": "the HKO special weather tips (dataType=swt)",
          "details": "the HKO warning information (dataType=warninginfo)"}
_PROLOGUE = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", re.S)
_ROOT = re.compile(rb"\s*<([A-Za-z_][\w.:-]*)")


def looks_like(data: bytes) -> tuple[str | None, str] | None:
    """(source name or None, what it is) for a recognised document, else None."""
    head = bytes(data[:65536]).lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b"<"):
        pos = 0
        while m := _PROLOGUE.match(head, pos):
            pos = m.end()
        root = _ROOT.match(head, pos)
        if root is None:
            return None
        local = root.group(1).decode("ascii", "replace").rsplit(":", 1)[-1]
        name = XML_ROOTS.get(local)
        return (name, f"a {name} document") if name else None
    if head.startswith(b"{") and len(data) <= 20_000_000:
        try:
            doc = json.loads(bytes(data))
        except (ValueError, RecursionError):
            return None
        if not isinstance(doc, dict):
            return None
        if {"temperature", "rainfall", "humidity", "uvindex"} & set(doc):
            return "hko-rhrread", "a hko-rhrread document"
        if "weatherForecast" in doc:
            return "hko-fnd", "a hko-fnd document"
        for key, what in UNREAD.items():
            if key in doc:
                return None, what
        if doc and all(isinstance(v, dict) and "actionCode" in v for v in doc.values()):
            return "hko-warnsum", "a hko-warnsum document"
    return None
