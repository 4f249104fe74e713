"""Hong Kong Observatory open data API: current weather (rhrread), 9-day forecast (fnd), warnings.

JSON from `weather.php?dataType=...&lang=en` (lang=tc answers the same structure in Chinese).
Place names are mapped to canonical English through `stations`, so both languages give the same
keys. Places not in the tables keep the published name and get attrs known_place=False rather
than failing the whole report (HKO adds stations now and then).

rhrread rows (one source holds several quantities, so the key names the quantity too):
  "temperature:<station>" degC, observed at temperature.recordTime;
  "rainfall:<district>" mm, value = the district's maximum over the past hour (None when the
  district is flagged under maintenance, main = "TRUE"), observed at rainfall.endTime;
  "humidity:<station>" %, "uvindex:<station>" (index, observed at updateTime);
  "summary": value None, observed at updateTime, attrs warning_messages, tc_message,
  special_tips, icons, lightning - the free-text warnings ride here instead of as fake numbers.
fnd rows: key forecastDate as YYYY-MM-DD, value the maximum temperature (degC).
warnsum rows: key the warning code (WFIREY, WRAINA, TC8NE...), value None.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from hktwin.core.limits import TEMPERATURE_C
from hktwin.feeds import stations, xmlsafe
from hktwin.feeds.base import FeedFormatError, FeedSource, Observation

API = "https://data.weather.gov.hk/weatherAPI/opendata/weather.php"
RHRREAD, FND, WARNSUM = "hko-rhrread", "hko-fnd", "hko-warnsum"
MAX_BYTES = 2_000_000  # responses are a few kB

PSR = {"高": "High", "中高": "Medium High", "中": "Medium", "中低": "Medium Low", "低": "Low"}
UV_LEVELS = {"低": "low", "中": "moderate", "中等": "moderate", "高": "high", "甚高": "very high",
             "極高": "extreme"}
COLOURS = {"黃色": "Yellow", "紅色": "Red", "黑色": "Black", "琥珀色": "Amber", "黄色": "Yellow"}
WARNINGS = {  # warning statement code -> English name, for lang=tc responses
    "WFIRE": "Fire Danger Warning", "WFROST": "Frost Warning",
    "WHOT": "Very Hot Weather Warning", "WCOLD": "Cold Weather Warning",
    "WMSGNL": "Strong Monsoon Signal", "WRAIN": "Rainstorm Warning Signal",
    "WFNTSA": "Special Announcement on Flooding in the northern New Territories",
    "WL": "Landslip Warning", "WTCSGNL": "Tropical Cyclone Warning Signal",
    "WTMW": "Tsunami Warning", "WTS": "Thunderstorm Warning"}


def load_json(data: bytes, source: str) -> dict[str, Any]:
    """A JSON object from bytes, refusing oversize, malformed or absurdly nested documents."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"{source}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise FeedFormatError(source, f"document of {len(data):,} bytes is over the "
                              f"{MAX_BYTES:,} byte limit", xmlsafe.snippet(data))
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as err:  # JSONDecodeError and UnicodeDecodeError
        raise FeedFormatError(source, f"malformed JSON: {err}", xmlsafe.snippet(data)) from None
    if not isinstance(doc, dict):
        raise FeedFormatError(source, f"expected a JSON object, got {type(doc).__name__}",
                              xmlsafe.snippet(data))
    return doc


def _section(doc: dict[str, Any], name: str, source: str) -> dict[str, Any] | None:
    """An optional object member; HKO writes "" (or omits it) when there is nothing."""
    value = doc.get(name)
    if value in (None, "", [], {}):
        return None
    if not isinstance(value, dict):
        raise FeedFormatError(source, f"{name} is not an object", repr(value)[:200])
    return value


def _entries(section: dict[str, Any], name: str, source: str) -> list[dict[str, Any]]:
    data = section.get("data")
    if data in (None, ""):
        return []
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise FeedFormatError(source, f"{name}.data is not a list of objects", repr(data)[:200])
    return data


