"""One task runner for all long work (loading a pack, evaluating coverage, exporting), no Qt.

A task is `work(progress, cancel) -> result`: `progress(fraction, message)` reports, `cancel` is
a `threading.Event` the work checks between steps, raising `hktwin.core.errors.Cancelled` (the
one cancellation of the app). How the work ends is decided here, once:

- it returned, and nobody cancelled: `done`, its result kept;
- it raised `Cancelled`, or anything after a cancel was asked for: `cancelled` (never "failed");
- it raised an `HKTwinError`: `failed`, with the error's one-line message;
- it raised anything else: `failed`, with the exception's type and message (logged with its
  traceback), so a worker never dies silently.

Where the work runs is the launcher's business: by default a Python thread (headless: the CLI,
tests, notebooks), in the window one `QThread` (`hktwin.ui.tasks`). The runner's events
(`started`, `progressed`, `finished`) fire on the launcher's home thread: the GUI thread in the
window, the worker thread headless. `Task.wait()` blocks until the task has ended and its
completion callbacks ran.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from psygnal import Signal

from hktwin.core.errors import Cancelled, HKTwinError
from hktwin.core.progress import Progress

log = logging.getLogger(__name__)

State = Literal["pending", "running", "done", "failed", "cancelled"]
Work = Callable[[Progress, threading.Event], Any]


@dataclass(eq=False)
class Task:
    """One piece of long work and how it ended (`state`, `result`, `error`)."""

    name: str
    work: Work
    on_done: Callable[[Any], None] | None = None
    on_failed: Callable[[str], None] | None = None
    on_cancelled: Callable[[], None] | None = None
    state: State = "pending"
    result: Any = None
    error: str | None = None
    fraction: float = 0.0
    message: str = ""
    cancel_event: threading.Event = field(default_factory=threading.Event)
    _ended: threading.Event = field(default_factory=threading.Event, repr=False)

    def cancel(self) -> None:
        """Ask the work to stop at its next check; it ends `cancelled`."""
        self.cancel_event.set()

    @property
    def running(self) -> bool:
        return self.state in ("pending", "running")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the task ended and its callbacks ran; False on timeout."""
        return self._ended.wait(timeout)

    def execute(self, progress: Progress) -> None:
        """Run the work here and now (on whatever thread calls this); decide how it ended."""
        self.state = "running"
        try:
            result = self.work(progress, self.cancel_event)
        except Cancelled:
            self.state = "cancelled"
        except HKTwinError as exc:
            self.state, self.error = ("cancelled", None) if self.cancel_event.is_set() else (
                "failed", str(exc))
        except Exception as exc:  # report, never die silently
            if self.cancel_event.is_set():
                self.state = "cancelled"
            else:
                log.exception("task %r failed", self.name)
                self.state, self.error = "failed", f"{type(exc).__name__}: {exc}"
        else:
            if self.cancel_event.is_set():
                self.state = "cancelled"
            else:
                self.state, self.result = "done", result


class Launcher(Protocol):
    """Starts `task.execute(progress)` somewhere and calls `complete(task)` on its home thread
    when it returns; `progress` may be called from the worker thread."""

    def __call__(self, task: Task, progress: Progress,
                 complete: Callable[[Task], None]) -> None: ...


def thread_launcher(task: Task, progress: Progress, complete: Callable[[Task], None]) -> None:
    """Headless: a daemon Python thread runs the task and completes it there."""

    def run() -> None:
        task.execute(progress)
        complete(task)

    threading.Thread(target=run, name=f"hktwin-task-{task.name}", daemon=True).start()


def inline_launcher(task: Task, progress: Progress, complete: Callable[[Task], None]) -> None:
    """Run the task in the caller's thread (scripts that want no threads at all)."""
    task.execute(progress)
    complete(task)


class TaskRunner:
    """Submits tasks to a launcher and reports them through events (psygnal, no Qt).

    Tasks are keyed by name: submitting a name that is still running is refused (returns None),
    so the same job is never started twice (the user double-clicking Evaluate).
    """

    started = Signal(object)  # Task
    progressed = Signal(object, float, str)  # Task, fraction, message
    finished = Signal(object)  # Task (state done, failed or cancelled)

    def __init__(self, launcher: Launcher | None = None) -> None:
        self.launcher: Launcher = launcher or thread_launcher
        self.tasks: dict[str, Task] = {}
        self._lock = threading.Lock()

    def submit(self, name: str, work: Work, *, on_done: Callable[[Any], None] | None = None,
               on_failed: Callable[[str], None] | None = None,
               on_cancelled: Callable[[], None] | None = None) -> Task | None:
        """Start `work` as task `name`; None if a task of that name is still running."""
        with self._lock:
            current = self.tasks.get(name)
            if current is not None and current.running:
                return None
            task = Task(name, work, on_done, on_failed, on_cancelled)
            self.tasks[name] = task
        self.started.emit(task)
        self.launcher(task, lambda f, m: self._progress(task, f, m), self._complete)
        return task

    def get(self, name: str) -> Task | None:
        return self.tasks.get(name)

    def running(self, name: str | None = None) -> bool:
        """Whether task `name` (any task, when None) is still running."""
        if name is not None:
            task = self.tasks.get(name)
            return task is not None and task.running
        return any(task.running for task in list(self.tasks.values()))

    def cancel(self, name: str | None = None) -> None:
        """Cancel task `name`, or every running task."""
        for key, task in list(self.tasks.items()):
            if name is None or key == name:
                task.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every task submitted so far ended (headless use)."""
        return all(task.wait(timeout) for task in list(self.tasks.values()))

    def _progress(self, task: Task, fraction: float, message: str) -> None:
        task.fraction, task.message = fraction, message
        self.progressed.emit(task, fraction, message)

    def _complete(self, task: Task) -> None:
        """Called once per task on the launcher's home thread: callbacks, then the event."""
        try:
            callback = {"done": task.on_done, "failed": task.on_failed,
                        "cancelled": task.on_cancelled}.get(task.state)
            if callback is not None:
                if task.state == "done":
                    callback(task.result)
                elif task.state == "failed":
                    callback(task.error)
                else:
                    callback()
        except Exception as exc:  # a completion handler is app code: report it as a failure
            log.exception("completing task %r failed", task.name)
            task.state, task.error = "failed", f"{type(exc).__name__}: {exc}"
            if task.on_failed is not None:
                try:
                    task.on_failed(task.error)
                except Exception:
                    log.exception("reporting the failure of task %r failed", task.name)
        finally:
            try:
                self.finished.emit(task)
            finally:
                task._ended.set()
