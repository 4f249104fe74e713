"""Scenario files (`.hktwin.json`): versioned, validated JSON; atomic saves; autosave and recovery.

A scenario file is one JSON object::

    {"format": "hktwin-scenario", "version": 1, "name": ..., "author": ..., "notes": ...,
     "pack": "demo", "area": null | {"xmin", "ymin", "xmax", "ymax"},
     "created": "2025-01-31T09:30:00+08:00", "modified": ...,
     "cells": [{...}], "anchors": [{...}], "sensors": [{...}]}

It is checked against `SCHEMA` (JSON Schema Draft 2020-12) and a few rules a schema cannot say
(ids unique across all sites, `area` min below max). Anything wrong is refused with a `DataError`
naming the file, the field as a JSON path (`cells[2].band`) and the fix; nothing is half-loaded.
A file from a newer version of the format is refused, never guessed at. `save_scenario`
validates what it writes against the same rules, so a saved file always loads.

Autosave: `write_autosave` keeps a copy in the user data folder
(`hktwin.core.paths.user_data_dir`), under `autosave/`. `find_recovery` finds a copy newer than
the saved file (the app stopped without saving); the GUI offers to load it. `Autosaver` is the
callable a GUI timer calls: it writes only when the scenario changed since the last write.

Content files: an AR anchor's `image` and `model` are paths relative to the scenario file's
folder, kept as written in the records (so a file saved again is unchanged).
`content_path(scenario, value)` resolves one against the folder the scenario was read from
(`content_base`, remembered by `load_scenario` and by the first save of a scenario made in
memory; until then the working folder). `save_scenario` writes them relative to the folder it
writes to, so "save as" elsewhere and the autosave copy still point at the same files.

Version: optional fields added to a record (the anchors' `text`, `image`, `model`) do not bump
`VERSION`. Old files lack them and load with their defaults; a file written now carries them
only when they are set (`record_to_dict` leaves empty optional content out), so it still opens
in a build that predates them unless it uses them, and then such a build refuses it naming the
field (`additionalProperties: false`) instead of silently dropping the content. A change of
meaning or a new required field is what needs a new version and an upgrade step.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import numbers
import os
import re
import weakref
from collections.abc import Callable, Iterable
from dataclasses import asdict, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from hktwin.analysis.sites import (
    ID_PATTERN,
    SITE_FIELDS,
    FieldSpec,
    field_spec,
    resolve_content,
    site_problems,
    suffix_fix,
    suffix_pattern,
)
from hktwin.core.errors import DataError, HKTwinError
from hktwin.core.paths import demo_pack_dir, user_data_dir
from hktwin.model.scenario import META_FIELDS, SITE_LISTS, SITE_TYPES, Scenario, Site, site_kind

log = logging.getLogger(__name__)

FORMAT = "hktwin-scenario"
VERSION = 1
SUFFIX = ".hktwin.json"
#: Files larger than this are refused before parsing (a scenario is a few kB to a few MB).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_SITES_PER_KIND = 10_000


_TIME_EXAMPLE = "2025-01-31T09:30:00+08:00"


# -- the schema ---------------------------------------------------------------------------------

def _num(lo: float, hi: float, what: str, *, exclusive_lo: bool = False,
         nullable: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": ["number", "null"] if nullable else "number",
                            "description": what, "maximum": hi}
    spec["exclusiveMinimum" if exclusive_lo else "minimum"] = lo
    return spec


def _text(what: str, max_length: int = 200, min_length: int = 0) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "string", "description": what, "maxLength": max_length}
    if min_length:
        spec["minLength"] = min_length
    return spec


def _field_schema(spec: FieldSpec) -> dict[str, Any]:
    """The JSON schema of one site field, from the one table in `hktwin.analysis.sites`."""
    if spec.name in ("id", "x", "y"):
        return {"$ref": f"#/$defs/{spec.name}"}
    if spec.choices:
        return {"enum": list(spec.choices), "description": spec.description}
    if spec.text:
        schema = _text(spec.description, spec.max_length, spec.min_length)
        if spec.suffixes:
            schema["pattern"] = suffix_pattern(spec.suffixes)
            schema["x-suffixes"] = list(spec.suffixes)  # for the message (_explain)
        return schema
    return _num(spec.lo, spec.hi, spec.description, exclusive_lo=spec.exclusive_lo,
                nullable=spec.nullable)


_KIND_TEXT = {"cell": "a 5G small cell", "anchor": "an AR content anchor", "sensor": "a sensor"}


def _site_schema(kind: str) -> dict[str, Any]:
    return {"type": "object", "description": _KIND_TEXT[kind], "required": ["id", "x", "y"],
            "additionalProperties": False,
            "properties": {spec.name: _field_schema(spec) for spec in SITE_FIELDS[kind]}}


SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://hktwin.example/schemas/hktwin-scenario-1.json",
    "title": "HK Twin scenario, format version 1",
    "type": "object",
    "required": ["format", "version", "name", "pack", "cells", "anchors", "sensors"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": FORMAT, "description": "always \"hktwin-scenario\""},
        "version": {"const": VERSION, "description": "the format version"},
        "name": _text("the scenario's name"),
        "author": _text("who made it"),
        "notes": _text("free text", max_length=100_000),
        "pack": _text("the data pack: \"demo\" or a folder path", max_length=4096,
                      min_length=1),
        "area": {
            "type": ["object", "null"],
            "description": "evaluation bounds in EPSG:2326 metres, or null for around the sites",
            "required": ["xmin", "ymin", "xmax", "ymax"],
            "additionalProperties": False,
            "properties": {"xmin": {"$ref": "#/$defs/x"}, "ymin": {"$ref": "#/$defs/y"},
                           "xmax": {"$ref": "#/$defs/x"}, "ymax": {"$ref": "#/$defs/y"}},
        },
        "created": {"$ref": "#/$defs/time"},
        "modified": {"$ref": "#/$defs/time"},
        "cells": {"type": "array", "maxItems": MAX_SITES_PER_KIND,
                  "items": {"$ref": "#/$defs/cell"}},
        "anchors": {"type": "array", "maxItems": MAX_SITES_PER_KIND,
                    "items": {"$ref": "#/$defs/anchor"}},
        "sensors": {"type": "array", "maxItems": MAX_SITES_PER_KIND,
                    "items": {"$ref": "#/$defs/sensor"}},
    },
    "$defs": {
        "id": {"type": "string", "pattern": field_spec("cell", "id").pattern,
               "description": field_spec("cell", "id").description},
        "x": _field_schema(replace(field_spec("cell", "x"), name="")),
        "y": _field_schema(replace(field_spec("cell", "y"), name="")),
        "time": {"type": "string", "format": "date-time",
                 "description": "ISO 8601 with a timezone"},
        **{kind: _site_schema(kind) for kind in SITE_FIELDS},
    },
}


def _is_aware_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return datetime.fromisoformat(value).utcoffset() is not None


@functools.cache
def _validators():
    """(document, per-site-kind, per-metadata-field) validators, built on first use: importing
    jsonschema costs ~0.15 s, which the window's start-up should not pay."""
    from jsonschema import Draft202012Validator, FormatChecker

    formats = FormatChecker(formats=())
    formats.checks("date-time", raises=ValueError)(_is_aware_time)

    def validator(subschema: dict[str, Any]):
        return Draft202012Validator({**subschema, "$defs": SCHEMA["$defs"]},
                                    format_checker=formats)

    return (Draft202012Validator(SCHEMA, format_checker=formats),
            {kind: validator({"$ref": f"#/$defs/{kind}"}) for kind in SITE_TYPES},
            {name: validator(SCHEMA["properties"][name]) for name in META_FIELDS})


