"""Speed history on a regular time grid: one (times x links) array, read from a CSV or a store.

Why a grid: every feature of the forecast (lags, neighbours, time of week) is then an index
shift on one float32 array, vectorised over all links and all origins. Archives differ in
interval (1-15 minutes), units and gaps, so the interval is inferred from the data (the median
spacing of each link's readings), readings are snapped to the nearest grid step, and a missing
reading stays NaN. Nothing here knows about km/h.

The long CSV format any archive can be turned into: a header `time,link_id,speed`, ISO 8601
times (with or without an offset; the first row's offset is taken as local time for the
time-of-day features), one row per reading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from hktwin.core.errors import DataError

#: Interval limits the forecast accepts (seconds): 1 to 15 minutes.
MIN_STEP_S, MAX_STEP_S = 60, 900
#: Store sources tried, in order, when none is named.
SPEED_SOURCES = ("td-speedmap", "td-speed")
CSV_COLUMNS = ("time", "link_id", "speed")


@dataclass(frozen=True)
class SpeedHistory:
    """Speeds of `links` at `times` (epoch seconds UTC, every `step_s`); NaN where none."""

    times: np.ndarray  # int64 (T,)
    step_s: int
    link_ids: tuple[str, ...]
    speed: np.ndarray  # float32 (T, L)
    utc_offset_s: int = 0  # local time = UTC + this (time of day, day of week)
    unit: str = ""
    source: str = ""
    simulated: bool = False

    @property
    def n_times(self) -> int:
        return int(self.times.size)

    @property
    def span_s(self) -> int:
        return int(self.times[-1] - self.times[0]) + self.step_s if self.times.size else 0

    def index_of(self, when: int) -> int:
        """Index of the last grid step at or before epoch second `when` (-1 if before)."""
        return int(np.searchsorted(self.times, when, side="right")) - 1

    def before(self, when: int) -> SpeedHistory:
        """Only the steps strictly before epoch second `when` (training never sees the rest)."""
        n = int(np.searchsorted(self.times, when, side="left"))
        return replace(self, times=self.times[:n].copy(), speed=self.speed[:n].copy())

    def window(self, start: int, end: int) -> SpeedHistory:
        """The steps with start <= time <= end."""
        a = int(np.searchsorted(self.times, start, side="left"))
        b = int(np.searchsorted(self.times, end, side="right"))
        return replace(self, times=self.times[a:b].copy(), speed=self.speed[a:b].copy())

    def local(self, when: np.ndarray | int) -> datetime | np.ndarray:
        return np.asarray(when) + self.utc_offset_s

    def iso(self, when: int) -> str:
        tz = timezone(timedelta(seconds=self.utc_offset_s))
        return datetime.fromtimestamp(int(when), UTC).astimezone(tz).isoformat()


def infer_step(times: np.ndarray, keys: np.ndarray, path: object = None) -> int:
    """The reading interval (s): the median spacing of each link's consecutive readings.

    Per link, so jittered capture times or links reporting at different moments do not shrink
    it; rounded to a whole minute when within 5 % of one.
    """
    order = np.lexsort((times, keys))
    t, k = times[order], keys[order]
    same = k[1:] == k[:-1]
    gaps = np.diff(t)[same]
    gaps = gaps[gaps > 0]
    if gaps.size == 0:
        raise DataError(path, "fewer than two readings of any link, so no interval can be "
                              "inferred", "give at least a few hours of history", field="time")
    step = float(np.median(gaps))
    minute = round(step / 60.0) * 60
    if minute and abs(step - minute) <= 0.05 * minute:
        step = minute
    step = round(step)
    if not MIN_STEP_S <= step <= MAX_STEP_S:
        raise DataError(path, f"the readings are {step / 60:g} minutes apart; the forecast needs "
                              "an interval of 1 to 15 minutes",
                        "resample the archive to 1-15 minute readings", field="time")
    return step


def from_long(times: np.ndarray, keys: np.ndarray, values: np.ndarray, *, utc_offset_s: int = 0,
              unit: str = "", source: str = "", simulated: bool = False,
              path: object = None, step_s: int | None = None) -> SpeedHistory:
    """Pivot long rows (epoch seconds, link id, value) onto a regular grid (mean of duplicates)."""
    times = np.asarray(times, dtype=np.int64)
    keys = np.asarray(keys).astype(str)
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(values)
    step = step_s or infer_step(times[ok] if ok.any() else times, keys[ok] if ok.any() else keys,
                                path)
    t0 = int(times.min())
    t0 -= t0 % step if step and (t0 % step) <= step // 2 else 0  # align to the step when close
    idx = np.rint((times - t0) / step).astype(np.int64)
    n_t = int(idx.max()) + 1
    link_ids, col = np.unique(keys, return_inverse=True)
    sums = np.zeros((n_t, link_ids.size))
    counts = np.zeros((n_t, link_ids.size))
    np.add.at(sums, (idx[ok], col[ok]), values[ok])
    np.add.at(counts, (idx[ok], col[ok]), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = (sums / counts).astype(np.float32)
    grid = t0 + step * np.arange(n_t, dtype=np.int64)
    return SpeedHistory(grid, int(step), tuple(str(s) for s in link_ids), speed, utc_offset_s,
                        unit, source, simulated)


def read_csv(path: str | os.PathLike[str]) -> SpeedHistory:
    """A long CSV `time,link_id,speed`; one-line errors naming the file, field and row."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise DataError(path, "no such file", "give a CSV with the header time,link_id,speed")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "empty file"
        raise DataError(path, f"not a readable CSV ({first})",
                        "give a CSV with the header time,link_id,speed") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    for name in CSV_COLUMNS:
        if name not in frame.columns:
            raise DataError(path, f"the header has no '{name}' column (found: "
                                  f"{', '.join(frame.columns) or 'none'})",
                            "the header must be time,link_id,speed", field="header")
    if frame.empty:
        raise DataError(path, "no rows after the header", "add readings", field="time")
    raw_t = frame["time"].str.strip()
    when = pd.to_datetime(raw_t, format="ISO8601", utc=True, errors="coerce")
    bad = when.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(path, f"row {row + 2}: time '{raw_t.iloc[row]}' is not an ISO 8601 time",
                        "write times like 2026-11-20T08:05:00+08:00", field="time")
    keys = frame["link_id"].str.strip().to_numpy(dtype=str)
    empty = keys == ""
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise DataError(path, f"row {row + 2}: link_id is empty", "give every row a link id",
                        field="link_id")
    raw_v = frame["speed"].str.strip()
    values = pd.to_numeric(raw_v.replace("", "nan"), errors="coerce").to_numpy(dtype=float)
    unparsed = np.isnan(values) & ~raw_v.str.lower().isin(["", "nan", "na", "null"]).to_numpy()
    if unparsed.any():
        row = int(np.flatnonzero(unparsed)[0])
        raise DataError(path, f"row {row + 2}: speed '{raw_v.iloc[row]}' is not a number",
                        "leave a missing speed empty", field="speed")
    wrong = np.isinf(values) | (values < 0)
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        raise DataError(path, f"row {row + 2}: speed {raw_v.iloc[row]} is negative or infinite",
                        "speeds must be finite and >= 0", field="speed")
    if not np.isfinite(values).any():
        raise DataError(path, "no row has a speed", "fill the speed column", field="speed")
    first = datetime.fromisoformat(raw_t.iloc[0].replace("Z", "+00:00"))
    offset = int(first.utcoffset().total_seconds()) if first.utcoffset() is not None else 0
    seconds = ((when - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(np.int64)
    return from_long(seconds, keys, values, utc_offset_s=offset, source=str(path), path=path)


def read_store(path: str | os.PathLike[str], source: str | None = None,
               start: datetime | None = None, end: datetime | None = None) -> SpeedHistory:
    """A feed store's speeds (`td-speedmap` by default, else `td-speed`), read in one query
    (`FeedStore.columns`)."""
    from hktwin.feeds import store as feed_store

    path = Path(path)
    if not path.is_file():
        raise DataError(path, "no such feed store", "record one with hktwin feeds record, or "
                                                    "give --history CSV")
    with feed_store.FeedStore(path, create=False) as st:  # validates the file and its schema
        sources = st.sources()
        if source is None:
            source = next((s for s in SPEED_SOURCES if s in sources), None)
            if source is None:
                raise DataError(path, f"no traffic speeds in this store (sources: "
                                      f"{', '.join(sources) or 'none'})",
                                "record td-speedmap, or give --history CSV", field="source")
        elif source not in sources:
            raise DataError(path, f"no rows of source '{source}'", f"use one of "
                                                                   f"{', '.join(sources)}",
                            field="source")
        units = st.units(source)
        keys, ms, vals = st.columns(source, start, end)
    if not len(keys):
        raise DataError(path, f"no '{source}' rows in that time range", field="time")
    return from_long(ms // 1000, keys, vals, utc_offset_s=feed_store.HK_TZ_OFFSET_HOURS * 3600,
                     unit=units[0] if len(units) == 1 else "", source=f"{path} ({source})",
                     path=path)


def write_csv(history: SpeedHistory, path: str | os.PathLike[str]) -> None:
    """The long CSV form of a history (what `read_csv` reads), rows with a speed only."""
    tz = timezone(timedelta(seconds=history.utc_offset_s))
    t_idx, l_idx = np.nonzero(np.isfinite(history.speed))
    stamps = {int(t): datetime.fromtimestamp(int(t), UTC).astimezone(tz).isoformat()
              for t in np.unique(history.times[t_idx])}
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("time,link_id,speed\n")
        for ti, li in zip(t_idx.tolist(), l_idx.tolist(), strict=True):
            f.write(f"{stamps[int(history.times[ti])]},{history.link_ids[li]},"
                    f"{history.speed[ti, li]:g}\n")
