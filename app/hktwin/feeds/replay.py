"""Replaying recorded feeds: step through a store's snapshot times in order at a speed factor.

Used by `hktwin feeds replay` and by the GUI's time bar. Each step carries, for every source
that has a snapshot at that time, the source's full state then (`FeedStore.values_at`), so a
consumer can simply replace what it shows for that source. Sleeping is scheduled against the
start (not step to step), so slow consumers do not make the replay drift; the sleep and clock are
injectable so tests run instantly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import NamedTuple

from hktwin.feeds.store import FeedStore, Values

#: Speeds a replay accepts: slower than real time by at most a million, faster by at most 1e9
#: (beyond, a recorded day's waits overflow a sleep or round to nothing; use math.inf).
MIN_SPEED, MAX_SPEED = 1e-6, 1e9


class ReplayStep(NamedTuple):
    """A snapshot time and {source: that source's values at that time}."""

    time: datetime
    values: dict[str, Values]


def timeline(store: FeedStore, sources: Iterable[str] | None = None,
             start: datetime | None = None,
             end: datetime | None = None) -> list[tuple[datetime, list[str]]]:
    """The merged snapshot times of `sources` (all stored ones by default), with which sources
    have a snapshot at each, oldest first."""
    merged: dict[datetime, list[str]] = {}
    for source in (store.sources() if sources is None else list(sources)):
        for when in store.times(source, start, end):
            merged.setdefault(when, []).append(source)
    return sorted(merged.items())


def replay(
    store: FeedStore,
    speed: float = 1.0,
    sources: Iterable[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    max_age: timedelta | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[ReplayStep]:
    """Yield the store's snapshots in time order, `speed` times faster than they happened.

    `speed` = math.inf replays without waiting. The wait before a step is the recorded gap
    divided by `speed`, measured from the first step.
    """
    if not (speed == math.inf or MIN_SPEED <= speed <= MAX_SPEED):
        raise ValueError(f"replay speed {speed} is outside {MIN_SPEED:g}..{MAX_SPEED:g} "
                         "(or inf for no waiting)")
    steps = timeline(store, sources, start, end)
    if not steps:
        return
    first = steps[0][0]
    wall0 = clock()
    for when, names in steps:
        if math.isfinite(speed):
            due = wall0 + (when - first).total_seconds() / speed
            wait = due - clock()
            if wait > 0:
                sleep(wait)
        yield ReplayStep(when, {name: store.values_at(name, when, max_age) for name in names})
