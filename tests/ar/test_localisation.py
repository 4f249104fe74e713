"""Stability of anchors under positioning error, and their drift envelopes."""

from __future__ import annotations

import numpy as np
import pytest
from arscenes import TOWER, VIEWER, anchor, buildings

from hktwin.analysis.ar.localisation import (
    ERROR_MODELS,
    ErrorModel,
    anchor_stability,
    placements,
    sample_errors,
)

OPEN = anchor("open", 40.0, -40.0)  # 40 m clear of the tower
FACADE = anchor("facade", 0.0, TOWER[1] - VIEWER[1] - 0.3, height_m=10.0)  # on the south wall


def test_zero_error_is_perfectly_stable():
    res = anchor_stability([OPEN, FACADE], buildings(), "none")
    assert [r.kind for r in res] == ["open", "facade"]
    assert [r.score for r in res] == [1.0, 1.0]
    assert res[0].envelope.radius95_m == 0.0


def test_a_facade_anchor_is_less_stable_than_one_in_the_open():
    five_m = ErrorModel.custom(5.0, 2.0)
    res = anchor_stability([OPEN, FACADE], buildings(), five_m, n=512)
    open_, facade = res
    assert open_.score == 1.0  # 40 m from the tower: nothing to fall into
    assert facade.score < 0.3  # a 1 m band on a wall, 5 m of error
    assert facade.swallowed_share > 0.3  # about half the placements land inside the tower
    assert facade.off_surface_share > 0.3  # the others float off the wall into the street
    vps = anchor_stability([FACADE], buildings(), "vps", n=512)[0]
    assert facade.score < vps.score < 1.0  # better positioning, better stability


def test_a_facade_viewer_stands_in_front_of_the_wall():
    """Heading error alone swings the card along the wall (on it), not into the tower."""
    turn = ErrorModel.custom(0.0, 3.0)
    res = anchor_stability([FACADE], buildings(), turn, n=256)[0]
    assert res.swallowed_share < 0.5
    e = res.envelope
    assert e.semi_major_m > 3 * e.semi_minor_m  # along the wall
    assert abs(((e.angle_deg - 90.0) + 90) % 180 - 90) < 10  # the wall runs east-west


def test_envelope_scales_with_sigma():
    for sigma in (1.0, 5.0):
        res = anchor_stability([OPEN], None, ErrorModel.custom(sigma, 0.0), n=2000)[0]
        # 95th percentile of a 2-D normal's radius is 2.45 sigma.
        assert res.envelope.radius95_m == pytest.approx(2.45 * sigma, rel=0.1)
        assert res.envelope.semi_major_m == pytest.approx(2.45 * sigma, rel=0.15)


def test_placements_follow_the_phone():
    """Position error e shifts content by -e; a heading error swings it about the viewer."""
    c = np.array([[100.0, 20.0, 5.0]])
    viewer = np.array([[100.0, 0.0]])
    err = np.array([[2.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 90.0]])
    p = placements(c, viewer, err)[0]
    np.testing.assert_allclose(p[0], [98.0, 19.0, 5.0])
    np.testing.assert_allclose(p[1], [80.0, 0.0, 5.0], atol=1e-9)  # swung a quarter turn left
    assert sample_errors(ERROR_MODELS["vps"], 10)[0].tolist() == [0, 0, 0, 0]


def test_stability_rows_for_a_city():
    from arscenes import city

    from hktwin.analysis.ar.localisation import stability_rows

    rows = stability_rows([OPEN, FACADE], city(), "vps", n=128)
    assert [r["id"] for r in rows] == ["open", "facade"]
    assert rows[0]["stability"] == 1.0 > rows[1]["stability"]
    assert rows[1]["surface"] == "facade" and rows[1]["error_model"] == "vps"
