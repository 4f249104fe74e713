"""Traffic speed forecast per link, 15/30/60 minutes ahead, with an 80 % band.

How (and why):
- Unit-agnostic. Each link's speeds are divided by its own reference speed (the 85th percentile
  of its training readings, a free-flow proxy), so the model works in ratios and never sees km/h
  or mph; predictions are multiplied back. The reading interval is the history's own.
- Features of an origin t (all from readings at or before t, plus the calendar): the ratio now
  (last reading, carried forward at most 15 minutes), its changes over the last 5-60 minutes,
  its deviation from the link's historical mean for this time of week (time of day when the
  training history spans less than two weeks), that mean at the target time, the mean deviation
  and trend of the links upstream and downstream on the road graph, the network-wide deviation,
  the target's time of day and day of week, the horizon, and the link's usual variability.
- Model: scikit-learn's HistGradientBoostingRegressor with quantile loss at 10 %, 50 % and 90 %
  (one model each, the horizon as a feature), predicting the change of the ratio. The band is
  then calibrated (conformalised quantile regression): the last 15 % of the training span is held
  out, and each horizon's band is widened or narrowed so it covers 80 % there.
- Baselines, scored on exactly the same rows: persistence (the speed now) and the historical
  mean of the link at the target's time of week (of day under two weeks) over the training part.
- Backtest: train on the first part of the time span, test on the last fraction with a rolling
  origin at every step; the model is fitted on `history.before(test_start)` only, so no test
  reading can reach it (tests check this).
"""

from __future__ import annotations

import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hktwin.ai.graph import LinkGraph, empty_graph
from hktwin.ai.history import SpeedHistory
from hktwin.core.errors import DataError
from hktwin.core.files import atomic_write_text
from hktwin.core.progress import Progress, no_progress

HORIZONS_MIN = (15, 30, 60)
QUANTILES = (0.1, 0.5, 0.9)
LAG_MIN = (5, 10, 15, 30, 60)
FILL_MIN = 15  # a reading is carried forward at most this long
PROFILE_SLOT_S = 900
WEEKLY_MIN_DAYS = 14
REF_PERCENTILE = 85
MIN_READINGS = 24  # a link needs this many training readings to be forecast
CALIBRATION_FRACTION = 0.15
BAND = 0.8
MODEL_FORMAT = "hktwin-traffic-model"
MODEL_VERSION = 1
#: Gradient boosting settings (chosen once on the demo, not tuned per archive).
HGB = {"max_iter": 100, "learning_rate": 0.12, "max_leaf_nodes": 31, "min_samples_leaf": 60,
       "l2_regularization": 1.0, "early_stopping": False}


def _steps(minutes: float, step_s: int) -> int:
    return max(1, round(minutes * 60 / step_s))


