"""Undo and redo for every scenario edit: commands on a stack, and the editor that makes them.

Edits go through a `ScenarioEditor`; each public method validates its input (a `DataError`
naming the field, the scenario untouched), builds a command and pushes it on the `UndoStack`,
which runs it. Undo runs the command's inverse, which restores the exact previous content
(records are immutable, so a command keeps the old and the new record).

- Moves of one site pushed with `merge=True` fold into the move on top of the stack, so a drag
  is one undo step. A merge never reaches past an undo, a redo, a save point (`set_clean`) or
  `seal()`, which the GUI calls when the mouse button goes up. A drag that ends where it began
  leaves no step at all.
- `clean` is True while the scenario matches the last save (`set_clean`); the window's title
  and "unsaved changes" prompt follow it.
- The stack keeps at most `limit` steps; the oldest are dropped.
- `group(text)` makes several edits one step (and undoes the part done if one of them fails).

No Qt: the GUI binds its actions' enabled state and labels to the stack's evented fields
(`can_undo`, `can_redo`, `undo_text`, `redo_text`, `clean`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from psygnal import evented

from hktwin.model.scenario import (
    META_FIELDS,
    SITE_TYPES,
    Scenario,
    Site,
    _as_area,
    site_kind,
)
from hktwin.model.scenario_io import check_meta, check_site

DEFAULT_LIMIT = 200


class Command:
    """One undoable edit. `redo` applies it, `undo` reverts it exactly."""

    text: str = "Edit"

    def redo(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError

    def merge(self, other: Command) -> bool:
        """Fold `other` (already applied, just after this one) into this command."""
        return False

    def is_noop(self) -> bool:
        """True when the command, after merges, changes nothing (it is then dropped)."""
        return False


class AddSite(Command):
    def __init__(self, scenario: Scenario, record: Site, index: int | None = None) -> None:
        self.scenario, self.record, self.index = scenario, record, index
        self.text = f"Add {record.id}"

    def redo(self) -> None:
        self.index = self.scenario.add(self.record, self.index)

    def undo(self) -> None:
        self.scenario.remove(self.record.id)


class RemoveSite(Command):
    def __init__(self, scenario: Scenario, site_id: str) -> None:
        self.scenario, self.site_id = scenario, site_id
        self.index = 0
        self.record: Site | None = None
        self.was_selected = False
        self.text = f"Remove {site_id}"

    def redo(self) -> None:
        self.was_selected = self.scenario.selected == self.site_id
        _, self.index, self.record = self.scenario.remove(self.site_id)

    def undo(self) -> None:
        assert self.record is not None
        self.scenario.add(self.record, self.index)
        if self.was_selected:
            self.scenario.selected = self.site_id


class ReplaceSite(Command):
    """A site's record replaced by another (an edit of its fields, a rename, a move)."""

    def __init__(self, scenario: Scenario, old: Site, new: Site, text: str = "") -> None:
        self.scenario, self.old, self.new = scenario, old, new
        self.text = text or f"Edit {old.id}"

    def redo(self) -> None:
        self.scenario.replace(self.old.id, self.new)

    def undo(self) -> None:
        self.scenario.replace(self.new.id, self.old)

    def is_noop(self) -> bool:
        return self.old == self.new


class MoveSite(ReplaceSite):
    """A move; consecutive moves of the same site merge (one drag, one undo step)."""

    def __init__(self, scenario: Scenario, old: Site, new: Site) -> None:
        super().__init__(scenario, old, new, f"Move {old.id}")

    def merge(self, other: Command) -> bool:
        if not isinstance(other, MoveSite) or other.old != self.new:
            return False
        self.new = other.new
        return True


