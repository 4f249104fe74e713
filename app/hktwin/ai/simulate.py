"""SIMULATED multi-week traffic history of the demo city's links, for the demo forecast model.

Why: the forecast needs weeks of history to learn daily and weekly patterns, and the demo ships
one recorded day. Five weeks of 5-minute speeds of 412 links are ~4 M values, so instead of
shipping them they are generated here, deterministically (seeded), in a few seconds, whenever
the demo needs them. Every value is SIMULATED; the history says so (`simulated=True`) and so do
the model card and the CLI.

What it has (all plausible, none measured): free flow near each link's speed limit; weekday
morning and evening peaks (tidal, per link), lighter Saturdays, Sundays and two simulated public
holidays that behave like Sundays, a heavier Friday evening; rain episodes over parts of the
territory that slow traffic and deepen the peaks; incidents (a link crawls for 20-90 minutes, the
link feeding it queues a little later); smooth noise correlated in time and along the road;
integer readings with +-1 jitter as TD publishes; a few missing readings and two feed outages.
The link table and limits are the demo's (`resources/demo_city/feeds`); each link's free-flow
speed and peak depths come from the demo's recorded day there (`calibrate`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from hktwin.ai.history import SpeedHistory

SEED = 20261016
HKT = timezone(timedelta(hours=8), "HKT")
#: Five weeks ending where the demo's recorded day (Friday 2026-11-20) begins.
START = datetime(2026, 10, 16, tzinfo=HKT)
DAYS = 35
STEP_S = 300
#: Simulated public holidays (weekdays that behave like Sundays). Not the real calendar.
HOLIDAYS = (datetime(2026, 10, 26, tzinfo=HKT), datetime(2026, 11, 9, tzinfo=HKT))
CORE_XY = (835400.0, 817600.0)  # between Central and Tsim Sha Tsui


@dataclass
class SimIncident:
    link: str
    start: int  # epoch s
    minutes: int
    crawl_ratio: float


@dataclass
class SimRain:
    start: int
    hours: float
    intensity: float
    centre: tuple[float, float]
    radius_m: float


@dataclass
class Simulation:
    history: SpeedHistory
    links_csv: Path
    incidents: list[SimIncident] = field(default_factory=list)
    rain: list[SimRain] = field(default_factory=list)
    holidays: tuple[str, ...] = ()


def _bump(h: np.ndarray, centre: float, half: float) -> np.ndarray:
    return np.exp(-(((h - centre) / half) ** 4))


def _smooth(h: np.ndarray, a: float, b: float) -> np.ndarray:
    t = np.clip((h - a) / (b - a), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def read_links(feeds_dir: Path) -> dict[str, np.ndarray]:
    """The demo link table's ids, nodes, midpoints, road types and limits."""
    with (feeds_dir / "td_links.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with (feeds_dir / "link_limits.csv").open(encoding="utf-8", newline="") as f:
        limits = {r["Link ID"]: float(r["speed_limit_kmh"]) for r in csv.DictReader(f)}
    ids = np.array([r["Link ID"] for r in rows])
    mid = np.array([((float(r["Start Node Eastings"]) + float(r["End Node Eastings"])) / 2,
                     (float(r["Start Node Northings"]) + float(r["End Node Northings"])) / 2)
                    for r in rows])
    return {"ids": ids, "start": np.array([r["Start Node"] for r in rows]),
            "end": np.array([r["End Node"] for r in rows]), "mid": mid,
            "urban": np.array([r["Road Type"] == "URBAN ROAD" for r in rows]),
            "limit": np.array([limits.get(r["Link ID"], 70.0) for r in rows])}


def demand(hours: np.ndarray, day_kind: np.ndarray, w_am: np.ndarray, w_pm: np.ndarray
           ) -> np.ndarray:
    """Traffic pressure 0..1, (T, L): day_kind 0 weekday, 1 Friday, 2 Saturday, 3 Sunday/holiday."""
    h = hours[:, None]
    kind = day_kind[:, None]
    weekday = (0.38 * _smooth(h, 6.0, 9.0) * (1 - _smooth(h, 20.0, 23.5))
               + 0.62 * (w_am * _bump(h, 8.5, 1.1) + w_pm * _bump(h, 18.6, 1.25)))
    friday = (0.38 * _smooth(h, 6.0, 9.0) * (1 - _smooth(h, 21.0, 24.0))
              + 0.62 * (w_am * _bump(h, 8.5, 1.1) + 1.12 * w_pm * _bump(h, 18.9, 1.5)))
    saturday = (0.30 * _smooth(h, 8.0, 11.0) * (1 - _smooth(h, 21.0, 24.0))
                + 0.40 * _bump(h, 12.5, 2.0) + 0.35 * _bump(h, 18.0, 1.6))
    sunday = 0.22 * _smooth(h, 9.0, 12.0) * (1 - _smooth(h, 20.0, 23.0)) + 0.30 * _bump(h, 15.5,
                                                                                      2.5)
    out = np.where(kind == 0, weekday, np.where(kind == 1, friday,
                                                np.where(kind == 2, saturday, sunday)))
    return np.clip(out, 0.0, 1.0)


def simulate(feeds_dir: Path | None = None, *, days: int = DAYS, start: datetime = START,
             seed: int = SEED, step_s: int = STEP_S, calibrate: bool = True) -> Simulation:
    """The SIMULATED history: (days x 288, 412) speeds in km/h, with the events that shaped it.

    `calibrate`: take each link's free-flow speed and peak depths (morning, evening) from the
    demo's recorded day (itself simulated, by packaging/data/build_demo_feeds.py) where it is
    there, so the weeks before it and the day agree and a forecast on the day means something.
    """
    from scipy.signal import lfilter

    from hktwin.ai.graph import from_td_links
    from hktwin.core.paths import demo_pack_dir

    feeds_dir = feeds_dir or demo_pack_dir() / "feeds"
    links = read_links(feeds_dir)
    ids = tuple(str(i) for i in links["ids"])
    n = len(ids)
    rng = np.random.default_rng(seed)
    t0 = int(start.timestamp())
    n_t = days * 86400 // step_s
    times = t0 + step_s * np.arange(n_t, dtype=np.int64)
    local = times + 8 * 3600
    hours = (local % 86400) / 3600.0
    day_index = (local - (t0 + 8 * 3600)) // 86400
    weekday = (start.weekday() + day_index) % 7  # Monday 0
    holiday_days = {(h.date() - start.date()).days for h in HOLIDAYS}
    day_kind = np.select([np.isin(day_index, list(holiday_days)) | (weekday == 6), weekday == 5,
                          weekday == 4], [3, 2, 1], 0)

    limit = links["limit"]
    urban = links["urban"]
    core = np.hypot(links["mid"][:, 0] - CORE_XY[0], links["mid"][:, 1] - CORE_XY[1])
    free = limit * np.where(urban, rng.uniform(0.82, 0.92, n), rng.uniform(0.88, 0.98, n))
    severity = (rng.uniform(0.2, 0.55, n) * (0.75 + 0.5 * np.exp(-core / 7000.0))
                * np.where(limit >= 100, 0.6, 1.0))
    severity = np.clip(severity, 0.08, 0.75)
    w_am = rng.uniform(0.55, 1.0, n)
    w_pm = np.clip(1.45 - w_am + rng.normal(0, 0.08, n), 0.5, 1.0)  # tidal: one peak heavier
    fitted = _from_recorded_day(feeds_dir, ids) if calibrate else None
    if fitted is not None:  # each link as deep in its peaks as on the demo's recorded day
        free, severity, w_am, w_pm = fitted

    d = demand(hours, day_kind, w_am, w_pm)
    # Rain: regional episodes that slow everything a little and deepen the queues.
    rain_w = np.zeros((n_t, n), dtype=np.float64)
    rains: list[SimRain] = []
    for _ in range(8):
        s = int(rng.integers(0, n_t - 12 * 3600 // step_s))
        dur_h = float(rng.uniform(1.0, 5.0))
        inten = float(rng.uniform(0.4, 1.0))
        centre = (float(rng.uniform(815000, 850000)), float(rng.uniform(810000, 840000)))
        radius = float(rng.uniform(7000, 16000))
        tt = (np.arange(n_t) - s) * step_s / 3600.0
        prof = _smooth(tt, 0.0, 0.5) * (1 - _smooth(tt, dur_h, dur_h + 0.75))
        dist = np.hypot(links["mid"][:, 0] - centre[0], links["mid"][:, 1] - centre[1])
        space = np.clip(1.2 - dist / radius, 0.0, 1.0)
        rain_w = np.maximum(rain_w, inten * prof[:, None] * space[None, :])
        rains.append(SimRain(int(times[s]), round(dur_h, 2), round(inten, 2), centre, radius))
    d_rain = np.clip(d * (1 + 0.5 * rain_w) + 0.15 * rain_w, 0, 1)
    night = 1 - _smooth(hours, 5.0, 6.5) + _smooth(hours, 22.5, 24.0)
    ratio = (1 + 0.04 * night[:, None]) * np.maximum(1 - severity * d_rain, 0.1)
    ratio *= 1 - 0.12 * rain_w

    # Smooth noise: AR(1) with a ~15-minute memory, mixed with the link upstream's.
    graph = from_td_links(feeds_dir / "td_links.csv", ids)
    phi = float(np.exp(-step_s / 900.0))
    eps = rng.standard_normal((n_t, n))
    noise = lfilter([np.sqrt(1 - phi * phi)], [1, -phi], eps, axis=0)
    up = graph.mean_of(noise, "up")
    noise = np.where(np.isfinite(up), 0.7 * noise + 0.5 * up, noise)
    ratio *= 1 + (0.025 + 0.22 * severity * d_rain) * noise

    # Incidents: a link crawls, the link feeding it queues 10 minutes later; both recover.
    incidents: list[SimIncident] = []
    feeders: dict[int, list[int]] = {}
    for s_, d_ in zip(graph.src.tolist(), graph.dst.tolist(), strict=True):
        feeders.setdefault(d_, []).append(s_)
    n_inc = int(rng.poisson(2.5 * days))
    for _ in range(n_inc):
        li = int(rng.integers(0, n))
        s = int(rng.integers(0, n_t - 3 * 3600 // step_s))
        minutes = int(rng.integers(4, 19)) * 5
        crawl = float(rng.uniform(0.1, 0.35))
        tt = (np.arange(n_t) - s) * step_s / 60.0
        depth = _smooth(tt, 0, 10) * (1 - _smooth(tt, minutes, minutes + 15))
        ratio[:, li] = np.minimum(ratio[:, li], ratio[:, li] * (1 - depth) + crawl * depth)
        for f in feeders.get(li, []):
            q = _smooth(tt, 10, 25) * (1 - _smooth(tt, minutes + 5, minutes + 25))
            qcrawl = (1 + crawl) / 2
            ratio[:, f] = np.minimum(ratio[:, f], ratio[:, f] * (1 - q) + qcrawl * q)
        incidents.append(SimIncident(ids[li], int(times[s]), minutes, round(crawl, 3)))

    speed = free[None, :] * ratio + rng.normal(0, 1.0, (n_t, n))
    speed = np.clip(np.rint(speed), 2, limit[None, :] + 12).astype(np.float32)
    # Gaps: scattered missing readings and two outages of the whole feed.
    speed[rng.random((n_t, n)) < 0.003] = np.nan
    for _ in range(2):
        s = int(rng.integers(0, n_t - 12))
        speed[s:s + int(rng.integers(4, 12))] = np.nan
    history = SpeedHistory(times, step_s, ids, speed, 8 * 3600, "km/h",
                           "SIMULATED demo history (hktwin.ai.simulate)", simulated=True)
    hol = tuple(h.date().isoformat() for h in HOLIDAYS)
    return Simulation(history, feeds_dir / "td_links.csv", incidents, rains, hol)


def _from_recorded_day(feeds_dir: Path, ids: tuple[str, ...]):
    """(free speed, severity, morning weight, evening weight) per link from recorded-day.parquet
    (its speeds smoothed over 25 minutes so noise and short incidents weigh little), or None."""
    path = feeds_dir / "recorded-day.parquet"
    if not path.is_file():
        return None
    import pyarrow.parquet as pq
    from scipy.ndimage import median_filter

    from hktwin.ai.history import from_long

    table = pq.read_table(path, columns=["source", "key", "observed_at", "value"],
                          filters=[("source", "=", "td-speedmap")])
    if table.num_rows == 0:
        return None
    day = from_long(table.column("observed_at").to_numpy(), table.column("key").to_numpy(),
                    table.column("value").to_numpy(), utc_offset_s=8 * 3600, step_s=STEP_S)
    pos = {k: i for i, k in enumerate(day.link_ids)}
    if sum(k in pos for k in ids) < 0.9 * len(ids):
        return None
    cols = np.array([pos.get(k, 0) for k in ids])
    speed = day.speed[:, cols].astype(np.float64)
    speed[:, [k not in pos for k in ids]] = np.nan
    smooth = median_filter(np.nan_to_num(speed, nan=np.nanmedian(speed)), size=(5, 1))
    hours = ((day.times + 8 * 3600) % 86400) / 3600.0
    free = np.nanpercentile(smooth, 90, axis=0) / 1.04  # the night bonus of `simulate`
    ratio = smooth / free
    am = ratio[(hours >= 7) & (hours < 10)].min(axis=0)
    pm = ratio[(hours >= 17) & (hours < 20.5)].min(axis=0)
    drop_am, drop_pm = np.clip(1 - am, 0, 0.9), np.clip(1 - pm, 0, 0.9)
    severity = np.clip(np.maximum(drop_am, drop_pm), 0.05, 0.8)
    ok = np.isfinite(free) & (free > 0)
    if not ok.all():
        return None
    return (free, severity, np.clip(drop_am / severity, 0.5, 1.0),
            np.clip(drop_pm / severity, 0.5, 1.0))


def demo_simulation() -> Simulation:
    """The demo's SIMULATED history (generated on demand; deterministic; ~1 s)."""
    global _CACHED
    if _CACHED is None:
        _CACHED = simulate()
    return _CACHED


_CACHED: Simulation | None = None
