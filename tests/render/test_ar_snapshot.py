"""`hktwin snapshot --ar-at` from a street in Central: sky above, facades on both sides, the
scenario's anchors shown or hidden by the city, and the HUD reading the coverage there."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import ar_probe
import numpy as np
import pytest

from tests_helpers import is_sky

OUT = Path(__file__).resolve().parents[2] / ".cache" / "snapshots"
@pytest.fixture(scope="module")
def central(tmp_path_factory):
    scenario = ar_probe.write_scenario(tmp_path_factory.mktemp("ar") / "central.hktwin.json")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(ar_probe.probe, str(scenario)).result(timeout=600)
    OUT.mkdir(parents=True, exist_ok=True)
    from vispy.io import write_png

    write_png(str(OUT / "ar-central.png"), result["image"])
    write_png(str(OUT / "ar-central-gnss-drift.png"), result["drift_image"])
    return result


def test_cli_writes_the_ar_view_with_sky_above_and_facades_both_sides(tmp_path):
    out = tmp_path / "ar.png"
    x, y = ar_probe.SPOT
    done = subprocess.run(
        [sys.executable, "-m", "hktwin", "snapshot", "--ar-at", f"{x:.0f},{y:.0f}",
         "--heading", str(ar_probe.HEADING), "--pitch", "5", "--device", "pixel-8",
         "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    import imageio.v3 as iio

    image = iio.imread(out)
    h, w = image.shape[:2]
    assert h > w  # held upright
    # A band of sky up the street, above the middle of the picture ...
    sky_cols = is_sky(image[h // 8 : h // 3]).mean(axis=0)
    assert sky_cols[w // 3 : 2 * w // 3].max() > 0.9
    # ... and facades (not sky) along both edges, from the street up.
    for cols in (slice(0, w // 8), slice(w - w // 8, w)):
        edge = image[h // 6 : h // 2, cols]
        assert is_sky(edge).mean() < 0.05


def test_bad_spots_and_arguments_are_refused_in_one_line(tmp_path):
    def run(*extra):
        return subprocess.run([sys.executable, "-m", "hktwin", "snapshot", *extra,
                               "--out", str(tmp_path / "x.png")],
                              capture_output=True, text=True, timeout=300)

    no_heading = run("--ar-at", "834025,816005")
    assert no_heading.returncode == 2 and "--heading" in no_heading.stderr
    bad_device = run("--ar-at", "834025,816005", "--heading", "0", "--device", "nokia")
    assert bad_device.returncode == 2 and "unknown device" in bad_device.stderr
    assert "Traceback" not in bad_device.stderr


def card_patch(image, rect):
    u0, v0, u1, v1 = rect
    return image[int(v0) + 3 : int(v1) - 3, int(u0) + 3 : int(u1) - 3, :3].astype(float)


def test_anchors_in_the_open_show_behind_corners_ghost_and_behind_towers_hide(central):
    from hktwin.analysis.ar.occlusion import Visibility

    states = central["states"]
    state, shown, rect = states["open"]
    assert state == Visibility.VISIBLE and shown
    ghost_state, ghost_shown, ghost_rect = states["corner"]
    assert ghost_state == Visibility.GHOSTED and ghost_shown
    assert states["behind"][0] == Visibility.HIDDEN and not states["behind"][1]
    # In the picture: the open card is a near-white card, the ghosted one is see-through
    # (lighter than the facade behind it, darker than the open card).
    open_px = card_patch(central["image"], rect)
    ghost_px = card_patch(central["image"], ghost_rect)
    assert open_px.size and open_px.mean() > 200
    assert ghost_px.size and 110 < ghost_px.mean() < open_px.mean() - 15


def test_hud_reads_the_coverage_evaluation_at_the_spot(central):
    from hktwin.analysis.ar.hud import hud_at

    pose = central["pose"]
    reading = hud_at(central["coverage"], pose.x, pose.y)
    assert reading.evaluated and reading.rsrp_dbm is not None
    assert central["hud"][: len(reading.lines())] == reading.lines()
    assert any(line.startswith("Twin clock") for line in central["hud"])


@pytest.mark.slow
def test_hud_equals_the_whole_evaluation_of_the_sample_scenario_at_the_spot():
    """Acceptance: the HUD's numbers are the coverage evaluation's at the viewer's spot."""
    from hktwin.analysis.ar.hud import hud_at
    from hktwin.session.evaluation import evaluate_scenario

    sample = Path(__file__).resolve().parents[2] / "resources" / "scenarios"
    scenario = sample / "central-phase1.hktwin.json"
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(ar_probe.probe, str(scenario)).result(timeout=600)
    whole = evaluate_scenario(scenario).result  # the whole scenario area, as `hktwin evaluate`
    pose = result["pose"]
    expected = hud_at(whole, pose.x, pose.y)
    assert expected.evaluated and expected.rsrp_dbm is not None
    assert result["hud"][: len(expected.lines())] == expected.lines()


def test_a_positioning_error_draws_drift_envelopes_and_scores_stability(central):
    stability = central["stability"]
    assert set(stability) == {"open", "corner"}  # the shown anchors
    assert all(0.0 <= v <= 1.0 for v in stability.values())
    pts = np.asarray(central["drift_px"])
    assert len(pts) > 10
    image = central["drift_image"][..., :3].astype(int)
    h, w = image.shape[:2]
    inside = pts[(pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)]
    orange = [(r > 200 and 90 < g < 190 and b < 90)
              for r, g, b in image[inside[:, 1].astype(int), inside[:, 0].astype(int)]]
    assert np.mean(orange) > 0.3  # the ellipse is drawn where it projects
