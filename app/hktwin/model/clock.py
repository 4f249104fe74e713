"""The twin's clock: live (following the wall clock) or replaying the feed store's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from psygnal import evented

HKT = timezone(timedelta(hours=8), "HKT")
#: Playback speeds offered by the time bar (simulated seconds per real second).
SPEEDS: tuple[float, ...] = (1.0, 10.0, 60.0, 300.0, 900.0, 3600.0)


def now_hkt() -> datetime:
    return datetime.now(HKT)


@evented
@dataclass(eq=False)
class Clock:
    """The time every live layer shows.

    Live, it follows the wall clock. Otherwise it sits at a time chosen on the time bar, or
    plays forward at `speed` times real time and stops at `end`. `start`/`end` bound the
    recorded history (None while nothing is recorded).
    """

    time: datetime
    live: bool = False
    playing: bool = False
    speed: float = 60.0
    start: datetime | None = None
    end: datetime | None = None
    #: issue 11: the last reading; between it and `end` the layers show forecasts (hktwin.ai).
    forecast_from: datetime | None = None

    def advance(self, real_seconds: float, now: datetime | None = None) -> None:
        """Move on by `real_seconds` of wall time (called by a timer)."""
        if self.live:
            self.time = now or now_hkt()
            return
        if not self.playing:
            return
        target = self.time + timedelta(seconds=real_seconds * self.speed)
        if self.end is not None and target >= self.end:
            target = self.end
            self.playing = False
        self.time = target

    def seek(self, when: datetime) -> None:
        """Jump to a moment of the recorded history (leaving live mode)."""
        self.live = False
        if self.start is not None and when < self.start:
            when = self.start
        if self.end is not None and when > self.end:
            when = self.end
        self.time = when

    def go_live(self, now: datetime | None = None) -> None:
        self.playing = False
        self.live = True
        self.time = now or now_hkt()

    def set_range(self, start: datetime | None, end: datetime | None) -> None:
        self.start, self.end = start, end

    @property
    def fraction(self) -> float:
        """Where `time` lies between `start` and `end` (0..1), for the slider."""
        if self.start is None or self.end is None or self.end <= self.start:
            return 1.0
        return min(max((self.time - self.start) / (self.end - self.start), 0.0), 1.0)

    def time_at(self, fraction: float) -> datetime:
        if self.start is None or self.end is None:
            return self.time
        return self.start + (self.end - self.start) * min(max(fraction, 0.0), 1.0)
