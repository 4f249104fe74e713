"""The scenario: the sites a planner places (small cells, AR anchors, sensors) and its metadata.

A `Scenario` is evented model state, no Qt. Its sites are the immutable records of
`hktwin.analysis.sites`, kept in three evented lists; editing a site means replacing its record.
Every edit (a metadata field, a site added, removed or replaced) bumps `modified` and emits
`changed`, which autosave and re-evaluation listen to. `selected` (the picked site's id) is not an
edit: it has its own event (`scenario.events.selected`) and does not emit `changed`.

Edits made through `hktwin.model.history.ScenarioEditor` are validated and undoable; the methods
here are the primitive operations those commands use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psygnal import Signal, evented
from psygnal.containers import EventedList

from hktwin.analysis.sites import ARAnchor, Sensor, SiteSet, SmallCell
from hktwin.model.clock import now_hkt

Site = SmallCell | ARAnchor | Sensor
Area = tuple[float, float, float, float]

#: Site kinds: the name used in ids ("cell-1") -> record type.
SITE_TYPES: dict[str, type] = {"cell": SmallCell, "anchor": ARAnchor, "sensor": Sensor}
#: Site kind -> the scenario's list (and the JSON key) holding that kind.
SITE_LISTS: dict[str, str] = {"cell": "cells", "anchor": "anchors", "sensor": "sensors"}
#: The scenario's metadata a planner edits (undoable through `ScenarioEditor.set_meta`).
META_FIELDS: tuple[str, ...] = ("name", "author", "notes", "pack", "area")

#: Fields whose change is not an edit of the scenario's content.
_NOT_EDITS = frozenset({"selected", "modified"})


def site_kind(record: object) -> str:
    """"cell", "anchor" or "sensor" for a site record; TypeError for anything else."""
    for kind, record_type in SITE_TYPES.items():
        if type(record) is record_type:
            return kind
    raise TypeError(f"not a site record: {type(record).__name__} (expected SmallCell, ARAnchor "
                    "or Sensor)")


class SiteList(EventedList):
    """An evented list of one kind of site record, with lookups by id."""

    def __init__(self, data: Iterable[Site] = (), *, item_type: type = SmallCell) -> None:
        self.item_type = item_type
        super().__init__(data, hashable=False, child_events=False)

    def _pre_insert(self, value: Site) -> Site:
        if type(value) is not self.item_type:
            raise TypeError(f"a list of {self.item_type.__name__} cannot hold "
                            f"{type(value).__name__}")
        return value

    def __newlike__(self, iterable: Iterable[Site]) -> SiteList:
        return SiteList(iterable, item_type=self.item_type)

    def ids(self) -> list[str]:
        return [record.id for record in self]

    def index_of(self, site_id: str) -> int:
        """The index of the record with this id; KeyError if there is none."""
        for i, record in enumerate(self):
            if record.id == site_id:
                return i
        raise KeyError(site_id)

    def get(self, site_id: str) -> Site | None:
        return next((record for record in self if record.id == site_id), None)


def _cells() -> SiteList:
    return SiteList(item_type=SmallCell)


def _anchors() -> SiteList:
    return SiteList(item_type=ARAnchor)


def _sensors() -> SiteList:
    return SiteList(item_type=Sensor)


@evented
@dataclass(eq=False)
class Scenario:
    """A planning scenario: where sites stand, for which data pack, over which area.

    `pack` is the data pack the scenario was made on (a folder path, or "demo" for the embedded
    city). `area` bounds the evaluation (xmin, ymin, xmax, ymax in EPSG:2326) or is None for
    "around the sites" (see `evaluation_area`). Times are timezone-aware.
    """

    name: str = "Untitled scenario"
    author: str = ""
    notes: str = ""
    pack: str = "demo"
    area: Area | None = None
    created: datetime = field(default_factory=now_hkt)
    modified: datetime | None = None
    cells: SiteList = field(default_factory=_cells, repr=False)
    anchors: SiteList = field(default_factory=_anchors, repr=False)
    sensors: SiteList = field(default_factory=_sensors, repr=False)
    selected: str | None = None

    #: Emitted (no arguments) after every edit of the scenario's content.
    changed = Signal()

    def __post_init__(self) -> None:
        if self.modified is None:
            self.modified = self.created
        if self.area is not None:
            self.area = _as_area(self.area)
        for kind, list_name in SITE_LISTS.items():
            records = getattr(self, list_name)
            if not isinstance(records, SiteList):
                setattr(self, list_name, SiteList(records, item_type=SITE_TYPES[kind]))
        seen: set[str] = set()
        for record in self.sites():
            if record.id in seen:
                raise ValueError(f"two sites have the id {record.id!r}")
            seen.add(record.id)
        if self.selected is not None and self.selected not in seen:
            self.selected = None
        self.events.connect(self._on_field)
        for list_name in SITE_LISTS.values():
            self._watch(getattr(self, list_name))

    # -- change tracking ----------------------------------------------------------------------

    def _watch(self, records: SiteList) -> None:
        for signal in (records.events.inserted, records.events.removed, records.events.changed,
                       records.events.moved, records.events.reordered):
            signal.connect(self._on_list)

    def _on_field(self, info: Any) -> None:
        name = info.signal.name
        # The group also relays the site lists' own events (inserting, inserted, ...); those
        # are handled once, after the fact, by `_on_list`.
        if name not in self.__dataclass_fields__ or name in _NOT_EDITS:
            return
        if name in SITE_LISTS.values():
            self._watch(getattr(self, name))
        self._edited()

    def _on_list(self, *_: object) -> None:
        self._edited()

    def _edited(self) -> None:
        self.modified = now_hkt()
        self.changed.emit()

    # -- lookups ------------------------------------------------------------------------------

    def site_list(self, kind: str) -> SiteList:
        """The list holding sites of `kind` ("cell", "anchor" or "sensor")."""
        if kind not in SITE_LISTS:
            raise KeyError(f"unknown site kind {kind!r} (use one of {', '.join(SITE_LISTS)})")
        return getattr(self, SITE_LISTS[kind])

    def sites(self) -> Iterator[Site]:
        """Every site: cells, then anchors, then sensors."""
        yield from self.cells
        yield from self.anchors
        yield from self.sensors

    def ids(self) -> set[str]:
        return {record.id for record in self.sites()}

    def __contains__(self, site_id: object) -> bool:
        return any(record.id == site_id for record in self.sites())

    def find(self, site_id: str) -> tuple[str, int] | None:
        """(kind, index in its list) of the site with this id, or None."""
        for kind in SITE_LISTS:
            for i, record in enumerate(self.site_list(kind)):
                if record.id == site_id:
                    return kind, i
        return None

    def get(self, site_id: str) -> Site | None:
        """The record with this id, or None."""
        return next((record for record in self.sites() if record.id == site_id), None)

    def __getitem__(self, site_id: str) -> Site:
        record = self.get(site_id)
        if record is None:
            raise KeyError(site_id)
        return record

    def kind_of(self, site_id: str) -> str | None:
        where = self.find(site_id)
        return None if where is None else where[0]

    @property
    def selected_site(self) -> Site | None:
        return None if self.selected is None else self.get(self.selected)

    def new_id(self, kind: str) -> str:
        """A fresh id for a site of `kind`: "cell-1", "cell-2", ... (one past the highest)."""
        self.site_list(kind)  # validates kind
        pattern = re.compile(rf"{re.escape(kind)}-(\d+)")
        used = [int(m.group(1)) for record in self.sites()
                if (m := pattern.fullmatch(record.id))]
        return f"{kind}-{max(used, default=0) + 1}"

    def site_set(self) -> SiteSet:
        """The immutable sites an evaluation consumes."""
        return SiteSet(cells=tuple(self.cells), anchors=tuple(self.anchors),
                       sensors=tuple(self.sensors))

    def metadata(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in META_FIELDS}

    def state(self) -> tuple:
        """The scenario's content (metadata and sites, not times or selection), for equality."""
        return (*(getattr(self, name) for name in META_FIELDS),
                tuple(self.cells), tuple(self.anchors), tuple(self.sensors))

    def evaluation_area(self, margin_m: float = 500.0) -> Area | None:
        """`area` if set, else the sites' bounding box grown by `margin_m`; None if empty."""
        if self.area is not None:
            return self.area
        records = list(self.sites())
        if not records:
            return None
        xs = [r.x for r in records]
        ys = [r.y for r in records]
        return (min(xs) - margin_m, min(ys) - margin_m, max(xs) + margin_m, max(ys) + margin_m)

    # -- primitive edits (used by the undoable commands in hktwin.model.history) ---------------

    def add(self, record: Site, index: int | None = None) -> int:
        """Insert a site (at the end of its list by default); returns its index."""
        kind = site_kind(record)
        if not isinstance(record.id, str) or not record.id:
            raise ValueError("a site needs a non-empty id (use Scenario.new_id)")
        if record.id in self:
            raise ValueError(f"the id {record.id!r} is already used by another site")
        records = self.site_list(kind)
        index = len(records) if index is None else min(max(index, 0), len(records))
        records.insert(index, record)
        return index

    def remove(self, site_id: str) -> tuple[str, int, Site]:
        """Remove a site; returns (kind, index, record) so it can be put back."""
        where = self.find(site_id)
        if where is None:
            raise KeyError(f"no site has the id {site_id!r}")
        kind, index = where
        records = self.site_list(kind)
        record = records[index]
        if self.selected == site_id:
            self.selected = None
        del records[index]
        return kind, index, record

    def replace(self, site_id: str, record: Site) -> Site:
        """Put `record` in place of the site `site_id` (same kind); returns the old record.

        The id may change (a rename) if the new one is free; the selection follows it.
        """
        where = self.find(site_id)
        if where is None:
            raise KeyError(f"no site has the id {site_id!r}")
        kind, index = where
        if site_kind(record) != kind:
            raise TypeError(f"site {site_id!r} is a {kind}; it cannot be replaced by a "
                            f"{site_kind(record)}")
        if not isinstance(record.id, str) or not record.id:
            raise ValueError("a site needs a non-empty id")
        if record.id != site_id and record.id in self:
            raise ValueError(f"the id {record.id!r} is already used by another site")
        records = self.site_list(kind)
        old = records[index]
        if record != old or record.id != old.id:
            records[index] = record
        if self.selected == site_id and record.id != site_id:
            self.selected = record.id
        return old

    def select(self, site_id: str | None) -> None:
        """Select a site by id (None clears the selection)."""
        if site_id is not None and site_id not in self:
            raise KeyError(f"no site has the id {site_id!r}")
        self.selected = site_id


def _as_area(value: Iterable[float]) -> Area:
    values = tuple(float(v) for v in value)
    if len(values) != 4:
        raise ValueError(f"an area is (xmin, ymin, xmax, ymax), got {len(values)} numbers")
    return values  # type: ignore[return-value]
