"""One progress abstraction for terminal and window.

Long work takes a `Progress` callable and calls it with a fraction in [0, 1] and a short message.
The CLI passes a `TerminalProgress`; the GUI passes a function that emits a Qt signal; tests and
scripts may pass nothing. `sub_progress` maps a step onto a slice of its caller's range so nested
work reports one smooth bar.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

Progress = Callable[[float, str], None]


def no_progress(fraction: float, message: str) -> None:
    """A progress sink that ignores everything."""


def sub_progress(progress: Progress | None, start: float, end: float) -> Progress:
    """Report a nested step's 0..1 as `start..end` of the caller's progress."""
    if progress is None:
        return no_progress

    def report(fraction: float, message: str) -> None:
        progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return report


def cancellable(progress: Progress | None, cancel: threading.Event | None) -> Progress:
    """`progress` that raises `Cancelled` once `cancel` is set: work that reports between its
    steps but takes no cancel event of its own stops at its next report."""
    report = progress or no_progress
    if cancel is None:
        return report

    def check(fraction: float, message: str) -> None:
        if cancel.is_set():
            from hktwin.core.errors import Cancelled

            raise Cancelled(f"cancelled at {fraction:.0%} ({message})")
        report(fraction, message)

    return check


class TerminalProgress:
    """A one-line bar on a terminal; plain lines, at most one per step, when not a terminal."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self._last_message = ""
        self._last_draw = 0.0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, fraction: float, message: str) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        if self._tty:
            now = time.monotonic()
            if fraction < 1.0 and now - self._last_draw < 0.05:
                return
            self._last_draw = now
            filled = round(fraction * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r[{bar}] {fraction:4.0%} {message[:60]:<60}")
            if fraction >= 1.0:
                self.stream.write("\n")
        elif message != self._last_message:
            self.stream.write(f"{fraction:4.0%} {message}\n")
        self._last_message = message
        self.stream.flush()
