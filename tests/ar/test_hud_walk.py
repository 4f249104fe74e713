"""The HUD reads the coverage evaluation cell; a walk reports visibility and coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from arscenes import GROUND, VIEWER, anchor, city

from hktwin.analysis.ar.hud import LiveSeries, hud_at, nearest_live
from hktwin.analysis.ar.occlusion import Occluder, Visibility
from hktwin.analysis.ar.record import record_video
from hktwin.analysis.ar.walk import WALK_SPEED_M_S, evaluate_walk, sample_path
from hktwin.analysis.coverage import EvaluationSettings, evaluate
from hktwin.analysis.metrics import latency_ms
from hktwin.analysis.sites import SiteSet, SmallCell
from hktwin.core.errors import DataError


@pytest.fixture(scope="module")
def coverage():
    x, y = VIEWER
    cell = SmallCell("c1", x - 60, y - 20, ground_m=GROUND, height_m=8.0)
    settings = EvaluationSettings(bounds=(x - 150, y - 150, x + 150, y + 150), resolution_m=5.0,
                                  los_resolution_m=2.0)
    return evaluate(city(), SiteSet((cell,)), settings, scheduler="sync")


def test_hud_equals_the_evaluation_cell(coverage):
    x, y = VIEWER[0] - 12.3, VIEWER[1] + 7.9
    r = hud_at(coverage, x, y)
    g = coverage.grid
    row, col = int((g.y0 - y) // g.res), int((x - g.x0) // g.res)
    assert (r.row, r.col) == (row, col)
    assert r.rsrp_dbm == float(coverage.rsrp_dbm[row, col])
    assert r.sinr_db == float(coverage.sinr_db[row, col])
    assert r.throughput_mbps == float(coverage.throughput_mbps[row, col])
    assert r.latency_ms == float(latency_ms(np.array([r.sinr_db]), np.array(["n78"]))[0])
    assert r.server == "c1" and "RSRP" in r.lines()[0]


def test_hud_says_not_evaluated(coverage):
    assert not hud_at(None, *VIEWER).evaluated
    far = hud_at(coverage, VIEWER[0] + 5000, VIEWER[1])
    assert not far.evaluated and "not evaluated" in far.lines()[0]
    inside = hud_at(coverage, VIEWER[0], VIEWER[1] + 40)  # in the tower
    assert inside.evaluated and inside.rsrp_dbm is None and inside.note == "inside a building"


def test_nearest_live_points_and_links():
    temps = LiveSeries("Temperature", "degC", np.array([20.0, 25.0, np.nan]),
                       points=np.array([[0.0, 0.0], [100.0, 0.0], [50.0, 0.0]]),
                       keys=("A", "B", "C"))
    speed = LiveSeries("Speed", "km/h", np.array([30.0, 50.0]),
                       segments=np.array([[[0, 10], [100, 10]], [[0, 60], [100, 60]]], float),
                       keys=("L1", "L2"))
    t, s = nearest_live([temps, speed], 55.0, 0.0)
    assert (t.key, t.value) == ("B", 25.0)  # C is nearer but has no value
    assert (s.key, s.distance_m) == ("L1", 10.0)


def test_walk_at_walking_speed():
    path = sample_path([(0, 0), (30, 0), (30, 40)], dt_s=0.5)
    assert path.distance_m[-1] == pytest.approx(70.0)
    along = np.diff(path.distance_m)
    assert np.all(along[:-1] == pytest.approx(WALK_SPEED_M_S * 0.5))
    chord = np.hypot(np.diff(path.x), np.diff(path.y))
    assert np.all(chord <= along + 1e-9)  # the corner is walked round, not jumped
    assert path.duration_s == pytest.approx(70 / WALK_SPEED_M_S)
    assert path.heading[0] == pytest.approx(90.0) and path.heading[-1] == pytest.approx(0.0)
    assert np.all(np.abs(np.diff(path.heading)) < 20)  # the turn is smooth
    with pytest.raises(DataError):
        sample_path([(0, 0)])


def test_walk_report(coverage):
    x, y = VIEWER
    # Walk east past the tower's south side, looking at an anchor behind it: seen, hidden while
    # the tower stands between, seen again.
    behind = anchor("behind", 0.0, 80.0, required_dl_mbps=1e6)  # nothing can serve it
    open_ = anchor("open", 0.0, -30.0, view_radius_m=70.0)  # south: behind the walker
    path = sample_path([(x - 60, y), (x + 60, y)], dt_s=2.0, ground=city().terrain.height_at,
                       look_at=(behind.x, behind.y))
    rep = evaluate_walk(path, [behind, open_], Occluder.from_city(city(), (x, y), 300), coverage,
                        orientation="landscape")
    mid = len(path) // 2
    assert rep.seen[0, 0] and rep.state[mid, 0] == Visibility.HIDDEN and rep.seen[-1, 0]
    assert not rep.seen[:, 1].any()  # always behind the phone
    rows = {r["id"]: r for r in rep.table()}
    assert len(rows["behind"]["seen_m"]) == 2  # before and after the tower
    assert rows["behind"]["below_requirement_share_of_seen"] == 1.0
    assert rows["open"]["seen_share"] == 0.0
    chart = rep.chart()
    assert len(chart["distance_m"]) == len(path) and np.isfinite(chart["rsrp_dbm"]).any()


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_record_video(tmp_path, suffix):
    import imageio.v3 as iio

    seen = []

    def frame(i: int) -> np.ndarray:
        img = np.zeros((61, 81, 4), np.uint8)  # odd sizes: padded for H.264
        img[:, : 8 * (i + 1), 0] = 255
        return img

    out = record_video(tmp_path / f"walk{suffix}", frame, 6, fps=5,
                       progress=lambda f, m: seen.append(f))
    frames = iio.imread(out, index=None)
    assert len(frames) == 6 and frames.shape[1:3] == (62, 82)
    assert frames[-1][30, 40, 0] > 200 and frames[0][30, 40, 0] < 60
    assert seen[-1] == 1.0 and len(seen) == 6
    assert not list(tmp_path.glob(".*part*"))
    with pytest.raises(DataError):
        record_video(tmp_path / "walk.avi", frame, 2)
    assert math.isfinite(len(seen))


def test_record_walk_renders_each_position(tmp_path):
    import imageio.v3 as iio

    from hktwin.analysis.ar.walk import record_walk

    path = sample_path([(0, 0), (0, 14)], dt_s=0.5)  # 10 s at 1.4 m/s, two frames a second
    seen = []

    def render(cam):
        seen.append((cam.x, cam.y, cam.heading_deg))
        img = np.zeros((cam.height, cam.width, 3), np.uint8)
        img[..., 1] = min(255, int(cam.y * 18))
        return img

    out = record_walk(tmp_path / "walk.mp4", path, render, long_px=64)
    frames = iio.imread(out, index=None)
    assert len(frames) == len(path) == len(seen)
    assert [s[1] for s in seen] == pytest.approx(list(path.y))
    assert frames[-1][..., 1].mean() > frames[0][..., 1].mean() + 100