def slot_of(times: np.ndarray, utc_offset_s: int, weekly: bool, slot_s: int) -> np.ndarray:
    """Profile slot of each epoch time: time of week (or of day) in `slot_s` bins."""
    local = np.asarray(times, dtype=np.int64) + utc_offset_s
    tod = local % 86400
    if not weekly:
        return (tod // slot_s).astype(np.int64)
    dow = (local // 86400 + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    return ((dow * 86400 + tod) // slot_s).astype(np.int64)


def forward_fill(values: np.ndarray, limit: int) -> np.ndarray:
    """Each NaN replaced by the last reading at most `limit` steps before it (along axis 0)."""
    n_t = values.shape[0]
    ok = np.isfinite(values)
    idx = np.where(ok, np.arange(n_t)[:, None], -1)
    np.maximum.accumulate(idx, axis=0, out=idx)
    age = np.arange(n_t)[:, None] - idx
    filled = np.take_along_axis(values, np.maximum(idx, 0), axis=0)
    return np.where((idx >= 0) & (age <= limit), filled, np.nan).astype(np.float32)


@dataclass
class Normaliser:
    """Per-link reference speed and historical-mean profile, from training readings only."""

    ref: np.ndarray  # (L,) speed units; NaN: link not forecast
    profile: np.ndarray  # (n_slots, L) mean ratio per slot
    spread: np.ndarray  # (L,) std of the ratio's deviation from the profile
    weekly: bool
    slot_s: int
    utc_offset_s: int

    @staticmethod
    def fit(history: SpeedHistory) -> Normaliser:
        speed = history.speed
        counts = np.isfinite(speed).sum(axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ref = np.nanpercentile(speed, REF_PERCENTILE, axis=0) if speed.size else np.zeros(0)
        ref = np.where((counts >= MIN_READINGS) & (ref > 0), ref, np.nan).astype(np.float64)
        weekly = history.span_s >= WEEKLY_MIN_DAYS * 86400
        slot_s = max(PROFILE_SLOT_S, history.step_s)
        ratio = speed / ref
        profile = _profile(ratio, history.times, history.utc_offset_s, weekly, slot_s)
        if weekly:  # fill empty time-of-week slots from the time-of-day profile
            daily = _profile(ratio, history.times, history.utc_offset_s, False, slot_s)
            per_day = 86400 // slot_s
            tiled = np.tile(daily, (profile.shape[0] // per_day + 1, 1))[:profile.shape[0]]
            profile = np.where(np.isfinite(profile), profile, tiled)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmedian(ratio, axis=0) if ratio.size else np.zeros(0)
        profile = np.where(np.isfinite(profile), profile, med[None, :]).astype(np.float32)
        slots = slot_of(history.times, history.utc_offset_s, weekly, slot_s)
        dev = ratio - profile[slots]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            spread = np.nanstd(dev, axis=0)
        return Normaliser(ref, profile, spread.astype(np.float32), weekly, slot_s,
                          history.utc_offset_s)

    def slots(self, times: np.ndarray) -> np.ndarray:
        return slot_of(times, self.utc_offset_s, self.weekly, self.slot_s)


def _profile(ratio: np.ndarray, times: np.ndarray, offset: int, weekly: bool, slot_s: int
             ) -> np.ndarray:
    n_slots = (7 if weekly else 1) * 86400 // slot_s
    slots = slot_of(times, offset, weekly, slot_s)
    ok = np.isfinite(ratio)
    sums = np.zeros((n_slots, ratio.shape[1]))
    counts = np.zeros((n_slots, ratio.shape[1]))
    np.add.at(sums, slots, np.where(ok, ratio, 0.0))
    np.add.at(counts, slots, ok)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


@dataclass
class Prepared:
    """The history's derived arrays, on its grid, for one model's normaliser and graph."""

    history: SpeedHistory
    ratio: np.ndarray  # observed ratio (T, L), NaN where no reading
    now: np.ndarray  # ratio carried forward (the "speed now" of an origin)
    dev: np.ndarray  # now - profile
    up_dev: np.ndarray
    down_dev: np.ndarray
    up_now: np.ndarray
    down_now: np.ndarray
    net_dev: np.ndarray  # (T,)
    slots: np.ndarray  # (T,)


def prepare(history: SpeedHistory, norm: Normaliser, graph: LinkGraph) -> Prepared:
    ratio = (history.speed / norm.ref[None, :]).astype(np.float32)
    now = forward_fill(ratio, _steps(FILL_MIN, history.step_s))
    slots = norm.slots(history.times)
    dev = now - norm.profile[slots]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        net = np.nanmean(dev, axis=1) if dev.shape[1] else np.zeros(dev.shape[0])
    return Prepared(history, ratio, now, dev, graph.mean_of(dev, "up"),
                    graph.mean_of(dev, "down"), graph.mean_of(now, "up"),
                    graph.mean_of(now, "down"), net.astype(np.float32), slots)


def feature_names(step_s: int) -> list[str]:
    lags = sorted({_steps(m, step_s) for m in LAG_MIN})
    return (["horizon_min", "ratio_now"] + [f"change_{k}" for k in lags]
            + ["dev_now", "mean_at_target", "mean_gap", "up_dev", "down_dev", "up_trend",
               "down_trend", "net_dev", "net_trend", "tod_sin", "tod_cos", "dow", "spread"])


def features(prep: Prepared, norm: Normaliser, t: np.ndarray, link: np.ndarray,
             h_steps: np.ndarray) -> np.ndarray:
    """The feature rows of origins (t, link) at horizons h_steps (arrays of equal length)."""
    hist = prep.history
    step = hist.step_s
    lags = sorted({_steps(m, step) for m in LAG_MIN})
    k15 = _steps(15, step)
    n = t.size
    r0 = prep.now[t, link]

    def past(a: np.ndarray, k: int) -> np.ndarray:
        tk = t - k
        out = a[np.maximum(tk, 0), link] if a.ndim == 2 else a[np.maximum(tk, 0)]
        return np.where(tk >= 0, out, np.nan)

    target_time = hist.times[t] + h_steps * step
    hm_t = norm.profile[norm.slots(target_time), link]
    local = target_time + hist.utc_offset_s
    angle = 2 * np.pi * (local % 86400) / 86400.0
    cols = [h_steps * step / 60.0, r0]
    cols += [past(prep.now, k) - r0 for k in lags]
    cols += [prep.dev[t, link], hm_t, hm_t - r0, prep.up_dev[t, link], prep.down_dev[t, link],
             prep.up_now[t, link] - past(prep.up_now, k15),
             prep.down_now[t, link] - past(prep.down_now, k15),
             prep.net_dev[t], prep.net_dev[t] - past(prep.net_dev, k15),
             np.sin(angle), np.cos(angle), ((local // 86400 + 3) % 7).astype(float),
             norm.spread[link]]
    out = np.empty((n, len(cols)), dtype=np.float32)
    for j, c in enumerate(cols):
        out[:, j] = c
    return out


@dataclass
class TrafficModel:
    """Fitted quantile models plus everything needed to build their features again."""

    link_ids: tuple[str, ...]
    step_s: int
    norm: Normaliser
    graph: LinkGraph
    models: dict[float, object]  # quantile -> fitted regressor
    offsets: dict[int, float]  # horizon (min) -> band calibration (ratio units)
    info: dict = field(default_factory=dict)

    @property
    def horizons(self) -> tuple[int, ...]:
        return HORIZONS_MIN

    def h_steps(self, minutes: int) -> int:
        return _steps(minutes, self.step_s)

    def align(self, history: SpeedHistory) -> SpeedHistory:
        """The history over this model's links (missing links NaN); the interval must match."""
        if history.step_s != self.step_s:
            raise DataError(history.source or None,
                            f"the history's readings are {history.step_s / 60:g} minutes apart, "
                            f"the model was trained on {self.step_s / 60:g}-minute readings",
                            "retrain the model on this history (hktwin ai train traffic)",
                            field="time")
        if history.link_ids == self.link_ids:
            return history
        pos = {k: i for i, k in enumerate(history.link_ids)}
        idx = np.array([pos.get(k, -1) for k in self.link_ids])
        if not (idx >= 0).any():
            raise DataError(history.source or None, "none of the model's links is in this "
                                                    "history", "use the history the model was "
                                                               "trained for", field="link_id")
        speed = np.where(idx[None, :] >= 0, history.speed[:, np.maximum(idx, 0)], np.nan)
        from dataclasses import replace

        return replace(history, link_ids=self.link_ids, speed=speed.astype(np.float32))

    def predict_rows(self, prep: Prepared, t: np.ndarray, link: np.ndarray, h_steps: np.ndarray,
                     h_min: np.ndarray) -> np.ndarray:
        """(n, 3) speeds at the 10/50/90 % quantiles, calibrated, in the history's units."""
        x = _zero(features(prep, self.norm, t, link, h_steps), self.info.get("dead_features", []))
        r0 = x[:, 1].astype(np.float64)
        with _limits():
            q = np.column_stack([self.models[qq].predict(x) for qq in QUANTILES]) + r0[:, None]
        off = np.array([self.offsets.get(int(m), 0.0) for m in HORIZONS_MIN])
        pos = np.searchsorted(np.array(HORIZONS_MIN), h_min)
        o = off[np.clip(pos, 0, len(off) - 1)]
        q[:, 0] -= o
        q[:, 2] += o
        q.sort(axis=1)
        return np.maximum(q, 0.0) * self.norm.ref[link][:, None]


def threads() -> int:
    """OpenMP threads for fitting and predicting: `HKTWIN_AI_THREADS`, default 1.

    Why 1: on a shared or busy machine OpenMP's spinning threads made a fit ~20x slower than one
    thread (measured: 40 s against 2 s for the same 120k rows on 2 loaded cores); one thread is
    also deterministic and leaves the GUI thread a core.
    """
    try:
        return max(1, int(os.environ.get("HKTWIN_AI_THREADS", "1")))
    except ValueError:
        return 1


_CONTROLLER = None


def _limits():
    """A context limiting OpenMP to `threads()`; the library scan (~13 ms) is done once."""
    global _CONTROLLER
    if _CONTROLLER is None:
        import sklearn.ensemble  # noqa: F401  (loads its OpenMP runtime, so the limit reaches it)
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=threads(), user_api="openmp")


def _zero(x: np.ndarray, columns: list[int]) -> np.ndarray:
    if columns:
        x[:, columns] = 0.0
    return x


def _regressor(quantile: float, seed: int):
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(loss="quantile", quantile=quantile, random_state=seed,
                                         **HGB)


def _valid_rows(prep: Prepared, h: int, lo: int, hi: int, links: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Origins t in [lo, hi) with a speed now and a reading h steps later, over `links`."""
    hi = min(hi, prep.ratio.shape[0] - h)
    if hi <= lo:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    ok = np.isfinite(prep.now[lo:hi][:, links]) & np.isfinite(prep.ratio[lo + h:hi + h][:, links])
    ti, li = np.nonzero(ok)
    return ti + lo, links[li]


def fit(history: SpeedHistory, graph: LinkGraph | None = None, *, max_rows: int = 240_000,
        seed: int = 0, progress: Progress | None = None) -> TrafficModel:
    """Fit the quantile models on `history` (every reading in it may be used)."""
    progress = progress or no_progress
    started = time.perf_counter()
    if history.n_times < 4 or not history.link_ids:
        raise DataError(history.source or None, "too little history to train on",
                        "give at least a day of readings", field="time")
    graph = (graph or empty_graph(history.link_ids)).reindex(history.link_ids)
    span = history.times[-1] - history.times[0]
    cal_start = int(history.times[0] + (1 - CALIBRATION_FRACTION) * span)
    fit_hist = history.before(cal_start)
    norm = Normaliser.fit(fit_hist)
    links = np.flatnonzero(np.isfinite(norm.ref))
    if links.size == 0:
        raise DataError(history.source or None, f"no link has {MIN_READINGS} readings with a "
                                                "speed above 0", "give more history",
                        field="speed")
    prep = prepare(history, norm, graph)
    step = history.step_s
    rng = np.random.default_rng(seed)
    n_cal = history.index_of(cal_start) + 1
    per_h = max_rows // len(HORIZONS_MIN)
    train_x, train_y, cal_x, cal_y, cal_h = [], [], [], [], []
    progress(0.02, "choosing training rows")
    for m in HORIZONS_MIN:
        h = _steps(m, step)
        # Training targets lie before the calibration part; calibration origins inside it.
        t, li = _valid_rows(prep, h, 0, n_cal - h, links)
        if t.size == 0:
            raise DataError(history.source or None, f"the history is too short for the "
                                                    f"{m}-minute horizon", "give more history",
                            field="time")
        pick = rng.choice(t.size, min(per_h, t.size), replace=False)
        t, li = t[pick], li[pick]
        hs = np.full(t.size, h)
        train_x.append(features(prep, norm, t, li, hs))
        train_y.append(prep.ratio[t + h, li] - prep.now[t, li])
        t, li = _valid_rows(prep, h, n_cal, history.n_times, links)
        if t.size:
            pick = rng.choice(t.size, min(per_h // 3, t.size), replace=False)
            t, li = t[pick], li[pick]
            cal_x.append(features(prep, norm, t, li, np.full(t.size, h)))
            cal_y.append(prep.ratio[t + h, li] - prep.now[t, li])
            cal_h.append(np.full(t.size, m))
    x = np.concatenate(train_x)
    y = np.concatenate(train_y)
    # A feature with no value at all (no road graph: no neighbours) is set to 0 here and at
    # prediction, so the trees never split on it (the booster refuses an all-missing column).
    dead = [int(j) for j in np.flatnonzero(~np.isfinite(x).any(axis=0))]
    x[:, dead] = 0.0
    cal_x = [_zero(c, dead) for c in cal_x]
    models = {}
    for i, q in enumerate(QUANTILES):
        progress(0.05 + 0.8 * i / len(QUANTILES), f"fitting the {q:.0%} quantile "
                                                   f"({x.shape[0]:,} rows)")
        with _limits():
            models[q] = _regressor(q, seed).fit(x, y)
    offsets = {m: 0.0 for m in HORIZONS_MIN}
    if cal_x:
        cx, cy, ch = np.concatenate(cal_x), np.concatenate(cal_y), np.concatenate(cal_h)
        with _limits():
            lo = models[QUANTILES[0]].predict(cx)
            hi = models[QUANTILES[-1]].predict(cx)
        for m in HORIZONS_MIN:
            sel = ch == m
            if sel.sum() >= 50:
                e = np.maximum(lo[sel] - cy[sel], cy[sel] - hi[sel])
                level = min(1.0, BAND * (1 + 1 / sel.sum()))
                offsets[m] = float(np.quantile(e, level))
    progress(1.0, "fitted")
    info = {"trained_from": int(history.times[0]), "trained_to": int(history.times[-1]),
            "fit_to": int(fit_hist.times[-1]) if fit_hist.n_times else None,
            "calibration_from": cal_start, "train_rows": int(x.shape[0]),
            "calibration_rows": int(sum(a.shape[0] for a in cal_x)),
            "links": int(links.size), "dead_features": dead, "unit": history.unit,
            "source": history.source,
            "simulated": bool(history.simulated), "graph_edges": graph.n_edges,
            "seconds": round(time.perf_counter() - started, 1)}
    return TrafficModel(history.link_ids, step, norm, graph, models, offsets, info)


@dataclass
class Forecast:
    """Speeds of every link at each horizon after `at` (arrays (H, L)), with the band."""

    at: int
    at_iso: str
    link_ids: tuple[str, ...]
    horizons_min: tuple[int, ...]
    observed: np.ndarray  # (L,) speed now
    p10: np.ndarray
    p50: np.ndarray
    p90: np.ndarray
    unit: str = ""

    def to_json(self) -> dict:
        def num(v: float) -> float | None:
            return None if not np.isfinite(v) else round(float(v), 2)

        links = []
        for j, k in enumerate(self.link_ids):
            links.append({"link_id": k, "observed": num(self.observed[j]), "forecast": [
                {"minutes": m, "p10": num(self.p10[i, j]), "p50": num(self.p50[i, j]),
                 "p90": num(self.p90[i, j])} for i, m in enumerate(self.horizons_min)]})
        return {"at": self.at_iso, "unit": self.unit, "horizons": list(self.horizons_min),
                "links": links}


#: Readings a forecast needs before its origin (the longest lag plus the carry-forward).
def lookback_s(step_s: int) -> int:
    return (max(_steps(m, step_s) for m in LAG_MIN) + _steps(FILL_MIN, step_s) + 1) * step_s


def forecast(model: TrafficModel, history: SpeedHistory, at: int | None = None) -> Forecast:
    """Every link at every horizon, from the readings at or before `at` (default: the last)."""
    history = model.align(history)
    at = int(history.times[-1]) if at is None else int(at)
    recent = history.window(at - lookback_s(history.step_s), at)
    if recent.n_times == 0:
        raise DataError(history.source or None, f"no readings at or before {history.iso(at)}",
                        "choose --at inside the history", field="at")
    prep = prepare(recent, model.norm, model.graph)
    n_l = len(model.link_ids)
    t_last = recent.n_times - 1
    links = np.arange(n_l)
    hm = np.array(HORIZONS_MIN)
    t = np.full(n_l * hm.size, t_last)
    li = np.tile(links, hm.size)
    h_min = np.repeat(hm, n_l)
    h_steps = np.array([model.h_steps(m) for m in HORIZONS_MIN])[np.repeat(np.arange(hm.size),
                                                                            n_l)]
    q = model.predict_rows(prep, t, li, h_steps, h_min)
    q[~np.isfinite(prep.now[t, li])] = np.nan
    shape = (hm.size, n_l)
    observed = prep.now[t_last] * model.norm.ref
    base = int(recent.times[t_last])
    return Forecast(base, history.iso(base), model.link_ids, HORIZONS_MIN,
                    observed.astype(np.float64), q[:, 0].reshape(shape), q[:, 1].reshape(shape),
                    q[:, 2].reshape(shape), history.unit)


# --- baselines and backtest ----------------------------------------------------------------------

def historical_mean(train: SpeedHistory) -> tuple[np.ndarray, bool, int]:
    """Per link and time-of-week slot (time of day under two weeks): the mean speed in `train`."""
    weekly = train.span_s >= WEEKLY_MIN_DAYS * 86400
    slot_s = max(PROFILE_SLOT_S, train.step_s)
    prof = _profile(train.speed.astype(np.float64), train.times, train.utc_offset_s, weekly,
                    slot_s)
    if weekly:
        daily = _profile(train.speed.astype(np.float64), train.times, train.utc_offset_s, False,
                         slot_s)
        per_day = 86400 // slot_s
        prof = np.where(np.isfinite(prof), prof,
                        np.tile(daily, (prof.shape[0] // per_day + 1, 1))[:prof.shape[0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        overall = np.nanmean(train.speed, axis=0)
    return np.where(np.isfinite(prof), prof, overall[None, :]), weekly, slot_s


def test_start_of(history: SpeedHistory, test_fraction: float) -> int:
    """The first test time: the last `test_fraction` of the span, on the grid."""
    if not 0.0 < test_fraction < 1.0:
        raise DataError(None, f"--test-fraction {test_fraction} is not between 0 and 1",
                        "give e.g. 0.2", field="test-fraction")
    t0, t1 = int(history.times[0]), int(history.times[-1])
    start = t1 - test_fraction * (t1 - t0)
    return int(history.times[np.searchsorted(history.times, start, side="left")])


def backtest(history: SpeedHistory, graph: LinkGraph | None = None, *,
             test_fraction: float = 0.2, model: TrafficModel | None = None,
             fit_fn=None, progress: Progress | None = None, max_rows: int = 240_000) -> dict:
    """Scores of the model and both baselines on the same test rows, per horizon.

    Returns the JSON of `hktwin ai backtest traffic --json` plus "model_info" and "seconds".
    `fit_fn` (default `fit`) is called with `history.before(test_start)` only.
    """
    progress = progress or no_progress
    started = time.perf_counter()
    test_start = test_start_of(history, test_fraction)
    train = history.before(test_start)
    if train.n_times < 4:
        raise DataError(history.source or None, "the training part is empty",
                        "give more history or a smaller --test-fraction", field="time")
    from hktwin.core.progress import sub_progress

    if model is None:
        model = (fit_fn or fit)(train, graph, progress=sub_progress(progress, 0, 0.8),
                                max_rows=max_rows)
    history = model.align(history)
    prep = prepare(history, model.norm, model.graph)
    hm, weekly, slot_s = historical_mean(model.align(train))
    hm_slots = slot_of(history.times, history.utc_offset_s, weekly, slot_s)
    first = history.index_of(test_start)
    if history.times[first] < test_start:
        first += 1
    links = np.flatnonzero(np.isfinite(model.norm.ref))
    speed_now = prep.now * model.norm.ref[None, :]
    out = []
    total = 0
    for i, m in enumerate(HORIZONS_MIN):
        progress(0.8 + 0.2 * i / 3, f"scoring {m} minutes ahead")
        h = model.h_steps(m)
        t, li = _valid_rows(prep, h, first, history.n_times, links)
        obs = history.speed[t + h, li].astype(np.float64)
        hm_pred = hm[hm_slots[t + h], li]
        keep = np.isfinite(hm_pred)
        t, li, obs, hm_pred = t[keep], li[keep], obs[keep], hm_pred[keep]
        preds = []
        for a in range(0, t.size, 200_000):
            sl = slice(a, a + 200_000)
            preds.append(model.predict_rows(prep, t[sl], li[sl], np.full(t[sl].size, h),
                                            np.full(t[sl].size, m)))
        q = np.concatenate(preds) if preds else np.zeros((0, 3))
        pers = speed_now[t, li].astype(np.float64)
        total += int(t.size)
        out.append({"minutes": m,
                    "model": {**_err(q[:, 1], obs),
                              "coverage80": _round(np.mean((obs >= q[:, 0]) & (obs <= q[:, 2])))},
                    "persistence": _err(pers, obs), "historical_mean": _err(hm_pred, obs)})
    progress(1.0, "scored")
    return {"horizons": out, "links": int(links.size), "test_rows": total,
            "test_from": history.iso(test_start), "test_to": history.iso(int(history.times[-1])),
            "model_info": model.info, "seconds": round(time.perf_counter() - started, 1)}


def _round(v: float) -> float | None:
    return None if not np.isfinite(v) else round(float(v), 4)


def _err(pred: np.ndarray, obs: np.ndarray) -> dict:
    e = pred - obs
    if e.size == 0:
        return {"mae": None, "rmse": None}
    return {"mae": _round(np.mean(np.abs(e))), "rmse": _round(np.sqrt(np.mean(e * e)))}


PUBLIC_KEYS = ("horizons", "links", "test_rows")


def public(result: dict) -> dict:
    """Only the fixed JSON shape of `hktwin ai backtest traffic --json`."""
    return {k: result[k] for k in PUBLIC_KEYS}


# --- saving and loading --------------------------------------------------------------------------

def save(model: TrafficModel, folder: str | os.PathLike[str], card: str | None = None) -> Path:
    """Write model.json (plain data), arrays.npz and one joblib file per quantile model.

    The regressors are scikit-learn objects, which only pickle can store: load models only from
    folders you trust (the same rule as for any scikit-learn model).
    """
    import joblib
    import sklearn

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"format": MODEL_FORMAT, "version": MODEL_VERSION, "kind": "traffic",
            "sklearn": sklearn.__version__, "step_s": model.step_s,
            "horizons_min": list(HORIZONS_MIN), "quantiles": list(QUANTILES),
            "features": feature_names(model.step_s), "link_ids": list(model.link_ids),
            "weekly": model.norm.weekly, "slot_s": model.norm.slot_s,
            "utc_offset_s": model.norm.utc_offset_s,
            "offsets": {str(k): v for k, v in model.offsets.items()},
            "graph": model.graph.to_json(), "info": model.info}
    np.savez_compressed(folder / "arrays.npz", ref=model.norm.ref, profile=model.norm.profile,
                        spread=model.norm.spread)
    for q, reg in model.models.items():
        joblib.dump(reg, folder / f"q{round(q * 100):02d}.joblib", compress=3)
    atomic_write_text(folder / "model.json", json.dumps(meta, indent=1))
    if card is not None:
        atomic_write_text(folder / "MODEL_CARD.md", card)
    return folder


def load(folder: str | os.PathLike[str]) -> TrafficModel:
    """A model written by `save`; one-line errors for a wrong or incompatible folder."""
    import joblib
    import sklearn

    folder = Path(folder)
    path = folder / "model.json"
    if not path.is_file():
        raise DataError(folder, "no traffic model here (model.json is missing)",
                        "train one with hktwin ai train traffic --out DIR")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(path, f"not valid JSON ({exc})", "retrain the model") from None
    if meta.get("format") != MODEL_FORMAT:
        raise DataError(path, "not an HK Twin traffic model", field="format")
    if meta.get("version", 0) > MODEL_VERSION:
        raise DataError(path, f"model version {meta.get('version')} is newer than this app's",
                        "update HK Twin or retrain", field="version")
    if meta.get("sklearn") != sklearn.__version__:
        raise DataError(path, f"trained with scikit-learn {meta.get('sklearn')}, this is "
                              f"{sklearn.__version__}", "retrain (hktwin ai train traffic)",
                        field="sklearn")
    try:
        arrays = np.load(folder / "arrays.npz")
        models = {q: joblib.load(folder / f"q{round(q * 100):02d}.joblib") for q in QUANTILES}
    except (OSError, ValueError, EOFError, KeyError) as exc:
        raise DataError(folder, f"model files missing or damaged ({exc})",
                        "retrain the model") from None
    ids = tuple(meta["link_ids"])
    norm = Normaliser(arrays["ref"], arrays["profile"], arrays["spread"], bool(meta["weekly"]),
                      int(meta["slot_s"]), int(meta["utc_offset_s"]))
    graph = LinkGraph.from_json(ids, meta["graph"])
    return TrafficModel(ids, int(meta["step_s"]), norm, graph, models,
                        {int(k): float(v) for k, v in meta["offsets"].items()}, meta["info"])
