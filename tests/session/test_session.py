"""The session drives the app headless: open a city, edit the scenario, undo, evaluate, cancel,
select, views and feeds, with no Qt anywhere."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from hktwin.core.errors import Cancelled, DataError, HKTwinError
from hktwin.model.twin import Selection
from hktwin.session.session import Session
from hktwin.session.tasks import TaskRunner, inline_launcher

# On the tiny island's flat shore (tests/packs.py), among the towers.
SHORE = (833_000.0, 816_500.0, 2.0)


@pytest.fixture(scope="module")
def loaded_session(tmp_path_factory):
    from packs import write_tiny_pack

    pack = write_tiny_pack(tmp_path_factory.mktemp("session") / "pack")
    session = Session()
    session.open_pack_now(pack)
    return session


@pytest.fixture
def session(loaded_session):
    """The module's loaded session with a fresh, empty scenario."""
    loaded_session.planning.new()
    loaded_session.planning.results.clear()
    loaded_session.clear_selection()
    for layer in list(loaded_session.twin.layers):
        if layer.name.startswith(("Coverage", "Difference")):
            loaded_session.twin.layers.remove(layer)
    return loaded_session


def test_the_session_loads_no_gui_toolkit():
    code = ("import sys, hktwin.session.session, hktwin.session.evaluation; "
            "print([m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'vispy', 'pyqtgraph', 'superqt')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == "[]"


# -- the task runner and the one Cancelled -------------------------------------------------------

def _outcome(work):
    runner = TaskRunner(inline_launcher)
    calls = []
    task = runner.submit("t", work, on_done=lambda r: calls.append(("done", r)),
                         on_failed=lambda m: calls.append(("failed", m)),
                         on_cancelled=lambda: calls.append(("cancelled",)))
    assert task.wait(5)
    return task, calls


def test_every_way_work_ends_is_decided_once():
    task, calls = _outcome(lambda progress, cancel: 42)
    assert (task.state, task.result, calls) == ("done", 42, [("done", 42)])

    def bad_input(progress, cancel):
        raise DataError("x.json", "broken", "mend it")

    task, calls = _outcome(bad_input)
    assert task.state == "failed" and calls == [("failed", "x.json: broken. Fix: mend it")]

    def bug(progress, cancel):
        raise ZeroDivisionError("oops")

    task, calls = _outcome(bug)
    assert task.state == "failed" and calls == [("failed", "ZeroDivisionError: oops")]

    def stopped(progress, cancel):
        raise Cancelled("stopped between tiles")

    task, calls = _outcome(stopped)
    assert task.state == "cancelled" and calls == [("cancelled",)]


def test_cancelled_is_the_one_cancellation_and_not_a_failure():
    from hktwin.analysis import coverage
    from hktwin.geo.importers import common

    assert not issubclass(Cancelled, HKTwinError)
    assert coverage.Cancelled is Cancelled and common.Cancelled is Cancelled
    options = common.ImportOptions(cancel=threading.Event())
    options.cancel.set()
    with pytest.raises(Cancelled):
        options.check_cancel()


def test_a_running_task_is_not_started_twice_and_can_be_cancelled():
    runner = TaskRunner()
    started = threading.Event()

    def slow(progress, cancel):
        started.set()
        for i in range(500):
            if cancel.is_set():
                raise Cancelled("stopped")
            progress(i / 500, "working")
            time.sleep(0.01)
        return "finished"

    seen = []
    runner.progressed.connect(lambda task, f, m: seen.append(f))
    task = runner.submit("slow", slow)
    assert started.wait(5)
    assert runner.submit("slow", slow) is None  # the same job is not started twice
    assert runner.running("slow") and runner.running()
    runner.cancel("slow")
    assert task.wait(5) and task.state == "cancelled" and seen
    assert not runner.running()


# -- the document: open, edit, undo, evaluate, cancel -------------------------------------------

def test_opening_a_pack_puts_city_live_layers_and_sites_in_the_twin(loaded_session):
    names = loaded_session.twin.layers.names()
    assert {"Terrain", "Buildings", "Sites"} <= set(names)
    assert loaded_session.twin.city.name == "Tiny test island"
    assert loaded_session.feeds.store is not None and loaded_session.feeds.binding is not None


def test_editing_the_scenario_is_undoable_through_the_session(session):
    planning = session.planning
    record = planning.editor.place("cell", *SHORE)
    assert [c.id for c in planning.scenario.cells] == [record.id]
    planning.editor.update_site(record.id, tx_power_dbm=40.0)
    assert planning.scenario[record.id].tx_power_dbm == 40.0
    assert planning.stack.undo()
    assert planning.scenario[record.id].tx_power_dbm == record.tx_power_dbm
    assert planning.stack.undo() and record.id not in planning.scenario
    assert planning.stack.redo() and record.id in planning.scenario
    with pytest.raises(DataError) as info:  # the bounds of the one site table
        planning.editor.update_site(record.id, antenna_gain_dbi=41.0)
    assert info.value.field == "antenna_gain_dbi" and "-10 to 40" in info.value.fix


def test_evaluating_goes_through_the_one_workflow_and_shows_the_result(session):
    from hktwin.session.evaluation import ScenarioEvaluation

    planning = session.planning
    planning.editor.place("cell", *SHORE)
    planning.resolution_m = 20.0
    statuses = []
    planning.status.connect(statuses.append)
    try:
        task = planning.evaluate()
        assert task is not None and task.wait(120)
    finally:
        planning.status.disconnect(statuses.append)
    assert task.state == "done", task.error
    label, evaluation = planning.results[-1]
    assert isinstance(evaluation, ScenarioEvaluation)
    assert evaluation.metrics["cells"] == 1 and 0 < evaluation.metrics["coverage_share"] <= 1
    assert evaluation.pack.path == session.twin.city.path.resolve()
    layer = session.twin.layers.get("Coverage (RSRP)")
    assert layer is not None and layer.raster.shape == evaluation.result.rsrp_dbm.shape
    assert statuses[-1] == f"Evaluated {label}"


def test_the_exported_report_is_the_workflows_output_set(session, tmp_path):
    from hktwin.session.evaluation import OUTPUT_FILES

    planning = session.planning
    planning.editor.place("cell", *SHORE)
    planning.resolution_m = 20.0
    assert planning.evaluate().wait(120)
    written = planning.export(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(OUTPUT_FILES)
    assert written["report"].read_text(encoding="utf-8").startswith("<!DOCTYPE html")
    # The window's way: the same set written as a task, the status said when it is done.
    messages = []
    planning.status.connect(messages.append)
    try:
        task = planning.export_in_background(tmp_path / "again")
        assert task.wait(120) and task.state == "done", task.error
        assert sorted(p.name for p in (tmp_path / "again").iterdir()) == sorted(OUTPUT_FILES)
        assert messages[-1] == f"Report written to {task.result['report']}"
        bad = tmp_path / "a-file"
        bad.write_text("not a folder")
        failed = planning.export_in_background(bad)
        failed.wait(60)
        assert failed.state == "failed" and messages[-1].startswith("Export failed:")
    finally:
        planning.status.disconnect(messages.append)


def test_cancelling_an_evaluation_reports_cancelled_not_failed(session):
    planning = session.planning
    for dx in range(0, 1200, 200):
        planning.editor.place("cell", SHORE[0] + dx - 600, SHORE[1], SHORE[2])
    planning.editor.set_meta(area=(832_100.0, 815_100.0, 835_900.0, 816_900.0))
    planning.resolution_m = 2.0  # long enough to cancel
    statuses, busy = [], []
    planning.status.connect(statuses.append)
    planning.busy.connect(busy.append)
    try:
        task = planning.evaluate()
        planning.cancel()
        assert task.wait(120)
    finally:
        planning.status.disconnect(statuses.append)
        planning.busy.disconnect(busy.append)
    assert task.state == "cancelled" and task.error is None
    assert statuses == ["Evaluation cancelled"] and busy == [True, False]
    assert planning.results == [] and session.twin.layers.get("Coverage (RSRP)") is None


# -- selection, views, feeds ----------------------------------------------------------------------

def test_the_selection_is_typed_and_reads_like_the_inspector_rows(session):
    from hktwin.model.layers import BuildingsLayer

    layer = session.twin.layers.of_type(BuildingsLayer)[0]
    building_id = int(layer.buildings.ids[0]) if hasattr(layer.buildings, "ids") else 0
    selection = session.select_building(layer, building_id)
    assert isinstance(selection, Selection) and selection.kind == "building"
    assert session.twin.selection is selection and layer.selected == building_id
    assert 22.0 < selection["lat"] < 22.6 and selection.layer == layer.name

    record = session.planning.editor.place("sensor", *SHORE)
    session.select_site(record.id)
    selection = session.twin.selection
    assert selection.kind == "site" and selection.key == record.id
    assert selection["kind"] == "sensor" and layer.selected is None
    session.planning.stack.undo()  # the site goes: so does its selection
    assert session.twin.selection is None


def test_named_views_include_the_orbit_views_and_saved_poses(session):
    from hktwin.model.camera import VIEW_NAMES

    views = session.views
    assert views.names()[: len(VIEW_NAMES)] == list(VIEW_NAMES)
    pose = session.twin.camera.moved(distance=321.0)
    views.save("my corner", pose)
    session.go_to("harbour")
    assert session.twin.camera != pose
    session.go_to("my corner")
    assert session.twin.camera == pose
    with pytest.raises(KeyError, match="harbour"):
        session.pose("nowhere")
    views.remove("my corner")
    assert session.tour is None  # room for the demo tour


def test_street_views_stand_on_the_ground_and_set_the_street_eye(session):
    from hktwin.model.camera import StreetPose

    street = session.views.street_names()
    assert street and not set(street) & set(session.views.orbit_names())
    camera = session.twin.camera
    name = street[0]
    session.go_to(name)
    eye = session.twin.street
    assert isinstance(eye, StreetPose) and session.twin.camera == camera
    ground = float(session.twin.city.terrain.height_at(eye.x, eye.y))
    assert eye.ground == pytest.approx(max(ground, 0.0))
    own = eye.moved(heading=10.0)
    session.views.save("my street", own)
    session.go_to("my street")
    assert session.twin.street.heading == 10.0
    session.views.remove("my street")
    session.twin.street = None


def test_feed_states_are_evented_and_kept(session):
    from hktwin.feeds.poller import SourceState

    made = []

    class FakePoller:
        def __init__(self, name, store, on_state):
            self.name, self.on_state, self.stopped = name, on_state, False
            made.append(self)

        @property
        def state(self):
            return SourceState(self.name, "failing" if self.stopped else "live")

        def start(self):
            self.on_state(SourceState(self.name, "live", rows=3))

        def stop(self, timeout_s=None):
            self.stopped = True
            self.on_state(SourceState(self.name, "idle"))

    seen = []
    session.feeds.state_changed.connect(seen.append)
    try:
        started = session.feeds.go_live(FakePoller)
        assert started == session.feeds.sources() and started
        assert [s.status for s in seen] == ["live"] * len(started)
        assert session.feeds.state(started[0]).status == "live"
        assert session.twin.clock.end is None  # following now
        session.feeds.stop()
        assert all(session.feeds.states[name].status == "idle" for name in started)
        assert not session.feeds.live
    finally:
        session.feeds.state_changed.disconnect(seen.append)


def test_the_session_has_room_for_the_demo_tour(session, tmp_path):
    from hktwin.core.paths import resources_dir

    sample = resources_dir() / "tours" / "hong-kong.toml"
    if not sample.exists():
        pytest.skip("the sample tour resources/tours/hong-kong.toml is not there")
    seen = []
    session.tour_changed.connect(seen.append)
    try:
        tour = session.load_tour(sample)
        assert session.tour is tour and seen == [tour] and tour.steps
        bad = tmp_path / "bad.toml"
        bad.write_text("[tour\n")
        with pytest.raises(DataError):
            session.load_tour(bad)
        assert session.tour is tour  # a refused file leaves the loaded tour
    finally:
        session.tour_changed.disconnect(seen.append)
        session.set_tour(None)


def test_a_session_over_a_twin_loaded_elsewhere_can_plan(loaded_session):
    from hktwin.model.twin import Twin

    twin = Twin(city=loaded_session.twin.city)
    twin.layers.extend([la for la in loaded_session.twin.layers if la.name == "Terrain"])
    other = Session(twin)
    assert other.planning.sites_layer in twin.layers
    other.planning.editor.place("cell", *SHORE)
    assert len(other.planning.sites_layer.scenario.cells) == 1


def test_opening_another_city_cancels_the_running_evaluation(session, tiny_pack):
    planning = session.planning
    for dx in range(0, 1200, 200):
        planning.editor.place("cell", SHORE[0] + dx - 600, SHORE[1], SHORE[2])
    planning.editor.set_meta(area=(832_100.0, 815_100.0, 835_900.0, 816_900.0))
    planning.resolution_m = 2.0
    task = planning.evaluate()
    session.open_pack_now(tiny_pack)  # another city (the same files, a new CityModel)
    assert task.wait(120) and task.state == "cancelled"
    assert planning.results == [] and session.twin.layers.get("Coverage (RSRP)") is None


def test_live_polling_follows_the_settings_interval_but_never_outpaces_a_source(
        session, monkeypatch):
    """`feed_polling.interval_s` in the settings sets how often the window polls; a source that
    publishes less often than that is polled at its own interval."""
    import hktwin.feeds.poller as poller_mod
    from hktwin.core import settings
    from hktwin.feeds.sources import get_source

    made = {}

    class RecordingPoller:
        def __init__(self, source, store, on_state=None, interval_s=None, **_):
            made[source.name] = interval_s

        def start(self):
            pass

        def stop(self, timeout_s=None):
            pass

    monkeypatch.setattr(poller_mod, "Poller", RecordingPoller)
    current = settings.load()
    before = current.feed_polling.interval_s
    current.feed_polling.interval_s = 300
    settings.save(current)
    try:
        started = session.go_live()
        assert started and set(made) == set(started)
        for name in started:
            assert made[name] == max(300.0, get_source(name).interval_s)
    finally:
        session.feeds.stop()
        session.feeds.pollers.clear()
        current.feed_polling.interval_s = before
        settings.save(current)


def test_suggested_sites_join_the_scenario_as_one_undoable_draft(session):
    """Planning.suggest_sites runs ai.suggest as a task; its cells land as one undo step."""
    from packs import X0, Y0

    area = (f"POLYGON(({X0 + 200} {Y0 + 1000}, {X0 + 1800} {Y0 + 1000}, {X0 + 1800} "
            f"{Y0 + 1950}, {X0 + 200} {Y0 + 1950}, {X0 + 200} {Y0 + 1000}))")

    session.planning.editor.place("cell", 833_600.0, 816_100.0, 5.0)
    messages = []
    session.planning.status.connect(messages.append)
    try:
        task = session.planning.suggest_sites(area, 3, kind="grid", max_candidates=30)
        task.wait()
        assert task.state == "done", task.error
        cells = session.planning.scenario.cells
        assert len(cells) == 4 and all(c.name.startswith("suggested #") for c in cells[1:])
        assert len({c.id for c in cells}) == 4
        assert "Suggested 3 sites" in messages[-1] and "Undo" in messages[-1]
        session.planning.stack.undo()
        assert len(session.planning.scenario.cells) == 1  # the draft is gone, the rest stays
    finally:
        session.planning.status.disconnect(messages.append)


def test_cancellable_progress_stops_work_that_only_reports():
    import threading

    from hktwin.core.errors import Cancelled
    from hktwin.core.progress import cancellable

    seen, cancel = [], threading.Event()
    report = cancellable(lambda f, m: seen.append(f), cancel)
    report(0.1, "tile 1")
    cancel.set()
    with pytest.raises(Cancelled, match="20%"):
        report(0.2, "tile 2")
    assert seen == [0.1]

