"""Where the feeds' places are: HKO weather stations, EPD AQHI stations and the 18 districts.

The tables are CSVs in `resources/stations/` made from public facts (names as the feeds spell
them in English and Traditional Chinese, WGS84 positions, HK1980 Grid metres). They exist so that
an English and a Chinese response give the SAME keys (`canonical_place`), and so that layers can
put observations on the map (`coordinates`) without asking the network.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from hktwin.core.paths import resources_dir

KINDS = ("weather", "district", "aqhi")  # lookup precedence when no kind is given
_FILES = {"weather": "hko_stations.csv", "district": "districts.csv", "aqhi": "aqhi_stations.csv"}


@dataclass(frozen=True, slots=True)
class Place:
    """One named place of a table: canonical English name, Chinese name and position."""

    kind: str  # "weather", "district" or "aqhi"
    name: str  # canonical English
    name_tc: str
    lon: float
    lat: float
    easting: float  # HK1980 Grid (EPSG:2326), metres
    northing: float
    code: str = ""  # HKO station code or District Council code
    station_type: str = ""  # AQHI: "general" or "roadside"
    aliases: tuple[str, ...] = ()


def stations_dir() -> Path:
    return resources_dir() / "stations"


def _rows(path: Path) -> Iterator[dict[str, str]]:
    """CSV rows, skipping the '#' provenance lines at the top of each file."""
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(line for line in f if not line.startswith("#"))


@cache
def places(kind: str) -> Mapping[str, Place]:
    """The table of `kind` ("weather", "district", "aqhi") by canonical English name (read-only)."""
    if kind not in _FILES:
        raise KeyError(f"unknown place kind '{kind}'; known: {', '.join(KINDS)}")
    out: dict[str, Place] = {}
    for row in _rows(stations_dir() / _FILES[kind]):
        aliases = tuple(a.strip() for a in row.get("aliases", "").split("|") if a.strip())
        place = Place(kind, row["name_en"].strip(), row["name_tc"].strip(),
                      float(row["longitude"]), float(row["latitude"]),
                      float(row["easting"]), float(row["northing"]), row.get("code", "").strip(),
                      row.get("station_type", "").strip(), aliases)
        out[place.name] = place
    return MappingProxyType(out)


def weather_stations() -> Mapping[str, Place]:
    return places("weather")


def aqhi_stations() -> Mapping[str, Place]:
    return places("aqhi")


def districts() -> Mapping[str, Place]:
    return places("district")


def _norm(name: str) -> str:
    """Spelling-insensitive form: case, runs of spaces and curly apostrophes do not matter."""
    return " ".join(name.replace("\u2019", "'").split()).casefold()


@cache
def _index(kind: str) -> dict[str, Place]:
    """Normalised English, Chinese and alias spellings -> place (Chinese also without 區)."""
    index: dict[str, Place] = {}
    for place in places(kind).values():
        spellings = [place.name, place.name_tc, *place.aliases]
        if place.name_tc.endswith("區") and len(place.name_tc) > 2:
            spellings.append(place.name_tc[:-1])  # HKO writes 葵青 for 葵青區
        for spelling in spellings:
            index.setdefault(_norm(spelling), place)
    return index


def place(name: str, kind: str | None = None) -> Place:
    """The place called `name` (English, Chinese or an alias) among `kind`, or all tables.

    Without `kind` the tables are searched in the order weather, district, aqhi (中西區 is both a
    district and an AQHI station; the parsers always pass their kind). KeyError lists the known
    canonical names otherwise.
    """
    kinds = KINDS if kind is None else (kind,)
    key = _norm(str(name))
    for k in kinds:
        found = _index(k).get(key)
        if found is not None:
            return found
    known = sorted({p.name for k in kinds for p in places(k).values()})
    raise KeyError(f"unknown place '{name}'" + (f" ({kind})" if kind else "")
                   + f"; known: {', '.join(known)}")


def canonical_place(name: str, kind: str | None = None) -> str:
    """English or Chinese in, canonical English out; KeyError naming the known places."""
    return place(name, kind).name


def coordinates(name: str, kind: str | None = None, *, crs: str = "hk1980") -> tuple[float, float]:
    """(easting, northing) in HK1980 Grid metres, or (lon, lat) with crs="wgs84"."""
    found = place(name, kind)
    if crs == "hk1980":
        return found.easting, found.northing
    if crs == "wgs84":
        return found.lon, found.lat
    raise ValueError(f"crs must be 'hk1980' or 'wgs84', not {crs!r}")
