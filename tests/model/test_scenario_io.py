"""Scenario files: round trips, atomic writes, refusals that name the field, autosave, recovery."""

from __future__ import annotations

import copy
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from hktwin.analysis.sites import BAND_GHZ, ARAnchor, Sensor, SmallCell
from hktwin.core.errors import DataError
from hktwin.model.history import ScenarioEditor
from hktwin.model.scenario import Scenario
from hktwin.model.scenario_io import (
    SCHEMA,
    Autosaver,
    autosave_files,
    autosave_path,
    discard_autosave,
    find_recovery,
    load_scenario,
    resolve_pack,
    save_scenario,
    scenario_from_dict,
    scenario_to_dict,
    write_autosave,
)

FIXTURES = Path(__file__).parent / "fixtures"
CENTRAL = FIXTURES / "central.hktwin.json"


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    """Each test gets its own user data folder (autosave copies go there)."""
    monkeypatch.setenv("HKTWIN_DATA_DIR", str(tmp_path / "userdata"))


@pytest.fixture
def central_doc() -> dict:
    return json.loads(CENTRAL.read_text(encoding="utf-8"))


def write_doc(folder: Path, doc, name: str = "s.hktwin.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc, encoding="utf-8")
    return path


# -- fixtures and the schema --------------------------------------------------------------------

def test_schema_is_valid_draft_2020_12_and_fixtures_follow_it(central_doc):
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"].endswith("2020-12/schema")
    assert list(Draft202012Validator(SCHEMA).iter_errors(central_doc)) == []
    assert SCHEMA["$defs"]["cell"]["properties"]["band"]["enum"] == list(BAND_GHZ)


def test_load_the_central_fixture():
    s = load_scenario(CENTRAL)
    assert s.name == "Central small cells, phase 1" and s.pack == "demo"
    assert s.area == (833_300.0, 815_700.0, 834_800.0, 816_900.0)
    assert len(s.cells) == 6 and len(s.anchors) == 2 and len(s.sensors) == 1
    assert {c.mounting for c in s.cells} == {"lamppost", "rooftop"}
    assert all(833_500 <= c.x <= 834_600 and 815_900 <= c.y <= 816_700 for c in s.cells)
    assert s["cell-2"].azimuth_deg is None and s["cell-3"].band == "n257"
    assert s.created == datetime(2025, 3, 4, 9, 15, tzinfo=timezone(timedelta(hours=8)))
    assert s.modified > s.created
    assert s.site_set().sensors[0].kind == "air quality"
    assert s.selected is None


# -- round trips and atomic writes --------------------------------------------------------------

def test_round_trip_is_exact(tmp_path):
    original = load_scenario(CENTRAL)
    path = save_scenario(original, tmp_path / "copy.hktwin.json")
    again = load_scenario(path)
    assert again.state() == original.state()
    assert (again.created, again.modified) == (original.created, original.modified)
    assert scenario_to_dict(again) == scenario_to_dict(original)
    # The saved text is stable (saving the loaded copy gives the same bytes).
    second = save_scenario(again, tmp_path / "copy2.hktwin.json")
    assert second.read_bytes() == path.read_bytes()


def test_saved_file_is_the_documented_json(tmp_path):
    s = Scenario(name="Tiny", cells=[SmallCell("cell-1", 833_600, 816_000)])
    path = save_scenario(s, tmp_path / "tiny.hktwin.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert list(doc)[:2] == ["format", "version"]
    assert (doc["format"], doc["version"], doc["area"]) == ("hktwin-scenario", 1, None)
    assert set(doc) == {"format", "version", "name", "author", "notes", "pack", "area",
                        "created", "modified", "cells", "anchors", "sensors"}
    assert doc["cells"][0]["x"] == 833_600 and doc["cells"][0]["band"] == "n78"
    assert datetime.fromisoformat(doc["created"]).utcoffset() == timedelta(hours=8)


def test_numpy_scalars_are_saved_as_plain_numbers(tmp_path):
    np = pytest.importorskip("numpy")
    s = Scenario(cells=[SmallCell("cell-1", np.float32(833_600.5), np.float64(816_000.0),
                                  height_m=np.int64(12))])
    again = load_scenario(save_scenario(s, tmp_path / "np.hktwin.json"))
    assert again["cell-1"].x == 833_600.5 and again["cell-1"].height_m == 12.0


def test_a_failure_mid_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    """Saves go through the app's one atomic write (`core.files`): a disk that fills half-way
    through, or any failure before the rename, leaves the old file whole and no temporary."""
    from hktwin.core import files
    from hktwin.core.errors import HKTwinError

    path = save_scenario(load_scenario(CENTRAL), tmp_path / "plan.hktwin.json")
    old_bytes = path.read_bytes()
    real_fsync = files.os.fsync

    def full_disk(fd):
        os.write(fd, b"half a scenario")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    changed = load_scenario(CENTRAL)
    changed.name = "Changed"
    with pytest.raises(HKTwinError) as info:
        save_scenario(changed, path)
    assert str(path) in str(info.value) and "no space left" in str(info.value).lower()
    assert path.read_bytes() == old_bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.hktwin.json"]  # no temp left

    def refused(fd):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(files.os, "fsync", refused)
    with pytest.raises(DataError, match="could not be written"):
        save_scenario(changed, path)
    assert path.read_bytes() == old_bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.hktwin.json"]
    monkeypatch.setattr(files.os, "fsync", real_fsync)
    save_scenario(changed, path)
    assert load_scenario(path).name == "Changed"


def test_save_keeps_the_old_files_permissions(tmp_path):
    path = save_scenario(Scenario(), tmp_path / "p.hktwin.json")
    if os.name == "posix":
        os.chmod(path, 0o640)
        save_scenario(Scenario(name="again"), path)
        assert (path.stat().st_mode & 0o777) == 0o640


def test_save_refuses_a_scenario_that_would_not_load(tmp_path):
    path = save_scenario(Scenario(), tmp_path / "ok.hktwin.json")
    old = path.read_bytes()
    bad = Scenario(cells=[SmallCell("cell-1", 833_600, 816_000, tx_power_dbm=80.0)])
    with pytest.raises(DataError) as info:
        save_scenario(bad, path)
    assert info.value.field == "cells[0].tx_power_dbm"
    assert path.read_bytes() == old
    with pytest.raises(DataError, match="could not be written"):
        save_scenario(Scenario(), tmp_path / "no-such-folder" / "x.hktwin.json")


# -- refusals -----------------------------------------------------------------------------------

def test_a_newer_version_is_refused():
    path = FIXTURES / "newer-version.hktwin.json"
    with pytest.raises(DataError) as info:
        load_scenario(path)
    err = info.value
    assert err.field == "version" and err.path == str(path)
    assert "newer" in err.problem and "version 2" in err.problem
    assert "update HK Twin" in err.fix
    assert str(err).startswith(f"{path} [version]: ")


def test_a_broken_field_is_refused_with_its_json_path():
    path = FIXTURES / "broken-band.hktwin.json"
    with pytest.raises(DataError) as info:
        load_scenario(path)
    err = info.value
    assert err.field == "cells[2].band" and err.path == str(path)
    assert '"n79"' in err.problem and "n78, n257, n258" in err.fix
    assert str(err) == (f"{path} [cells[2].band]: \"n79\" is not one of n78, n257, n258. "
                        "Fix: use one of n78, n257, n258")


def _set(doc, path, value):
    *parents, last = path
    target = doc
    for key in parents:
        target = target[key]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value


_DELETE = object()

BROKEN = [
    # (JSON path to change, new value, the field the refusal names, words in the message)
    (["cells", 0, "tx_power_dbm"], 51, "cells[0].tx_power_dbm", "0 to 50"),
    (["cells", 1, "height_m"], -1.0, "cells[1].height_m", "0 to 500"),
    (["anchors", 0, "height_m"], 501, "anchors[0].height_m", "0 to 500"),
    (["cells", 3, "azimuth_deg"], 361.0, "cells[3].azimuth_deg", "0 to 360"),
    (["cells", 3, "azimuth_deg"], "north", "cells[3].azimuth_deg", "a number or null"),
    (["cells", 4, "mounting"], "balloon", "cells[4].mounting", "lamppost"),
    (["cells", 5, "x"], 900_000.0, "cells[5].x", "790000 to 870000"),
    (["sensors", 0, "y"], 22.28, "sensors[0].y", "795000 to 850000"),
    (["cells", 1, "x"], _DELETE, "cells[1].x", "add \"x\""),
    (["cells", 0, "colour"], "red", "cells[0].colour", "not part of the format"),
    (["cells", 0, "x"], True, "cells[0].x", "a number"),
    (["anchors", 1, "id"], "anchor-1", "anchors[1].id", "already used by anchors[0]"),
    (["sensors", 0, "id"], "cell-3", "sensors[0].id", "already used by cells[2]"),
    (["cells", 2, "id"], "", "cells[2].id", "not a valid id"),
    (["sensors", 0, "range_m"], 0, "sensors[0].range_m", "above 0"),
    (["area", "xmax"], 833_000.0, "area.xmax", "greater than xmin"),
    (["area", "ymin"], _DELETE, "area.ymin", "missing"),
    (["created"], "2025-03-04T09:15:00", "created", "timezone"),
    (["modified"], "yesterday", "modified", "timezone"),
    (["name"], 42, "name", "text"),
    (["pack"], _DELETE, "pack", "missing"),
    (["cells"], {"cell-1": {}}, "cells", "a list"),
    (["format"], "geojson", "format", "not an HK Twin scenario"),
    (["version"], "1", "version", "not valid"),
    (["version"], 0, "version", "not valid"),
    (["drones"], [], "drones", "not part of the format"),
]


@pytest.mark.parametrize(("where", "value", "field", "words"), BROKEN,
                         ids=[f"{b[2]}={b[1]!r}"[:50] for b in BROKEN])
def test_every_refusal_names_the_file_and_the_field(tmp_path, central_doc, where, value, field,
                                                    words):
    doc = copy.deepcopy(central_doc)
    _set(doc, where, value)
    path = write_doc(tmp_path, doc)
    with pytest.raises(DataError) as info:
        load_scenario(path)
    err = info.value
    assert err.path == str(path)
    assert err.field == field
    assert words in str(err)
    assert err.fix
    assert str(err).startswith(f"{path} [{field}]: ")


def test_several_problems_are_all_listed(tmp_path, central_doc):
    doc = copy.deepcopy(central_doc)
    doc["cells"][0]["band"] = "n79"
    doc["cells"][4]["tx_power_dbm"] = 99
    doc["sensors"][0]["range_m"] = -5
    with pytest.raises(DataError) as info:
        load_scenario(write_doc(tmp_path, doc))
    err = info.value
    assert err.field == "cells[0].band" and "2 more problems" in err.problem
    assert [p[0] for p in err.problems] == ["cells[0].band", "cells[4].tx_power_dbm",
                                            "sensors[0].range_m"]


@pytest.mark.parametrize(("text", "words"), [
    ('{"format": "hktwin-scenario", "version": 1,', "not valid JSON (line 1"),
    ("", "empty"),
    ("[1, 2]", "JSON list, not an object"),
    ('{"format": "hktwin-scenario", "format": "x"}', "appears twice"),
    ('{"format": "hktwin-scenario", "version": NaN}', "NaN"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_bad_json_is_refused(tmp_path, text, words):
    path = write_doc(tmp_path, text)
    with pytest.raises(DataError) as info:
        load_scenario(path)
    assert words in str(info.value) and str(path) in str(info.value) and info.value.fix


def test_unreadable_files_are_refused(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_scenario(tmp_path / "missing.hktwin.json")
    with pytest.raises(DataError, match="folder"):
        load_scenario(tmp_path)
    latin = tmp_path / "latin.hktwin.json"
    latin.write_bytes('{"name": "Caf\u00e9"}'.encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        load_scenario(latin)


def test_integers_load_as_floats_and_defaults_fill_in(tmp_path, central_doc):
    doc = copy.deepcopy(central_doc)
    doc["cells"] = [{"id": "c", "x": 833_600, "y": 816_000}]
    for optional in ("author", "notes", "area", "created", "modified"):
        del doc[optional]
    s = load_scenario(write_doc(tmp_path, doc))
    assert s["c"] == SmallCell("c", 833_600.0, 816_000.0)
    assert isinstance(s["c"].x, float) and s.area is None and s.author == ""


def test_scenario_from_dict_never_half_loads(central_doc):
    doc = copy.deepcopy(central_doc)
    doc["sensors"][0]["range_m"] = "far"
    with pytest.raises(DataError) as info:
        scenario_from_dict(doc)
    assert info.value.path is None and info.value.field == "sensors[0].range_m"


def test_resolve_pack(tmp_path):
    assert resolve_pack("demo").name == "demo_city"
    assert resolve_pack("packs/hk", tmp_path / "a.hktwin.json") == tmp_path / "packs" / "hk"
    assert resolve_pack(str(tmp_path / "abs")) == tmp_path / "abs"


# -- hypothesis: random valid scenarios survive a round trip -----------------------------------

_x = st.floats(790_000, 870_000, allow_nan=False)
_y = st.floats(795_000, 850_000, allow_nan=False)
_text = st.text(max_size=30)
_height = st.floats(0, 500)
_ground = st.floats(-50, 1200)
_cells = st.builds(
    SmallCell, id=st.just(""), x=_x, y=_y, ground_m=_ground, height_m=_height,
    mounting=st.sampled_from(["rooftop", "facade", "lamppost", "ground"]),
    band=st.sampled_from(list(BAND_GHZ)), tx_power_dbm=st.floats(0, 50),
    antenna_gain_dbi=st.floats(-10, 40), azimuth_deg=st.none() | st.floats(0, 360),
    downtilt_deg=st.floats(-90, 90), h_beamwidth_deg=st.floats(1, 360),
    v_beamwidth_deg=st.floats(1, 180), bandwidth_mhz=st.floats(5, 400), name=_text)
_anchors = st.builds(ARAnchor, id=st.just(""), x=_x, y=_y, ground_m=_ground, height_m=_height,
                     content_size_m=st.floats(0.1, 100), required_dl_mbps=st.floats(0, 5000),
                     required_latency_ms=st.floats(0, 1000), view_radius_m=st.floats(1, 1000),
                     name=_text)
_sensors = st.builds(Sensor, id=st.just(""), x=_x, y=_y, ground_m=_ground, height_m=_height,
                     kind=st.text(min_size=1, max_size=20), range_m=st.floats(1, 5000),
                     name=_text)
_times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                      timezones=st.sampled_from([UTC, timezone(timedelta(hours=8))]))


@st.composite
def scenarios(draw) -> Scenario:
    x0, y0 = draw(_x), draw(_y)
    area = draw(st.none() | st.just((min(x0, 869_000.0), min(y0, 849_000.0),
                                     min(x0, 869_000.0) + 1000, min(y0, 849_000.0) + 1000)))
    s = Scenario(name=draw(_text), author=draw(_text), notes=draw(st.text(max_size=200)),
                 pack=draw(st.sampled_from(["demo", "/data/hk-real", "packs/港島"])),
                 area=area, created=draw(_times), modified=draw(_times))
    for kind, records in (("cell", _cells), ("anchor", _anchors), ("sensor", _sensors)):
        for record in draw(st.lists(records, max_size=4)):
            s.add(type(record)(**{**record.__dict__, "id": s.new_id(kind)}))
    return s


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def test_random_valid_scenarios_round_trip(scenario):
    doc = json.loads(json.dumps(scenario_to_dict(scenario)))
    assert scenario_from_dict(doc).state() == scenario.state()
    with tempfile.TemporaryDirectory() as folder:
        again = load_scenario(save_scenario(scenario, Path(folder) / "r.hktwin.json"))
    assert again.state() == scenario.state()
    assert (again.created, again.modified) == (scenario.created, scenario.modified)


# -- autosave and recovery ----------------------------------------------------------------------

def test_autosave_paths_live_in_the_data_folder(tmp_path):
    data = tmp_path / "userdata" / "autosave"
    untitled = autosave_path(None)
    assert untitled.parent == data and untitled.name.endswith(".hktwin.json")
    a = autosave_path(tmp_path / "plans" / "Central plan.hktwin.json")
    b = autosave_path(tmp_path / "other" / "Central plan.hktwin.json")
    assert a.parent == data and a != b and a.name.startswith("Central_plan-")
    assert a == autosave_path(str(tmp_path / "plans" / "Central plan.hktwin.json"))
    assert not data.exists()  # naming a path creates nothing


def test_autosaver_writes_only_when_changed(tmp_path):
    scenario = load_scenario(CENTRAL)
    editor = ScenarioEditor(scenario)
    saver = Autosaver(scenario, tmp_path / "plan.hktwin.json")
    assert saver() is None  # nothing changed yet
    editor.move_site("cell-1", 833_600.0, 816_150.0)
    written = saver()
    assert written == autosave_path(tmp_path / "plan.hktwin.json") and written.is_file()
    stamp = written.stat().st_mtime_ns
    assert saver() is None and written.stat().st_mtime_ns == stamp
    editor.select("cell-2")  # selection is not an edit
    assert saver() is None
    editor.undo()
    assert saver() == written
    assert load_scenario(written).state() == load_scenario(CENTRAL).state()


def test_recovery_after_a_crash(tmp_path):
    path = tmp_path / "plan.hktwin.json"
    scenario = load_scenario(CENTRAL)
    save_scenario(scenario, path)
    editor = ScenarioEditor(scenario)
    saver = Autosaver(scenario, path)
    saver.saved()
    assert find_recovery(path) is None
    editor.update_site("cell-3", tx_power_dbm=35.0)
    editor.place("sensor", 834_100.0, 816_100.0, 5.0)
    saver()
    _set_mtime(saver.last_path, path.stat().st_mtime_ns + 10**9)
    edited = scenario.state()
    del editor, saver, scenario  # the app dies without saving

    found = find_recovery(path)
    assert found == autosave_path(path)
    recovered = load_scenario(found)
    assert recovered.state() == edited
    assert load_scenario(path).state() != edited  # the saved file was never touched
    assert autosave_files() == [found]

    # After the user saves the recovered work, the copy is gone.
    save_scenario(recovered, path)
    saver = Autosaver(recovered, path)
    saver.saved()
    assert find_recovery(path) is None and autosave_files() == []


def test_no_recovery_when_the_saved_file_is_newer(tmp_path):
    path = save_scenario(load_scenario(CENTRAL), tmp_path / "plan.hktwin.json")
    auto = write_autosave(load_scenario(CENTRAL), path)
    _set_mtime(auto, path.stat().st_mtime_ns - 10**9)
    assert find_recovery(path) is None
    _set_mtime(auto, path.stat().st_mtime_ns + 10**9)
    assert find_recovery(path) == auto
    path.unlink()  # the saved file is gone: the copy is all there is
    assert find_recovery(path) == auto
    discard_autosave(path)
    assert find_recovery(path) is None


def test_untitled_scenarios_recover_too(tmp_path):
    scenario = Scenario(name="Untitled")
    saver = Autosaver(scenario)
    assert find_recovery(None) is None
    ScenarioEditor(scenario).place("cell", 833_700.0, 816_200.0, 5.0)
    assert saver() == autosave_path(None)
    assert find_recovery(None) == autosave_path(None)
    # Save As: the untitled copy goes, and autosaves now follow the new file.
    path = save_scenario(scenario, tmp_path / "named.hktwin.json")
    saver.saved(path)
    assert find_recovery(None) is None and saver.scenario_path == path
    scenario.notes = "more"
    assert saver() == autosave_path(path)
    saver.close()
    assert find_recovery(path) is None
    scenario.notes = "after close"
    assert saver.dirty is False


def test_a_failing_autosave_is_retried_and_never_raises(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("HKTWIN_DATA_DIR", str(blocker))
    scenario = Scenario()
    saver = Autosaver(scenario)
    scenario.notes = "work"
    assert saver() is None
    assert saver.dirty and isinstance(saver.last_error, DataError)
    monkeypatch.setenv("HKTWIN_DATA_DIR", str(tmp_path / "userdata"))
    assert saver() == autosave_path(None) and saver.last_error is None


def _set_mtime(path: Path, ns: int) -> None:
    os.utime(path, ns=(ns, ns))
