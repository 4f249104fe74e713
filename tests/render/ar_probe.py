"""The AR street view in Central rendered headless in a spawned child process (EGL)."""

from __future__ import annotations

import math
from pathlib import Path

#: Between towers in Central (demo city): a street running north-north-east.
SPOT = (834_025.0, 816_005.0)
HEADING = 15.0


def ahead(distance: float, bearing: float) -> tuple[float, float]:
    h = math.radians(bearing)
    return SPOT[0] + distance * math.sin(h), SPOT[1] + distance * math.cos(h)


def write_scenario(path: Path) -> Path:
    from hktwin.analysis.sites import ARAnchor, SmallCell
    from hktwin.model.scenario import Scenario
    from hktwin.model.scenario_io import save_scenario

    sc = Scenario()
    ox, oy = ahead(50.0, HEADING - 5.0)  # in the open, up the street
    kx, ky = ahead(40.0, HEADING)  # half behind the corner of the tower on the right
    bx, by = ahead(100.0, HEADING + 12.0)  # behind the towers on the right
    sc.add(ARAnchor("open", ox, oy, 12.0, 5.0, 3.0, name="Street sign"))
    sc.add(ARAnchor("corner", kx, ky, 12.0, 5.0, 3.0, name="Corner poster"))
    sc.add(ARAnchor("behind", bx, by, 12.0, 5.0, 3.0, name="Hidden gallery"))
    cx, cy = ahead(25.0, HEADING)
    sc.add(SmallCell("cell-1", cx, cy, 12.0, 8.0))
    save_scenario(sc, path)
    return path


def probe(scenario: str | None) -> dict:
    from hktwin.render.snapshot import render_ar

    shot = render_ar(*SPOT, HEADING, 5.0, scenario=scenario)
    preview = shot.preview
    states = {v.id: (int(v.state), v.shown, v.rect) for v in preview.views}
    out = {"image": shot.image, "states": states, "hud": preview.hud_lines,
           "coverage": preview.coverage, "pose": preview.twin.street}
    if scenario is not None:  # a street canyon's GNSS error: drift envelopes and stability
        preview.set_error_model("gnss-canyon")
        out["drift_image"] = shot.canvas.render()
        out["stability"] = {k: v.score for k, v in preview.stability.items()}
        out["drift_px"] = preview._drift.pos
    return out
