"""Radio propagation after 3GPP TR 38.901 V17.0.0, vectorised (arrays in, arrays out).

Path loss is Table 7.4.1-1 (UMi street canyon and UMa, LoS and NLoS), the statistical LoS
probability is Table 7.4.2-1 and the element pattern is Table 7.3-1. Units: frequencies in GHz,
distances and heights in metres, losses and gains in dB. Everything broadcasts with numpy.

Validity of the path-loss formulas (Table 7.4.1-1 and §7.4.1): 0.5 GHz <= f_c <= 100 GHz,
10 m <= d_2D <= 5 km, 1.5 m <= h_UT <= 22.5 m; the nominal base-station heights are 10 m (UMi)
and 25 m (UMa), but the formulas are used with the real antenna height. Distances below 10 m are
evaluated at 10 m (the table's lower limit, so path loss never falls below its 10 m value);
callers decide what to do beyond 5 km (the coverage engine never looks that far).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

Scenario = Literal["UMi", "UMa"]

#: Propagation velocity in free space (m/s) as note 1 of Table 7.4.1-1 writes it.
C = 3.0e8
#: Effective environment height h_E (m): 1 m for UMi; for UMa 1 m when h_UT < 13 m (note 1).
H_E_M = 1.0
#: The distance range of Table 7.4.1-1 (m).
D2D_MIN_M = 10.0
D2D_MAX_M = 5000.0

#: Shadow-fading standard deviations (dB), Table 7.4.1-1.
SHADOW_FADING_DB: dict[tuple[str, bool], float] = {
    ("UMi", True): 4.0,
    ("UMi", False): 7.82,
    ("UMa", True): 4.0,
    ("UMa", False): 6.0,
}


def breakpoint_distance(h_bs: ArrayLike, h_ut: ArrayLike, f_ghz: ArrayLike,
                        h_e: ArrayLike = H_E_M) -> np.ndarray:
    """d'_BP = 4 h'_BS h'_UT f_c / c with h' = h - h_E (note 1 of Table 7.4.1-1), in metres."""
    h_bs_e = np.asarray(h_bs, np.float64) - h_e
    h_ut_e = np.asarray(h_ut, np.float64) - h_e
    return 4.0 * h_bs_e * h_ut_e * np.asarray(f_ghz, np.float64) * 1e9 / C


def uma_effective_env_height(d_2d: ArrayLike, h_ut: ArrayLike) -> np.ndarray:
    """Expected h_E for UMa (note 1 of Table 7.4.1-1).

    The table draws h_E = 1 m with probability 1/(1 + C(d_2D, h_UT)) and otherwise uniformly from
    {12, 15, ..., h_UT - 1.5}; a deterministic planner uses the expectation. C = 0 for
    h_UT < 13 m, so street-level users always get 1 m.
    """
    d = np.asarray(d_2d, np.float64)
    h = np.asarray(h_ut, np.float64)
    g = np.where(d <= 18.0, 0.0, 1.25 * (d / 100.0) ** 3 * np.exp(-d / 150.0))
    c = np.where(h < 13.0, 0.0, ((np.clip(h, 13.0, 23.0) - 13.0) / 10.0) ** 1.5 * g)
    # Mean of the arithmetic series 12, 15, ..., floor to the step below h_UT - 1.5.
    top = 12.0 + 3.0 * np.floor(np.maximum(h - 1.5 - 12.0, 0.0) / 3.0)
    mean_other = (12.0 + top) / 2.0
    p_one = 1.0 / (1.0 + c)
    return p_one * H_E_M + (1.0 - p_one) * mean_other


def _prepare(d_2d, h_bs, h_ut, d_3d):
    d2 = np.clip(np.asarray(d_2d, np.float64), D2D_MIN_M, None)
    hb = np.asarray(h_bs, np.float64)
    hu = np.asarray(h_ut, np.float64)
    if d_3d is None:
        d3 = np.sqrt(d2**2 + (hb - hu) ** 2)
    else:
        # Keep d_3D consistent with the clamped d_2D.
        d3 = np.maximum(np.asarray(d_3d, np.float64), d2)
    return d2, hb, hu, d3


def umi_los(d_2d: ArrayLike, f_ghz: ArrayLike, h_bs: ArrayLike = 10.0, h_ut: ArrayLike = 1.5,
            d_3d: ArrayLike | None = None) -> np.ndarray:
    """UMi street canyon LoS path loss (dB), Table 7.4.1-1.

    PL1 = 32.4 + 21 log10(d_3D) + 20 log10(f_c) up to d'_BP, then
    PL2 = 32.4 + 40 log10(d_3D) + 20 log10(f_c) - 9.5 log10(d'_BP^2 + (h_BS - h_UT)^2).
    `d_3d` defaults to the straight line over flat ground; pass the real one over terrain.
    """
    d2, hb, hu, d3 = _prepare(d_2d, h_bs, h_ut, d_3d)
    f = np.asarray(f_ghz, np.float64)
    d_bp = breakpoint_distance(hb, hu, f)
    pl1 = 32.4 + 21.0 * np.log10(d3) + 20.0 * np.log10(f)
    pl2 = (32.4 + 40.0 * np.log10(d3) + 20.0 * np.log10(f)
           - 9.5 * np.log10(d_bp**2 + (hb - hu) ** 2))
    return np.where(d2 <= d_bp, pl1, pl2)


def umi_nlos(d_2d: ArrayLike, f_ghz: ArrayLike, h_bs: ArrayLike = 10.0, h_ut: ArrayLike = 1.5,
             d_3d: ArrayLike | None = None) -> np.ndarray:
    """UMi street canyon NLoS path loss (dB): max(PL_LoS, PL'_NLoS), Table 7.4.1-1, with
    PL'_NLoS = 35.3 log10(d_3D) + 22.4 + 21.3 log10(f_c) - 0.3 (h_UT - 1.5)."""
    return los_nlos("UMi", d_2d, f_ghz, h_bs, h_ut, d_3d)[1]


def uma_los(d_2d: ArrayLike, f_ghz: ArrayLike, h_bs: ArrayLike = 25.0, h_ut: ArrayLike = 1.5,
            d_3d: ArrayLike | None = None) -> np.ndarray:
    """UMa LoS path loss (dB), Table 7.4.1-1.

    PL1 = 28.0 + 22 log10(d_3D) + 20 log10(f_c) up to d'_BP, then
    PL2 = 28.0 + 40 log10(d_3D) + 20 log10(f_c) - 9 log10(d'_BP^2 + (h_BS - h_UT)^2),
    with d'_BP from the (expected) UMa h_E of `uma_effective_env_height`.
    """
    d2, hb, hu, d3 = _prepare(d_2d, h_bs, h_ut, d_3d)
    f = np.asarray(f_ghz, np.float64)
    d_bp = breakpoint_distance(hb, hu, f, uma_effective_env_height(d2, hu))
    pl1 = 28.0 + 22.0 * np.log10(d3) + 20.0 * np.log10(f)
    pl2 = (28.0 + 40.0 * np.log10(d3) + 20.0 * np.log10(f)
           - 9.0 * np.log10(d_bp**2 + (hb - hu) ** 2))
    return np.where(d2 <= d_bp, pl1, pl2)


def uma_nlos(d_2d: ArrayLike, f_ghz: ArrayLike, h_bs: ArrayLike = 25.0, h_ut: ArrayLike = 1.5,
             d_3d: ArrayLike | None = None) -> np.ndarray:
    """UMa NLoS path loss (dB): max(PL_LoS, PL'_NLoS), Table 7.4.1-1, with
    PL'_NLoS = 13.54 + 39.08 log10(d_3D) + 20 log10(f_c) - 0.6 (h_UT - 1.5)."""
    return los_nlos("UMa", d_2d, f_ghz, h_bs, h_ut, d_3d)[1]


def los_nlos(scenario: Scenario, d_2d: ArrayLike, f_ghz: ArrayLike, h_bs: ArrayLike,
             h_ut: ArrayLike = 1.5, d_3d: ArrayLike | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """(LoS, NLoS) path loss (dB) for a scenario in one pass: the coverage engine needs both."""
    d2, hb, hu, d3 = _prepare(d_2d, h_bs, h_ut, d_3d)
    f = np.asarray(f_ghz, np.float64)
    if scenario == "UMi":
        pl_los = umi_los(d2, f, hb, hu, d3)
        nlos = 35.3 * np.log10(d3) + 22.4 + 21.3 * np.log10(f) - 0.3 * (hu - 1.5)
    elif scenario == "UMa":
        pl_los = uma_los(d2, f, hb, hu, d3)
        nlos = 13.54 + 39.08 * np.log10(d3) + 20.0 * np.log10(f) - 0.6 * (hu - 1.5)
    else:
        raise ValueError(f"scenario must be 'UMi' or 'UMa', not {scenario!r}")
    return pl_los, np.maximum(pl_los, nlos)


def path_loss(scenario: Scenario, los: ArrayLike, d_2d: ArrayLike, f_ghz: ArrayLike,
              h_bs: ArrayLike, h_ut: ArrayLike = 1.5,
              d_3d: ArrayLike | None = None) -> np.ndarray:
    """Path loss (dB) for a scenario, choosing the LoS or NLoS formula per element by `los`."""
    pl_los, pl_nlos = los_nlos(scenario, d_2d, f_ghz, h_bs, h_ut, d_3d)
    return np.where(np.asarray(los, bool), pl_los, pl_nlos)


def los_probability(scenario: Scenario, d_2d: ArrayLike, h_ut: ArrayLike = 1.5) -> np.ndarray:
    """Statistical LoS probability, Table 7.4.2-1 (outdoor users).

    UMi: 1 up to 18 m, then 18/d + exp(-d/36) (1 - 18/d).
    UMa: 1 up to 18 m, then [18/d + exp(-d/63) (1 - 18/d)] (1 + C'(h_UT) 5/4 (d/100)^3
    exp(-d/150)) with C' = 0 up to 13 m and ((h_UT - 13)/10)^1.5 up to 23 m.
    """
    d = np.maximum(np.asarray(d_2d, np.float64), 1e-9)
    h = np.asarray(h_ut, np.float64)
    near = d <= 18.0
    if scenario == "UMi":
        p = 18.0 / d + np.exp(-d / 36.0) * (1.0 - 18.0 / d)
    elif scenario == "UMa":
        c = np.where(h <= 13.0, 0.0, ((np.clip(h, 13.0, 23.0) - 13.0) / 10.0) ** 1.5)
        p = ((18.0 / d + np.exp(-d / 63.0) * (1.0 - 18.0 / d))
             * (1.0 + c * 1.25 * (d / 100.0) ** 3 * np.exp(-d / 150.0)))
    else:
        raise ValueError(f"scenario must be 'UMi' or 'UMa', not {scenario!r}")
    return np.clip(np.where(near, 1.0, p), 0.0, 1.0)


def expected_path_loss(scenario: Scenario, d_2d: ArrayLike, f_ghz: ArrayLike, h_bs: ArrayLike,
                       h_ut: ArrayLike = 1.5, d_3d: ArrayLike | None = None) -> np.ndarray:
    """Path loss (dB) of the mean received power over the LoS/NLoS draw of Table 7.4.2-1.

    Used when the city's geometry is not consulted (`los_mode="statistical"`): the powers,
    not the decibels, are averaged, so the mean received power is right.
    """
    p = los_probability(scenario, d_2d, h_ut)
    pl_l, pl_n = los_nlos(scenario, d_2d, f_ghz, h_bs, h_ut, d_3d)
    gain = p * 10.0 ** (-pl_l / 10.0) + (1.0 - p) * 10.0 ** (-pl_n / 10.0)
    return -10.0 * np.log10(gain)


# --- Antenna element pattern, Table 7.3-1 ------------------------------------------------------

#: Maximum attenuation A_max and side-lobe level SLA_V (dB), Table 7.3-1.
A_MAX_DB = 30.0
SLA_V_DB = 30.0


def antenna_gain(azimuth_deg: ArrayLike, zenith_deg: ArrayLike,
                 boresight_azimuth_deg: ArrayLike | None, downtilt_deg: ArrayLike = 0.0,
                 h_beamwidth_deg: ArrayLike = 65.0, v_beamwidth_deg: ArrayLike = 65.0,
                 max_gain_dbi: ArrayLike = 8.0) -> np.ndarray:
    """Directional gain (dBi) toward a receiver, Table 7.3-1 element pattern.

    A_h = -min(12 (phi/phi_3dB)^2, A_max), A_v = -min(12 ((theta - 90 - tilt)/theta_3dB)^2,
    SLA_V), A = -min(-(A_v + A_h), A_max); gain = G_max + A. Azimuths are compass bearings
    (degrees clockwise from north); `zenith_deg` is the zenith angle of the receiver seen from
    the antenna (90 = horizon, > 90 below it), so a positive downtilt points the beam down.
    `boresight_azimuth_deg` None is an omnidirectional antenna: A_h = 0, the vertical pattern
    still applies (a small cell's omni antenna is a vertical array with a narrow elevation beam).
    """
    theta = np.asarray(zenith_deg, np.float64)
    a_v = -np.minimum(12.0 * ((theta - 90.0 - np.asarray(downtilt_deg)) /
                              np.asarray(v_beamwidth_deg)) ** 2, SLA_V_DB)
    if boresight_azimuth_deg is None:
        a_h = np.zeros_like(a_v)
    else:
        phi = (np.asarray(azimuth_deg, np.float64) - np.asarray(boresight_azimuth_deg)
               + 180.0) % 360.0 - 180.0
        a_h = -np.minimum(12.0 * (phi / np.asarray(h_beamwidth_deg)) ** 2, A_MAX_DB)
    return np.asarray(max_gain_dbi) - np.minimum(-(a_v + a_h), A_MAX_DB)
