"""A walk along a path: positions at walking speed, what the phone shows on the way, and where
coverage fails an anchor's requirement.

`sample_path` spaces positions `speed_m_s * dt_s` apart along the polyline (1.4 m/s, a usual
walking pace); the phone looks ahead along the path (the heading of the path a few metres
ahead, so turns are smooth). `evaluate_walk` tests every anchor at every position (occlusion
vectorised over anchors and card points, one position after another) and reads the coverage
there; `WalkReport.table()` lists per anchor where it was seen and where the network fell
short, `chart()` gives arrays for a chart against distance walked. `record_walk` writes the walk as
an MP4 or GIF from frames a renderer draws for each position's phone camera.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hktwin.analysis.ar.hud import hud_at
from hktwin.analysis.ar.layout import layout_anchors
from hktwin.analysis.ar.occlusion import Occluder, Visibility
from hktwin.analysis.ar.projection import PhoneCamera
from hktwin.analysis.sites import ARAnchor
from hktwin.core.errors import DataError
from hktwin.core.progress import Progress, no_progress

if TYPE_CHECKING:
    from hktwin.analysis.coverage import CoverageResult

#: Walking speed (m/s).
WALK_SPEED_M_S = 1.4
#: The phone looks at the path this far ahead (m).
LOOK_AHEAD_M = 5.0


@dataclass(frozen=True, eq=False)
class WalkPath:
    """Positions along a walk, one per time step."""

    t_s: np.ndarray
    x: np.ndarray
    y: np.ndarray
    ground: np.ndarray
    heading: np.ndarray  # compass degrees
    distance_m: np.ndarray  # walked so far

    def __len__(self) -> int:
        return len(self.t_s)

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1]) if len(self.t_s) else 0.0

    def camera(self, i: int, device: str = "generic-phone", pitch_deg: float = 0.0,
               orientation: str = "portrait", long_px: int | None = 1280) -> PhoneCamera:
        return PhoneCamera.at(self.x[i], self.y[i], self.ground[i], self.heading[i], pitch_deg,
                              device, orientation, long_px)  # type: ignore[arg-type]


def sample_path(points: Sequence[tuple[float, float]] | np.ndarray, speed_m_s: float =
                WALK_SPEED_M_S, dt_s: float = 1.0,
                ground: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                look_at: tuple[float, float] | None = None) -> WalkPath:
    """Positions every `dt_s` seconds along a polyline (EPSG:2326) walked at `speed_m_s`.

    `ground(x, y)` gives the terrain height (e.g. `Terrain.height_at`); 0 without it. The phone
    looks ahead along the path, or at `look_at` all the way (walking round a landmark).
    """
    p = np.asarray(points, np.float64).reshape(-1, 2)
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    if len(p) < 2 or seg.sum() <= 0:
        raise DataError(None, "a walk needs at least two distinct points",
                        "draw a path of two or more points", field="path")
    if not (speed_m_s > 0 and dt_s > 0):
        raise DataError(None, "walking speed and time step must be positive", field="speed")
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    total = cum[-1]
    step = speed_m_s * dt_s
    d = np.arange(0.0, total + 1e-9, step)
    if total - d[-1] > 1e-6:
        d = np.append(d, total)
    x = np.interp(d, cum, p[:, 0])
    y = np.interp(d, cum, p[:, 1])
    ahead = np.minimum(d + LOOK_AHEAD_M, total)
    behind = np.maximum(ahead - max(LOOK_AHEAD_M, 1e-3), 0.0)
    ax, ay = np.interp(ahead, cum, p[:, 0]), np.interp(ahead, cum, p[:, 1])
    bx, by = np.interp(behind, cum, p[:, 0]), np.interp(behind, cum, p[:, 1])
    if look_at is not None:
        ax, ay, bx, by = look_at[0], look_at[1], x, y
    heading = np.degrees(np.arctan2(ax - bx, ay - by)) % 360.0
    g = np.zeros_like(x) if ground is None else np.nan_to_num(
        np.asarray(ground(x, y), np.float64), nan=0.0)
    return WalkPath(d / speed_m_s, x, y, np.fmax(g, 0.0), heading, d)


@dataclass(frozen=True, eq=False)
class WalkReport:
    """Per position x anchor: state, shown, coverage good enough; per position: the signal."""

    path: WalkPath
    anchor_ids: tuple[str, ...]
    anchor_names: tuple[str, ...]
    state: np.ndarray  # (T, N) Visibility
    shown: np.ndarray  # (T, N) bool: drawn (after declutter)
    meets: np.ndarray  # (T, N) bool: throughput and latency meet the anchor's requirement
    rsrp_dbm: np.ndarray  # (T,) NaN where not evaluated / no signal
    throughput_mbps: np.ndarray
    latency_ms: np.ndarray
    evaluated: bool

    @property
    def seen(self) -> np.ndarray:
        """(T, N): in the frame and not wholly hidden."""
        return (self.state == Visibility.VISIBLE) | (self.state == Visibility.GHOSTED)

    def table(self) -> list[dict]:
        """One row per anchor: where along the walk it was seen, and where coverage fell short."""
        d = self.path.distance_m
        rows = []
        for j, aid in enumerate(self.anchor_ids):
            seen = self.seen[:, j]
            short = seen & ~self.meets[:, j] if self.evaluated else np.zeros_like(seen)
            rows.append({
                "id": aid, "name": self.anchor_names[j],
                "seen_share": round(float(seen.mean()), 3) if len(seen) else 0.0,
                "seen_m": _intervals(d, seen),
                "first_seen_m": float(d[seen][0]) if seen.any() else None,
                "below_requirement_m": _intervals(d, short) if self.evaluated else None,
                "below_requirement_share_of_seen": (round(float(short.sum() / seen.sum()), 3)
                                                    if self.evaluated and seen.any() else None),
            })
        return rows

    def chart(self) -> dict[str, np.ndarray]:
        """Arrays against distance walked, for a chart."""
        return {"distance_m": self.path.distance_m, "t_s": self.path.t_s,
                "rsrp_dbm": self.rsrp_dbm, "throughput_mbps": self.throughput_mbps,
                "latency_ms": self.latency_ms, "anchors_seen": self.seen.sum(axis=1),
                "seen": self.seen, "meets": self.meets}


def _intervals(d: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """Runs of True as (from, to) distances along the walk."""
    if not mask.any():
        return []
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    starts = np.flatnonzero(np.diff(m) == 1)
    ends = np.flatnonzero(np.diff(m) == -1) - 1
    return [(round(float(d[a]), 1), round(float(d[b]), 1)) for a, b in zip(starts, ends,
                                                                             strict=True)]


def evaluate_walk(path: WalkPath, anchors: Sequence[ARAnchor], occluder: Occluder,
                  coverage: CoverageResult | None = None, device: str = "generic-phone",
                  orientation: str = "portrait", limit: int = 6,
                  progress: Progress | None = None) -> WalkReport:
    """What the phone shows along the walk and whether the network serves each anchor there."""
    progress = progress or no_progress
    n, t = len(anchors), len(path)
    state = np.full((t, n), int(Visibility.OUT_OF_VIEW), np.int64)
    shown = np.zeros((t, n), bool)
    rsrp = np.full(t, np.nan)
    tput = np.full(t, np.nan)
    lat = np.full(t, np.nan)
    need_t = np.array([a.required_dl_mbps for a in anchors], np.float64)
    need_l = np.array([a.required_latency_ms for a in anchors], np.float64)
    meets = np.zeros((t, n), bool)
    for i in range(t):
        cam = path.camera(i, device, orientation=orientation)
        views = layout_anchors(cam, anchors, occluder, limit=limit)
        state[i] = [v.state for v in views]
        shown[i] = [v.shown for v in views]
        reading = hud_at(coverage, float(path.x[i]), float(path.y[i]))
        if reading.rsrp_dbm is not None:
            rsrp[i], tput[i] = reading.rsrp_dbm, reading.throughput_mbps
            lat[i] = np.inf if reading.latency_ms is None else reading.latency_ms
            meets[i] = (tput[i] >= need_t) & (lat[i] <= need_l)
        progress((i + 1) / t, f"walk position {i + 1} of {t}")
    return WalkReport(path, tuple(a.id for a in anchors), tuple(a.name for a in anchors),
                      state, shown, meets, rsrp, tput, lat, coverage is not None)



def record_walk(out: str | os.PathLike[str], path: WalkPath,
                render: Callable[[PhoneCamera], np.ndarray], fps: float | None = None,
                device: str = "generic-phone", orientation: str = "portrait",
                long_px: int | None = 1280, progress: Progress | None = None,
                cancelled: Callable[[], bool] | None = None) -> Path:
    """Record a walk to MP4 or GIF: one frame per position, drawn by `render(camera)`.

    Build the path with `dt_s = 1 / fps` for real-time playback; `fps` defaults to that.
    """
    from hktwin.analysis.ar.record import record_video

    if fps is None:
        fps = 1.0 / float(path.t_s[1] - path.t_s[0]) if len(path) > 1 else 1.0
    return record_video(out, lambda i: render(path.camera(i, device, orientation=orientation,
                                                          long_px=long_px)),
                        len(path), fps, progress=progress, cancelled=cancelled)
