"""Helpers of the reliability tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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


def write_points(path: Path, n: int, dx: float = 0.0) -> Path:
    """`n` points on the tiny island as a GeoJSON file (a vector layer of its own)."""
    import geopandas as gpd
    import shapely

    xs = X0 + 500 + dx + 50.0 * np.arange(n)
    frame = gpd.GeoDataFrame({"name": [f"p{i}" for i in range(n)]},
                             geometry=list(shapely.points(xs, np.full(n, Y0 + 1400.0))),
                             crs="EPSG:2326")
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


#: A child process importing into a pack through the real CLI; it pauses inside the import
#: (after staging, before the swap) for `pause` seconds, or until the file `pause` exists.
IMPORT_CHILD = r"""
import os, sys, time
import hktwin.geo.pack_writer as pw
pause = sys.argv[1]
validate = pw._validate
def slow_validate(work, pack_dir):
    print("STAGED", flush=True)
    if pause.replace(".", "").isdigit():
        time.sleep(float(pause))
    else:  # a file name: hold on until it exists
        deadline = time.monotonic() + 120
        while not os.path.exists(pause) and time.monotonic() < deadline:
            time.sleep(0.05)
    return validate(work, pack_dir)
pw._validate = slow_validate
from hktwin.cli import main
sys.exit(main(sys.argv[2:]))
"""


def import_child(pause: float | str, *argv: str):
    """Start `hktwin data import ...` in a child process (stdout piped)."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", IMPORT_CHILD, str(pause), "data", "import",
                             *argv, "--no-mesh"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