def _text(value: Any, source: str, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise FeedFormatError(source, f"{field} is not text", repr(value)[:200])
    return str(value).strip()


def _texts(value: Any, source: str, field: str) -> list[str]:
    """A string or a list of strings (HKO uses both, and "" for none) as a list."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else [value]
    return [_text(v, source, field) for v in items]


def _time(value: Any, source: str, field: str) -> datetime:
    return xmlsafe.hk_time(_text(value, source, field), source, field)


def _place(name: Any, kind: str, source: str, field: str) -> tuple[str, bool]:
    """(canonical English name, known?) for a published place name."""
    text = _text(name, source, field)
    if not text:
        raise FeedFormatError(source, f"{field} is missing")
    try:
        return stations.canonical_place(text, kind), True
    except KeyError:
        return text, False


def parse_rhrread(data: bytes) -> list[Observation]:
    """Current weather report: temperatures, rainfall, humidity, UV index and a summary row."""
    src = RHRREAD
    doc = load_json(data, src)
    sections = ("temperature", "rainfall", "humidity", "uvindex")
    if not any(name in doc for name in sections):
        raise FeedFormatError(src, "not a current weather report: it has none of "
                              + ", ".join(sections), xmlsafe.snippet(data))
    updated = _time(doc.get("updateTime"), src, "updateTime")
    rows: list[Observation] = []

    def add(kind: str, place: str, known: bool, when: datetime, value: float | None, unit: str,
            **attrs: Any) -> None:
        attrs = {"quantity": kind, "place": place, **attrs}
        if not known:
            attrs["known_place"] = False
        rows.append(Observation(src, f"{kind}:{place}", when, value, unit, attrs))

    for kind, unit, table in (("temperature", "degC", "weather"), ("humidity", "%", "weather")):
        section = _section(doc, kind, src)
        if section is None:
            continue
        when = _time(section.get("recordTime") or doc.get("updateTime"), src,
                     f"{kind}.recordTime")
        for n, entry in enumerate(_entries(section, kind, src)):
            place, known = _place(entry.get("place"), table, src, f"{kind}.data[{n}].place")
            limits = TEMPERATURE_C if kind == "temperature" else (0.0, 100.0)
            value = xmlsafe.number(entry.get("value"), src, f"{kind} at {place}", limits, unit)
            add(kind, place, known, when, value, unit)

    rain = _section(doc, "rainfall", src)
    if rain is not None:
        when = _time(rain.get("endTime") or doc.get("updateTime"), src, "rainfall.endTime")
        start = _text(rain.get("startTime"), src, "rainfall.startTime")
        for n, entry in enumerate(_entries(rain, "rainfall", src)):
            place, known = _place(entry.get("place"), "district", src,
                                  f"rainfall.data[{n}].place")
            maximum = xmlsafe.number(entry.get("max"), src, f"rainfall max at {place}")
            minimum = xmlsafe.number(entry.get("min"), src, f"rainfall min at {place}")
            main = _text(entry.get("main"), src, f"rainfall main at {place}")
            maintenance = main.upper() == "TRUE"
            add("rainfall", place, known, when, None if maintenance else maximum, "mm",
                min=minimum, main=main, maintenance=maintenance, start=start)

    uv = _section(doc, "uvindex", src)
    if uv is not None:
        record = _text(uv.get("recordDesc"), src, "uvindex.recordDesc")
        for n, entry in enumerate(_entries(uv, "uvindex", src)):
            place, known = _place(entry.get("place"), "weather", src, f"uvindex.data[{n}].place")
            value = xmlsafe.number(entry.get("value"), src, f"uvindex at {place}")
            desc = _text(entry.get("desc"), src, f"uvindex desc at {place}")
            add("uvindex", place, known, updated, value, "",
                level=UV_LEVELS.get(desc, desc.lower()), period=record)

    lightning = _section(doc, "lightning", src)
    struck = [_text(e.get("place"), src, "lightning place")
              for e in (_entries(lightning, "lightning", src) if lightning else [])
              if str(e.get("occur", "")).lower() == "true"]
    icons = [int(v) for v in (xmlsafe.number(i, src, "icon") for i in _as_list(doc.get("icon")))
             if v is not None]
    rows.append(Observation(src, "summary", updated, None, "", {
        "quantity": "summary",
        "warning_messages": _texts(doc.get("warningMessage"), src, "warningMessage"),
        "tc_message": _texts(doc.get("tcmessage"), src, "tcmessage"),
        "special_tips": _texts(doc.get("specialWxTips"), src, "specialWxTips"),
        "icons": icons, "lightning": struck}))
    return rows


def _as_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


def _measure(day: dict[str, Any], name: str, field: str) -> float | None:
    """The value of a {"value": .., "unit": ..} member of a forecast day."""
    member = day.get(name)
    if member in (None, ""):
        return None
    if not isinstance(member, dict):
        raise FeedFormatError(FND, f"{field} {name} is not an object", repr(member)[:200])
    limits = TEMPERATURE_C if "temp" in name else (0.0, 100.0)
    return xmlsafe.number(member.get("value"), FND, f"{field} {name}", limits,
                          "degC" if "temp" in name else "%")


def parse_fnd(data: bytes) -> list[Observation]:
    """9-day forecast: one row per day, value the forecast maximum temperature."""
    doc = load_json(data, FND)
    updated = _time(doc.get("updateTime"), FND, "updateTime")
    days = doc.get("weatherForecast")
    if not isinstance(days, list) or not all(isinstance(d, dict) for d in days):
        raise FeedFormatError(FND, "weatherForecast is not a list of objects", repr(days)[:200])
    rows = []
    for n, day in enumerate(days):
        raw = _text(day.get("forecastDate"), FND, f"weatherForecast[{n}].forecastDate")
        try:
            date = datetime.strptime(raw, "%Y%m%d").date().isoformat()
        except ValueError:
            raise FeedFormatError(FND, f"weatherForecast[{n}].forecastDate is not YYYYMMDD",
                                  raw) from None
        where = f"forecast {date}"
        psr = _text(day.get("PSR"), FND, f"{where} PSR")
        icon = xmlsafe.number(day.get("ForecastIcon"), FND, f"{where} ForecastIcon")
        rows.append(Observation(FND, date, updated, _measure(day, "forecastMaxtemp", where),
                                "degC", {
            "min_temp": _measure(day, "forecastMintemp", where),
            "max_rh": _measure(day, "forecastMaxrh", where),
            "min_rh": _measure(day, "forecastMinrh", where),
            "psr": PSR.get(psr, psr),
            "weather": _text(day.get("forecastWeather"), FND, f"{where} forecastWeather"),
            "wind": _text(day.get("forecastWind"), FND, f"{where} forecastWind"),
            "week": _text(day.get("week"), FND, f"{where} week"),
            "icon": int(icon) if icon is not None else None}))
    return rows


def parse_warnsum(data: bytes) -> list[Observation]:
    """Warnings in force (and recently cancelled): one row per warning, value None."""
    doc = load_json(data, WARNSUM)
    rows = []
    for statement, body in doc.items():
        if not isinstance(body, dict):
            raise FeedFormatError(WARNSUM, f"{statement} is not an object", repr(body)[:200])
        code = _text(body.get("code"), WARNSUM, f"{statement}.code") or statement
        stamp = body.get("updateTime") or body.get("issueTime")
        when = _time(stamp, WARNSUM, f"{statement}.updateTime")
        kind = _text(body.get("type"), WARNSUM, f"{statement}.type")
        attrs = {
            "statement": statement,
            "name": _text(body.get("name"), WARNSUM, f"{statement}.name"),
            "name_en": WARNINGS.get(statement, ""),
            "type": COLOURS.get(kind, kind),
            "actionCode": _text(body.get("actionCode"), WARNSUM, f"{statement}.actionCode"),
            "issueTime": _text(body.get("issueTime"), WARNSUM, f"{statement}.issueTime"),
            "updateTime": _text(body.get("updateTime"), WARNSUM, f"{statement}.updateTime")}
        expire = _text(body.get("expireTime"), WARNSUM, f"{statement}.expireTime")
        if expire:
            attrs["expireTime"] = expire
        rows.append(Observation(WARNSUM, code, when, None, "", attrs))
    return rows


SOURCES = {
    RHRREAD: FeedSource(RHRREAD, f"{API}?dataType=rhrread&lang=en", 600.0, parse_rhrread,
                        "HKO current weather: station temperatures, district rainfall, "
                        "humidity, UV", MAX_BYTES),
    FND: FeedSource(FND, f"{API}?dataType=fnd&lang=en", 3600.0, parse_fnd,
                    "HKO 9-day weather forecast", MAX_BYTES),
    WARNSUM: FeedSource(WARNSUM, f"{API}?dataType=warnsum&lang=en", 300.0, parse_warnsum,
                        "HKO weather warnings in force", MAX_BYTES),
}
