"""What every feed source provides, and the normalised observation rows they produce.

A source turns the bytes of one published document into `Observation` rows. The poller, the
store, record/replay and the live layers only ever see these rows, so a new source (a plugin's)
is one module with a `FeedSource`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

HK_TZ_OFFSET_HOURS = 8  # Hong Kong Time, no daylight saving


class FeedFormatError(ValueError):
    """A document that does not follow its published format.

    Carries the source name and a short snippet of the offending text for the log.
    """

    def __init__(self, source: str, problem: str, snippet: str = "") -> None:
        self.source = source
        self.problem = problem
        self.snippet = snippet[:200]
        text = f"{source}: {problem}"
        super().__init__(f"{text} (near: {self.snippet!r})" if self.snippet else text)


@dataclass(frozen=True, slots=True)
class Observation:
    """One value of one thing at one time.

    `key` identifies the thing within its source (a TD link id, an HKO station or district name
    in English, an EPD station name). `observed_at` is the source's own time, timezone-aware.
    `value` is the main number (speed km/h, journey time, degC, AQHI...) or None when the source
    marks it invalid; `attrs` keeps the other published fields, JSON-compatible.
    """

    source: str
    key: str
    observed_at: datetime
    value: float | None
    unit: str = ""
    attrs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A flat JSON-ready dict (time in ISO 8601 with its offset)."""
        return {"source": self.source, "key": self.key, "time": self.observed_at.isoformat(),
                "value": self.value, "unit": self.unit, **self.attrs}


@dataclass(frozen=True)
class FeedSource:
    """A published feed: its name, address, polling cadence and parser."""

    name: str
    url: str
    interval_s: float
    parse: Callable[[bytes], list[Observation]]
    description: str = ""
    max_bytes: int = 20_000_000  # larger responses are refused before parsing
