"""The phone camera: presets, the pinhole projection and the matrices the renderer uses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hktwin.analysis.ar.devices import PRESETS, get_device
from hktwin.analysis.ar.projection import EYE_HEIGHT_M, PhoneCamera, heading_to
from hktwin.core.errors import DataError


def test_presets_are_phone_fields_of_view():
    for p in PRESETS.values():
        assert 55 <= p.fov_long_deg <= 75, p
        assert p.source
    assert get_device("custom:70").fov_long_deg == 70
    with pytest.raises(DataError):
        get_device("nokia-3310")
    with pytest.raises(DataError):
        get_device("custom:200")


def test_portrait_is_narrower_than_landscape():
    port = PhoneCamera.at(0, 0, 0, 0, device="iphone-15", orientation="portrait")
    land = PhoneCamera.at(0, 0, 0, 0, device="iphone-15", orientation="landscape")
    assert port.width < port.height and land.width > land.height
    assert land.hfov_deg == pytest.approx(get_device("iphone-15").fov_long_deg)
    assert port.vfov_deg == pytest.approx(land.hfov_deg)
    assert port.hfov_deg < 40 < land.hfov_deg
    assert port.z == EYE_HEIGHT_M


def test_project_edges_of_the_field_of_view():
    cam = PhoneCamera(100.0, 200.0, 1.6, heading_deg=90.0, fov_long_deg=60.0, width=1200,
                      height=800)
    half = math.radians(30)
    d = 50.0
    # East is straight ahead; a point at the left edge of the field of view (bearing 60).
    pts = np.array([[100 + d, 200, 1.6],
                    [100 + d * math.cos(half), 200 + d * math.sin(half), 1.6],
                    [100 + d, 200, 1.6 + d * math.tan(math.radians(cam.vfov_deg / 2))],
                    [100 - d, 200, 1.6]])
    u, v, depth = cam.project(pts)
    assert (u[0], v[0]) == pytest.approx((600, 400))
    assert u[1] == pytest.approx(0.0, abs=1e-6) and v[1] == pytest.approx(400)
    assert v[2] == pytest.approx(0.0, abs=1e-6)
    assert depth[3] < 0 and np.isnan(u[3])
    assert heading_to(0, 0, 1, 1) == pytest.approx(45.0)


def test_rays_and_matrices_match_project():
    cam = PhoneCamera(830_000.0, 815_000.0, 12.0, heading_deg=37.0, pitch_deg=8.0,
                      fov_long_deg=66.0, width=640, height=1280)
    rng = np.random.default_rng(1)
    u = rng.uniform(0, 640, 50)
    v = rng.uniform(0, 1280, 50)
    pts = cam.eye + cam.pixel_rays(u, v) * rng.uniform(5, 500, 50)[:, None]
    pu, pv, _ = cam.project(pts)
    np.testing.assert_allclose(pu, u, atol=1e-6)
    np.testing.assert_allclose(pv, v, atol=1e-6)
    origin = (830_000.0, 815_000.0)
    scene = np.column_stack([pts[:, 0] - origin[0], pts[:, 1] - origin[1], pts[:, 2], np.ones(50)])
    clip = (cam.projection_matrix() @ cam.view_matrix(origin) @ scene.T).T
    ndc = clip[:, :3] / clip[:, 3:]
    np.testing.assert_allclose((ndc[:, 0] + 1) / 2 * 640, u, atol=1e-4)
    np.testing.assert_allclose((1 - ndc[:, 1]) / 2 * 1280, v, atol=1e-4)
