"""The UK Calculation of Road Traffic Noise (CRTN, 1988) as Hong Kong's EPD applies it to road
traffic: L10 in dB(A), vectorised over links and receivers.

- Basic noise level at 10 m from the nearside carriageway edge: L10(18 h) = 29.1 + 10 log10 Q
  (Q vehicles in the 18 hours 06:00-24:00), or L10(1 h) = 42.2 + 10 log10 q.
- Speed and heavy-vehicle correction: 33 log10(V + 40 + 500/V) + 10 log10(1 + 5p/V) - 68.8
  (V mean speed km/h, p percentage of heavy vehicles).
- Distance correction: -10 log10(d'/13.5), d' = sqrt((d + 3.5)^2 + h^2), d the horizontal distance
  from the nearside carriageway edge (at least 4 m), h the receiver's height above the source
  line (0.5 m above the road). Hard ground (no absorption correction), no screening, free field
  (no facade +2.5 dB(A)), level road (no gradient correction).
"""

from __future__ import annotations

import numpy as np

#: EPD's road traffic noise limit for dwellings, L10 dB(A)
LIMIT_DBA = 70.0
#: CRTN's speed correction is defined for 20-130 km/h; congested flow is taken at 20 km/h
SPEED_RANGE_KMH = (20.0, 130.0)
#: receivers 1.5 m above the road, the source line 0.5 m above it
RECEIVER_ABOVE_SOURCE_M = 1.0

#: Flows assumed when no count is available, by the TD link table's road type:
#: (18-hour two-way flow Q, heavy-vehicle percentage p). Assumptions, not counts: the legend
#: says so. Major routes carry ~60,000 vehicles in 18 hours with buses and goods vehicles about a
#: quarter; urban roads ~20,000 at a fifth.
ROAD_TYPE_FLOWS: dict[str, tuple[float, float]] = {
    "EXPRESSWAY": (90_000.0, 25.0),
    "MAJOR ROUTE": (60_000.0, 25.0),
    "URBAN ROAD": (20_000.0, 20.0),
}
OTHER_ROAD_FLOW = (8_000.0, 10.0)


def basic_level(flow: np.ndarray | float, period: str = "18h") -> np.ndarray:
    """Basic noise level L10 dB(A) at 10 m for an 18-hour flow Q (or an hourly flow q)."""
    q = np.maximum(np.asarray(flow, np.float64), 1.0)
    if period == "18h":
        return 29.1 + 10.0 * np.log10(q)
    if period == "1h":
        return 42.2 + 10.0 * np.log10(q)
    raise ValueError(f"period must be '18h' or '1h', not {period!r}")


def speed_heavy_correction(speed_kmh: np.ndarray | float, heavy_pct: np.ndarray | float
                           ) -> np.ndarray:
    """33 log10(V + 40 + 500/V) + 10 log10(1 + 5p/V) - 68.8, V clipped to CRTN's range."""
    v = np.clip(np.asarray(speed_kmh, np.float64), *SPEED_RANGE_KMH)
    p = np.asarray(heavy_pct, np.float64)
    return 33.0 * np.log10(v + 40.0 + 500.0 / v) + 10.0 * np.log10(1.0 + 5.0 * p / v) - 68.8


def distance_correction(d_m: np.ndarray | float,
                        h_m: np.ndarray | float = RECEIVER_ABOVE_SOURCE_M) -> np.ndarray:
    """-10 log10(d'/13.5) with d' = sqrt((d + 3.5)^2 + h^2); d below 4 m is taken as 4 m."""
    d = np.maximum(np.asarray(d_m, np.float64), 4.0)
    slant = np.sqrt((d + 3.5) ** 2 + np.asarray(h_m, np.float64) ** 2)
    return -10.0 * np.log10(slant / 13.5)


def link_l10(flow: np.ndarray, speed_kmh: np.ndarray, heavy_pct: np.ndarray,
             period: str = "18h") -> np.ndarray:
    """L10 at the reference distance (10 m from the kerb, h = 0) for each link."""
    return basic_level(flow, period) + speed_heavy_correction(speed_kmh, heavy_pct)


def assumed_flows(road_types: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Q, p) per link from its road type, for links with no count."""
    table = [ROAD_TYPE_FLOWS.get(str(t).strip().upper(), OTHER_ROAD_FLOW) for t in road_types]
    arr = np.array(table, np.float64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def combine(levels_db: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Energy sum of levels per group (several roads heard at one receiver); -inf where none."""
    energy = np.zeros(n_groups, np.float64)
    np.add.at(energy, groups, 10.0 ** (np.asarray(levels_db, np.float64) / 10.0))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(energy)
