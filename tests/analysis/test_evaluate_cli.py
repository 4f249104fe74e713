"""`hktwin evaluate`: run() with a scenario loader, and the module as a process."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hktwin.analysis.sites import SiteSet, SmallCell
from hktwin.commands import evaluate as cli
from hktwin.core.errors import DataError

# Inside the tiny test pack (tests/packs.py): flat shore with towers at x0+400..1600.
X0, Y0 = 832_000.0, 815_000.0


def scenario_doc(n_cells: int = 2, area: bool = True) -> dict:
    cells = [{"id": f"c{i}", "x": X0 + 700 + 300 * i, "y": Y0 + 1350, "ground_m": 2.0,
              "height_m": 10.0, "name": f"Cell {i}"} for i in range(n_cells)]
    doc = {"cells": cells,
           "anchors": [{"id": "a1", "x": X0 + 900, "y": Y0 + 1320, "ground_m": 2.0}]}
    if area:
        doc["area"] = [X0 + 400, Y0 + 1100, X0 + 1500, Y0 + 1700]
    return doc


def write(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc))
    return path


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["evaluate", *argv])


def quiet(fraction: float, message: str) -> None:
    pass


def test_run_writes_the_output_set(tiny_pack, tmp_path):
    scen = write(tmp_path / "a.hktwin.json", scenario_doc())
    out = io.StringIO()
    args = parse(str(scen), "--pack", str(tiny_pack), "--out", str(tmp_path / "res"),
                 "--resolution", "10")
    assert cli.run(args, cli.load_sites_json, progress=quiet, out=out) == 0
    names = sorted(p.name for p in (tmp_path / "res").iterdir())
    assert names == ["anchor_stability.csv", "coverage.tif", "metrics.json", "report.html",
                     "sites.gpkg"]
    metrics = json.loads((tmp_path / "res" / "metrics.json").read_text())
    assert metrics["grid"]["resolution_m"] == 10.0 and metrics["cells"] == 2
    assert metrics["grid"]["bounds"] == scenario_doc()["area"]
    assert "a.hktwin.json: 2 cells" in out.getvalue()
    assert "<h1>a</h1>" in (tmp_path / "res" / "report.html").read_text()  # no name: the file


def test_run_uses_the_loader_it_is_given(tiny_pack, tmp_path):
    calls = []

    def loader(path: Path):
        calls.append(path)
        return SiteSet((SmallCell("x", X0 + 1000, Y0 + 1350, ground_m=2.0),)), None

    args = parse("scenario.hktwin.json", "--pack", str(tiny_pack), "--out", str(tmp_path / "o"),
                 "--resolution", "20")
    assert cli.run(args, loader, progress=quiet, out=io.StringIO()) == 0
    assert calls == [Path("scenario.hktwin.json")]
    bounds = json.loads((tmp_path / "o" / "metrics.json").read_text())["grid"]["bounds"]
    # No area in the scenario: the sites' surroundings (300 m around them).
    assert bounds[0] == pytest.approx(X0 + 700) and bounds[2] == pytest.approx(X0 + 1300)


def test_compare_writes_both_and_the_comparison(tiny_pack, tmp_path):
    a = write(tmp_path / "a.json", scenario_doc(2))
    b = write(tmp_path / "b.json", scenario_doc(3, area=False))
    out = io.StringIO()
    args = parse(str(a), "--compare", str(b), "--pack", str(tiny_pack), "--out",
                 str(tmp_path / "cmp"), "--resolution", "10")
    assert cli.run(args, cli.load_sites_json, progress=quiet, out=out) == 0
    root = tmp_path / "cmp"
    assert (root / "a" / "coverage.tif").exists() and (root / "b" / "report.html").exists()
    comparison = json.loads((root / "comparison.json").read_text())
    cells = next(r for r in comparison["metrics"] if r["metric"] == "cells")
    assert (cells["a"], cells["b"], cells["delta"]) == (2, 3, 1)
    assert '<table class="deltas">' in (root / "report.html").read_text()
    assert "b.json: 3 cells" in out.getvalue()


@pytest.mark.parametrize(
    ("doc", "field"),
    [({"cells": [{"id": "c", "x": 1}]}, "cells[0]"),
     ({"cells": [{"id": "c", "x": 1, "y": 2, "colour": "red"}]}, "cells[0]"),
     ({"cells": [], "area": [1, 2, 3]}, "area"),
     ({"cells": {}}, "cells")],
)
def test_site_file_errors_name_the_field(tmp_path, doc, field):
    path = write(tmp_path / "bad.json", doc)
    with pytest.raises(DataError) as err:
        cli.load_sites_json(path)
    assert f"[{field}]" in str(err.value) and "bad.json" in str(err.value)


def test_empty_scenario_without_area_is_refused(tiny_pack, tmp_path):
    scen = write(tmp_path / "empty.json", {"cells": []})
    args = parse(str(scen), "--pack", str(tiny_pack), "--out", str(tmp_path / "o"))
    with pytest.raises(DataError, match="no area"):
        cli.run(args, cli.load_sites_json, progress=quiet, out=io.StringIO())


def test_module_runs_as_a_process(tiny_pack, tmp_path):
    scen = write(tmp_path / "p.json", scenario_doc(1))
    done = subprocess.run(
        [sys.executable, "-m", "hktwin.commands.evaluate", "evaluate", str(scen), "--pack",
         str(tiny_pack), "--out", str(tmp_path / "p"), "--resolution", "20"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and "Tile" in done.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "hktwin.commands.evaluate", "evaluate", str(tmp_path / "nope.json"),
         "--out", str(tmp_path / "q")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.startswith("hktwin: error:") and "nope.json" in bad.stderr


def test_resolution_is_checked():
    with pytest.raises(SystemExit):
        parse("s.json", "--out", "o", "--resolution", "fine")
