"""The colour ramps of coverage maps, defined once for the window, snapshots and reports.

The RSRP ramp is anchored at the coverage threshold: yellow where a user just counts as covered,
reds below, greens above (as coverage maps are usually read). The difference ramp shows losses
red, no change white, gains blue. Stops are (value, (r, g, b) 0..255); numpy only, so a report
written without any GUI toolkit uses exactly the colours the 3D view shows.
"""

from __future__ import annotations

import numpy as np

#: The coverage threshold the ramp is anchored at when none is given (SS-RSRP, dBm).
DEFAULT_THRESHOLD_DBM = -105.0

#: The RSRP ramp: (dB relative to the coverage threshold, RGB 0..255).
RSRP_STOPS_DB: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (-25.0, (110, 0, 20)), (-10.0, (215, 48, 39)), (0.0, (250, 205, 60)),
    (10.0, (145, 207, 96)), (25.0, (26, 152, 80)), (40.0, (0, 90, 110)))

#: The difference ramp: (dB of change, RGB 0..255).
DELTA_STOPS: list[tuple[float, tuple[int, int, int]]] = [
    (-20.0, (178, 24, 43)), (-5.0, (244, 165, 130)), (0.0, (247, 247, 247)),
    (5.0, (146, 197, 222)), (20.0, (33, 102, 172))]

Stops = list[tuple[float, tuple[int, int, int]]]


def rsrp_stops(threshold: float = DEFAULT_THRESHOLD_DBM) -> Stops:
    """The RSRP ramp's stops in dBm for a coverage threshold (yellow at the threshold)."""
    return [(threshold + offset, rgb) for offset, rgb in RSRP_STOPS_DB]


def rsrp_range(threshold: float = DEFAULT_THRESHOLD_DBM) -> tuple[float, float]:
    """(weakest, strongest) dBm the RSRP ramp spans."""
    return threshold + RSRP_STOPS_DB[0][0], threshold + RSRP_STOPS_DB[-1][0]


def ramp(values: np.ndarray, stops: Stops) -> np.ndarray:
    """RGB (float, 0..255) of values on a ramp given as (value, RGB) stops; clamped at the ends."""
    xs = [s[0] for s in stops]
    return np.stack([np.interp(values, xs, [s[1][i] for s in stops]) for i in range(3)], axis=-1)


def ramp_rgba(values: np.ndarray, vmin: float, vmax: float, name: str = "rsrp",
              alpha: float = 1.0) -> np.ndarray:
    """RGBA (float32 0..1) of values on the named ramp ("rsrp" or "difference") stretched over
    vmin..vmax; NaN is fully transparent. With `rsrp_range()` as vmin..vmax this is exactly the
    report's ramp."""
    stops = DELTA_STOPS if name == "difference" else rsrp_stops()
    lo, hi = stops[0][0], stops[-1][0]
    values = np.asarray(values, np.float64)
    t = (values - vmin) / max(vmax - vmin, 1e-9)
    rgb = ramp(np.nan_to_num(lo + t * (hi - lo), nan=lo), stops) / 255.0
    out = np.empty((*values.shape, 4), np.float32)
    out[..., :3] = rgb
    out[..., 3] = np.where(np.isfinite(values), alpha, 0.0)
    return out
