"""The feed store: every observation the app has fetched, in one SQLite file, for the time bar.

Layout (why): rows are keyed by (source, key, observed_at), so a document fetched twice adds
nothing the second time. Source+key pairs are numbered once in `series` and the unit+attrs of a
row are deduplicated in `meta` (a TD link's attributes take a few dozen distinct values), so an
observation row is ~30 bytes instead of ~130 and a day of 1-minute snapshots of 600 links is
tens of MB, not hundreds. `observations` is a WITHOUT ROWID table clustered on (series,
observed_at): each key's history is contiguous, and "the latest value at or before t" for every
key of a source is one B-tree seek per key, done inside SQLite in a single statement.
`observation_rows` is a view that shows the flat logical table for ad-hoc SQL.

`snapshots` holds one row per distinct document: its newest observation time. A Traffic Speed Map
document carries three or four capture times within 20 s, so those snapshot times - not every
distinct row time - are what the time bar and replay step through.

Journal: WAL, so the GUI reads while a recorder writes, and a crash or kill never loses a
committed transaction. synchronous=NORMAL by default: in WAL mode that is durable across an
application crash (a commit is in the OS once `add` returns) and only a power loss or OS crash
can roll back the last commits - never corrupt the file. For a cache of public feeds that can be
re-fetched that trade is right; pass synchronous="FULL" to fsync every commit.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hktwin.core.errors import HKTwinError
from hktwin.core.files import DiskFullError
from hktwin.feeds.base import HK_TZ_OFFSET_HOURS, Observation

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

HKT = timezone(timedelta(hours=HK_TZ_OFFSET_HOURS), "HKT")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
SCHEMA_VERSION = 1
# Each snapshot appends one row to every key's own leaf page, so a commit dirties ~one page per
# key: 1 KiB pages write ~1.1 MB of WAL per 607-link snapshot where 4 KiB pages write ~3 MB, and
# ingest is faster; seeks stay a few levels deep.
PAGE_SIZE = 1024
# Checkpoint less often than SQLite's 1000 pages: a key's last leaf page is rewritten by every
# snapshot, so a checkpoint every ~10 snapshots copies it into the file once instead of ten times.
WAL_CHECKPOINT_PAGES = 10_000
STORE_FILENAME = "feeds.sqlite"

Values = dict[str, tuple[float | None, datetime, dict[str, Any]]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    UNIQUE (source, key)
);
CREATE TABLE IF NOT EXISTS meta (
    id INTEGER PRIMARY KEY,
    unit TEXT NOT NULL,
    attrs TEXT NOT NULL,          -- JSON object, keys sorted
    UNIQUE (unit, attrs)
);
CREATE TABLE IF NOT EXISTS observations (
    series INTEGER NOT NULL REFERENCES series (id),
    observed_at INTEGER NOT NULL, -- ms since 1970-01-01 UTC
    fetched_at INTEGER NOT NULL,  -- ms since 1970-01-01 UTC
    value REAL,
    meta INTEGER NOT NULL REFERENCES meta (id),
    PRIMARY KEY (series, observed_at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    source TEXT NOT NULL,
    at INTEGER NOT NULL,          -- newest observation time of the document, ms UTC
    fetched_at INTEGER NOT NULL,
    rows INTEGER NOT NULL,        -- rows that document added
    PRIMARY KEY (source, at)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counts (
    source TEXT PRIMARY KEY,
    rows INTEGER NOT NULL         -- exact, so max_rows retention needs no COUNT(*) scan
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS observation_rows AS
    SELECT s.source, s.key, o.observed_at, o.fetched_at, o.value, m.unit, m.attrs
    FROM observations o JOIN series s ON s.id = o.series JOIN meta m ON m.id = o.meta;
"""

# Per key: seek the newest time at or before :when (and not before :oldest), then fetch that row.
_VALUES_AT = """
SELECT s.key, o.value, o.observed_at, o.meta
FROM series AS s
JOIN observations AS o ON o.series = s.id AND o.observed_at = (
    SELECT i.observed_at FROM observations AS i
    WHERE i.series = s.id AND i.observed_at <= :when AND i.observed_at >= :oldest
    ORDER BY i.observed_at DESC LIMIT 1)
WHERE s.source = :source
"""