class SetMeta(Command):
    def __init__(self, scenario: Scenario, before: dict[str, Any], after: dict[str, Any],
                 text: str = "") -> None:
        self.scenario, self.before, self.after = scenario, before, after
        self.text = text or ("Edit scenario " + ", ".join(after))

    def _apply(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            setattr(self.scenario, name, value)

    def redo(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)


class Group(Command):
    """Several commands as one step (undone in reverse order)."""

    def __init__(self, text: str, commands: Iterable[Command] = ()) -> None:
        self.text = text
        self.commands = list(commands)

    def redo(self) -> None:
        for command in self.commands:
            command.redo()

    def undo(self) -> None:
        for command in reversed(self.commands):
            command.undo()


@evented
@dataclass(eq=False)
class UndoStack:
    """A stack of applied commands with an undo/redo cursor.

    The evented fields are outputs: read them and connect to their events (`stack.events.
    can_undo`), never set them.
    """

    limit: int = DEFAULT_LIMIT
    can_undo: bool = field(default=False, init=False)
    can_redo: bool = field(default=False, init=False)
    undo_text: str = field(default="", init=False)
    redo_text: str = field(default="", init=False)
    clean: bool = field(default=True, init=False)

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("an undo stack keeps at least one step")
        self._commands: list[Command] = []
        self._index = 0  # commands[:index] are applied
        self._clean_index: int | None = 0  # None: the saved state can no longer be reached
        self._open = False  # the top command may still take merges
        self._groups: list[Group] = []

    # -- reading ------------------------------------------------------------------------------

    @property
    def index(self) -> int:
        """How many commands are applied (the cursor)."""
        return self._index

    def __len__(self) -> int:
        return len(self._commands)

    def texts(self) -> list[str]:
        """Every step's label, oldest first (for a history panel)."""
        return [command.text for command in self._commands]

    # -- editing ------------------------------------------------------------------------------

    def push(self, command: Command, *, merge: bool = False) -> None:
        """Apply `command` and record it (or fold it into the top command if `merge`)."""
        command.redo()  # if this raises, nothing is recorded
        if self._groups:
            group = self._groups[-1]
            if not (merge and group.commands and group.commands[-1].merge(command)):
                group.commands.append(command)
            return
        if merge and self._open and self._index == len(self._commands) and self._index > 0 \
                and self._clean_index != self._index:
            top = self._commands[self._index - 1]
            if top.merge(command):
                if top.is_noop():
                    self._commands.pop()
                    self._index -= 1
                    self._open = False
                self._update()
                return
        self._record(command)

    def _record(self, command: Command) -> None:
        del self._commands[self._index:]
        if self._clean_index is not None and self._clean_index > self._index:
            self._clean_index = None
        self._commands.append(command)
        self._index += 1
        self._open = True
        while len(self._commands) > self.limit:
            self._commands.pop(0)
            self._index -= 1
            if self._clean_index is not None:
                self._clean_index = self._clean_index - 1 if self._clean_index > 0 else None
        self._update()

    def undo(self) -> bool:
        """Revert the last applied step; False if there is none."""
        self._check_not_grouping("undo")
        if self._index == 0:
            return False
        self._commands[self._index - 1].undo()
        self._index -= 1
        self._open = False
        self._update()
        return True

    def redo(self) -> bool:
        """Re-apply the next undone step; False if there is none."""
        self._check_not_grouping("redo")
        if self._index == len(self._commands):
            return False
        self._commands[self._index].redo()
        self._index += 1
        self._open = False
        self._update()
        return True

    def seal(self) -> None:
        """End merging: the next move starts a new undo step (call when a drag ends)."""
        self._open = False

    def set_clean(self) -> None:
        """Mark the current state as saved."""
        self._clean_index = self._index
        self._open = False
        self._update()

    def clear(self) -> None:
        """Forget every step (e.g. after opening another scenario); the state counts as saved."""
        self._check_not_grouping("clear")
        self._commands.clear()
        self._index = 0
        self._clean_index = 0
        self._open = False
        self._update()

    @contextmanager
    def group(self, text: str) -> Iterator[Group]:
        """Edits pushed inside the block become one step; if the block raises, they are undone."""
        group = Group(text)
        self._groups.append(group)
        try:
            yield group
        except BaseException:
            self._groups.pop()
            group.undo()
            raise
        self._groups.pop()
        if not group.commands:
            return
        if self._groups:
            self._groups[-1].commands.append(group)
        else:
            self._record(group)

    def _check_not_grouping(self, what: str) -> None:
        if self._groups:
            raise RuntimeError(f"cannot {what} while a group of edits is open")

    def _update(self) -> None:
        self.can_undo = self._index > 0
        self.can_redo = self._index < len(self._commands)
        self.undo_text = self._commands[self._index - 1].text if self.can_undo else ""
        self.redo_text = self._commands[self._index].text if self.can_redo else ""
        self.clean = self._clean_index == self._index


class ScenarioEditor:
    """The undoable edits of a scenario, for the GUI, scripts and tests.

    Every method validates first (raising `DataError` naming the field, or KeyError for an
    unknown site id) so a refused edit changes nothing and records nothing.
    """

    def __init__(self, scenario: Scenario, stack: UndoStack | None = None) -> None:
        self.scenario = scenario
        self.stack = stack if stack is not None else UndoStack()

    # -- sites --------------------------------------------------------------------------------

    def add_site(self, record: Site, *, index: int | None = None, select: bool = False) -> Site:
        """Add a site record; an empty id gets a fresh one (`new_id`). Returns the record added."""
        kind = site_kind(record)
        if not record.id:
            record = dataclasses.replace(record, id=self.scenario.new_id(kind))
        check_site(record)
        if record.id in self.scenario:
            raise ValueError(f"the id {record.id!r} is already used by another site")
        self.stack.push(AddSite(self.scenario, record, index))
        if select:
            self.scenario.selected = record.id
        return record

    def place(self, kind: str, x: float, y: float, /, ground_m: float = 0.0, *,
              select: bool = True, **fields: Any) -> Site:
        """Add a new site of `kind` ("cell", "anchor", "sensor") at a point, with a fresh id."""
        if kind not in SITE_TYPES:
            raise KeyError(f"unknown site kind {kind!r} (use one of {', '.join(SITE_TYPES)})")
        record = SITE_TYPES[kind](id=fields.pop("id", ""), x=x, y=y, ground_m=ground_m,
                                  **fields)
        return self.add_site(record, select=select)

    def remove_site(self, site_id: str) -> Site:
        """Remove a site; returns its record."""
        record = self.scenario[site_id]
        self.stack.push(RemoveSite(self.scenario, site_id))
        return record

    def remove_sites(self, site_ids: Iterable[str]) -> None:
        """Remove several sites as one undo step."""
        site_ids = list(dict.fromkeys(site_ids))
        missing = [site_id for site_id in site_ids if site_id not in self.scenario]
        if missing:
            raise KeyError(f"no site has the id {missing[0]!r}")
        with self.stack.group(f"Remove {len(site_ids)} sites"):
            for site_id in site_ids:
                self.stack.push(RemoveSite(self.scenario, site_id))

    def move_site(self, site_id: str, x: float, y: float, ground_m: float | None = None, *,
                  merge: bool = False, **fields: Any) -> Site:
        """Move a site (keeping its ground level unless `ground_m` is given).

        Pass `merge=True` for every move of a drag after its first: they become one undo step
        until `seal()` (mouse released) or any other edit. `fields` may change along with the
        move (e.g. `mounting="rooftop"` when the site snaps onto a roof) and stay part of the
        same step. Returns the new record.
        """
        old = self.scenario[site_id]
        movable = {f.name for f in dataclasses.fields(old)} - {"id"}
        unknown = sorted(set(fields) - movable)
        if unknown:
            raise TypeError(f"{type(old).__name__} cannot move with field {', '.join(unknown)}")
        changes: dict[str, Any] = {**fields, "x": x, "y": y}
        if ground_m is not None:
            changes["ground_m"] = ground_m
        new = dataclasses.replace(old, **changes)
        if new == old:
            return old
        check_site(new)
        self.stack.push(MoveSite(self.scenario, old, new), merge=merge)
        return new

    def update_site(self, site_id: str, **fields: Any) -> Site:
        """Change fields of a site (any record field, `id` included); returns the new record."""
        old = self.scenario[site_id]
        known = {f.name for f in dataclasses.fields(old)}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise TypeError(f"{type(old).__name__} has no field {', '.join(unknown)}")
        new = dataclasses.replace(old, **fields)
        if new == old:
            return old
        check_site(new)
        if new.id != old.id and new.id in self.scenario:
            raise ValueError(f"the id {new.id!r} is already used by another site")
        if set(fields) <= {"x", "y", "ground_m"}:
            self.stack.push(MoveSite(self.scenario, old, new))
        else:
            self.stack.push(ReplaceSite(self.scenario, old, new,
                                        f"Edit {old.id} {', '.join(sorted(fields))}"))
        return new

    def seal(self) -> None:
        """End a drag: the next move is a new undo step."""
        self.stack.seal()

    # -- metadata -----------------------------------------------------------------------------

    def set_meta(self, **fields: Any) -> None:
        """Change the scenario's name, author, notes, pack or area (one undo step)."""
        check_meta(fields)
        after = {name: (None if value is None else _as_area(value)) if name == "area" else value
                 for name, value in fields.items()}
        before = {name: getattr(self.scenario, name) for name in after}
        changed = {name: value for name, value in after.items() if before[name] != value}
        if not changed:
            return
        before = {name: before[name] for name in changed}
        label = "Rename scenario" if set(changed) == {"name"} else \
            "Edit scenario " + ", ".join(name for name in META_FIELDS if name in changed)
        self.stack.push(SetMeta(self.scenario, before, changed, label))

    # -- the rest -----------------------------------------------------------------------------

    def select(self, site_id: str | None) -> None:
        """Select a site (not an edit: not undoable, not a change to save)."""
        self.scenario.select(site_id)

    @contextmanager
    def group(self, text: str) -> Iterator[Group]:
        """Several edits as one undo step."""
        with self.stack.group(text) as group:
            yield group

    def undo(self) -> bool:
        return self.stack.undo()

    def redo(self) -> bool:
        return self.stack.redo()
