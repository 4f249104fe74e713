"""The feed store: no duplicates, the latest value per key at any time, retention, durability."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from feed_server import real_speedmap_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hktwin.feeds.base import Observation
from hktwin.feeds.sources import get_source
from hktwin.feeds.store import _VALUES_AT, HKT, FeedStore, StoreError, default_store_path

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=HKT)
APP = Path(__file__).resolve().parents[2] / "app"


def obs(key: str, minute: float, value: float | None, source: str = "test", unit: str = "km/h",
        **attrs) -> Observation:
    return Observation(source, key, T0 + timedelta(minutes=minute), value, unit, attrs)


@pytest.fixture
def store(tmp_path):
    with FeedStore(tmp_path / "feeds.sqlite") as s:
        yield s


def test_the_store_is_wal_and_created_with_its_schema(store):
    db = store._db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store.integrity_check() == "ok"
    assert store.sources() == [] and store.times("test") == []
    assert store.time_range("test") is None and store.values_at("test", T0) == {}


def test_values_at_gives_each_keys_latest_row_at_or_before_the_time(store):
    store.add([obs("a", 0, 10, region="K"), obs("b", 0, 20)])
    store.add([obs("a", 2, 11, region="HK"), obs("c", 2, None)])
    store.add([obs("a", 4, 12), obs("b", 4, 22)])

    assert store.values_at("test", T0 - timedelta(seconds=1)) == {}
    at1 = store.values_at("test", T0 + timedelta(minutes=1))
    assert at1 == {"a": (10, T0, {"region": "K"}), "b": (20, T0, {})}
    at3 = store.values_at("test", T0 + timedelta(minutes=3))
    assert {k: v[0] for k, v in at3.items()} == {"a": 11, "b": 20, "c": None}
    assert at3["a"][2] == {"region": "HK"} and at3["a"][1] == T0 + timedelta(minutes=2)
    # Exactly at a row's time counts; max_age drops keys not seen recently.
    at4 = store.values_at("test", T0 + timedelta(minutes=4), max_age=timedelta(minutes=1))
    assert {k: v[0] for k, v in at4.items()} == {"a": 12, "b": 22}
    # Times come back aware, in Hong Kong time, equal to what went in whatever its offset.
    utc = store.values_at("test", (T0 + timedelta(minutes=4)).astimezone(UTC))
    assert utc["a"][1].utcoffset() == timedelta(hours=8)
    assert utc["a"][1] == T0 + timedelta(minutes=4)


def test_returned_attrs_are_copies(store):
    store.add([obs("a", 0, 1, region="K")])
    store.values_at("test", T0)["a"][2]["region"] = "changed"
    assert store.values_at("test", T0)["a"][2] == {"region": "K"}


def test_the_same_rows_are_not_stored_twice(store):
    batch = [obs(f"k{i}", 0, i) for i in range(50)]
    assert store.add(batch) == 50
    assert store.add(batch) == 0
    assert store.add([*batch, obs("k0", 1, 99)]) == 1
    assert store.row_count() == 51 == store._db.execute(
        "SELECT count(*) FROM observations").fetchone()[0]
    assert store.times("test") == [T0, T0 + timedelta(minutes=1)]


def test_a_document_of_several_sources_counts_each(store):
    assert store.add([obs("a", 0, 1, source="s1"), obs("a", 0, 2, source="s2"),
                      obs("b", 1, 3, source="s2")]) == 3
    assert store.sources() == ["s1", "s2"]
    assert store.row_count("s2") == 2 and store.row_count("s1") == 1
    assert store.times("s1") == [T0] and store.times("s2") == [T0 + timedelta(minutes=1)]
    assert store.values_at("s1", T0 + timedelta(hours=1)) == {"a": (1, T0, {})}


def test_history_times_and_range(store):
    for m in range(5):
        store.add([obs("a", m, m, unit="degC"), obs("b", m + 0.5, -m)])
    hist = store.history("test", "a", T0 + timedelta(minutes=1), T0 + timedelta(minutes=3))
    assert [(o.value, o.unit, o.source, o.key) for o in hist] == [
        (1, "degC", "test", "a"), (2, "degC", "test", "a"), (3, "degC", "test", "a")]
    assert [o.value for o in store.history("test", "b")] == [0, -1, -2, -3, -4]
    # A snapshot's time is its newest observation; observation_times lists every row time.
    assert store.times("test") == [T0 + timedelta(minutes=m + 0.5) for m in range(5)]
    assert len(store.observation_times("test")) == 10
    assert store.time_range("test") == (T0, T0 + timedelta(minutes=4.5))
    assert store.units("test") == ["degC", "km/h"]


def test_the_query_is_index_seeks_per_key_not_a_scan(store):
    store.add([obs("a", 0, 1)])
    plan = " | ".join(r[3] for r in store._db.execute(
        "EXPLAIN QUERY PLAN " + _VALUES_AT, {"source": "test", "when": 0, "oldest": 0}))
    assert "SCAN" not in plan, plan
    assert plan.count("SEARCH") == 3, plan


def test_prune_by_age_is_relative_to_each_sources_newest_row(store):
    for day in range(10):
        store.add([obs("a", day * 1440, day), obs("x", day * 1440, day, source="other")])
    store.add([obs("a", 20 * 1440, 20)])  # "test" runs ten days further than "other"
    deleted = store.prune(keep_days=3)
    assert deleted == 10 + 6
    assert [o.value for o in store.history("test", "a")] == [20]
    assert [o.value for o in store.history("other", "x")] == [6, 7, 8, 9]
    assert store.row_count() == 5 and store.integrity_check() == "ok"
    assert store.times("other")[0] == T0 + timedelta(days=6)


def test_prune_by_rows_drops_the_oldest_snapshots_first(store):
    for m in range(10):
        store.add([obs(f"k{i}", m, m) for i in range(10)])
    assert store.prune(max_rows=35) == 70
    assert store.row_count() == 30
    assert store.times("test") == [T0 + timedelta(minutes=m) for m in (7, 8, 9)]
    assert store.values_at("test", T0 + timedelta(minutes=6)) == {}


def test_the_retention_setting_is_applied_after_each_add(tmp_path):
    with FeedStore(tmp_path / "r.sqlite", max_rows=25, keep_days=1) as store:
        for m in range(10):
            store.add([obs(f"k{i}", m, m) for i in range(10)])
            assert store.row_count() <= 25
        assert store.times("test")[-1] == T0 + timedelta(minutes=9)
        store.add([obs("k0", 3 * 1440, 1)])
        assert store.row_count() == 1


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    bad = tmp_path / "junk.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not a usable feed store"):
        FeedStore(bad)
    with pytest.raises(StoreError, match="no feed store"):
        FeedStore(tmp_path / "missing.sqlite", create=False)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="no feed tables"):
        FeedStore(other, create=False)
    assert sqlite3.connect(other).execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    with pytest.raises(StoreError, match=r"cannot open|not a usable"):
        FeedStore(tmp_path / "no" / "such" / "dir" / "x.sqlite")


def test_a_store_from_a_newer_app_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    FeedStore(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(StoreError, match="newer"):
        FeedStore(path)


def test_naive_times_are_refused(store):
    with pytest.raises(ValueError, match="timezone"):
        store.add([Observation("test", "a", datetime(2024, 1, 1), 1.0)])
    assert store.row_count() == 0
    store.add([obs("a", 0, 1)])  # and the store still works after the rollback
    assert store.row_count() == 1


def test_default_location_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HKTWIN_DATA_DIR", str(tmp_path / "data"))
    assert default_store_path() == tmp_path / "data" / "feeds.sqlite"
    assert (tmp_path / "data").is_dir()


def test_a_second_connection_reads_while_one_writes(tmp_path):
    path = tmp_path / "shared.sqlite"
    with FeedStore(path) as writer, FeedStore(path) as reader:
        writer.add([obs("a", 0, 1)])
        assert reader.values_at("test", T0)["a"][0] == 1
        writer.add([obs("a", 1, 2), obs("b", 1, 3)])
        assert {k: v[0] for k, v in reader.values_at("test", T0 + timedelta(hours=1)).items()} \
            == {"a": 2, "b": 3}


keys = st.sampled_from(["a", "b", "c", "d"])
rows = st.lists(st.tuples(keys, st.integers(0, 60), st.one_of(st.none(), st.integers(0, 99))),
                max_size=40)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(rows, max_size=4), when=st.integers(-1, 61),
       max_age=st.one_of(st.none(), st.integers(0, 30)))
def test_values_at_agrees_with_a_brute_force_reference(tmp_path_factory, batches, when, max_age):
    path = tmp_path_factory.mktemp("prop") / "p.sqlite"
    kept: dict[tuple[str, int], float | None] = {}
    with FeedStore(path) as store:
        for batch in batches:
            store.add([obs(k, m, v) for k, m, v in batch])
            for k, m, v in batch:
                kept.setdefault((k, m), v)  # the first stored row wins, like INSERT OR IGNORE
        got = store.values_at("test", T0 + timedelta(minutes=when),
                              None if max_age is None else timedelta(minutes=max_age))
    expect = {}
    for (k, m), v in sorted(kept.items(), key=lambda kv: kv[0][1]):
        if m <= when and (max_age is None or m >= when - max_age):
            expect[k] = (v, T0 + timedelta(minutes=m), {})
    assert got == expect


def test_the_real_snapshots_round_trip(real_data, store):
    parse = get_source("td-speedmap").parse
    docs = [parse(p.read_bytes()) for p in real_speedmap_files(real_data)]
    for rows in docs:
        store.add(rows)
    for rows in docs:
        newest = max(o.observed_at for o in rows)
        got = store.values_at("td-speedmap", newest)
        assert {k: v[0] for k, v in got.items()} == {o.key: o.value for o in rows}
        assert got[rows[0].key][2] == rows[0].attrs
    assert store.integrity_check() == "ok"


# -- a kill in the middle of writing loses nothing committed -----------------------------------

CHILD = textwrap.dedent("""
    import sys, time
    from datetime import datetime, timedelta, timezone
    from hktwin.feeds.base import Observation
    from hktwin.feeds.store import FeedStore
    store = FeedStore(sys.argv[1])
    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    first, end = int(sys.argv[2]), time.monotonic() + 30
    for i in range(first, first + 5000):  # bounded; the parent kills it long before
        if time.monotonic() > end:
            break
        store.add([Observation("crash", f"k{j}", t0 + timedelta(seconds=i), float(i), "",
                               {"batch": i}) for j in range(1500)])
        print(i, flush=True)
