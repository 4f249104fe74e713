"""The planner's path on the demo city: six small cells around Central, the coverage layer and
metrics, one cell moved, the two versions compared, the report exported; `hktwin evaluate` gives
the same numbers headless."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog

from hktwin.model.analysis_layers import CoverageLayer
from hktwin.model.scenario_io import load_scenario, save_scenario

FIXTURE = Path(__file__).resolve().parents[1] / "model" / "fixtures" / "central.hktwin.json"


def evaluate_and_wait(qtbot, window, timeout_ms: int = 120_000):
    planning = window.planning
    before = len(planning.results)
    window.planning_panel.evaluate.click()
    assert window.planning_panel.cancel.isEnabled()  # running in the background
    qtbot.waitUntil(lambda: len(planning.results) == before + 1, timeout=timeout_ms)
    return planning.results[-1][1]


def test_six_cells_evaluated_moved_compared_and_reported(qtbot, window, load, tmp_path,
                                                        monkeypatch):
    load(window)
    planning = window.planning
    planning.set_scenario(load_scenario(FIXTURE), FIXTURE)
    assert len(planning.scenario.cells) == 6
    first = evaluate_and_wait(qtbot, window)
    layer = window.twin.layers.get("Coverage (RSRP)")
    assert isinstance(layer, CoverageLayer) and np.isfinite(layer.raster).mean() > 0.3
    table = window.planning_panel.metrics
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert "coverage_share" in names and "cells_per_km2" in names

    # Move one cell 150 m east and evaluate again: one undo step, a new result.
    cell = planning.scenario.cells[0]
    planning.editor.move_site(cell.id, cell.x + 150.0, cell.y, cell.ground_m)
    second = evaluate_and_wait(qtbot, window)
    assert not np.array_equal(np.nan_to_num(first.result.rsrp_dbm),
                              np.nan_to_num(second.result.rsrp_dbm))
    window.planning_panel.compare.click()
    diff = window.twin.layers.get("Difference (B - A)")
    assert isinstance(diff, CoverageLayer) and np.nanmax(np.abs(diff.raster)) > 1.0
    rows = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert any(name.startswith("Δ gained_area_km2") for name in rows)

    # File > Export Report writes on the task thread; the status bar says when it is done.
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *a, **k: str(tmp_path / "report"))
    window.export_report()
    qtbot.waitUntil(lambda: "Report written" in window.statusBar().currentMessage(),
                    timeout=120_000)
    written = planning.tasks.get("export").result
    html = written["report"].read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "rsrp" in html.lower()  # the map embedded
    assert written["coverage"].exists() and written["sites"].exists()
    assert (tmp_path / "report" / "comparison.html").exists()

    # Headless, the same scenario gives the same numbers.
    moved = tmp_path / "moved.hktwin.json"
    save_scenario(planning.scenario, moved)
    out = tmp_path / "cli"
    result = subprocess.run([sys.executable, "-m", "hktwin", "evaluate", str(moved), "--out",
                             str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    headless = json.loads((out / "metrics.json").read_text())
    for key in ("coverage_share", "outdoor_area_km2", "cells_per_km2",
                "median_throughput_mbps"):
        assert headless[key] == second.metrics[key], key


def test_an_evaluation_can_be_cancelled(qtbot, window, load):
    load(window)
    planning = window.planning
    planning.set_scenario(load_scenario(FIXTURE), FIXTURE)
    window.planning_panel.resolution.setCurrentIndex(0)  # 2 m: long enough to cancel
    messages = []
    planning.status.connect(messages.append)
    window.planning_panel.evaluate.click()
    window.planning_panel.cancel.click()
    qtbot.waitUntil(lambda: not planning.task.running, timeout=120_000)
    qtbot.waitUntil(lambda: window.planning_panel.evaluate.isEnabled(), timeout=5000)
    assert planning.results == [] and window.twin.layers.get("Coverage (RSRP)") is None
    # A cancel is a cancel, not a failure (coverage's Cancelled used to be an HKTwinError and
    # was reported as "Evaluation failed: ...").
    assert planning.task.state == "cancelled"
    assert "Evaluation cancelled" in messages and not any("failed" in m for m in messages)
    assert "failed" not in window.statusBar().currentMessage()