# -- reporting problems -------------------------------------------------------------------------

def json_path(parts: Iterable[str | int]) -> str:
    """`["cells", 2, "band"]` -> `cells[2].band`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _short(value: Any) -> str:
    if isinstance(value, float):
        text = repr(value)
    else:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


def _bounds_text(schema: dict[str, Any]) -> str:
    lo = schema.get("minimum", schema.get("exclusiveMinimum"))
    hi = schema.get("maximum", schema.get("exclusiveMaximum"))
    above = "above" if "exclusiveMinimum" in schema else "from"
    what = schema.get("description", "")
    where = f"{above} {lo:g} to {hi:g}" if lo is not None and hi is not None else ""
    return f"use a number {where}" + (f" ({what})" if what else "")


def _explain(error: Any) -> tuple[str, str, str]:
    """(field, problem, fix) for one jsonschema error."""
    path = list(error.absolute_path)
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    if kind == "required":
        missing = [name for name in error.validator_value if name not in value]
        name = missing[0] if missing else "?"
        return (json_path([*path, name]), "the field is missing",
                f"add \"{name}\" (see docs/scenarios.md for what it holds)")
    if kind == "additionalProperties":
        known = set(schema.get("properties", {}))
        extra = sorted(k for k in value if k not in known)
        name = extra[0] if extra else "?"
        return (json_path([*path, name]), "this field is not part of the format",
                f"remove it or correct its spelling (known fields: {', '.join(sorted(known))})")
    field = json_path(path)
    if kind == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        names = {"number": "a number", "string": "text in quotes", "object": "an object {...}",
                 "array": "a list [...]", "null": "null", "integer": "a whole number",
                 "boolean": "true or false"}
        wanted = " or ".join(names.get(t, t) for t in expected)
        return field, f"{_short(value)} is not {wanted}", f"write {wanted}"
    if kind == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return field, f"{_short(value)} is not one of {options}", f"use one of {options}"
    if kind == "const":
        return (field, f"{_short(value)} should be {_short(error.validator_value)}",
                f"write {_short(error.validator_value)}")
    if kind in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        return field, f"{_short(value)} is out of range", _bounds_text(schema)
    if kind == "pattern" and schema.get("x-suffixes"):
        suffixes = tuple(schema["x-suffixes"])
        return (field, f"{_short(value)} is not a {'/'.join(suffixes)} file",
                suffix_fix(suffixes))
    if kind == "pattern" and error.validator_value == ID_PATTERN:
        return (field, f"{_short(value)} is not a valid id",
                "use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit")
    if kind == "maxLength":
        return (field, f"the text is longer than {error.validator_value} characters",
                f"shorten it to at most {error.validator_value} characters")
    if kind == "minLength":
        return field, "the text is empty", "write a value"
    if kind == "maxItems":
        return (field, f"more than {error.validator_value} entries",
                f"split the scenario; at most {error.validator_value} are allowed")
    if kind == "format":
        return (field, f"{_short(value)} is not a time with a timezone",
                f"write an ISO 8601 time with its offset, e.g. {_TIME_EXAMPLE}")
    return field, error.message, "correct the value (see docs/scenarios.md)"


def _path_key(parts: Iterable[str | int]) -> tuple:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in parts)


def _problems(doc: Any) -> list[tuple[str, str, str]]:
    """Every problem with a decoded document, in document order: (field, problem, fix)."""
    errors = sorted(_validators()[0].iter_errors(doc),
                    key=lambda e: (_path_key(e.absolute_path), e.validator))
    problems = [_explain(e) for e in errors]
    if not problems:
        problems = _semantic_problems(doc)
    return problems


def _semantic_problems(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """What a schema cannot say: ids unique across all sites, area min below max."""
    problems = []
    first: dict[str, str] = {}
    for list_name in SITE_LISTS.values():
        for i, item in enumerate(doc[list_name]):
            where = f"{list_name}[{i}]"
            if item["id"] in first:
                problems.append((f"{where}.id",
                                 f"the id {_short(item['id'])} is already used by "
                                 f"{first[item['id']]}",
                                 "give every site its own id"))
            else:
                first[item["id"]] = where
    area = doc.get("area")
    if area is not None:
        for lo, hi in (("xmin", "xmax"), ("ymin", "ymax")):
            if not area[lo] < area[hi]:
                problems.append((f"area.{hi}", f"{hi} ({area[hi]:g}) is not greater than "
                                 f"{lo} ({area[lo]:g})",
                                 f"make {hi} larger than {lo}, or set area to null"))
    return problems


def _refuse(path: str | os.PathLike[str] | None, problems: list[tuple[str, str, str]]) -> None:
    field, problem, fix = problems[0]
    if len(problems) > 1:
        more = len(problems) - 1
        problem += f" (and {more} more problem{'s' if more > 1 else ''} in this file)"
    error = DataError(path, problem, fix, field=field or None)
    error.problems = problems  # every problem, for a dialog that lists them all
    raise error


def validate_document(doc: Any, path: str | os.PathLike[str] | None = None) -> None:
    """Raise `DataError` (naming `path` and the field) unless `doc` is a valid scenario."""
    if not isinstance(doc, dict):
        raise DataError(path, f"the file holds a JSON {type(doc).__name__}, not an object",
                        "a scenario file is one JSON object {\"format\": \"hktwin-scenario\", "
                        "...}")
    if doc.get("format") != FORMAT:
        raise DataError(path, f"this is not an HK Twin scenario (format is "
                        f"{_short(doc.get('format'))})",
                        f"open a {SUFFIX} file saved by HK Twin", field="format")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DataError(path, f"the format version {_short(version)} is not valid",
                        f"write \"version\": {VERSION}", field="version")
    if version > VERSION:
        raise DataError(path, f"the file was written by a newer HK Twin (format version "
                        f"{version}; this version reads up to {VERSION})",
                        "update HK Twin, or save the scenario again from the version that "
                        "wrote it", field="version")
    problems = _problems(doc)
    if problems:
        _refuse(path, problems)


# -- records <-> JSON ---------------------------------------------------------------------------

def _time(value: datetime) -> str:
    return value.isoformat()


def _plain(value: Any) -> Any:
    """Numbers as plain Python int/float (a GUI may hand over numpy scalars)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


