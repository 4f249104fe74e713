"""What the AR view's HUD says at the viewer's spot: the coverage evaluation and live data.

`hud_at` reads the `CoverageResult` in the grid cell holding the spot, so the HUD shows exactly
the numbers of the evaluation there (the same cell `hktwin evaluate` wrote); the latency is
`metrics.latency_ms` of that cell's SINR on its best server's band. Outside the evaluated area,
or with no evaluation, it says "not evaluated".

`nearest_live` finds the nearest value of each live series (stations as points, traffic links
as line segments); the caller joins observations to positions (the live layers hold both).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from hktwin.analysis.metrics import latency_ms

if TYPE_CHECKING:
    from hktwin.analysis.coverage import CoverageResult

NOT_EVALUATED = "not evaluated"


@dataclass(frozen=True)
class CoverageReading:
    """The evaluation's values at one spot; `note` says why a value is missing."""

    evaluated: bool
    rsrp_dbm: float | None = None
    sinr_db: float | None = None
    throughput_mbps: float | None = None
    latency_ms: float | None = None
    server: str | None = None  # id of the best-serving cell
    band: str | None = None
    row: int | None = None
    col: int | None = None
    note: str = ""

    def lines(self) -> list[str]:
        """HUD text, one value a line."""
        if not self.evaluated:
            return [f"Signal: {self.note or NOT_EVALUATED}"]
        if self.rsrp_dbm is None:
            return [f"Signal: {self.note or 'no signal'}"]
        lat = "-" if self.latency_ms is None else f"{self.latency_ms:.0f} ms"
        return [f"RSRP {self.rsrp_dbm:.1f} dBm", f"SINR {self.sinr_db:.1f} dB",
                f"Throughput {self.throughput_mbps:.0f} Mbit/s", f"Latency {lat}",
                f"Cell {self.server} ({self.band})"]


def hud_at(result: CoverageResult | None, x: float, y: float) -> CoverageReading:
    """The coverage values in the evaluation cell holding (x, y) (EPSG:2326)."""
    if result is None:
        return CoverageReading(False, note=NOT_EVALUATED)
    g = result.grid
    col = math.floor((x - g.x0) / g.res) - g.col0
    row = math.floor((g.y0 - y) / g.res) - g.row0
    if not (0 <= row < g.rows and 0 <= col < g.cols):
        return CoverageReading(False, note=f"{NOT_EVALUATED} here (outside the evaluated area)")
    if not bool(result.outdoor[row, col]):
        return CoverageReading(True, row=row, col=col, note="inside a building")
    rsrp = float(result.rsrp_dbm[row, col])
    if not math.isfinite(rsrp):
        return CoverageReading(True, row=row, col=col, note="no cell heard")
    sinr = float(result.sinr_db[row, col])
    best = int(result.best_server[row, col])
    cell = result.cells[best]
    lat = float(latency_ms(np.array([sinr]), np.array([cell.band]))[0])
    return CoverageReading(True, rsrp, sinr, float(result.throughput_mbps[row, col]),
                           lat if math.isfinite(lat) else None, cell.id, cell.band, row, col)


@dataclass(frozen=True, eq=False)
class LiveSeries:
    """One live quantity at places: points (n, 2) or segments (n, 2, 2), values (n,)."""

    label: str  # "Temperature", "AQHI", "Speed"
    unit: str
    values: np.ndarray
    points: np.ndarray | None = None
    segments: np.ndarray | None = None
    keys: Sequence[str] = field(default_factory=tuple)
    max_distance_m: float = math.inf


@dataclass(frozen=True)
class LiveReading:
    label: str
    value: float | None
    unit: str
    key: str
    distance_m: float

    def line(self) -> str:
        if self.value is None:
            return f"{self.label}: no data"
        return f"{self.label} {self.value:g} {self.unit} ({self.key}, {self.distance_m:.0f} m)"


def nearest_live(series: Sequence[LiveSeries], x: float, y: float) -> list[LiveReading]:
    """The nearest finite value of each series to (x, y), within its `max_distance_m`."""
    out = []
    p = np.array([x, y], np.float64)
    for s in series:
        vals = np.asarray(s.values, np.float64)
        if s.segments is not None:
            seg = np.asarray(s.segments, np.float64)[..., :2]
            a, b = seg[:, 0], seg[:, 1]
            ab = b - a
            t = np.clip(np.einsum("ij,ij->i", p - a, ab)
                        / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12), 0, 1)
            d = np.linalg.norm(a + t[:, None] * ab - p, axis=1)
        elif s.points is not None:
            d = np.linalg.norm(np.asarray(s.points, np.float64)[:, :2] - p, axis=1)
        else:
            d = np.zeros(0)
        d = np.where(np.isfinite(vals[: len(d)]), d, np.inf)
        if len(d) == 0 or not np.isfinite(d.min()) or d.min() > s.max_distance_m:
            out.append(LiveReading(s.label, None, s.unit, "", math.inf))
            continue
        i = int(np.argmin(d))
        key = str(s.keys[i]) if len(s.keys) > i else str(i)
        out.append(LiveReading(s.label, round(float(vals[i]), 2), s.unit, key, float(d[i])))
    return out