""")
BATCH = 1500


def _committed_batches(path: Path) -> dict[int, int]:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return dict(db.execute("SELECT CAST(value AS INTEGER), count(*) FROM observation_rows "
                               "GROUP BY 1").fetchall())
    finally:
        db.close()


def test_sigkill_while_writing_loses_no_committed_batch(tmp_path):
    path = tmp_path / "crash.sqlite"
    env = {**os.environ, "PYTHONPATH": str(APP)}
    confirmed: set[int] = set()
    first = 0
    for attempt in range(3):  # kill, reopen, write on, kill again
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(first)],
                                 stdout=subprocess.PIPE, text=True, env=env)
        try:
            assert child.stdout is not None
            for seen, line in enumerate(child.stdout, 1):
                confirmed.add(int(line))
                if seen >= 8 + 3 * attempt:
                    time.sleep(0.003 * attempt)  # land at different points of a write
                    break
            child.send_signal(signal.SIGKILL)
            rest, _ = child.communicate(timeout=10)
            confirmed.update(int(x) for x in rest.split())
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(5)
        assert child.returncode == -signal.SIGKILL
        batches = _committed_batches(path)
        assert confirmed <= batches.keys(), "a batch reported committed is missing"
        assert set(batches.values()) == {BATCH}, "a partial batch was stored"
        assert len(batches.keys() - confirmed) <= 1  # at most the one being confirmed
        first = max(batches) + 1
    with FeedStore(path) as store:  # and the store opens and works normally afterwards
        assert store.row_count("crash") == BATCH * len(_committed_batches(path))
        assert store.add([Observation("crash", "k0", datetime(2030, 1, 1, tzinfo=UTC), 1.0)]) == 1


def test_columns_read_a_whole_source_as_arrays_like_history_does(store):
    """`columns` (the AI room's bulk read) gives the same rows as `history` per key, in range."""
    import numpy as np

    store.add([obs("a", 0, 50.0), obs("b", 0, None), obs("a", 5, 42.5), obs("b", 5, 61.0),
               obs("c", 0, 9.0, source="other")])
    keys, ms, values = store.columns("test", T0, T0 + timedelta(minutes=5))
    got = sorted(zip(keys.tolist(), ms.tolist(), values.tolist(), strict=True))
    want = sorted((o.key, int(o.observed_at.timestamp() * 1000), np.nan if o.value is None
                   else o.value) for k in ("a", "b") for o in store.history("test", k))
    assert [g[:2] for g in got] == [w[:2] for w in want]
    np.testing.assert_array_equal([g[2] for g in got], [w[2] for w in want])
    keys, _, _ = store.columns("test", T0 + timedelta(minutes=1))
    assert sorted(keys.tolist()) == ["a", "b"]  # only the rows at minute 5
    assert len(store.columns("nothing")[0]) == 0