#: Optional fields written only when set, so a file that does not use them still opens in a
#: build that predates them (see the module's note on versions).
_OMIT_WHEN_EMPTY = frozenset({"text", "image", "model"})
#: Site fields that hold file paths relative to the scenario file (rebased when saved).
PATH_FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(spec.name for spec in specs if spec.is_path) for kind, specs in SITE_FIELDS.items()}


def record_to_dict(record: Site) -> dict[str, Any]:
    """A site record as its JSON object (every field in the record's order, but the optional
    content fields when empty)."""
    return {name: _plain(value) for name, value in asdict(record).items()
            if not (name in _OMIT_WHEN_EMPTY and value == "")}


def record_from_dict(kind: str, item: dict[str, Any]) -> Site:
    """A site record from a validated JSON object (missing fields take their defaults)."""
    values: dict[str, Any] = {}
    for f in fields(SITE_TYPES[kind]):
        if f.name in item:
            value = item[f.name]
            if isinstance(value, int) and not isinstance(value, bool):
                value = float(value)  # JSON "5" is the number 5.0 for every numeric field
            values[f.name] = value
    return SITE_TYPES[kind](**values)


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as the JSON document `save_scenario` writes."""
    area = None
    if scenario.area is not None:
        area = dict(zip(("xmin", "ymin", "xmax", "ymax"), scenario.area, strict=True))
    modified = scenario.modified or scenario.created
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": scenario.name,
        "author": scenario.author,
        "notes": scenario.notes,
        "pack": scenario.pack,
        "area": area,
        "created": _time(scenario.created),
        "modified": _time(modified),
        **{list_name: [record_to_dict(r) for r in getattr(scenario, list_name)]
           for list_name in SITE_LISTS.values()},
    }


def scenario_from_dict(doc: Any, path: str | os.PathLike[str] | None = None) -> Scenario:
    """A new `Scenario` from a decoded document; `DataError` (naming `path`) if it is invalid."""
    validate_document(doc, path)
    lists = {list_name: [record_from_dict(kind, item) for item in doc[list_name]]
             for kind, list_name in SITE_LISTS.items()}
    area = doc.get("area")
    created = datetime.fromisoformat(doc["created"]) if "created" in doc else None
    modified = datetime.fromisoformat(doc["modified"]) if "modified" in doc else None
    extra: dict[str, Any] = {}
    if created is not None:
        extra["created"] = created
    return Scenario(
        name=doc["name"], author=doc.get("author", ""), notes=doc.get("notes", ""),
        pack=doc["pack"],
        area=None if area is None else (float(area["xmin"]), float(area["ymin"]),
                                        float(area["xmax"]), float(area["ymax"])),
        modified=modified, **extra, **lists)


# -- validating edits (used by hktwin.model.history) --------------------------------------------

def check_site(record: Site) -> None:
    """Raise `DataError` naming the field unless `record` would be valid in a saved file.

    Checked against `hktwin.analysis.sites.SITE_FIELDS` directly (the table the schema is built
    from), so an edit in the window needs no JSON schema machinery.
    """
    kind = site_kind(record)
    problems = site_problems(record)
    if problems:
        field, problem, fix = problems[0]
        raise DataError(None, f"{kind} {record.id!r}: {problem}", fix, field=field)


def check_meta(values: dict[str, Any]) -> None:
    """Raise `DataError` naming the field unless these metadata values are valid."""
    for name, value in values.items():
        if name not in META_FIELDS:
            raise TypeError(f"{name!r} is not scenario metadata (use one of "
                            f"{', '.join(META_FIELDS)})")
        if name == "area" and value is not None:
            try:
                value = {key: _plain(v) for key, v in
                         zip(("xmin", "ymin", "xmax", "ymax"), value, strict=True)}
            except (TypeError, ValueError):
                raise DataError(None, f"{value!r} is not four numbers", "give the area as "
                                "(xmin, ymin, xmax, ymax) in EPSG:2326 metres, or None",
                                field="area") from None
        errors = sorted(_validators()[2][name].iter_errors(_plain(value)),
                        key=lambda e: (_path_key(e.absolute_path), e.validator))
        if errors:
            field, problem, fix = _explain(errors[0])
            raise DataError(None, problem, fix, field=f"{name}.{field}" if field else name)
        if name == "area" and value is not None:
            problems = _semantic_problems({**{k: [] for k in SITE_LISTS.values()},
                                           "area": value})
            if problems:
                field, problem, fix = problems[0]
                raise DataError(None, problem, fix, field=field)


# -- reading and writing files ------------------------------------------------------------------

def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def read_document(path: str | os.PathLike[str]) -> Any:
    """The decoded JSON of a file, or `DataError` for a missing, unreadable or non-JSON file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DataError(path, f"the file is {size / 2**20:.0f} MiB, larger than a scenario "
                            f"can be ({MAX_FILE_BYTES // 2**20} MiB)",
                            f"open a {SUFFIX} scenario file")
        with open(path, "rb") as fh:  # at most the limit, whatever stat says (/dev/zero)
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise DataError(path, f"the file holds more than {MAX_FILE_BYTES // 2**20} MiB, more "
                            "than a scenario can be", f"open a {SUFFIX} scenario file")
    except FileNotFoundError:
        raise DataError(path, "no such file", "check the path") from None
    except IsADirectoryError:
        raise DataError(path, "this is a folder, not a scenario file",
                        f"choose a {SUFFIX} file") from None
    except OSError as exc:
        raise DataError(path, f"the file cannot be read ({exc.strerror or exc})",
                        "check that it exists and that you may read it") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(path, f"the file is not UTF-8 text (byte {exc.start})",
                        f"open a {SUFFIX} scenario file saved by HK Twin") from None
    if not text.strip():
        raise DataError(path, "the file is empty",
                        "restore it from a backup or from the autosave copy")
    try:
        return json.loads(text, parse_constant=_reject_constant,
                          object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise DataError(path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: "
                        f"{exc.msg})", "correct the JSON there, or restore the file from a "
                        "backup or the autosave copy") from None
    except ValueError as exc:
        raise DataError(path, f"not valid JSON ({exc})", "correct the JSON") from None
    except RecursionError:
        raise DataError(path, "the JSON is nested too deeply",
                        f"open a {SUFFIX} scenario file saved by HK Twin") from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read a scenario file; refused whole with a `DataError` naming the file, field and fix.

    The file's folder is remembered as the scenario's `content_base`."""
    scenario = scenario_from_dict(read_document(path), path)
    _BASES[scenario] = Path(path).expanduser().absolute().parent
    return scenario


# -- content files (anchor images and models) ---------------------------------------------------

#: Scenario -> the folder its records' relative paths are relative to (the file it was read
#: from). Not part of the model: a scenario made in memory has none (the working folder).
_BASES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def content_base(scenario: Scenario | None) -> Path:
    """The folder `scenario`'s relative content paths are taken from: the folder of the file
    it was read from or first saved to, else the working folder."""
    base = _BASES.get(scenario) if scenario is not None else None
    return base if base is not None else Path.cwd()


def known_content_base(scenario: Scenario | None) -> Path | None:
    """The folder remembered for `scenario` (read from or first saved to), or None."""
    return _BASES.get(scenario) if scenario is not None else None


def set_content_base(scenario: Scenario, folder: str | os.PathLike[str]) -> None:
    """Say where a scenario made in memory takes its relative content paths from."""
    _BASES[scenario] = Path(folder).expanduser().absolute()


def content_path(scenario: Scenario | None, value: str) -> Path | None:
    """`resolve_content` against the scenario's `content_base`."""
    return resolve_content(value, content_base(scenario))


def _rebased(doc: dict[str, Any], source: Path, target: Path) -> dict[str, Any]:
    """`doc` with relative content paths rewritten from `source` to `target` folder (an
    absolute path, or one that cannot be made relative, is left as written)."""
    if source == target:
        return doc
    for kind, list_name in SITE_LISTS.items():
        names = PATH_FIELDS.get(kind, ())
        if not names:
            continue
        for item in doc[list_name]:
            for name in names:
                value = item.get(name)
                if not value or Path(value).expanduser().is_absolute():
                    continue
                try:
                    item[name] = Path(os.path.relpath(source / value, target)).as_posix()
                except ValueError:  # another drive: keep it findable
                    item[name] = str(source / value)
    return doc


def save_scenario(scenario: Scenario, path: str | os.PathLike[str], *,
                  remember: bool = True) -> Path:
    """Write `scenario` to `path` atomically: the old file stays whole if anything fails.

    The document is validated first (a scenario that would not load again is refused with a
    `DataError`), written to a temporary file in the same folder, flushed to disk, then
    renamed over `path`. Content paths: a scenario read from a file (or given a
    `set_content_base`) has its relative paths rewritten relative to `path`'s folder, so they
    name the same files (the records in memory keep theirs); one with no folder yet (made in
    memory) is written as it is, its paths meaning "from the file's folder", and takes that
    folder as its `content_base`; but with `remember` false (the autosave copy) the paths are
    rebased from the working folder they mean in memory, and nothing is remembered.
    """
    path = Path(path)
    folder = path.expanduser().absolute().parent
    base = _BASES.get(scenario)
    doc = scenario_to_dict(scenario)
    if base is not None or not remember:  # an autosave copy keeps the meaning in memory
        doc = _rebased(doc, content_base(scenario), folder)
    validate_document(doc, path)
    from hktwin.core.files import DiskFullError, atomic_write_json

    try:
        atomic_write_json(path, doc)  # the app's one atomic write (temporary file + replace)
    except DiskFullError:
        raise
    except DataError as exc:
        cause = exc.__cause__
        reason = getattr(cause, "strerror", None) or cause or exc.problem
        raise DataError(path, f"the scenario could not be written ({reason})",
                        "choose a folder you may write to, or free some disk space") from exc
    if base is None and remember:
        _BASES[scenario] = folder
    return path


def resolve_pack(pack: str, scenario_path: str | os.PathLike[str] | None = None) -> Path:
    """The pack folder a scenario refers to: "demo" is the embedded city; a relative path is
    taken from the scenario file's folder."""
    if pack == "demo":
        return demo_pack_dir()
    candidate = Path(pack).expanduser()
    if not candidate.is_absolute() and scenario_path is not None:
        candidate = Path(scenario_path).parent / candidate
    return candidate


# -- autosave and recovery ----------------------------------------------------------------------

#: The user data folder: the same function as `hktwin.core.paths.user_data_dir` (kept under this
#: name for callers of the old one; there is one definition).
data_dir = user_data_dir


def autosave_dir() -> Path:
    return user_data_dir() / "autosave"


def autosave_path(scenario_path: str | os.PathLike[str] | None = None) -> Path:
    """Where the autosave copy of a scenario goes (created by `write_autosave`, not here).

    One copy per saved file (named after the file plus a digest of its absolute path), and one
    for the untitled scenario.
    """
    if scenario_path is None:
        return autosave_dir() / f"untitled.autosave{SUFFIX}"
    full = Path(scenario_path).expanduser().resolve()
    stem = full.name.removesuffix(SUFFIX).removesuffix(".json")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem)[:40].strip("_") or "scenario"
    digest = hashlib.sha256(str(full).encode("utf-8")).hexdigest()[:12]
    return autosave_dir() / f"{stem}-{digest}.autosave{SUFFIX}"


