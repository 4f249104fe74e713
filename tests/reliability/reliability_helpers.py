"""Helpers of the reliability tests."""

from __future__ import annotations

from pathlib import Path

from packs import X0, Y0


def save_scenario_file(path: Path, pack: str, n_cells: int = 1) -> Path:
    """A real `.hktwin.json` (through the model's writer) with small cells on the tiny pack."""
    from hktwin.analysis.sites import SmallCell
    from hktwin.model.scenario import Scenario
    from hktwin.model.scenario_io import save_scenario

    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [SmallCell(f"c{i}", X0 + 800 + 300 * i, Y0 + 1350, ground_m=2.0, height_m=10.0)
             for i in range(n_cells)]
    scenario = Scenario(name=path.stem, pack=pack, cells=cells,
                        area=(X0 + 500, Y0 + 1150, X0 + 1400, Y0 + 1650))
    return save_scenario(scenario, path)
