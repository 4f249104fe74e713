"""Undo/redo: every edit kind restores the exact previous state; drags merge; clean; limits."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hktwin.analysis.sites import ARAnchor, Sensor, SmallCell
from hktwin.core.errors import DataError
from hktwin.model.history import Command, ScenarioEditor, UndoStack
from hktwin.model.scenario import Scenario


def central() -> Scenario:
    return Scenario(
        name="Central",
        cells=[SmallCell("cell-1", 833_540.0, 816_120.0, ground_m=5.2, height_m=8.0),
               SmallCell("cell-2", 833_880.0, 815_960.0, ground_m=9.6, mounting="rooftop",
                         band="n257", azimuth_deg=120.0)],
        anchors=[ARAnchor("anchor-1", 834_080.0, 816_260.0, ground_m=4.5)],
        sensors=[Sensor("sensor-1", 834_040.0, 816_030.0, ground_m=5.0)],
    )


@pytest.fixture
def editor() -> ScenarioEditor:
    return ScenarioEditor(central())


def snapshot(scenario: Scenario) -> tuple:
    return scenario.state(), scenario.selected


EDITS = {
    "add cell": lambda e: e.add_site(SmallCell("", 834_200.0, 816_100.0, ground_m=4.0)),
    "add anchor at front": lambda e: e.add_site(ARAnchor("anchor-9", 834_000.0, 816_500.0),
                                                index=0),
    "add sensor": lambda e: e.place("sensor", 834_100.0, 816_000.0, 5.0, kind="noise"),
    "remove cell": lambda e: e.remove_site("cell-1"),
    "remove selected anchor": lambda e: e.remove_site("anchor-1"),
    "remove several": lambda e: e.remove_sites(["cell-2", "sensor-1"]),
    "move": lambda e: e.move_site("cell-1", 833_600.0, 816_150.0),
    "move with ground": lambda e: e.move_site("anchor-1", 834_000.0, 816_200.0, 12.5),
    "edit fields": lambda e: e.update_site("cell-2", tx_power_dbm=40.0, band="n78",
                                           azimuth_deg=None),
    "rename selected": lambda e: e.update_site("cell-2", id="ifc-roof"),
    "edit sensor": lambda e: e.update_site("sensor-1", kind="noise", range_m=80.0),
    "set name": lambda e: e.set_meta(name="Central, phase 2"),
    "set meta": lambda e: e.set_meta(author="Planner", notes="n", pack="/data/hk-real",
                                     area=(833_000, 815_500, 835_000, 817_000)),
}

#: Edits that act on the selected site: select it first (selection itself is not an edit).
SELECTED_FIRST = {"remove selected anchor": "anchor-1", "rename selected": "cell-2"}


@pytest.mark.parametrize("name", EDITS)
def test_every_edit_undoes_and_redoes_exactly(editor, name):
    editor.select(SELECTED_FIRST.get(name))
    before = snapshot(editor.scenario)
    changes = []
    editor.scenario.changed.connect(lambda: changes.append(1))
    EDITS[name](editor)
    after = editor.scenario.state()
    assert after != before[0] and changes
    assert len(editor.stack) == 1  # one undo step, even for several sites
    assert editor.stack.can_undo and not editor.stack.can_redo
    assert editor.undo()
    assert snapshot(editor.scenario) == before
    assert editor.stack.can_redo and not editor.stack.can_undo
    assert editor.redo()
    assert editor.scenario.state() == after
    assert editor.undo()
    assert snapshot(editor.scenario) == before


def test_undo_all_then_redo_all(editor):
    states = [editor.scenario.state()]
    for name in ("add cell", "move", "edit fields", "set meta", "remove cell", "add sensor"):
        EDITS[name](editor)
        states.append(editor.scenario.state())
    for expected in reversed(states[:-1]):
        editor.undo()
        assert editor.scenario.state() == expected
    assert not editor.undo()
    for expected in states[1:]:
        editor.redo()
        assert editor.scenario.state() == expected
    assert not editor.redo()


def test_a_drag_is_one_undo_step(editor):
    start = editor.scenario["cell-1"]
    editor.move_site("cell-1", 833_550.0, 816_120.0)  # the drag's first move
    for step in range(1, 30):
        editor.move_site("cell-1", 833_550.0 + step, 816_120.0 + 2 * step, merge=True)
    editor.seal()  # mouse released
    assert len(editor.stack) == 1 and editor.stack.undo_text == "Move cell-1"
    assert editor.scenario["cell-1"].x == 833_579.0
    editor.undo()
    assert editor.scenario["cell-1"] == start
    editor.redo()
    assert editor.scenario["cell-1"].y == 816_178.0


def test_merging_stops_at_seal_other_sites_undo_and_other_edits(editor):
    editor.move_site("cell-1", 833_600.0, 816_120.0, merge=True)
    editor.move_site("cell-1", 833_610.0, 816_120.0, merge=True)
    assert len(editor.stack) == 1
    editor.seal()
    editor.move_site("cell-1", 833_620.0, 816_120.0, merge=True)  # a second drag
    assert len(editor.stack) == 2
    editor.move_site("cell-2", 833_900.0, 815_960.0, merge=True)  # another site
    assert len(editor.stack) == 3
    editor.update_site("cell-2", height_m=12.0)
    editor.move_site("cell-2", 833_910.0, 815_960.0, merge=True)  # after another edit
    assert len(editor.stack) == 5
    editor.undo()
    editor.redo()
    editor.move_site("cell-2", 833_920.0, 815_960.0, merge=True)  # after undo/redo
    assert len(editor.stack) == 6


def test_a_drag_may_change_other_fields_in_the_same_step(editor):
    start = editor.scenario["cell-1"]
    editor.move_site("cell-1", 833_560.0, 816_120.0, merge=True)
    editor.move_site("cell-1", 833_580.0, 816_130.0, 41.0, merge=True, mounting="rooftop",
                     height_m=3.0)  # snapped onto a roof
    editor.move_site("cell-1", 833_590.0, 816_130.0, merge=True)
    assert len(editor.stack) == 1
    assert editor.scenario["cell-1"].mounting == "rooftop"
    assert editor.scenario["cell-1"].ground_m == 41.0
    editor.undo()
    assert editor.scenario["cell-1"] == start
    with pytest.raises(TypeError):
        editor.move_site("cell-1", 833_600.0, 816_120.0, id="other")
    with pytest.raises(TypeError):
        editor.move_site("cell-1", 833_600.0, 816_120.0, colour="red")


def test_a_drag_back_to_where_it_began_leaves_no_step(editor):
    start = editor.scenario.state()
    editor.move_site("cell-1", 833_600.0, 816_200.0)
    editor.move_site("cell-1", 833_540.0, 816_120.0, merge=True)
    assert editor.scenario.state() == start
    assert len(editor.stack) == 0 and not editor.stack.can_undo and editor.stack.clean


def test_no_op_edits_record_nothing(editor):
    editor.move_site("cell-1", 833_540.0, 816_120.0)
    editor.update_site("cell-2", band="n257")
    editor.set_meta(name="Central")
    assert len(editor.stack) == 0


def test_clean_state_follows_saves_undo_and_redo(editor):
    stack = editor.stack
    flips = []
    stack.events.clean.connect(flips.append)
    assert stack.clean
    editor.move_site("cell-1", 833_600.0, 816_120.0)
    assert not stack.clean
    editor.undo()
    assert stack.clean
    editor.redo()
    stack.set_clean()  # saved here
    assert stack.clean
    editor.move_site("cell-1", 833_610.0, 816_120.0, merge=True)  # never merges into a save
    assert len(stack) == 2 and not stack.clean
    editor.undo()
    assert stack.clean
    editor.undo()
    assert not stack.clean
    editor.set_meta(name="Elsewhere")  # branches off: the saved state is gone for good
    assert not stack.clean
    editor.undo()
    assert not stack.clean
    assert flips[:3] == [False, True, False]


def test_evented_flags_and_texts(editor):
    stack = editor.stack
    seen = []
    stack.events.can_undo.connect(lambda v: seen.append(("undo", v)))
    stack.events.can_redo.connect(lambda v: seen.append(("redo", v)))
    editor.update_site("cell-2", tx_power_dbm=20.0)
    assert stack.undo_text == "Edit cell-2 tx_power_dbm" and stack.redo_text == ""
    editor.undo()
    assert stack.redo_text == "Edit cell-2 tx_power_dbm"
    assert seen == [("undo", True), ("undo", False), ("redo", True)]
    assert stack.texts() == ["Edit cell-2 tx_power_dbm"]


def test_the_stack_keeps_at_most_limit_steps():
    scenario = central()
    editor = ScenarioEditor(scenario, UndoStack(limit=5))
    for step in range(8):
        editor.set_meta(notes=f"note {step}")
    assert len(editor.stack) == 5 and not editor.stack.clean
    while editor.undo():
        pass
    assert scenario.notes == "note 2"  # the three oldest steps were dropped
    assert not editor.stack.clean  # the saved state can no longer be reached
    with pytest.raises(ValueError):
        UndoStack(limit=0)


def test_refused_edits_change_nothing(editor):
    before = snapshot(editor.scenario)
    with pytest.raises(DataError) as info:
        editor.update_site("cell-1", tx_power_dbm=60.0)
    assert info.value.field == "tx_power_dbm" and "0 to 50" in info.value.fix
    with pytest.raises(DataError) as info:
        editor.move_site("cell-1", 700_000.0, 816_000.0)
    assert info.value.field == "x"
    with pytest.raises(DataError) as info:
        editor.add_site(SmallCell("cell-9", 833_600.0, 816_000.0, band="n79"))
    assert info.value.field == "band"
    with pytest.raises(DataError) as info:
        editor.update_site("cell-2", azimuth_deg=400.0)
    assert info.value.field == "azimuth_deg"
    with pytest.raises(DataError) as info:
        editor.set_meta(area=(835_000, 815_000, 834_000, 817_000))
    assert info.value.field == "area.xmax"
    with pytest.raises(DataError) as info:
        editor.set_meta(pack="")
    assert info.value.field == "pack"
    with pytest.raises(ValueError, match="already used"):
        editor.add_site(SmallCell("anchor-1", 833_600.0, 816_000.0))
    with pytest.raises(ValueError, match="already used"):
        editor.update_site("cell-1", id="cell-2")
    with pytest.raises(TypeError):
        editor.update_site("cell-1", colour="red")
    with pytest.raises(TypeError):
        editor.set_meta(created="yesterday")
    with pytest.raises(KeyError):
        editor.remove_site("cell-9")
    with pytest.raises(KeyError):
        editor.remove_sites(["cell-1", "cell-9"])
    assert snapshot(editor.scenario) == before
    assert len(editor.stack) == 0


def test_a_group_is_one_step_and_rolls_back_on_failure(editor):
    before = editor.scenario.state()
    with editor.group("Paste sites"):
        editor.place("cell", 834_300.0, 816_300.0, 4.0)
        editor.place("cell", 834_350.0, 816_300.0, 4.0)
        editor.move_site("cell-1", 833_560.0, 816_120.0)
    assert len(editor.stack) == 1 and editor.stack.undo_text == "Paste sites"
    after = editor.scenario.state()
    editor.undo()
    assert editor.scenario.state() == before
    editor.redo()
    assert editor.scenario.state() == after
    with pytest.raises(DataError), editor.group("Broken"):
        editor.place("cell", 834_400.0, 816_300.0, 4.0)
        editor.update_site("cell-1", height_m=-3.0)
    assert editor.scenario.state() == after and len(editor.stack) == 1
    with editor.group("Nothing"):
        pass
    assert len(editor.stack) == 1


def test_undo_is_refused_inside_a_group(editor):
    with pytest.raises(RuntimeError), editor.group("x"):
        editor.undo()


def test_a_failing_command_is_not_recorded():
    class Boom(Command):
        def redo(self):
            raise OSError("boom")

    stack = UndoStack()
    with pytest.raises(OSError):
        stack.push(Boom())
    assert len(stack) == 0 and not stack.can_undo


# Random edit sequences: undoing all restores the start, redoing all the end.
_edit = st.one_of(
    st.tuples(st.just("place"), st.sampled_from(["cell", "anchor", "sensor"]),
              st.floats(833_000, 835_000), st.floats(815_500, 817_000)),
    st.tuples(st.just("move"), st.integers(0, 20), st.floats(833_000, 835_000),
              st.floats(815_500, 817_000), st.booleans()),
    st.tuples(st.just("remove"), st.integers(0, 20)),
    st.tuples(st.just("height"), st.integers(0, 20), st.floats(0, 500)),
    st.tuples(st.just("notes"), st.text(max_size=20)),
    st.tuples(st.just("undo")),
    st.tuples(st.just("seal")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_edit, max_size=25))
def test_random_edit_sequences_undo_to_the_start(ops):
    scenario = central()
    editor = ScenarioEditor(scenario, UndoStack(limit=1000))
    start = scenario.state()
    for op in ops:
        ids = sorted(scenario.ids())
        pick = (lambda i, ids=ids: ids[i % len(ids)]) if ids else None
        if op[0] == "place":
            editor.place(op[1], op[2], op[3], 5.0)
        elif op[0] == "move" and pick:
            editor.move_site(pick(op[1]), op[2], op[3], merge=op[4])
        elif op[0] == "remove" and pick:
            editor.remove_site(pick(op[1]))
        elif op[0] == "height" and pick:
            editor.update_site(pick(op[1]), height_m=op[2])
        elif op[0] == "notes":
            editor.set_meta(notes=op[1])
        elif op[0] == "undo":
            editor.undo()
        elif op[0] == "seal":
            editor.seal()
    end, end_index = scenario.state(), editor.stack.index
    while editor.undo():
        pass
    assert scenario.state() == start
    for _ in range(end_index):
        assert editor.redo()
    assert scenario.state() == end
