"""What a planner places: 5G small cells, AR content anchors and sensors (plain, immutable data).

Positions are EPSG:2326 metres. `ground_m` is the ground (or roof) level the site stands on, set
when it is placed; heights above it are the planner's. The evented scenario in `hktwin.model`
holds lists of these.

`SITE_FIELDS` is the one definition of a site's fields: label, unit, bounds, choices, how many
decimals a person edits. The record check below (`site_problems`), the scenario file's JSON
schema (`hktwin.model.scenario_io.SCHEMA`) and the window's site editor (`ui.site_editor`) are
all built from it, so they cannot disagree.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

Mounting = Literal["rooftop", "facade", "lamppost", "ground"]
Band = Literal["n78", "n257", "n258"]

#: Carrier frequency (GHz) of each NR band offered to planners.
BAND_GHZ: dict[str, float] = {"n78": 3.5, "n257": 28.0, "n258": 26.0}


#: The Hong Kong 1980 Grid (EPSG:2326) extent sites and areas must lie in, metres.
EXTENT = {"xmin": 790_000.0, "ymin": 795_000.0, "xmax": 870_000.0, "ymax": 850_000.0}
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a site record: what people see, and what values are allowed.

    Numbers lie in `lo..hi` (`lo` itself excluded when `exclusive_lo`); `nullable` allows None
    (an omnidirectional antenna has no azimuth). `choices` makes the field an enumeration;
    `text` makes it free text of at most `max_length` characters (`min_length` at least);
    `multiline` text may hold line breaks (a card's body). `suffixes` makes a text field a file
    path (empty: none) ending in one of them, case aside: relative to the scenario file.
    """

    name: str
    label: str
    description: str
    lo: float | None = None
    hi: float | None = None
    unit: str = ""
    decimals: int = 1
    exclusive_lo: bool = False
    nullable: bool = False
    choices: tuple[str, ...] = ()
    text: bool = False
    max_length: int = 200
    min_length: int = 0
    pattern: str | None = None
    multiline: bool = False
    suffixes: tuple[str, ...] = ()

    @property
    def is_number(self) -> bool:
        return self.lo is not None

    @property
    def is_path(self) -> bool:
        return bool(self.suffixes)

    def problem(self, value: Any) -> tuple[str, str] | None:
        """(problem, fix) when `value` is not allowed here, else None."""
        if value is None and self.nullable:
            return None
        if self.choices:
            if value not in self.choices:
                options = ", ".join(self.choices)
                return f"{value!r} is not one of {options}", f"use one of {options}"
            return None
        if self.text or self.pattern:
            if not isinstance(value, str):
                return f"{value!r} is not text", "write text in quotes"
            if self.pattern is not None:
                import re

                if not re.fullmatch(self.pattern, value):
                    return (f"{value!r} is not a valid id", "use 1 to 64 letters, digits, '-', "
                            "'_' or '.', starting with a letter or digit")
            if len(value) > self.max_length:
                return (f"the text is longer than {self.max_length} characters",
                        f"shorten it to at most {self.max_length} characters")
            if len(value) < self.min_length:
                return "the text is empty", "write a value"
            if self.suffixes and value and not value.lower().endswith(self.suffixes):
                return (f"{value!r} is not a {'/'.join(self.suffixes)} file",
                        suffix_fix(self.suffixes))
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{value!r} is not a number", "write a number"
        low_ok = value > self.lo if self.exclusive_lo else value >= self.lo
        if not (math.isfinite(value) and low_ok and value <= self.hi):
            return f"{value!r} is out of range", self.bounds_text()
        return None

    def bounds_text(self) -> str:
        above = "above" if self.exclusive_lo else "from"
        return f"use a number {above} {self.lo:g} to {self.hi:g} ({self.description})"


def suffix_fix(suffixes: tuple[str, ...]) -> str:
    """The fix for a file path with the wrong ending."""
    return (f"give the path of a {', '.join(suffixes)} file (relative to the scenario "
            "file's folder), or leave it empty")


def suffix_pattern(suffixes: tuple[str, ...]) -> str:
    """A JSON-schema pattern (ECMA 262, no flags) for '' or a path ending in a suffix, any
    case: `.png` -> `^$|\\.[pP][nN][gG]$`."""
    import re

    def any_case(text: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c)
                       for c in text)

    return "^$|(" + "|".join(any_case(s) for s in suffixes) + ")$"


#: What an AR anchor can show besides its title: a card body, an image on the card, a model.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MODEL_SUFFIXES = (".glb", ".gltf", ".obj")
#: Longest card body (characters): a few lines on a phone-sized card.
CARD_TEXT_MAX = 280


