"""Each case of issue 9's "one line, exit 2, no traceback" list, through the real CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from reliability_helpers import save_scenario_file

from hktwin.cli import main


def one_line(capsys, *argv: str) -> str:
    """Run the CLI; it must exit 2 with its last stderr line the one error and no traceback."""
    code = main(list(argv))
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured.err
    assert "Traceback" not in captured.err + captured.out
    assert lines and lines[-1].startswith("hktwin: error: ")
    return lines[-1]


@pytest.fixture
def scenario(own_pack, tmp_path) -> Path:
    return save_scenario_file(tmp_path / "s.hktwin.json", "packs/harbour")


@pytest.mark.parametrize(("out", "said"), [
    ("", "--out: is empty"),
    ("{file}/results", "which is a file, not a folder"),
    ("{file}", "names a file, not a folder"),
    ("/proc/hktwin-results", "under /proc, a system folder"),
    ("/sys/kernel/hktwin", "under /sys, a system folder"),
])
def test_evaluate_bad_out_is_refused_before_computing(scenario, tmp_path, capsys, out, said,
                                                      monkeypatch):
    (tmp_path / "afile").write_text("x")
    import hktwin.analysis.coverage as coverage

    monkeypatch.setattr(coverage, "evaluate", lambda *a, **k: pytest.fail("computed"))
    line = one_line(capsys, "evaluate", str(scenario), "--resolution", "20", "--out",
                    out.format(file=tmp_path / "afile"))
    assert said in line
    assert not list(tmp_path.glob(".*.writing-*")) and not list(tmp_path.glob(".*.tmp"))


def test_compare_whose_a_is_a_file_is_refused_before_computing(scenario, tmp_path, capsys,
                                                               monkeypatch):
    import hktwin.analysis.coverage as coverage

    out = tmp_path / "cmp"
    out.mkdir()
    (out / "a").write_text("not a folder")
    monkeypatch.setattr(coverage, "evaluate", lambda *a, **k: pytest.fail("computed"))
    line = one_line(capsys, "evaluate", str(scenario), "--compare", str(scenario), "--out",
                    str(out))
    assert "cmp/a" in line and "is a file where the output folder 'a' goes" in line
    assert (out / "a").read_text() == "not a folder"


@pytest.mark.parametrize(("out", "said"), [
    ("", "--out: is empty"),
    ("{dir}", "names an existing folder, not a file"),
    ("{file}/x.png", "which is a file, not a folder"),
    ("/proc/x.png", "under /proc"),
    ("/sys/x.png", "under /sys"),
])
def test_snapshot_bad_out_is_refused_before_rendering(tmp_path, capsys, out, said):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "shots.png").mkdir()
    started = time.monotonic()
    line = one_line(capsys, "snapshot", "--out",
                    out.format(file=tmp_path / "afile", dir=tmp_path / "shots.png"))
    assert said in line and time.monotonic() - started < 5  # nothing was rendered


@pytest.mark.parametrize("value", [None, 42, ["terrain.tif"]])
def test_manifest_layer_path_that_is_not_text(own_pack, capsys, value):
    manifest = json.loads((own_pack / "manifest.json").read_text())
    name = next(n for n, e in manifest["layers"].items() if e["kind"] == "terrain")
    manifest["layers"][name]["path"] = value
    (own_pack / "manifest.json").write_text(json.dumps(manifest))
    line = one_line(capsys, "data", "info", str(own_pack))
    assert f"[layers.{name}.path]" in line


def test_manifest_nested_100000_levels(tmp_path, capsys):
    pack = tmp_path / "deep"
    pack.mkdir()
    (pack / "manifest.json").write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    for argv in (["data", "info", str(pack)], ["--pack", str(pack)],
                 ["snapshot", "--pack", str(pack), "--out", str(tmp_path / "x.png")]):
        assert "nested too deeply" in one_line(capsys, *argv)


def test_scenario_nested_100000_levels(tmp_path, capsys):
    deep = tmp_path / "deep.hktwin.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert "nested too deeply" in one_line(capsys, "evaluate", str(deep), "--out",
                                           str(tmp_path / "o"))


def test_dev_zero_as_any_input_is_refused_within_a_second(tmp_path, capsys):
    for argv in (["evaluate", "/dev/zero", "--out", str(tmp_path / "o")],
                 ["feeds", "parse", "/dev/zero", "--source", "hko-rhrread"],
                 ["data", "import", "/dev/zero", "--pack", str(tmp_path / "p")]):
        started = time.monotonic()
        one_line(capsys, *argv)
        assert time.monotonic() - started < 1.0, argv


def test_scenario_pack_missing_is_one_line(tmp_path, capsys):
    scen = save_scenario_file(tmp_path / "s.hktwin.json", "gone/pack")
    line = one_line(capsys, "evaluate", str(scen), "--out", str(tmp_path / "o"))
    assert "'gone/pack' is not found" in line and "[pack]" in line
    assert not (tmp_path / "o").exists()


def test_evaluate_uses_and_records_the_scenarios_pack(scenario, own_pack, tmp_path, capsys):
    assert main(["evaluate", str(scenario), "--resolution", "20", "--out",
                 str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    metrics = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert Path(metrics["pack"]["path"]) == own_pack.resolve()
    assert f"pack {own_pack.resolve()}" in out
