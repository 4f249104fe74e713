"""Occlusion against the city: hidden behind a tower, shown in the open, ghosted at a corner."""

from __future__ import annotations

import math

import numpy as np
import pytest
from arscenes import GROUND, TOWER, VIEWER, anchor, city

from hktwin.analysis.ar.layout import declutter, layout_anchors
from hktwin.analysis.ar.occlusion import Occluder, Visibility, occlusion_for
from hktwin.analysis.ar.projection import PhoneCamera
from hktwin.geo import raycast


@pytest.fixture(scope="module")
def occluder() -> Occluder:
    return Occluder.from_city(city(), around=VIEWER, radius_m=300)


def camera(heading: float = 0.0) -> PhoneCamera:
    return PhoneCamera.at(*VIEWER, GROUND, heading, device="generic-phone",
                          orientation="landscape", long_px=1280)


# Corner of the tower nearest the viewer on the right: the silhouette's right edge.
CORNER = (TOWER[2], TOWER[1])
CORNER_BEARING = math.atan2(CORNER[0] - VIEWER[0], CORNER[1] - VIEWER[1])
BEHIND = anchor("behind", 0.0, 80.0)
OPEN = anchor("open", 25.0, 60.0)
HALF = anchor("half", 80 * math.sin(CORNER_BEARING), 80 * math.cos(CORNER_BEARING))


def test_hidden_open_and_ghosted(occluder):
    occ = occlusion_for(camera(), [BEHIND, OPEN, HALF], occluder)
    assert occ.state.tolist() == [Visibility.HIDDEN, Visibility.VISIBLE, Visibility.GHOSTED]
    assert occ.visible_fraction[0] == 0.0 and occ.visible_fraction[1] == 1.0
    assert 0.2 < occ.visible_fraction[2] < 0.8


def test_ghosted_split_matches_the_projected_corner(occluder):
    """Exactly the card points right of the tower's projected edge are clear."""
    cam = camera()
    occ = occlusion_for(cam, [HALF], occluder, n=5)
    u, _, _ = cam.project(occ.points[0])
    u_edge, _, _ = cam.project(np.array([CORNER[0], CORNER[1], GROUND + 5.0]))
    card_u0, card_u1 = u.min(), u.max()
    assert card_u0 < u_edge < card_u1  # the edge cuts the card on screen
    np.testing.assert_array_equal(occ.clear[0], u > u_edge)


def test_anchor_on_a_facade_is_not_hidden_by_its_own_wall(occluder):
    on_wall = anchor("wall", 0.0, 30.0 - 0.2, height_m=8.0)  # on the tower's south face
    occ = occlusion_for(camera(), [on_wall], occluder)
    assert occ.state[0] == Visibility.VISIBLE


def test_terrain_hides_an_anchor_behind_a_hill():
    c = city()
    heights = c.terrain.heights.copy()
    rows = heights.shape[0]
    # A 20 m ridge across the street 100-115 m south of the viewer.
    y = c.terrain.origin_y - (np.arange(rows) + 0.5) * 5.0
    ridge = (y < VIEWER[1] - 100) & (y > VIEWER[1] - 115)
    heights[ridge, :] = GROUND + 20.0
    occ = Occluder.from_city(city(heights=heights), around=VIEWER, radius_m=300)
    beyond = anchor("beyond", 0.0, -200.0)
    before = anchor("before", 0.0, -60.0)
    res = occlusion_for(camera(180.0), [beyond, before], occ)
    assert res.state.tolist() == [Visibility.HIDDEN, Visibility.VISIBLE]