def _f(name: str, label: str, description: str, lo: float | None = None,
       hi: float | None = None, unit: str = "", decimals: int = 1, **more: Any) -> FieldSpec:
    return FieldSpec(name, label, description, lo, hi, unit, decimals, **more)


_ID = _f("id", "Id", "unique among all the scenario's sites", text=True, max_length=64,
         pattern=ID_PATTERN)
_X = _f("x", "Easting", "easting, EPSG:2326 metres", EXTENT["xmin"], EXTENT["xmax"], "m")
_Y = _f("y", "Northing", "northing, EPSG:2326 metres", EXTENT["ymin"], EXTENT["ymax"], "m")
_GROUND = _f("ground_m", "Ground / roof", "ground or roof level under the site, metres above "
             "HKPD", -50.0, 1200.0, "m")
_NAME = _f("name", "Name", "a label for people", text=True)


def _height(what: str) -> FieldSpec:
    return _f("height_m", "Height above it", what, 0.0, 500.0, "m")


#: Site kind -> its fields in record order. The one table of a site's fields and bounds.
SITE_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "cell": (
        _ID, _X, _Y, _GROUND, _height("antenna height above ground_m, metres"),
        _f("mounting", "Mounting", "how it is mounted", choices=get_args(Mounting)),
        _f("band", "Band", "the NR band", choices=get_args(Band)),
        _f("tx_power_dbm", "Transmit power", "transmit power into the antenna, dBm", 0.0, 50.0,
           "dBm"),
        _f("antenna_gain_dbi", "Antenna gain", "antenna gain, dBi", -10.0, 40.0, "dBi"),
        _f("azimuth_deg", "Azimuth", "antenna bearing, degrees clockwise from north, or null "
           "for omnidirectional", 0.0, 360.0, "°", nullable=True),
        _f("downtilt_deg", "Downtilt", "antenna downtilt, degrees", -90.0, 90.0, "°"),
        _f("h_beamwidth_deg", "Horizontal beamwidth", "horizontal beamwidth, degrees", 0.0,
           360.0, "°", exclusive_lo=True),
        _f("v_beamwidth_deg", "Vertical beamwidth", "vertical beamwidth, degrees", 0.0, 180.0,
           "°", exclusive_lo=True),
        _f("bandwidth_mhz", "Bandwidth", "channel bandwidth, MHz", 0.0, 800.0, "MHz", 0,
           exclusive_lo=True),
        _NAME,
    ),
    "anchor": (
        _ID, _X, _Y, _GROUND, _height("content centre above ground_m, metres"),
        _f("content_size_m", "Content size", "content size, metres", 0.0, 500.0, "m",
           exclusive_lo=True),
        _f("required_dl_mbps", "Required downlink", "downlink viewers need, Mbit/s", 0.0,
           100_000.0, "Mbit/s", 0),
        _f("required_latency_ms", "Required latency", "latency viewers need, ms", 0.0,
           10_000.0, "ms", 0),
        _f("view_radius_m", "Viewing radius", "where people stand to look at it, metres", 0.0,
           10_000.0, "m", 0, exclusive_lo=True),
        _NAME,
        _f("text", "Card text", "the card's body under its title, a few lines", text=True,
           max_length=CARD_TEXT_MAX, multiline=True),
        _f("image", "Card image", "a PNG or JPEG shown on the card, relative to the scenario "
           "file", text=True, max_length=1024, suffixes=IMAGE_SUFFIXES),
        _f("model", "3D model", "a small glTF (.glb/.gltf) or OBJ model drawn at the anchor, "
           "relative to the scenario file", text=True, max_length=1024,
           suffixes=MODEL_SUFFIXES),
    ),
    "sensor": (
        _ID, _X, _Y, _GROUND, _height("sensor height above ground_m, metres"),
        _f("kind", "Kind", "what it senses", text=True, max_length=100, min_length=1),
        _f("range_m", "Range", "sensing range, metres", 0.0, 100_000.0, "m", 0,
           exclusive_lo=True),
        _NAME,
    ),
}


class SiteRecord:
    """What every site record can say about itself, from `SITE_FIELDS`."""

    def problems(self) -> list[tuple[str, str, str]]:
        """Every (field, problem, fix) that makes this record invalid; [] when it is valid."""
        return site_problems(self)

    def is_valid(self) -> bool:
        return not site_problems(self)