class StoreError(HKTwinError):
    """The store file cannot be opened or used (not SQLite, unreadable folder, newer schema)."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class StoreCorrupt(StoreError):
    """SQLite found damaged pages in the store; it is no longer written to."""


#: The store's methods that write; refused once the store is known to be damaged.
_WRITES = frozenset({"add", "prune"})


def _guarded(method):
    """Turn SQLite errors of a store method into one `StoreError`: a full disk says so, and any
    other database error runs `PRAGMA quick_check` once; damaged pages make the store read-only
    from then on (writing into a damaged b-tree can spread the damage)."""

    @functools.wraps(method)
    def wrapper(self: FeedStore, *args, **kwargs):
        if self.damage is not None and method.__name__ in _WRITES:
            raise StoreCorrupt(self.path, self.damage)
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise self._diagnose(exc) from None

    return wrapper


def _disk_full(exc: BaseException) -> bool:
    return "disk is full" in str(exc) or "No space left" in str(exc)


def to_ms(when: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float rounding); the time must be aware."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"time {when.isoformat()} has no timezone")
    return (when - _EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """An aware datetime in Hong Kong Time."""
    return (_EPOCH + timedelta(milliseconds=ms)).astimezone(HKT)


def default_store_path() -> Path:
    """`feeds.sqlite` in the user data folder (`hktwin.core.paths.user_data_dir`)."""
    from hktwin.core.paths import user_data_dir

    folder = user_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / STORE_FILENAME


class FeedStore:
    """Observations of all sources in one SQLite file; safe to share between threads.

    `keep_days` / `max_rows` are the retention setting applied after every `add`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        keep_days: float | None = None,
        max_rows: int | None = None,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        create: bool = True,
        busy_timeout_s: float = 10.0,
    ) -> None:
        self.path = Path(path)
        self.keep_days = keep_days
        self.max_rows = max_rows
        if not create and not self.path.is_file():
            raise StoreError(self.path, "no feed store here")
        self._lock = threading.RLock()
        self._series: dict[tuple[str, str], int] = {}
        self._meta_ids: dict[tuple[str, str], int] = {}
        self._meta_fast: dict[tuple, int] = {}  # (unit, typed attrs items) -> id
        self._meta: dict[int, tuple[str, dict[str, Any]]] = {}
        #: What `quick_check` found wrong, once an error led to it; None while the store is fine.
        self.damage: str | None = None
        try:
            self._db = sqlite3.connect(self.path, timeout=busy_timeout_s,
                                       isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise StoreError(self.path, f"cannot open ({exc})") from None
        try:
            self._setup(synchronous, create)
        except sqlite3.Error as exc:
            damaged = "malformed" in str(exc) or "corrupt" in str(exc)
            err = self._diagnose(exc) if damaged else None
            self._db.close()
            if _disk_full(exc):
                raise DiskFullError(self.path) from None
            if isinstance(err, StoreCorrupt):
                raise err from None
            raise StoreError(self.path, f"not a usable feed store ({exc})") from None

    def _diagnose(self, exc: sqlite3.Error) -> HKTwinError:
        """The one error to report for a failed statement (see `_guarded`)."""
        if _disk_full(exc):
            return DiskFullError(self.path)
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return StoreError(self.path, f"the store is busy ({exc}); another program holds it")
        if self.damage is None:
            try:
                with self._lock:
                    rows = self._db.execute("PRAGMA quick_check(5)").fetchall()
                verdict = "; ".join(" ".join(str(r[0]).split()) for r in rows)
            except sqlite3.Error as again:
                verdict = " ".join(str(again).split())
            if verdict != "ok":
                self.damage = (f"the store file is damaged (SQLite: {exc}; quick_check: "
                               f"{verdict[:200]}); it is left as it is and no longer written to")
                log.debug("%s: %s", self.path, self.damage)  # the caller says it, once
        if self.damage is not None:
            return StoreCorrupt(self.path, self.damage + ". Fix: restore it from a backup, or "
                                "move it away and record or import the feeds again")
        return StoreError(self.path, f"database error ({exc})")

    def _setup(self, synchronous: str, create: bool) -> None:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]  # fails on a non-SQLite file
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"schema version {version} is newer than this app's")
        if version < SCHEMA_VERSION and not create:  # someone else's database: leave it be
            raise sqlite3.DatabaseError("it has no feed tables")
        db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # only takes effect on a new file
        if db.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
            raise sqlite3.OperationalError("WAL journal mode refused")
        db.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
        db.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        if version < SCHEMA_VERSION:
            try:
                db.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version={SCHEMA_VERSION};"
                                 "COMMIT;")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> FeedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    @_guarded
    def add(self, observations: Iterable[Observation], fetched_at: datetime | None = None) -> int:
        """Store one fetched document's rows in one transaction; returns the rows that were new.

        Rows already stored (same source, key and time) are skipped. Then the retention setting
        is applied in its own transaction.
        """
        rows = list(observations)
        if not rows:
            return 0
        fetched = to_ms(fetched_at or datetime.now(UTC))
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                series = self._series_ids({(o.source, o.key) for o in rows})
                by_source: dict[str, list[tuple]] = {}
                for o in rows:
                    by_source.setdefault(o.source, []).append(
                        (series[o.source, o.key], to_ms(o.observed_at), fetched, o.value,
                         self._meta_id(o.unit, o.attrs)))
                inserted = 0
                for source, params in by_source.items():
                    before = db.total_changes
                    db.executemany("INSERT OR IGNORE INTO observations VALUES (?, ?, ?, ?, ?)",
                                   params)
                    added = db.total_changes - before
                    inserted += added
                    newest = max(p[1] for p in params)
                    db.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?) ON CONFLICT (source, at) "
                               "DO UPDATE SET rows = rows + excluded.rows",
                               (source, newest, fetched, added))
                    db.execute("INSERT INTO counts VALUES (?, ?) ON CONFLICT (source) "
                               "DO UPDATE SET rows = rows + excluded.rows", (source, added))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                self._forget_uncommitted()
                raise
        if inserted and (self.keep_days is not None or self.max_rows is not None):
            self.prune(self.keep_days, self.max_rows)
        return inserted

    def _series_ids(self, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        missing = [p for p in pairs if p not in self._series]
        if missing:
            self._db.executemany("INSERT OR IGNORE INTO series (source, key) VALUES (?, ?)",
                                 missing)
            for source, key in missing:
                (sid,) = self._db.execute("SELECT id FROM series WHERE source = ? AND key = ?",
                                          (source, key)).fetchone()
                self._series[source, key] = sid
        return self._series

    def _meta_id(self, unit: str, attrs: dict[str, Any]) -> int:
        try:  # most rows repeat a few attribute sets: skip JSON encoding for those
            fast: tuple | None = (unit, *((k, type(v), v) for k, v in sorted(attrs.items())))
            mid = self._meta_fast.get(fast)  # type: ignore[arg-type]
            if mid is not None:
                return mid
        except TypeError:  # an unhashable value (a list): go by the JSON text
            fast = None
        text = json.dumps(attrs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        mid = self._meta_ids.get((unit, text))
        if mid is None:
            self._db.execute("INSERT OR IGNORE INTO meta (unit, attrs) VALUES (?, ?)",
                             (unit, text))
            (mid,) = self._db.execute("SELECT id FROM meta WHERE unit = ? AND attrs = ?",
                                      (unit, text)).fetchone()
            self._meta_ids[unit, text] = mid
        if fast is not None:
            self._meta_fast[fast] = mid
        return mid

    def _forget_uncommitted(self) -> None:
        # Ids handed out inside a rolled-back transaction do not exist; relearn them on demand.
        self._series.clear()
        self._meta_ids.clear()
        self._meta_fast.clear()

    # -- retention ---------------------------------------------------------------------------

    @_guarded
    def prune(self, keep_days: float | None = None, max_rows: int | None = None) -> int:
        """Delete old rows; returns how many.

        `keep_days`: per source, drop rows older than that many days before the source's newest
        observation (relative to the data, not the wall clock, so importing an old archive into
        a store with retention does not erase it). `max_rows`: then drop the oldest snapshots,
        across sources, until at most that many rows remain.
        """
        deleted = 0
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                if keep_days is not None:
                    span = int(keep_days * 86_400_000)
                    for source, newest in db.execute(
                            "SELECT source, max(at) FROM snapshots GROUP BY source").fetchall():
                        deleted += self._delete_before(source, newest - span)
                if max_rows is not None:
                    deleted += self._trim_to(max_rows)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        if deleted:
            log.info("pruned %d rows from %s", deleted, self.path)
        return deleted

    def _delete_before(self, source: str, cutoff: int, inclusive: bool = False) -> int:
        """Delete `source` rows observed before `cutoff` (or at it), one range seek per key."""
        op = "<=" if inclusive else "<"
        db = self._db
        before = db.total_changes
        db.execute(f"DELETE FROM observations WHERE series IN (SELECT id FROM series WHERE "
                   f"source = ?) AND observed_at {op} ?", (source, cutoff))
        gone = db.total_changes - before
        db.execute(f"DELETE FROM snapshots WHERE source = ? AND at {op} ?", (source, cutoff))
        if gone:
            db.execute("UPDATE counts SET rows = max(rows - ?, 0) WHERE source = ?",
                       (gone, source))
        return gone

    def _trim_to(self, max_rows: int) -> int:
        db = self._db
        total = db.execute("SELECT coalesce(sum(rows), 0) FROM counts").fetchone()[0]
        if total <= max_rows:
            return 0
        # Pick per-source cutoffs from the snapshots' row counts, oldest first...
        excess, cutoffs = total - max_rows, {}
        for source, at, rows in db.execute("SELECT source, at, rows FROM snapshots "
                                           "ORDER BY at, source"):
            cutoffs[source] = at
            excess -= rows
            if excess <= 0:
                break
        deleted = sum(self._delete_before(s, at, inclusive=True) for s, at in cutoffs.items())
        # ...then, where late rows made those counts inexact, keep going one snapshot at a time.
        while True:
            total = db.execute("SELECT coalesce(sum(rows), 0) FROM counts").fetchone()[0]
            oldest = db.execute("SELECT source, at FROM snapshots ORDER BY at LIMIT 1").fetchone()
            if total <= max_rows or oldest is None:
                return deleted
            deleted += self._delete_before(*oldest, inclusive=True)

    # -- reading -----------------------------------------------------------------------------

    @_guarded
    def values_at(self, source: str, when: datetime, max_age: timedelta | None = None) -> Values:
        """Each key's latest observation at or before `when` (and not older than `max_age`).

        {key: (value, observed_at, attrs)}; one index seek per key inside SQLite, no scan.
        """
        t = to_ms(when)
        oldest = -(2**62) if max_age is None else t - max_age // _MS
        with self._lock:
            rows = self._db.execute(_VALUES_AT, {"source": source, "when": t,
                                                 "oldest": oldest}).fetchall()
            meta = self._meta_for({r[3] for r in rows})
        times: dict[int, datetime] = {}
        for ms in {r[2] for r in rows}:
            times[ms] = from_ms(ms)
        return {key: (value, times[ms], dict(meta[mid][1])) for key, value, ms, mid in rows}

    def _meta_for(self, ids: set[int]) -> dict[int, tuple[str, dict[str, Any]]]:
        missing = sorted(ids.difference(self._meta))
        for i in range(0, len(missing), 500):  # SQLite caps bound parameters per statement
            chunk = missing[i:i + 500]
            for mid, unit, text in self._db.execute(
                    f"SELECT id, unit, attrs FROM meta WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk):
                self._meta[mid] = (unit, json.loads(text))
        return self._meta

    @_guarded
    def history(self, source: str, key: str, start: datetime | None = None,
                end: datetime | None = None) -> list[Observation]:
        """One key's observations with start <= observed_at <= end, oldest first."""
        lo = -(2**62) if start is None else to_ms(start)
        hi = 2**62 if end is None else to_ms(end)
        with self._lock:
            rows = self._db.execute(
                "SELECT o.observed_at, o.value, o.meta FROM observations o JOIN series s "
                "ON s.id = o.series WHERE s.source = ? AND s.key = ? AND o.observed_at "
                "BETWEEN ? AND ? ORDER BY o.observed_at", (source, key, lo, hi)).fetchall()
            meta = self._meta_for({r[2] for r in rows})
        return [Observation(source, key, from_ms(ms), value, meta[mid][0], dict(meta[mid][1]))
                for ms, value, mid in rows]

    @_guarded
    def columns(self, source: str, start: datetime | None = None, end: datetime | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every key's observations with start <= observed_at <= end as three arrays (keys,
        observed_at in ms since the epoch, values with NaN for none), in one query: weeks of
        600 links are millions of rows, too many for `history`'s Observation objects."""
        import numpy as np

        lo = -(2**62) if start is None else to_ms(start)
        hi = 2**62 if end is None else to_ms(end)
        with self._lock:
            rows = self._db.execute(
                "SELECT s.key, o.observed_at, o.value FROM observations o JOIN series s ON "
                "s.id = o.series WHERE s.source = ? AND o.observed_at BETWEEN ? AND ?",
                (source, lo, hi)).fetchall()
        keys = np.array([r[0] for r in rows], dtype=str)
        ms = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        values = np.fromiter((np.nan if r[2] is None else r[2] for r in rows), dtype=np.float64,
                             count=len(rows))
        return keys, ms, values

    @_guarded
    def times(self, source: str, start: datetime | None = None,
              end: datetime | None = None) -> list[datetime]:
        """The source's snapshot times (each stored document's newest observation), in order."""
        lo = -(2**62) if start is None else to_ms(start)
        hi = 2**62 if end is None else to_ms(end)
        with self._lock:
            rows = self._db.execute("SELECT at FROM snapshots WHERE source = ? AND at BETWEEN ? "
                                    "AND ? ORDER BY at", (source, lo, hi)).fetchall()
        return [from_ms(r[0]) for r in rows]

    @_guarded
    def observation_times(self, source: str) -> list[datetime]:
        """Every distinct observation time of the source (finer than `times`), in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT o.observed_at FROM observations o JOIN series s ON s.id = "
                "o.series WHERE s.source = ? ORDER BY 1", (source,)).fetchall()
        return [from_ms(r[0]) for r in rows]

    @_guarded
    def sources(self) -> list[str]:
        """Sources that have stored rows, by name."""
        with self._lock:
            rows = self._db.execute("SELECT source FROM counts WHERE rows > 0 "
                                    "ORDER BY source").fetchall()
        return [r[0] for r in rows]

    @_guarded
    def time_range(self, source: str) -> tuple[datetime, datetime] | None:
        """Oldest and newest observation time of the source, or None when it has none."""
        with self._lock:
            lo, hi = self._db.execute(
                "SELECT min(lo), max(hi) FROM (SELECT "
                "(SELECT min(observed_at) FROM observations WHERE series = s.id) AS lo, "
                "(SELECT max(observed_at) FROM observations WHERE series = s.id) AS hi "
                "FROM series s WHERE s.source = ?)", (source,)).fetchone()
        return None if lo is None else (from_ms(lo), from_ms(hi))

    @_guarded
    def units(self, source: str) -> list[str]:
        """The distinct units of the source's rows (reads them all: for reports, not frames)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT unit FROM meta WHERE id IN (SELECT DISTINCT o.meta "
                "FROM observations o JOIN series s ON s.id = o.series WHERE s.source = ?) "
                "ORDER BY unit",
                (source,)).fetchall()
        return [r[0] for r in rows]

    @_guarded
    def row_count(self, source: str | None = None) -> int:
        """Stored rows (of one source, or all), from the exact running count."""
        with self._lock:
            if source is None:
                sql, args = "SELECT coalesce(sum(rows), 0) FROM counts", ()
            else:
                sql, args = "SELECT coalesce(sum(rows), 0) FROM counts WHERE source = ?", (source,)
            return int(self._db.execute(sql, args).fetchone()[0])

    def integrity_check(self) -> str:
        """SQLite's own verdict on the file: "ok" or the first problems found."""
        with self._lock:
            rows = self._db.execute("PRAGMA integrity_check").fetchall()
        return "; ".join(r[0] for r in rows)
