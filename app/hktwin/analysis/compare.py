"""Scenario A against scenario B on the same grid: difference rasters and metric deltas."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hktwin.analysis.coverage import CoverageResult, SettingsError

#: RSRP (dBm) standing in for "no cell heard" when differencing, so that newly covered
#: streets show a large positive change rather than no value.
NO_SIGNAL_DBM = -140.0

#: (key in metrics, label) of the scalar metrics compared, in the order shown.
COMPARED: tuple[tuple[str, str], ...] = (
    ("cells", "Small cells"),
    ("coverage_share", "Outdoor land covered (share)"),
    ("covered_area_km2", "Outdoor land covered (km²)"),
    ("median_rsrp_dbm", "Median RSRP (dBm)"),
    ("p5_rsrp_dbm", "5th percentile RSRP (dBm)"),
    ("median_sinr_db", "Median SINR (dB)"),
    ("median_throughput_mbps", "Median throughput (Mbit/s)"),
    ("p5_throughput_mbps", "5th percentile throughput (Mbit/s)"),
    ("los_share", "Outdoor land in line of sight (share)"),
    ("cells_per_km2", "Small cells per km²"),
    ("population.covered", "Population covered"),
    ("population.share", "Population covered (share)"),
    ("anchors_meeting", "AR anchors meeting their needs"),
)


@dataclass(eq=False)
class Comparison:
    """B minus A. `coverage_change`: +1 newly covered, -1 lost, 0 unchanged (int8), on outdoor
    land; NaN / 0 elsewhere."""

    a: CoverageResult
    b: CoverageResult
    rsrp_delta_db: np.ndarray
    sinr_delta_db: np.ndarray
    throughput_delta_mbps: np.ndarray
    coverage_change: np.ndarray
    table: list[dict] = field(default_factory=list)

    @property
    def summary(self) -> dict:
        land = self.a.land
        return {
            "gained_area_km2": round(float((self.coverage_change == 1).sum())
                                     * self.a.resolution_m**2 / 1e6, 6),
            "lost_area_km2": round(float((self.coverage_change == -1).sum())
                                   * self.a.resolution_m**2 / 1e6, 6),
            "mean_rsrp_change_db": _mean(self.rsrp_delta_db[land]),
            "mean_throughput_change_mbps": _mean(self.throughput_delta_mbps[land]),
        }

    def to_dict(self) -> dict:
        return {"summary": self.summary, "metrics": self.table}


def _mean(values: np.ndarray) -> float | None:
    values = values[np.isfinite(values)]
    return round(float(values.mean()), 3) if len(values) else None


def _metric(metrics: dict, key: str):
    if key == "anchors_meeting":
        return sum(1 for a in metrics.get("anchors", []) if a.get("meets"))
    value = metrics
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def metric_table(a: dict, b: dict) -> list[dict]:
    """Rows of (metric, label, A, B, B - A); the delta is None where either side is."""
    rows = []
    for key, label in COMPARED:
        va, vb = _metric(a, key), _metric(b, key)
        delta = None
        if isinstance(va, int | float) and isinstance(vb, int | float):
            delta = round(vb - va, 6)
        rows.append({"metric": key, "label": label, "a": va, "b": vb, "delta": delta})
    return rows


def compare(a: CoverageResult, b: CoverageResult) -> Comparison:
    """Difference B - A of two results evaluated on the same grid."""
    if a.grid.shape != b.grid.shape or a.bounds != b.bounds or a.resolution_m != b.resolution_m:
        raise SettingsError("grid", f"A is {a.grid.shape} cells over {a.bounds} at "
                            f"{a.resolution_m} m, B {b.grid.shape} over {b.bounds} at "
                            f"{b.resolution_m} m", "evaluate both scenarios on the same area "
                            "and resolution")
    outdoor = a.outdoor & b.outdoor
    ra = np.where(np.isfinite(a.rsrp_dbm), a.rsrp_dbm, NO_SIGNAL_DBM)
    rb = np.where(np.isfinite(b.rsrp_dbm), b.rsrp_dbm, NO_SIGNAL_DBM)
    rsrp = np.where(outdoor, rb - ra, np.nan).astype(np.float32)
    sa = np.where(np.isfinite(a.sinr_db), a.sinr_db, np.nan)
    sinr = np.where(outdoor, b.sinr_db - sa, np.nan).astype(np.float32)
    tput = np.where(outdoor, b.throughput_mbps - a.throughput_mbps, np.nan).astype(np.float32)
    ca, cb = a.covered, b.covered
    change = (cb.astype(np.int8) - ca.astype(np.int8)) * (a.land & b.land)
    return Comparison(a, b, rsrp, sinr, tput, change.astype(np.int8),
                      metric_table(a.metrics, b.metrics))