@dataclass(frozen=True)
class SmallCell(SiteRecord):
    """A 5G small cell. `azimuth_deg` None means an omnidirectional antenna."""

    id: str
    x: float
    y: float
    ground_m: float = 0.0  # terrain or roof level under the antenna
    height_m: float = 10.0  # antenna above `ground_m`
    mounting: Mounting = "lamppost"
    band: Band = "n78"
    tx_power_dbm: float = 30.0  # total transmit power into the antenna
    antenna_gain_dbi: float = 8.0
    azimuth_deg: float | None = None
    downtilt_deg: float = 6.0
    h_beamwidth_deg: float = 65.0
    v_beamwidth_deg: float = 10.0
    bandwidth_mhz: float = 100.0
    name: str = ""

    @property
    def antenna_z(self) -> float:
        return self.ground_m + self.height_m

    @property
    def frequency_ghz(self) -> float:
        return BAND_GHZ[self.band]


@dataclass(frozen=True)
class ARAnchor(SiteRecord):
    """A place AR content is pinned to, and what viewers nearby need from the network.

    The content is a card (title `name`, body `text`, an optional `image`) or, with `model`, a
    small 3D model fitted to `content_size_m` and standing on its base, with its title card
    above it. Paths are kept as written (relative to the scenario file); the reader resolves
    them (`hktwin.model.scenario_io.content_path`), `hktwin.analysis.ar.content` loads them.
    """

    id: str
    x: float
    y: float
    ground_m: float = 0.0
    height_m: float = 5.0  # content centre above ground
    content_size_m: float = 3.0
    required_dl_mbps: float = 50.0
    required_latency_ms: float = 20.0
    view_radius_m: float = 60.0  # where people stand to look at it
    name: str = ""  # the card's title
    text: str = ""  # the card's body (a few lines; empty: distance and needs)
    image: str = ""  # PNG/JPEG on the card, relative to the scenario file ("" none)
    model: str = ""  # .glb/.gltf/.obj drawn at the anchor, content_size_m across ("" none)


@dataclass(frozen=True)
class Sensor(SiteRecord):
    id: str
    x: float
    y: float
    ground_m: float = 0.0
    height_m: float = 3.0
    kind: str = "air quality"
    range_m: float = 100.0
    name: str = ""


@dataclass(frozen=True)
class SiteSet:
    """Everything an evaluation needs from a scenario."""

    cells: tuple[SmallCell, ...] = ()
    anchors: tuple[ARAnchor, ...] = ()
    sensors: tuple[Sensor, ...] = field(default_factory=tuple)


#: Site kind -> record type; the kinds of `SITE_FIELDS`.
RECORD_TYPES: dict[str, type] = {"cell": SmallCell, "anchor": ARAnchor, "sensor": Sensor}


def field_spec(kind: str, name: str) -> FieldSpec:
    """The `FieldSpec` of one field of a site kind; KeyError if there is none."""
    for spec in SITE_FIELDS[kind]:
        if spec.name == name:
            return spec
    raise KeyError(f"{kind} has no field {name!r}")


def site_problems(record: Any) -> list[tuple[str, str, str]]:
    """Every (field, problem, fix) that makes `record` invalid, from `SITE_FIELDS`; [] if valid.

    The records stay plain frozen dataclasses (building one does not validate, so a file can be
    read and then refused whole); the scenario editor and file writer call this.
    """
    kind = next((k for k, t in RECORD_TYPES.items() if type(record) is t), None)
    if kind is None:
        raise TypeError(f"not a site record: {type(record).__name__}")
    problems = []
    for spec in SITE_FIELDS[kind]:
        found = spec.problem(getattr(record, spec.name))
        if found is not None:
            problems.append((spec.name, *found))
    return problems


def resolve_content(value: str, base: str | os.PathLike[str] | None) -> Path | None:
    """An anchor's `image` / `model` value as a file path: None when empty; an absolute path
    as written; a relative one from `base` (the scenario file's folder; None: working folder)."""
    if not value:
        return None
    candidate = Path(value).expanduser()
    if candidate.is_absolute():
        return candidate
    return (Path(base).expanduser().absolute() if base is not None else Path.cwd()) / candidate


def _check_table() -> None:
    """The table and the dataclasses name the same fields in the same order (import-time)."""
    for kind, record_type in RECORD_TYPES.items():
        names = tuple(f.name for f in fields(record_type))
        table = tuple(spec.name for spec in SITE_FIELDS[kind])
        if names != table:
            raise AssertionError(f"SITE_FIELDS[{kind!r}] {table} != {record_type.__name__} "
                                 f"fields {names}")


_check_table()
