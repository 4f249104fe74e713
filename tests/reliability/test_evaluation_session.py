"""session.evaluation: the scenario's pack is used and recorded; outputs are written as a set."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from reliability_helpers import save_scenario_file

from hktwin.core.errors import DataError, HKTwinError
from hktwin.session import evaluation as ev_mod
from hktwin.session.evaluation import evaluate_scenario, pack_ref, resolve_pack


def test_relative_pack_of_the_scenario_is_used_and_recorded(own_pack, tmp_path):
    scen = save_scenario_file(tmp_path / "plan.hktwin.json", "packs/harbour")
    ev = evaluate_scenario(scen, out_dir=tmp_path / "out", resolution_m=20)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert Path(metrics["pack"]["path"]) == own_pack.resolve()
    assert metrics["pack"]["sha256"] == pack_ref(own_pack).sha256 == ev.pack.sha256
    # The tiny pack, not the demo city: its grid lies where the scenario's area is.
    assert metrics["grid"]["bounds"][0] == pytest.approx(832_500.0)
    report = (tmp_path / "out" / "report.html").read_text()
    assert ev.pack.sha256[:16] in report and str(own_pack.resolve()) in report


def test_content_hash_follows_the_content(own_pack):
    before = pack_ref(own_pack).sha256
    roads = next(own_pack.glob("roads*"))
    os.utime(roads, ns=(1, 1))  # a touch alone changes nothing
    assert pack_ref(own_pack).sha256 == before
    with open(roads, "ab") as fh:
        fh.write(b"\0")
    assert pack_ref(own_pack).sha256 != before


def test_a_missing_pack_is_refused_naming_it(tmp_path):
    scen = save_scenario_file(tmp_path / "plan.hktwin.json", "no-such-pack")
    with pytest.raises(DataError) as err:
        evaluate_scenario(scen, out_dir=tmp_path / "out", resolution_m=20)
    text = str(err.value)
    assert "no-such-pack" in text and "[pack]" in text and "\n" not in text
    assert not (tmp_path / "out").exists()


def test_a_pack_by_name_among_the_known_packs(tiny_pack, tmp_path, monkeypatch):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(tiny_pack, data / "packs" / "harbour-2026")
    monkeypatch.setenv("HKTWIN_DATA_DIR", str(data))
    scen = save_scenario_file(tmp_path / "elsewhere" / "plan.hktwin.json", "harbour-2026")
    assert resolve_pack("harbour-2026", scen) == data / "packs" / "harbour-2026"
    assert "harbour-2026" in ev_mod.known_packs()


def test_a_failed_write_leaves_the_previous_set_whole(own_pack, tmp_path, monkeypatch):
    scen = save_scenario_file(tmp_path / "plan.hktwin.json", str(own_pack), n_cells=1)
    out = tmp_path / "out"
    evaluate_scenario(scen, out_dir=out, resolution_m=20)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    scen2 = save_scenario_file(tmp_path / "plan.hktwin.json", str(own_pack), n_cells=2)

    import hktwin.analysis.report as report

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "write_report", full_disk)
    with pytest.raises(HKTwinError) as err:
        evaluate_scenario(scen2, out_dir=out, resolution_m=20)
    assert "no space left on the device" in str(err.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_window_style_evaluate_then_export(own_pack, tmp_path):
    from hktwin.geo.pack import open_pack
    from hktwin.model.scenario_io import load_scenario

    scen = save_scenario_file(tmp_path / "plan.hktwin.json", "packs/harbour")
    scenario = load_scenario(scen)
    city = open_pack(own_pack)
    ev = evaluate_scenario(scenario, scenario_path=scen, city=city, resolution_m=20)
    assert ev.files == {} and ev.pack.path == own_pack.resolve()
    files = ev_mod.write_evaluation(ev, tmp_path / "export")
    assert set(ev_mod.OUTPUT_FILES) <= {p.name for p in files.values()}
    assert {p.name for p in files.values()} == {p.name for p in (tmp_path / "export").iterdir()}
    assert all(p.is_file() for p in files.values())


def test_staging_of_a_killed_writer_is_removed_by_the_next(own_pack, tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".out.writing-{dead}-0123456789"
    stale.mkdir()
    (stale / "coverage.tif").write_bytes(b"half")
    live = tmp_path / f".out.writing-{os.getppid()}-abcdef0123"  # a live process's: kept
    live.mkdir()
    scen = save_scenario_file(tmp_path / "plan.hktwin.json", "packs/harbour")
    evaluate_scenario(scen, out_dir=tmp_path / "out", resolution_m=20)
    assert not stale.exists() and live.exists()
