"""The Qt bridge of the session's task runner: one `QThread` worker for all long work.

`qt_launcher` is a `session.tasks.Launcher`: each task runs in a `TaskThread`; its progress and
its completion cross to the GUI thread through queued signals, so the runner's events and the
tasks' callbacks (which add layers, fill tables) always run on the GUI thread. Deciding how a
task ended (done, failed, cancelled) is the runner's job, not this one's.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from hktwin.core.progress import Progress
from hktwin.session.tasks import Task


class TaskThread(QThread):
    """Runs one task off the GUI thread."""

    progress = Signal(object, float, str)  # the thread, fraction, message
    completed = Signal(object)  # the thread

    def __init__(self, task: Task, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.task = task

    def run(self) -> None:
        self.task.execute(lambda fraction, message: self.progress.emit(self, fraction, message))
        self.completed.emit(self)


class QtLauncher(QObject):
    """Lives on the GUI thread; its slots receive each `TaskThread`'s signals there (queued,
    because the receiver is this object, not a free function)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threads: dict[TaskThread, tuple[Progress, Callable[[Task], None]]] = {}
        self._alive: set[TaskThread] = set()  # kept until `finished`: never GC a running QThread

    def __call__(self, task: Task, progress: Progress, complete: Callable[[Task], None]) -> None:
        thread = TaskThread(task)
        self.threads[thread] = (progress, complete)
        thread.progress.connect(self._on_progress)
        thread.completed.connect(self._on_completed)
        thread.finished.connect(self._on_finished)
        self._alive.add(thread)
        thread.start()

    def _on_progress(self, thread: TaskThread, fraction: float, message: str) -> None:
        entry = self.threads.get(thread)
        if entry is not None:
            entry[0](fraction, message)

    def _on_completed(self, thread: TaskThread) -> None:
        entry = self.threads.pop(thread, None)
        if entry is not None:
            entry[1](thread.task)

    def _on_finished(self) -> None:
        for thread in [t for t in self._alive if t.isFinished()]:
            self._alive.discard(thread)

    def wait(self, timeout_ms: int = 10_000) -> None:
        """Wait for running threads (the window closes)."""
        for thread in list(self._alive):
            thread.wait(timeout_ms)
