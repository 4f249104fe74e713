"""The design's rules, checked: room imports, no Qt/vispy below render, lint clean, light start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_import_contracts_hold():
    tool = BIN / "lint-imports"
    if not tool.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    result = run(str(tool), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean():
    tool = BIN / "ruff"
    if not tool.exists():
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    result = run(str(tool), "check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "modules",
    [
        "hktwin.model.loading, hktwin.geo.pack, hktwin.geo.raycast",
        "hktwin.cli",
        "hktwin.feeds.xmlsafe, hktwin.feeds.stations, hktwin.feeds.td_speedmap, "
        "hktwin.feeds.td_speed, hktwin.feeds.td_journey, hktwin.feeds.hko, hktwin.feeds.aqhi",
        "hktwin.model.scenario, hktwin.model.history, hktwin.model.scenario_io",
        "hktwin.session.session, hktwin.session.tasks, hktwin.session.evaluation",
        "hktwin.analysis.coverage, hktwin.analysis.report, hktwin.commands.evaluate, "
        "hktwin.commands.data, hktwin.commands.feeds, hktwin.commands.snapshot",
    ],
)
def test_headless_rooms_and_the_cli_import_no_gui_toolkit(modules):
    code = (f"import {modules}, sys; "
            "bad = [m for m in ('PySide6', 'vispy', 'pyqtgraph', 'superqt') if m in sys.modules]; "
            "print(','.join(bad))")
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{modules} pulled in {result.stdout.strip()}"
