"""What the headless snapshot of the demo city shows: water in the harbour, towers in Central,
relief on the hills. The PNGs are also written to .cache/snapshots for a person to look at."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import snapshot_probe

OUT = Path(__file__).resolve().parents[1] / ".cache" / "snapshots"


@pytest.fixture(scope="module")
def harbour():
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(snapshot_probe.probe, "harbour").result(timeout=600)
    OUT.mkdir(parents=True, exist_ok=True)
    from vispy.io import write_png

    write_png(str(OUT / "harbour.png"), result["image"])
    write_png(str(OUT / "harbour-no-buildings.png"), result["without_buildings"])
    return result


def rgb_at(image, xy, radius=0):
    x, y = (round(v) for v in xy)
    patch = image[y - radius : y + radius + 1, x - radius : x + radius + 1, :3]
    return patch.reshape(-1, 3).astype(float).mean(axis=0)


def on_screen(result, key):
    xy = result["points"][key]
    assert xy is not None, f"{key} is missing from the demo city"
    w, h = result["size"]
    assert 5 <= xy[0] < w - 5 and 5 <= xy[1] < h - 5, f"{key} is off screen at {xy}"
    return xy


def test_snapshot_size(harbour):
    assert harbour["image"].shape == (800, 1280, 4)


@pytest.mark.parametrize("place", ["harbour_star_ferry", "harbour_wan_chai"])
def test_victoria_harbour_is_water(harbour, place):
    r, g, b = rgb_at(harbour["without_buildings"], on_screen(harbour, place), radius=2)
    assert b > r + 25 and b > g, f"harbour pixel is not water-blue: {(r, g, b)}"


@pytest.mark.parametrize("roof", ["two_ifc_roof", "central_plaza_roof"])
def test_towers_stand_on_the_island_skyline(harbour, roof):
    xy = on_screen(harbour, roof)
    # Just below the roof line the tower hides what is behind it; without buildings it is gone.
    below = (xy[0], xy[1] + 4)
    with_tower = rgb_at(harbour["image"], below, radius=1)
    without = rgb_at(harbour["without_buildings"], below, radius=1)
    assert np.abs(with_tower - without).sum() > 40, (with_tower, without)
    r, g, b = with_tower
    assert min(r, g, b) > 120, f"tower facade should be light concrete/glass, got {(r, g, b)}"


def test_kowloon_skyline_has_the_icc(harbour):
    xy = on_screen(harbour, "icc_roof")
    below = (xy[0], xy[1] + 4)
    diff = np.abs(rgb_at(harbour["image"], below, 1) - rgb_at(harbour["without_buildings"],
                                                               below, 1))
    assert diff.sum() > 40


def test_the_peak_rises_with_relief(harbour):
    image = harbour["without_buildings"]
    x, y = on_screen(harbour, "victoria_peak")
    r, g, b = rgb_at(image, (x, y + 3), radius=1)
    assert g >= b, f"the Peak should be land, got {(r, g, b)}"
    # Hill-shading: a hill shows light and shade; a flat plain would be one colour.
    patch = image[int(y) + 3 : int(y) + 40, int(x) - 40 : int(x) + 40, :3].astype(float)
    land = patch[(patch[..., 1] >= patch[..., 2])]
    assert len(land) > 200 and land.mean(axis=1).std() > 6, "no relief visible on the Peak"
