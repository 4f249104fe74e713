"""A generic background job for long work (evaluations, exports): progress, cancel, result."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThread, Signal

from hktwin.core.errors import HKTwinError


class Job(QThread):
    """Runs `work(progress, cancel)` off the GUI thread; results arrive through queued signals.

    `cancel` is a `threading.Event` the work checks between steps; `cancel()` sets it.
    """

    progress = Signal(float, str)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, work: Callable[[Callable[[float, str], None], threading.Event], Any],
                 parent=None) -> None:
        super().__init__(parent)
        self.work = work
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        try:
            result = self.work(self.progress.emit, self.cancel_event)
        except HKTwinError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # report, never die silently
            if self.cancel_event.is_set() or type(exc).__name__ == "Cancelled":
                self.cancelled.emit()
            else:
                self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            if self.cancel_event.is_set():
                self.cancelled.emit()
            else:
                self.done.emit(result)
