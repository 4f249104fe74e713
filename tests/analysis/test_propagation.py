"""3GPP TR 38.901 path loss, LoS probability and antenna pattern against hand-checked values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hktwin.analysis import propagation as prop


@pytest.mark.parametrize(
    ("func", "h_bs", "f_ghz", "expected"),
    [
        (prop.umi_los, 10.0, 3.5, 85.3),
        (prop.umi_nlos, 10.0, 3.5, 104.6),
        (prop.uma_los, 25.0, 3.5, 83.1),
        (prop.uma_nlos, 25.0, 3.5, 103.0),
        (prop.umi_los, 10.0, 28.0, 103.4),
    ],
)
def test_reference_values_at_100_m(func, h_bs, f_ghz, expected):
    assert float(func(100.0, f_ghz, h_bs, 1.5)) == pytest.approx(expected, abs=0.1)


def test_breakpoint_distance():
    # 4 * (10 - 1) * (1.5 - 1) * 3.5e9 / 3e8 = 210 m
    assert float(prop.breakpoint_distance(10.0, 1.5, 3.5)) == pytest.approx(210.0)
    assert float(prop.breakpoint_distance(25.0, 1.5, 28.0)) == pytest.approx(4480.0)


@pytest.mark.parametrize("scenario", ["UMi", "UMa"])
def test_los_is_continuous_at_the_breakpoint_and_steepens_after_it(scenario):
    h_bs = 10.0 if scenario == "UMi" else 25.0
    func = prop.umi_los if scenario == "UMi" else prop.uma_los
    d_bp = float(prop.breakpoint_distance(h_bs, 1.5, 3.5))
    below, above = func(np.array([d_bp - 1e-6, d_bp + 1e-6]), 3.5, h_bs)
    assert above == pytest.approx(below, abs=1e-3)
    # Slope per decade: ~21-22 dB before, ~40 dB after.
    near = func(np.array([d_bp / 4, d_bp / 2.5]), 3.5, h_bs)
    far = func(np.array([d_bp * 2, d_bp * 20]), 3.5, h_bs)
    assert (near[1] - near[0]) / np.log10(1.6) < 23
    assert (far[1] - far[0]) == pytest.approx(40.0, abs=0.5)


@given(
    st.floats(10.0, 5000.0), st.floats(1.0, 2000.0), st.sampled_from([3.5, 26.0, 28.0]),
    st.sampled_from(["UMi", "UMa"]),
)
def test_monotonic_in_distance_and_los_never_worse(d, extra, f, scenario):
    h_bs = 10.0 if scenario == "UMi" else 25.0
    d2 = np.array([d, d + extra])
    pl_los, pl_nlos = prop.los_nlos(scenario, d2, f, h_bs, 1.5)
    assert pl_los[1] >= pl_los[0]
    assert pl_nlos[1] >= pl_nlos[0]
    assert np.all(pl_los <= pl_nlos)


def test_below_10_m_is_clamped_to_the_table_range():
    assert float(prop.umi_los(2.0, 3.5)) == pytest.approx(float(prop.umi_los(10.0, 3.5)))


def test_path_loss_selects_per_element():
    got = prop.path_loss("UMi", [True, False], [100.0, 100.0], 3.5, 10.0)
    assert got == pytest.approx([85.3, 104.6], abs=0.1)
    with pytest.raises(ValueError, match="scenario"):
        prop.path_loss("RMa", True, 100.0, 3.5, 10.0)


def test_los_probability_table_7_4_2_1():
    umi = prop.los_probability("UMi", [5.0, 18.0, 36.0, 100.0, 500.0])
    # 18/36 + e^-1 (1 - 18/36) = 0.6839; 18/100 + e^(-100/36)(0.82) = 0.2309
    assert umi == pytest.approx([1.0, 1.0, 0.68394, 0.23098, 0.036], abs=1e-3)
    uma = prop.los_probability("UMa", [18.0, 63.0, 100.0])
    assert uma == pytest.approx([1.0, 18 / 63 + np.exp(-1) * (1 - 18 / 63), 0.34767], abs=1e-4)
    # Above 13 m UMa users see more LoS (C'(h_UT) > 0).
    assert prop.los_probability("UMa", 100.0, 20.0) > prop.los_probability("UMa", 100.0, 1.5)


def test_expected_path_loss_lies_between_los_and_nlos():
    d = np.array([20.0, 60.0, 200.0, 800.0])
    pl_los, pl_nlos = prop.los_nlos("UMi", d, 3.5, 10.0)
    mean = prop.expected_path_loss("UMi", d, 3.5, 10.0)
    assert np.all(mean >= pl_los - 1e-9)
    assert np.all(mean <= pl_nlos + 1e-9)


def test_uma_env_height_is_one_metre_at_street_level():
    assert prop.uma_effective_env_height([50.0, 500.0], 1.5) == pytest.approx([1.0, 1.0])
    assert 1.0 < float(prop.uma_effective_env_height(100.0, 20.0)) < 12.0


def test_shadow_fading_constants():
    assert prop.SHADOW_FADING_DB[("UMi", False)] == 7.82
    assert prop.SHADOW_FADING_DB[("UMa", False)] == 6.0


def test_antenna_pattern_table_7_3_1():
    # Boresight at the horizon with no tilt: the full element gain.
    assert float(prop.antenna_gain(0.0, 90.0, 0.0, 0.0, 65.0, 65.0, 8.0)) == pytest.approx(8.0)
    # Half the 3 dB beamwidth off boresight: 3 dB down; wrap-around of azimuths.
    assert float(prop.antenna_gain(32.5, 90.0, 0.0, 0.0, 65.0, 65.0, 8.0)) == pytest.approx(5.0)
    assert float(prop.antenna_gain(350.0, 90.0, 10.0, 0.0, 40.0, 65.0, 8.0)) == pytest.approx(
        8.0 - 12.0 * (20 / 40) ** 2)
    # Behind the antenna: front-to-back ratio A_max = 30 dB.
    assert float(prop.antenna_gain(180.0, 90.0, 0.0, 0.0, 65.0, 65.0, 8.0)) == pytest.approx(-22.0)
    # Downtilt: the beam points tilt degrees below the horizon (zenith 90 + tilt).
    assert float(prop.antenna_gain(0.0, 96.0, 0.0, 6.0, 65.0, 10.0, 8.0)) == pytest.approx(8.0)
    # Omni: no horizontal term, the vertical pattern still applies.
    omni = prop.antenna_gain(np.array([0.0, 120.0, 240.0]), 101.0, None, 6.0, 65.0, 10.0, 8.0)
    assert omni == pytest.approx(np.full(3, 8.0 - 12.0 * 0.25))
