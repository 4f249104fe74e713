"""The Qt bridge of the task runner: work runs off the GUI thread; progress, completion and the
runner's events arrive on it; a cancel is reported as a cancel."""

from __future__ import annotations

import threading
import time

from hktwin.core.errors import Cancelled
from hktwin.session.tasks import TaskRunner
from hktwin.ui.tasks import QtLauncher


def test_work_runs_off_the_gui_thread_and_reports_on_it(qtbot):
    main = threading.current_thread()
    launcher = QtLauncher()
    runner = TaskRunner(launcher)
    where: dict[str, list] = {"work": [], "progress": [], "done": [], "finished": []}

    def work(progress, cancel):
        where["work"].append(threading.current_thread())
        for i in range(5):
            progress(i / 5, f"step {i}")
            time.sleep(0.01)
        return "result"

    runner.progressed.connect(lambda t, f, m: where["progress"].append(threading.current_thread()))
    runner.finished.connect(lambda t: where["finished"].append(threading.current_thread()))
    task = runner.submit("t", work, on_done=lambda r: where["done"].append(
        (threading.current_thread(), r)))
    qtbot.waitUntil(lambda: bool(where["finished"]), timeout=10_000)
    assert task.state == "done" and where["done"] == [(main, "result")]
    assert where["work"] and where["work"][0] is not main
    assert where["progress"] and all(t is main for t in where["progress"])
    assert where["finished"] == [main]
    launcher.wait()


def test_a_cancelled_task_reports_cancelled_on_the_gui_thread(qtbot):
    runner = TaskRunner(QtLauncher())
    outcome = []

    def work(progress, cancel):
        while not cancel.is_set():
            time.sleep(0.01)
        raise Cancelled("stopped")

    task = runner.submit("t", work, on_failed=lambda m: outcome.append(("failed", m)),
                         on_cancelled=lambda: outcome.append(("cancelled",)))
    task.cancel()
    qtbot.waitUntil(lambda: bool(outcome), timeout=10_000)
    assert outcome == [("cancelled",)] and task.state == "cancelled"


def test_closing_the_window_during_an_evaluation_stops_it(qtbot, window, load, tiny_pack):
    load(window, tiny_pack)
    planning = window.session.planning
    for dx in range(0, 1200, 200):
        planning.editor.place("cell", 832_400.0 + dx, 816_500.0, 2.0)
    planning.resolution_m = 2.0
    task = planning.evaluate()
    assert task is not None and task.running
    window.close()  # cancels, waits for the worker thread, never hangs or crashes
    assert not window.launcher._alive or all(t.isFinished() for t in window.launcher._alive)
    assert task.cancel_event.is_set() and task.state in ("cancelled", "done")


def test_the_status_bar_progress_repaints_a_few_times_a_second_not_per_report(window):
    """A task reporting hundreds of times a second repaints the bar at most every
    PROGRESS_EVERY_S (each repaint beside the 3D canvas costs tens of ms); the end is shown."""
    from types import SimpleNamespace

    from hktwin.ui import main_window as mw

    task = SimpleNamespace(name="evaluate")
    shown = []
    window.progress.valueChanged.connect(shown.append)
    window._on_task_started(task)
    for i in range(1, 200):
        window._on_task_progress(task, i / 400, "tiles")
    assert len([v for v in shown if v > 0]) == 1  # the first report only, within 0.2 s
    window._on_task_progress(task, 1.0, "done")
    assert window.progress.value() == 1000
    assert mw.PROGRESS_EVERY_S <= 0.25
