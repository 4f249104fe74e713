"""Feed store: ingest rate and `values_at` latency on a synthetic day of Traffic Speed Map data.

Run: .venv/bin/python benchmarks/bench_feed_store.py [--minutes 1440] [--links 607] [--runs 31]

A day of 1-minute snapshots of 607 links (~874k rows) like the TD feed: four capture times per
document, attributes from a few dozen combinations. Baselines in this process, on the same rows:
ingest against a bare sqlite3 executemany into a plain table with no index (one transaction per
snapshot in both), and `values_at` against the naive `GROUP BY key` / `max(observed_at)` query on
that plain table (and, for reference, on the same table with a (source, key, observed_at)
index). Each pair runs alternately (A B A B ...) via `paired`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from _common import paired, save
from hktwin.feeds.base import Observation
from hktwin.feeds.store import HKT, FeedStore, to_ms

SOURCE = "td-speedmap"
REGIONS = ("HK", "K", "TM", "ST")
ROAD_TYPES = ("MAJOR ROUTE", "URBAN ROAD")
LEVELS = ("TRAFFIC GOOD", "TRAFFIC AVERAGE", "TRAFFIC BAD")
T0 = datetime(2024, 3, 1, tzinfo=HKT)

NAIVE = """SELECT key, value, max(observed_at), attrs FROM plain
WHERE source = ? AND observed_at <= ? GROUP BY key"""


def synthetic_day(minutes: int, links: int, seed: int = 0) -> list[list[Observation]]:
    """One document per minute; links report at one of four capture times, as TD's do."""
    rng = random.Random(seed)
    keys = [f"{3000 + i}-{4000 + i}" for i in range(links)]
    meta = [(REGIONS[i % 4], ROAD_TYPES[i % 2]) for i in range(links)]
    docs = []
    for m in range(minutes):
        base = T0 + timedelta(minutes=m)
        stamps = [base - timedelta(seconds=s) for s in (19, 13, 1, 0)]
        docs.append([Observation(SOURCE, key, stamps[i % 4], float(rng.randint(5, 90)), "km/h",
                                 {"region": meta[i][0], "road_type": meta[i][1],
                                  "saturation": rng.choice(LEVELS)})
                     for i, key in enumerate(keys)])
    return docs


def ingest_store(path: Path, docs: list[list[Observation]]) -> None:
    with FeedStore(path) as store:
        for n, doc in enumerate(docs):
            store.add(doc, T0 + timedelta(minutes=n, seconds=30))


def plain_rows(docs: list[list[Observation]]) -> list[list[tuple]]:
    return [[(o.source, o.key, to_ms(o.observed_at), to_ms(o.observed_at) + 30_000, o.value,
              o.unit, json.dumps(o.attrs)) for o in doc] for doc in docs]


def ingest_plain(path: Path, rows: list[list[tuple]], index: bool = False) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE plain (source TEXT, key TEXT, observed_at INTEGER, "
               "fetched_at INTEGER, value REAL, unit TEXT, attrs TEXT)")
    for doc in rows:
        db.execute("BEGIN")
        db.executemany("INSERT INTO plain VALUES (?, ?, ?, ?, ?, ?, ?)", doc)
        db.execute("COMMIT")
    if index:
        db.execute("CREATE INDEX plain_key_time ON plain (source, key, observed_at)")
    return db


def fresh(folder: Path, name: str) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{folder / name}{suffix}").unlink(missing_ok=True)
    return folder / name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, default=1440, help="snapshots (one a minute)")
    parser.add_argument("--links", type=int, default=607)
    parser.add_argument("--runs", type=int, default=31, help="values_at pairs")
    parser.add_argument("--ingest-minutes", type=int, default=120,
                        help="snapshots per paired ingest run")
    parser.add_argument("--ingest-runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hktwin-bench-store-"))
    try:
        docs = synthetic_day(args.minutes, args.links)
        rows = plain_rows(docs)
        n_rows = sum(len(d) for d in docs)

        # Ingest: fresh files each run, the store against a bare executemany, alternately.
        part, part_rows = docs[: args.ingest_minutes], rows[: args.ingest_minutes]
        part_n = sum(len(d) for d in part)
        ingest = paired(lambda: ingest_store(fresh(work, "a.sqlite"), part),
                        lambda: ingest_plain(fresh(work, "b.sqlite"), part_rows).close(),
                        args.ingest_runs)

        # The full day, once each, for the queries (and the whole-day ingest figure).
        t = time.perf_counter()
        ingest_store(work / "day.sqlite", docs)
        day_ingest_s = time.perf_counter() - t
        store = FeedStore(work / "day.sqlite")
        plain = ingest_plain(work / "plain.sqlite", rows)
        indexed = ingest_plain(work / "indexed.sqlite", rows, index=True)
        store_mb = sum(os.path.getsize(p) for p in work.glob("day.sqlite*")) / 1e6
        plain_mb = sum(os.path.getsize(p) for p in work.glob("plain.sqlite*")) / 1e6

        rng = random.Random(1)
        whens = [T0 + timedelta(seconds=rng.uniform(0, args.minutes * 60))
                 for _ in range(args.runs * 3)]
        for when in whens[:3]:  # same answers
            ours = {k: v[0] for k, v in store.values_at(SOURCE, when).items()}
            naive = {r[0]: r[1] for r in plain.execute(NAIVE, (SOURCE, to_ms(when)))}
            assert ours == naive, "values_at disagrees with the naive query"
        times = iter(whens)
        current: list[datetime] = []

        def ours() -> None:
            current[:] = [next(times)]
            store.values_at(SOURCE, current[0])

        def naive_plain() -> None:
            plain.execute(NAIVE, (SOURCE, to_ms(current[0]))).fetchall()

        def naive_indexed() -> None:
            indexed.execute(NAIVE, (SOURCE, to_ms(current[0]))).fetchall()

        q_plain = paired(ours, naive_plain, args.runs)
        q_indexed = paired(ours, naive_indexed, args.runs)
        # values_at alone, many times, for a steadier median.
        solo = []
        for when in whens:
            t = time.perf_counter()
            store.values_at(SOURCE, when)
            solo.append(time.perf_counter() - t)
        store.close()
        plain.close()
        indexed.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    save("feed_store_vs_bare_sqlite", {
        "rows_per_day": n_rows, "links": args.links, "snapshots": args.minutes,
        "store_mb": round(store_mb, 1), "plain_table_mb": round(plain_mb, 1),
        "ingest_day_s": round(day_ingest_s, 2),
        "ingest_day_rows_per_s": round(n_rows / day_ingest_s),
        "ingest_store_rows_per_s": round(part_n / ingest["a_median_s"]),
        "ingest_bare_rows_per_s": round(part_n / ingest["b_median_s"]),
        "ingest_store_over_bare_time": round(ingest["ratio_median"], 2),
        "values_at_median_ms": round(statistics.median(solo) * 1e3, 3),
        "values_at_max_ms": round(max(solo) * 1e3, 3),
        "naive_groupby_median_ms": round(q_plain["b_median_s"] * 1e3, 3),
        "naive_over_values_at": round(1 / q_plain["ratio_median"], 1),
        "naive_indexed_median_ms": round(q_indexed["b_median_s"] * 1e3, 3),
        "naive_indexed_over_values_at": round(1 / q_indexed["ratio_median"], 1),
        "target_values_at_ms": 10,
    })


if __name__ == "__main__":
    main()