def test_segments_agree_with_the_picking_ray_caster(occluder):
    """The batched test finds what geo.raycast.intersect_ray_triangles finds, ray by ray."""
    rng = np.random.default_rng(3)
    n = 300
    starts = np.column_stack([VIEWER[0] + rng.uniform(-60, 60, n),
                              VIEWER[1] + rng.uniform(-20, 20, n), rng.uniform(6, 40, n)])
    ends = np.column_stack([VIEWER[0] + rng.uniform(-60, 60, n),
                            VIEWER[1] + rng.uniform(20, 100, n), rng.uniform(6, 80, n)])
    clear = occluder.segments_clear(starts, ends, clear_m=0.0)
    origin = np.array([*occluder.origin, 0.0])
    expected = []
    for a, b in zip(starts - origin, ends - origin, strict=True):
        length = np.linalg.norm(b - a)
        t, _ = raycast.intersect_ray_triangles(a, (b - a) / length, occluder.vertices,
                                               occluder.faces)
        expected.append(not t < length)
    expected = np.array(expected)
    assert 0.2 < expected.mean() < 0.9  # both kinds of segment are drawn
    np.testing.assert_array_equal(clear, expected)


def test_layout_declutters_and_limits(occluder):
    cam = camera()
    near = anchor("near", 24.0, 58.0)  # overlaps OPEN on screen, slightly nearer
    views = {v.id: v for v in layout_anchors(cam, [BEHIND, OPEN, HALF, near], occluder)}
    assert not views["behind"].shown and views["behind"].reason == "hidden by the city"
    assert views["half"].shown and views["near"].shown
    assert not views["open"].shown and views["open"].reason == "overlaps a card"
    # Relevance: OPEN three times as relevant counts as a third as far and wins the place.
    views = {v.id: v for v in layout_anchors(cam, [OPEN, near], occluder,
                                             relevance=[3.0, 1.0])}
    assert views["open"].shown and not views["near"].shown
    limited = layout_anchors(cam, [OPEN, HALF], occluder, limit=1)
    assert [v.id for v in limited if v.shown] == ["open"]  # the nearer one


def test_declutter_never_overlaps():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1000, (60, 2))
    rects = np.column_stack([xy, xy + rng.uniform(20, 120, (60, 2))])
    chosen = declutter(rects, rng.uniform(0, 100, 60), np.ones(60, bool), limit=100)
    r = rects[chosen]
    ov = ((r[:, None, 0] < r[None, :, 2]) & (r[None, :, 0] < r[:, None, 2])
          & (r[:, None, 1] < r[None, :, 3]) & (r[None, :, 1] < r[:, None, 3]))
    np.fill_diagonal(ov, False)
    assert len(chosen) > 5 and not ov.any()
    assert len(declutter(rects, np.arange(60.0), np.ones(60, bool), limit=3)) == 3


def test_out_of_view_and_out_of_range(occluder):
    views = layout_anchors(camera(180.0), [OPEN], occluder)
    assert views[0].state == Visibility.OUT_OF_VIEW and not views[0].shown
    far = anchor("far", 25.0, 60.0, view_radius_m=40.0)
    views = layout_anchors(camera(), [far], occluder)
    assert views[0].state == Visibility.VISIBLE and views[0].reason == "beyond its view radius"


def test_a_card_sunk_into_a_slope_is_hidden_on_coarse_terrain():
    """The terrain march reaches the end of every segment, however few cells it crosses."""
    from hktwin.geo.terrain import Terrain

    c = city(b=None)
    rows, cols = 20, 20  # 50 m cells over the same 1 km
    x0, y0 = c.terrain.origin_x, c.terrain.origin_y
    xs = x0 + (np.arange(cols) + 0.5) * 50.0
    # Flat, then a bank rising from 130 m east of the viewer: only the last stretch of the sight
    # line to a card 150 m east is under the ground.
    slope = np.broadcast_to(GROUND + np.clip(xs - VIEWER[0] - 130.0, 0, None), (rows, cols))
    terrain = Terrain(slope.astype(np.float32), x0, y0, 50.0)
    occ = Occluder(np.zeros((0, 3)), np.zeros((0, 3), np.int64), terrain)
    sunk = anchor("sunk", 150.0, 0.0, height_m=5.0)  # the ground there is ~20 m higher
    level = anchor("level", -150.0, 0.0, height_m=5.0)
    res = occlusion_for(camera(90.0), [sunk], occ)
    assert res.state[0] == Visibility.HIDDEN
    assert occlusion_for(camera(270.0), [level], occ).state[0] == Visibility.VISIBLE
