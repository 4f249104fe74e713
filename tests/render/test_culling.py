"""Culling per view: each view draws only what its own camera can see, and nothing visible
disappears (a culled render equals the render without culling)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import culling_probe
import numpy as np
import pytest
import shapely

from hktwin.geo.pyramid import View
from hktwin.render.culling import CullIndex, Occluders, OcclusionMap

OUT = Path(__file__).resolve().parents[2] / ".cache" / "snapshots"


# -- the occlusion test, by geometry ------------------------------------------------------------
def _tower(x0, y0, x1, y1, height=60.0):
    return Occluders.from_footprints(np.array([shapely.box(x0, y0, x1, y1)]),
                                     np.array([0.0]), np.array([height]))


EYE = np.array([0.0, 0.0, 1.6])


def _box(x0, y0, z0, x1, y1, z1):
    return np.array([[x0, y0, z0]], float), np.array([[x1, y1, z1]], float)


def test_a_box_behind_a_tower_is_hidden_and_one_in_the_open_is_not():
    # A 60 m tower 20-40 m north of the eye, 40 m wide.
    occlusion = OcclusionMap(EYE, [_tower(-20.0, 20.0, 20.0, 40.0)])
    assert occlusion.n_occluders == 1
    behind = _box(-5.0, 100.0, 0.0, 5.0, 110.0, 30.0)
    east = _box(100.0, -5.0, 0.0, 110.0, 5.0, 30.0)
    assert occlusion.hidden(*behind).tolist() == [True]
    assert occlusion.hidden(*east).tolist() == [False]


def test_what_shows_past_the_tower_is_kept():
    occlusion = OcclusionMap(EYE, [_tower(-20.0, 20.0, 20.0, 40.0)])
    cases = {
        "taller than the roof line": _box(-5.0, 100.0, 0.0, 5.0, 110.0, 400.0),
        "wider than the tower": _box(-200.0, 100.0, 0.0, 200.0, 110.0, 30.0),
        "between the eye and the tower": _box(-5.0, 10.0, 0.0, 5.0, 15.0, 5.0),
        "reaching in front of the tower": _box(-5.0, 30.0, 0.0, 5.0, 110.0, 30.0),
        "around the eye": _box(-5.0, -5.0, 0.0, 5.0, 5.0, 3.0),
    }
    for name, (lo, hi) in cases.items():
        assert occlusion.hidden(lo, hi).tolist() == [False], name


def test_a_courtyard_block_or_a_tower_below_the_eye_hides_nothing():
    ring = shapely.box(-20.0, 20.0, 20.0, 40.0).difference(shapely.box(-10.0, 25.0, 10.0, 35.0))
    courtyard = Occluders.from_footprints(np.array([ring]), np.array([0.0]), np.array([60.0]))
    low = _tower(-20.0, 20.0, 20.0, 40.0, height=1.0)
    for occ in (courtyard, low):
        occlusion = OcclusionMap(EYE, [occ])
        assert not occlusion.hidden(*_box(-5.0, 100.0, 0.0, 5.0, 110.0, 0.5)).any()


def test_cells_cover_their_faces_and_all_cells_give_the_whole_mesh_in_order():
    rng = np.random.default_rng(3)
    tri = rng.uniform(0, 5_000, (5_000, 1, 3)) + rng.uniform(-5, 5, (5_000, 3, 3))
    index = CullIndex.from_vertices(tri.astype(np.float32))
    assert 10 < len(index) < 5_000
    assert (tri.min(axis=1) >= index.lo[index.cell] - 1e-3).all()
    assert (tri.max(axis=1) <= index.hi[index.cell] + 1e-3).all()
    whole = index.vertices_of(np.ones(len(index), bool))
    assert np.array_equal(whole, np.arange(3 * len(tri)))
    view = View.look((2_500.0, -500.0, 2.0), (2_500.0, 500.0, 2.0), fov=40.0, size=(400, 400))
    shown = view.boxes_visible(index.lo, index.hi)
    part = index.vertices_of(shown)
    assert 0 < len(part) < len(whole) and np.all(np.diff(part.astype(np.int64)) > 0)


# -- rendered: culled pictures equal the unculled ones -----------------------------------------
def _probe(what: str) -> dict:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(culling_probe.probe, what).result(timeout=600)


@pytest.fixture(scope="module")
def probed():
    result = _probe("street")
    OUT.mkdir(parents=True, exist_ok=True)
    from vispy.io import write_png

    write_png(str(OUT / "culling-ar-culled.png"), result["ar_culled"])
    write_png(str(OUT / "culling-ar-whole.png"), result["ar_whole"])
    return result


def test_a_street_view_draws_a_fraction_and_loses_no_pixel(probed):
    for shot in probed["street"]:
        assert shot["differs"] <= 0.0005 * 288 * 480, shot  # a few pixels at most
        assert shot["unculled"] == shot["total"], shot
    drawn = np.array([s["drawn"] / s["total"] for s in probed["street"]])
    assert np.median(drawn) < 0.3, drawn  # at street level most of the city is out of sight
    assert max(s["occluders"] for s in probed["street"]) > 10  # the towers around hide much


def test_two_views_each_cull_for_their_own_camera():
    probed = _probe("two")
    overview, street = probed["two_drawn"]
    total = probed["two_total"]
    assert probed["two_differs"] <= 0.0005 * 640 * 400, probed["two_differs"]
    assert street < 0.3 * total[1]
    assert street < overview <= total[0]


def test_the_map_holds_the_directions_the_view_spans_and_takes_the_rest_as_open():
    from hktwin.render.culling import BIN_DEG, N_AZ, view_azimuths

    north = View.look(EYE, EYE + np.array([0.0, 100.0, 0.0]), fov=60.0, size=(400, 600))
    first, count = view_azimuths(north)
    centre = (first + count / 2) * BIN_DEG % 360.0
    assert abs(centre - 90.0) < 2.0 and count * BIN_DEG < 180.0  # north is 90 deg from east
    zenith = View.look(EYE, EYE + np.array([0.0, 0.1, 100.0]), fov=60.0)
    assert view_azimuths(zenith) is None  # looking straight up spans every azimuth
    tower = [_tower(-20.0, 20.0, 20.0, 40.0)]
    held = OcclusionMap(EYE, tower, (first, count))
    assert held.hidden(*_box(-5.0, 100.0, 0.0, 5.0, 110.0, 30.0)).tolist() == [True]
    # The same tower seen from a view looking south: north is outside its map, so open.
    south = View.look(EYE, EYE - np.array([0.0, 100.0, 0.0]), fov=60.0, size=(400, 600))
    away = OcclusionMap(EYE, tower, view_azimuths(south))
    assert away.hidden(*_box(-5.0, 100.0, 0.0, 5.0, 110.0, 30.0)).tolist() == [False]
    assert 0 < count < N_AZ
