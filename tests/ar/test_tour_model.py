"""Tours: the sample file, validation, round trip, and smooth constant-speed interpolation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from hktwin.core.errors import DataError
from hktwin.core.paths import resources_dir
from hktwin.model.camera import CameraPose, StreetPose
from hktwin.model.tour import (
    LANGS,
    _direction,
    as_orbit,
    dump_tour,
    interpolate_poses,
    keyframe_from,
    load_tour,
    parse_tour,
    pose_table,
    ramp,
)
from hktwin.model.twin import Twin

SAMPLE = Path(resources_dir()) / "tours" / "hong-kong.toml"


def eye(pose) -> np.ndarray:
    """Where the overview camera stands for a pose (a street pose: following the walker)."""
    return np.array(as_orbit(pose).eye())


def test_sample_tour_is_bilingual_and_visits_everything():
    tour = load_tour(SAMPLE)
    names = [s.name for s in tour.steps]
    assert names[:3] == ["Victoria Harbour", "Central", "Kowloon"]
    assert {s.action for s in tour.steps} >= {"ar-walk", "coverage", "live-data",
                                              "traffic-forecast"}
    for s in tour.steps:
        assert all(s.caption.get(lang) for lang in LANGS), s.name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in s.caption["zh-Hant"])
    walk = next(s for s in tour.steps if s.action == "ar-walk")
    assert isinstance(walk.camera, StreetPose) and walk.path
    tl = tour.timeline()
    seg = next(g for g in tl.segments if g.step == tour.steps.index(walk) and g.phase == "dwell")
    metres = math.hypot(walk.path[-1].x - walk.camera.x, walk.path[-1].y - walk.camera.y)
    assert seg.t1 - seg.t0 >= metres / 1.4  # walked, not slid
    assert 120 < tl.duration < 400


def _doc(**step):
    base = {"name": "s", "camera": {"view": "harbour"}}
    return {"tour": {"title": "t"}, "step": [{**base, **step}]}


@pytest.mark.parametrize(("step", "field"), [
    ({"camera": {"look_at": [114.1, 22.3], "distance": -5.0}}, "step[0].camera.distance"),
    ({"camera": {"look_at": [2.35, 48.85]}}, "step[0].camera.look_at"),
    ({"camera": {"view": "paris"}}, "step[0].camera.view"),
    ({"caption": {"fr": "bonjour"}}, "step[0].caption.fr"),
    ({"clock": "yesterday"}, "step[0].clock"),
    ({"clock": "2026-11-30T08:00:00"}, "step[0].clock"),
    ({"dwell": "long"}, "step[0].dwell"),
    ({"layers": {"show": "Traffic"}}, "step[0].layers.show"),
    ({"colour": "red"}, "step[0]"),
])
def test_bad_tours_name_the_field(step, field):
    with pytest.raises(DataError) as err:
        parse_tour(_doc(**step), Path("t.toml"))
    assert err.value.field == field and "t.toml" in str(err.value)


def test_bad_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[tour\n", encoding="utf-8")
    with pytest.raises(DataError, match="not valid TOML"):
        load_tour(bad)
    with pytest.raises(DataError, match="no such"):
        load_tour(tmp_path / "missing.toml")
    with pytest.raises(DataError, match="no steps"):
        parse_tour({"tour": {}})


def test_round_trip(tmp_path):
    tour = load_tour(SAMPLE)
    out = tmp_path / "again.toml"
    out.write_text(dump_tour(tour), encoding="utf-8")
    again = load_tour(out)
    assert [s.name for s in again.steps] == [s.name for s in tour.steps]
    for a, b in zip(tour.steps, again.steps, strict=True):
        assert a.caption == b.caption and a.action == b.action and a.params == b.params
        assert a.show == b.show and a.hide == b.hide and a.clock == b.clock
        assert pose_table(a.camera) == pose_table(b.camera)  # repr(float) round-trips exactly
        assert [pose_table(p) for p in a.path] == [pose_table(p) for p in b.path]


def test_orbit_interpolation_turns_at_constant_angular_speed():
    a = CameraPose((830_000.0, 816_000.0, 0.0), 2000.0, 10.0, 20.0)
    b = CameraPose((834_000.0, 818_000.0, 0.0), 8000.0, 250.0, 60.0)
    s = np.linspace(0, 1, 101)
    dirs = np.array([_direction(p.azimuth, p.elevation)
                     for p in (interpolate_poses(a, b, v) for v in s)])
    steps = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", dirs[1:], dirs[:-1]), -1, 1)))
    assert steps.max() - steps.min() < 1e-3 * steps.mean() + 1e-6
    # The short way round: from 10 to 250 degrees is 120 degrees anticlockwise.
    mid = interpolate_poses(a, b, 0.5)
    assert 300 < mid.azimuth < 340


def test_street_interpolation_walks_and_turns_evenly():
    a = StreetPose(834_000.0, 815_800.0, heading=350.0, ground=10.0)
    b = StreetPose(834_100.0, 815_800.0, heading=30.0, ground=12.0)
    poses = [interpolate_poses(a, b, v) for v in np.linspace(0, 1, 11)]
    xs = np.array([p.x for p in poses])
    hs = np.unwrap(np.radians([p.heading for p in poses]))
    np.testing.assert_allclose(np.diff(xs), 10.0)
    np.testing.assert_allclose(np.degrees(np.diff(hs)), 4.0)  # 40 degrees the short way


def test_ramp_is_smooth_and_flat_topped():
    u = np.linspace(0, 1, 2001)
    p = np.array([ramp(v) for v in u])
    v = np.diff(p) / np.diff(u)
    assert p[0] == 0 and p[-1] == pytest.approx(1) and np.all(v >= 0)
    assert np.abs(np.diff(v)).max() < 0.01  # no jump in speed
    middle = v[(u[1:] > 0.25) & (u[1:] < 0.75)]
    assert middle.max() - middle.min() < 1e-9


def test_the_timeline_never_jumps_and_loops():
    tour = load_tour(SAMPLE)
    tl = tour.timeline(ground=lambda x, y: 5.0)
    dt = 0.05
    t = np.arange(0, 2 * tl.duration, dt)
    eyes = np.array([eye(tl.pose_at(v)) for v in t])
    jump = np.linalg.norm(np.diff(eyes, axis=0), axis=1)
    # The fastest leg is a flight between views kilometres apart over 6 s; at 20 frames a
    # second no frame may move more than a few per cent of the way.
    assert jump.max() < 600.0
    # At every segment border the pose is the same on both sides.
    for seg in tl.segments:
        before, after = eye(tl.pose_at(seg.t0 - 1e-6)), eye(tl.pose_at(seg.t0 + 1e-6))
        assert np.linalg.norm(after - before) < 1.0, (seg.step, seg.phase)
    assert tl.step_at(tl.duration + 1.0)[0] == tl.step_at(1.0)[0]  # loops
    assert tl.loops_done(2.5 * tl.duration) == 2


def test_overview_follows_a_street_walker():
    s = StreetPose(834_000.0, 815_800.0, heading=120.0, pitch=5.0, ground=12.0)
    o = as_orbit(s)
    assert o.center == (834_000.0, 815_800.0, 12.0) and o.azimuth == 120.0
    ex, ey, ez = o.eye()
    assert ez > 12.0 + 200 and math.atan2(834_000.0 - ex, 815_800.0 - ey) == pytest.approx(
        math.radians(120.0))  # behind the walker, looking the way they look


def test_keyframe_records_camera_layers_and_clock():
    from hktwin.model.layers import Layer

    twin = Twin()
    twin.layers.extend([Layer("Buildings"), Layer("Traffic", visible=False)])
    step = keyframe_from(twin, "here")
    assert step.camera == twin.camera and step.show == ("Buildings",)
    assert step.hide == ("Traffic",) and step.clock == twin.clock.time
    doc = parse_tour({"tour": {}, "step": [{"name": "x", "camera": {"view": "island"}}]})
    again = parse_tour(__import__("tomllib").loads(dump_tour(doc.with_step(step))))
    assert again.steps[-1].show == ("Buildings",) and again.steps[-1].clock == twin.clock.time