def write_autosave(scenario: Scenario,
                   scenario_path: str | os.PathLike[str] | None = None) -> Path:
    """Write the autosave copy of `scenario` (atomically, like a save); returns its path."""
    target = autosave_path(scenario_path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or exc
        raise DataError(target.parent, f"the autosave folder cannot be made ({reason})",
                        "set HKTWIN_DATA_DIR to a folder you may write to") from exc
    return save_scenario(scenario, target, remember=False)


def discard_autosave(scenario_path: str | os.PathLike[str] | None = None) -> None:
    """Delete the autosave copy (after a save, or when the user closes without saving)."""
    with contextlib.suppress(OSError):
        autosave_path(scenario_path).unlink()


def find_recovery(scenario_path: str | os.PathLike[str] | None = None) -> Path | None:
    """An autosave copy newer than the saved file (the app stopped without saving), or None.

    For an untitled scenario (`None`), any leftover autosave copy is a recovery. The copy is
    returned unread; `load_scenario` it (it may be refused like any file).
    """
    auto = autosave_path(scenario_path)
    try:
        auto_time = auto.stat().st_mtime_ns
    except OSError:
        return None
    if scenario_path is not None:
        try:
            if Path(scenario_path).stat().st_mtime_ns >= auto_time:
                return None
        except FileNotFoundError:
            pass  # the saved file is gone: the copy is all there is
        except OSError:
            return None
    return auto


def autosave_files() -> list[Path]:
    """Every autosave copy in the data folder, newest first (for a "recover" dialog)."""
    found = []
    with contextlib.suppress(OSError):
        for path in autosave_dir().glob(f"*.autosave{SUFFIX}"):
            with contextlib.suppress(OSError):
                found.append((path.stat().st_mtime_ns, path))
    return [path for _, path in sorted(found, reverse=True)]


class Autosaver:
    """Call it from a timer: writes the autosave copy when the scenario changed since last time.

    No Qt: the GUI owns the timer and calls the instance (e.g. every 30 s). It returns the path
    written, or None when nothing changed or the write failed (the failure is logged, kept in
    `last_error`, and retried on the next call; the user's work stays in memory). Call `saved`
    after the user saves (the copy is no longer needed) and `close` when the scenario closes.
    """

    def __init__(self, scenario: Scenario,
                 scenario_path: str | os.PathLike[str] | None = None,
                 *, write: Callable[..., Path] | None = None) -> None:
        self.scenario = scenario
        self.scenario_path = None if scenario_path is None else Path(scenario_path)
        self.dirty = False
        self.last_path: Path | None = None
        self.last_error: Exception | None = None
        self._write = write or write_autosave
        scenario.changed.connect(self._on_changed)

    def _on_changed(self) -> None:
        self.dirty = True

    def __call__(self) -> Path | None:
        if not self.dirty:
            return None
        try:
            written = self._write(self.scenario, self.scenario_path)
        except (OSError, HKTwinError) as exc:  # disk full included: retried next time
            self.last_error = exc
            log.warning("autosave failed: %s", exc)
            return None
        self.dirty = False
        self.last_error = None
        self.last_path = written
        return written

    def saved(self, scenario_path: str | os.PathLike[str] | None = None) -> None:
        """The user saved (to `scenario_path`, if it changed): drop the autosave copies."""
        discard_autosave(self.scenario_path)
        if scenario_path is not None:
            self.scenario_path = Path(scenario_path)
            discard_autosave(self.scenario_path)
        self.dirty = False

    def close(self, *, discard: bool = True) -> None:
        """Stop watching the scenario; by default drop its autosave copy (a clean close)."""
        self.scenario.changed.disconnect(self._on_changed)
        if discard:
            discard_autosave(self.scenario_path)
