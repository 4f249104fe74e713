"""How the city looks (render.shading, render.sky): the sky is a vertical gradient, facades show
window rows, the sea is not one flat colour, and the sun follows the clock. The PNGs are also
written to .cache/snapshots for a person to look at."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import looks_probe
import numpy as np
import pytest

OUT = Path(__file__).resolve().parents[2] / ".cache" / "snapshots"


def _probe(looks: bool) -> dict:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(looks_probe.probe, looks).result(timeout=600)


@pytest.fixture(scope="module")
def shots():
    result = {"on": _probe(True), "off": _probe(False)}
    OUT.mkdir(parents=True, exist_ok=True)
    from vispy.io import write_png

    for key in ("harbour", "street"):
        write_png(str(OUT / f"looks-{key}.png"), result["on"][key])
        write_png(str(OUT / f"looks-{key}-plain.png"), result["off"][key])
    return result


def _sky_rows(image: np.ndarray) -> np.ndarray:
    """Mean colour of the rows from the top down to the last row that is sky all across
    (a sky row is one colour left to right; the first row with land or sea is not)."""
    rgb = image[2:, :, :3].astype(float)  # row 0 is the view box's 1 px margin
    rows = []
    for row in rgb:
        if row.std(axis=0).max() > 6.0:
            break
        rows.append(row.mean(axis=0))
    return np.array(rows)


def test_sky_is_a_vertical_gradient(shots):
    rows = _sky_rows(shots["on"]["harbour"])
    assert len(rows) >= 10, f"only {len(rows)} rows of sky above the harbour"
    top, horizon = rows[0], rows[-1]
    blueness = lambda c: c[2] - c[0]  # noqa: E731
    assert blueness(top) > blueness(horizon) + 8, (top, horizon)
    assert top.sum() < horizon.sum() - 20, f"the zenith should be deeper: {top}, {horizon}"
    # Without the looks the background is one flat colour.
    plain = _sky_rows(shots["off"]["harbour"])
    assert np.abs(plain[0] - plain[-1]).max() < 2


def _facade_rows(shot: dict) -> np.ndarray:
    """Per-row mean brightness of the building pixels of the street view's left half, below
    the HUD (20-60 % of the height)."""
    street = shot["street"][..., :3].astype(float)
    mask = np.abs(street - shot["no_buildings"][..., :3]).sum(axis=2) > 12
    half = street.shape[1] // 2
    lum, m = street[:, :half].mean(axis=2), mask[:, :half]
    h = len(lum)
    rows = [lum[r][m[r]].mean() for r in range(int(0.2 * h), int(0.6 * h)) if m[r].sum() > 40]
    return np.array(rows)


def test_facades_show_window_rows(shots):
    on, off = _facade_rows(shots["on"]), _facade_rows(shots["off"])
    assert len(on) > 100, "no facades on the left of the street"
    # Floors alternate glass and wall: the row brightness swings up and down many times.
    swing_on = np.abs(np.diff(on)).sum() / len(on)
    swing_off = np.abs(np.diff(off)).sum() / len(off)
    assert swing_on > 3 * max(swing_off, 0.15), (swing_on, swing_off)
    signs = np.sign(np.diff(on - np.convolve(on, np.ones(15) / 15, mode="same")))
    assert np.count_nonzero(np.diff(signs[signs != 0])) > 10, "no repeating window rows"


def _sea_pixels(shot: dict) -> np.ndarray:
    harbour = shot["harbour"][..., :3].astype(float)
    mask = np.abs(harbour - shot["no_sea"][..., :3]).sum(axis=2) > 12
    return harbour[mask]


def test_water_is_not_one_flat_colour(shots):
    sea = _sea_pixels(shots["on"])
    assert len(sea) > 5000
    assert (sea[:, 2] > sea[:, 0] + 25).mean() > 0.75, "the sea should stay blue (haze aside)"
    assert sea.std(axis=0).max() > 5.0
    assert len(np.unique(sea.astype(np.uint8), axis=0)) > 50
    # Without the looks one flat colour covers most of the sea; with them no colour does.
    assert _commonest_share(_sea_pixels(shots["off"])) > 0.6
    assert _commonest_share(sea) < 0.35


def _commonest_share(pixels: np.ndarray) -> float:
    _, counts = np.unique(pixels.astype(np.uint8), axis=0, return_counts=True)
    return float(counts.max() / counts.sum())


@pytest.mark.parametrize("when", [
    datetime(2026, 12, 1, 10, 30), datetime(2026, 6, 21, 12, 15), datetime(2026, 3, 20, 7, 0),
    datetime(2026, 9, 23, 17, 45),
])
def test_sun_position_matches_pvlib(when):
    pvlib = pytest.importorskip("pvlib")
    import pandas as pd

    from hktwin.render.shading import HK_LAT, HK_LON, direction, sun_position

    hkt = when.replace(tzinfo=timezone(timedelta(hours=8)))
    az, alt = sun_position(hkt)
    ref = pvlib.solarposition.get_solarposition(pd.DatetimeIndex([hkt]), HK_LAT, HK_LON)
    mine = direction(az, alt)
    theirs = direction(float(ref["azimuth"].iloc[0]), float(ref["apparent_elevation"].iloc[0]))
    assert np.degrees(np.arccos(min(1.0, float(mine @ theirs)))) < 0.7


def test_the_light_follows_the_clock():
    from hktwin.render.shading import Lighting

    morning = Lighting.at(datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=8))))
    afternoon = Lighting.at(datetime(2026, 12, 1, 15, 0, tzinfo=timezone(timedelta(hours=8))))
    assert morning.light[0] > 0.3 and afternoon.light[0] < -0.3  # east, then west
    assert morning.light[1] < 0 and afternoon.light[1] < 0  # from the south in December


def test_the_wall_code_in_the_vertex_alpha_decodes_as_the_shader_does():
    from hktwin.render.shading import ALPHA_BASE, look_alpha

    rng = np.random.default_rng(3)
    az = rng.uniform(0, 2 * np.pi, 500)
    normals = np.column_stack([np.sin(az), np.cos(az), np.zeros_like(az)])
    normals[:50] = (0.0, 0.0, 1.0)  # roofs
    seed = rng.uniform(0, 1, 500)
    a = look_alpha(seed, normals).astype(np.float32)
    # The facade vertex shader's steps, in float32.
    t1 = a * np.float32(64.0) - np.float32(ALPHA_BASE * 64.0)
    f1 = t1 - np.floor(t1)
    t2 = f1 * np.float32(64.0)
    s = t2 - np.floor(t2)
    nxy = np.column_stack([t1 - f1, t2 - s]) / 31.5 - 1.0
    roof = (nxy ** 2).sum(axis=1) > 1.5
    assert np.array_equal(roof, normals[:, 2] > 0.6)
    walls = ~roof
    angle = np.degrees(np.arccos(np.clip((nxy[walls] / np.linalg.norm(nxy[walls], axis=1)[:, None]
                                          * normals[walls, :2]).sum(axis=1), -1, 1)))
    assert angle.max() < 2.5, angle.max()  # 64 levels a component
    assert np.allclose(s, (np.floor(seed * 16) + 0.5) / 16)


def test_the_haze_starts_further_out_from_a_high_eye():
    from hktwin.render.shading import Looks

    looks = Looks(None)
    street, harbour, territory = looks.haze(1.6), looks.haze(2700.0), looks.haze(49000.0)
    assert street == harbour == looks.haze_start  # the planner's views are unchanged
    assert territory > 7 * harbour  # 50 km up, the territory below is not washed out
