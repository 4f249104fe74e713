"""The poller against a local scripted server: every fault survived, reported and recovered from."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta

import httpx
import pytest
from feed_server import (
    FeedServer,
    bomb,
    delay,
    doc,
    drip,
    junk,
    oversize,
    real_speedmap_files,
    speedmap_xml,
    status,
    truncated,
)

from hktwin.feeds.base import FeedSource
from hktwin.feeds.poller import Poller, SourceState
from hktwin.feeds.sources import get_source
from hktwin.feeds.store import HKT, FeedStore

T0 = datetime(2024, 3, 1, 8, 0)
SOURCE = replace(get_source("td-speedmap"), max_bytes=300_000)
DOCS = [speedmap_xml(T0 + timedelta(minutes=2 * i), base_speed=20 + i) for i in range(6)]
LINKS = 607


@pytest.fixture
def store(tmp_path):
    with FeedStore(tmp_path / "feeds.sqlite") as s:
        yield s


def poller(server: FeedServer, store: FeedStore | None, **kw) -> Poller:
    options = {"interval_s": 0.1, "timeout_s": 0.8, "read_timeout_s": 0.3,
               "connect_timeout_s": 0.5, "retries": 0, "backoff_s": 0.01,
               "rng": random.Random(1), **kw}
    return Poller(kw.pop("source", SOURCE), store, url=server.url,
                  **{k: v for k, v in options.items() if k != "source"})


FAULTS = {
    "delay": (delay(1.5), "ReadTimeout"),
    "http-500": (status(500), "HTTP 500"),
    "http-404": (status(404), "HTTP 404"),
    "truncated": (truncated(DOCS[5]), "RemoteProtocolError"),
    "junk": (junk(), "malformed"),
    "xml-bomb": (bomb(), "DTD"),
    "drip": (drip(), "took longer than 0.8 s"),
    "oversize": (oversize(400_000), "over the 300,000-byte limit"),
    "oversize-streamed": (oversize(400_000, declare_length=False), "over the 300,000-byte"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_the_poller_survives_each_fault_and_recovers(fault, store):
    step, reason = FAULTS[fault]
    states: list[SourceState] = []
    with FeedServer([doc(DOCS[0]), step, doc(DOCS[1])]) as server, \
            poller(server, store, fail_after=1, on_state=states.append) as p:
        assert p.poll_once().ok
        assert p.state.status == "live"

        started = time.monotonic()
        result = p.poll_once()
        assert time.monotonic() - started < 1.5  # bounded, whatever the server does
        assert not result.ok and reason in result.error
        assert p.state.status == "failing" and reason in p.state.last_error
        assert p.state.consecutive_failures == 1
        assert len(p.observations) == LINKS  # the last good document is kept
        assert store.integrity_check() == "ok" and store.row_count() == LINKS  # no partial batch

        assert p.poll_once().ok
        assert p.state.status == "live" and p.state.last_error is None
        assert store.row_count() == 2 * LINKS and len(store.times("td-speedmap")) == 2
    assert [s.status for s in states] == ["live", "failing", "live", "idle"]


def test_conditional_requests_turn_an_unchanged_document_into_a_304(store):
    with FeedServer([doc(DOCS[0])]) as server, poller(server, store) as p:
        first, second, third = p.poll_once(), p.poll_once(), p.poll_once()
        assert p.state.status == "live" and p.state.rows == LINKS
    assert (first.status_code, second.status_code, third.status_code) == (200, 304, 304)
    assert second.ok and second.not_modified and second.inserted == 0
    assert server.count("doc", 304) == 2
    assert server.served[1].headers["If-None-Match"] == server.steps[0].etag
    assert "If-Modified-Since" in server.served[1].headers
    assert store.row_count() == LINKS


def test_last_modified_alone_is_enough_for_a_304(store):
    with FeedServer([doc(DOCS[0], send_etag=False)]) as server, poller(server, store) as p:
        assert p.poll_once().status_code == 200
        assert p.poll_once().status_code == 304
    assert "If-None-Match" not in server.served[1].headers
    assert server.served[1].headers["If-Modified-Since"].endswith("GMT")


def test_network_errors_and_5xx_are_retried_with_backoff(store):
    with FeedServer([status(503), truncated(DOCS[0]), doc(DOCS[0])]) as server, \
            poller(server, store, retries=2) as p:
        result = p.poll_once()
    assert result.ok and result.attempts == 3 and server.requests == 3
    assert store.row_count() == LINKS


def test_retries_are_bounded(store):
    with FeedServer([status(500), status(502), status(500), doc(DOCS[0])]) as server, \
            poller(server, store, retries=1) as p:
        failed = p.poll_once()
        assert not failed.ok and failed.attempts == 2 and "HTTP 502" in failed.error
        assert p.poll_once().ok  # 500, then the document on the retry
    assert server.requests == 4


def test_backoff_doubles_up_to_a_cap_with_jitter():
    p = Poller(SOURCE, None, backoff_s=1.0, backoff_max_s=5.0, rng=random.Random(7))
    try:
        for attempt, cap in [(1, 1), (2, 2), (3, 4), (4, 5), (9, 5)]:
            delays = [p.backoff_delay(attempt) for _ in range(50)]
            assert all(cap * 0.5 <= d <= cap for d in delays)
            assert max(delays) - min(delays) > 0.1 * cap  # jittered, not in step
    finally:
        p.close()


def test_format_errors_are_not_retried(store):
    with FeedServer([junk(), doc(DOCS[0])]) as server, poller(server, store, retries=3) as p:
        result = p.poll_once()
    assert not result.ok and result.attempts == 1 and server.requests == 1


class FlakyStore:
    """A store whose first add fails, as on a full disk."""

    def __init__(self, store: FeedStore) -> None:
        self.store, self.failed = store, False

    def add(self, rows, fetched_at=None):
        if not self.failed:
            self.failed = True
            raise sqlite3.OperationalError("database or disk is full")
        return self.store.add(rows, fetched_at)


def test_a_document_that_could_not_be_stored_is_fetched_again(store):
    with FeedServer([doc(DOCS[0])]) as server, poller(server, FlakyStore(store)) as p:
        failed = p.poll_once()
        assert not failed.ok and "could not store" in failed.error
        assert len(p.observations) == LINKS  # still shown live
        again = p.poll_once()
    assert again.status_code == 200 and again.inserted == LINKS  # no stale validator, no 304
    assert "If-None-Match" not in server.served[1].headers


def test_a_parser_bug_is_a_failed_poll_not_a_dead_poller(store):
    calls = []

    def parse(data: bytes):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        return SOURCE.parse(data)

    source = FeedSource("buggy", "http://unused", 0.1, parse)
    with FeedServer([doc(DOCS[0]), doc(DOCS[1])]) as server, \
            poller(server, store, source=source) as p:
        failed = p.poll_once()
        assert "parser failed: RuntimeError: boom" in failed.error
        assert p.poll_once().ok


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_state_goes_stale_then_failing_and_back_to_live(store):
    clock = Clock()
    script = [doc(DOCS[0]), status(500), status(500), status(500), doc(DOCS[1])]
    with FeedServer(script) as server, \
            poller(server, store, interval_s=60, clock=clock, fail_after=3) as p:
        assert p.state.status == "idle" and p.state.last_ok is None
        p.poll_once()
        assert p.state.status == "live"
        assert p.state.last_ok == datetime.fromtimestamp(clock.now, HKT)
        ok_at = clock.now
        clock.now += 181  # past three intervals without a good poll
        assert p.state.status == "stale"
        assert p.state.stale_since == datetime.fromtimestamp(ok_at + 180, HKT)
        p.poll_once()
        assert p.state.status == "stale" and p.state.consecutive_failures == 1
        assert p.state.last_error == "HTTP 500 Internal Server Error"
        p.poll_once(), p.poll_once()
        assert p.state.status == "failing" and p.state.consecutive_failures == 3
        p.poll_once()
        assert p.state.status == "live" and p.state.stale_since is None
        assert p.state.polls == 5
        p.stop()
        assert p.state.status == "idle"


def test_a_source_that_never_answered_is_failing_at_once(store):
    with FeedServer([status(500)]) as server, poller(server, store) as p:
        p.poll_once()
        assert p.state.status == "failing" and p.state.last_ok is None


def test_on_rows_gets_each_good_document(store):
    got = []
    with FeedServer([doc(DOCS[0]), doc(DOCS[0]), doc(DOCS[1])]) as server, \
            poller(server, store, on_rows=lambda rows, new: got.append((len(rows), new))) as p:
        for _ in range(3):
            p.poll_once()
    assert got == [(LINKS, LINKS), (LINKS, LINKS)]  # the 304 brings nothing new


def test_without_a_store_the_poller_keeps_the_last_document(tmp_path):
    with FeedServer([doc(DOCS[2])]) as server, poller(server, None) as p:
        assert p.poll_once().ok
        assert len(p.observations) == LINKS and p.observations[0].value == 22


def test_an_injected_client_is_used_and_left_open(store):
    client = httpx.Client()
    with FeedServer([doc(DOCS[0])]) as server:
        with poller(server, store, client=client) as p:
            assert p.poll_once().ok
        assert not client.is_closed
    client.close()


def test_the_background_thread_polls_on_its_cadence_and_stops(store):
    states = []
    with FeedServer([doc(d) for d in DOCS[:4]]) as server, \
            poller(server, store, interval_s=0.05, on_state=states.append) as p:
        p.start()
        deadline = time.monotonic() + 10
        while (len(store.times("td-speedmap")) < 4 or server.count("doc", 304) < 2) \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        assert p.state.status == "live"
        p.stop()
    assert len(store.times("td-speedmap")) == 4 and store.integrity_check() == "ok"
    assert states[-1].status == "idle"
    assert server.count("doc", 304) >= 2  # after the script, the last document is unchanged


def test_stop_cuts_off_a_request_in_flight(store):
    with FeedServer([drip(seconds=0.2)]) as server, \
            poller(server, store, timeout_s=20, read_timeout_s=5) as p:
        p.start()
        deadline = time.monotonic() + 5
        while server.requests == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        started = time.monotonic()
        p.stop()
        assert time.monotonic() - started < 1.0
        assert p.state.status == "idle"


def test_the_real_samples_in_order_become_one_snapshot_each(real_data, store):
    bodies = [path.read_bytes() for path in real_speedmap_files(real_data)]
    with FeedServer([doc(b) for b in bodies]) as server, \
            poller(server, store, timeout_s=5, read_timeout_s=5) as p:
        results = [p.poll_once() for _ in bodies]
    assert all(r.ok for r in results)
    parse = get_source("td-speedmap").parse
    expected = sorted({max(o.observed_at for o in parse(b)) for b in bodies})
    assert store.times("td-speedmap") == expected
    # Two archived snapshots repeat their predecessor byte for byte: the server answers 304.
    assert sum(r.not_modified for r in results) == len(bodies) - len(set(bodies))
    assert store.row_count() == LINKS * len(expected)


def test_polls_in_two_threads_do_not_interleave(store):
    with FeedServer([doc(d) for d in DOCS]) as server, poller(server, store) as p:
        threads = [threading.Thread(target=p.poll_once) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert p.state.polls == 4 and store.row_count() == 4 * LINKS
