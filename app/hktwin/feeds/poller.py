"""Polling one feed source: fetch on a cadence, parse, store, and say how the source is doing.

Public feeds fail in every way a server can: slow, down, truncated, oversized, malformed. A
poll therefore never raises; it returns a `PollResult`, keeps the last good observations, and
updates a `SourceState` that the GUI shows (live / stale / failing / idle, with the reason).

Bounds on one poll, so one bad response cannot hang or flood the app: connect and read timeouts;
a total time limit per request enforced by a watchdog that shuts the socket (a server dripping a
byte every few seconds never trips a read timeout); the body is counted while it streams and
refused past `source.max_bytes` (decoded bytes, so a gzip bomb is refused too); network errors
and 5xx are retried a bounded number of times with exponential backoff and jitter; conditional
requests (ETag / Last-Modified) make an unchanged document a cheap 304.

Callbacks (`on_state`, `on_rows`) run on the polling thread; the GUI forwards them to its own.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

import httpx

from hktwin.core.errors import HKTwinError
from hktwin.feeds.base import FeedFormatError, FeedSource, Observation
from hktwin.feeds.store import HKT, FeedStore

log = logging.getLogger(__name__)

Status = Literal["live", "stale", "failing", "idle"]
USER_AGENT = "hktwin-feeds/0.1 (+https://github.com/hk-twin)"


@dataclass(frozen=True)
class SourceState:
    """How a source is doing, for the status bar.

    live: the last good document is recent. stale: it is older than `stale_after` (about three
    intervals: one late publication is normal, three are not) though recent polls did not fail
    enough to call it failing. failing: `fail_after` polls in a row failed (each already retried
    inside the poll, so this is an outage or a format change, not a blip), or nothing ever
    succeeded. idle: not polling.
    """

    source: str
    status: Status = "idle"
    last_ok: datetime | None = None      # last poll that got a good document or a 304
    stale_since: datetime | None = None  # when the last good document went stale
    last_error: str | None = None
    consecutive_failures: int = 0
    polls: int = 0
    rows: int = 0                        # rows in the last good document


@dataclass(frozen=True)
class PollResult:
    """What one poll did."""

    ok: bool
    status_code: int | None = None
    not_modified: bool = False
    rows: int = 0          # observations parsed from the document
    inserted: int = 0      # of those, new to the store
    attempts: int = 0
    error: str | None = None


class _Retryable(Exception):
    """A failure worth another attempt: network error or a 5xx."""


class _Refused(Exception):
    """A response the poller will not take (too big, too slow, wrong status); not retried."""


class _Watchdog:
    """Shuts the request's socket when its total time is up (or on stop), from a timer thread.

    The socket is caught from httpx's connection trace; closing it makes the blocked read fail
    at once, whatever the server is doing.
    """

    def __init__(self, limit_s: float) -> None:
        self.fired = False
        self.reason = ""
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(limit_s, self.fire, args=(f"took longer than {limit_s:g} s",))
        self._timer.daemon = True

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            with self._lock:
                self._sock = sock
                if self.fired:
                    self._shut()

    def fire(self, reason: str) -> None:
        with self._lock:
            if not self.fired:
                self.fired, self.reason = True, reason
                self._shut()

    def _shut(self) -> None:
        if self._sock is not None:
            # The plain socket call, also for an SSL socket: wakes the reader, no TLS I/O.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


class Poller:
    """Polls one source into a store (or into memory only when `store` is None).

    `start()` polls on the source's cadence in a daemon thread until `stop()`; `poll_once()`
    and `run(count)` poll in the caller's thread (tests, the recorder).
    """

    def __init__(
        self,
        source: FeedSource,
        store: FeedStore | None,
        url: str | None = None,
        interval_s: float | None = None,
        client: httpx.Client | None = None,
        on_state: Callable[[SourceState], None] | None = None,
        on_rows: Callable[[list[Observation], int], None] | None = None,
        *,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 15.0,
        retries: int = 2,
        backoff_s: float | None = None,
        backoff_max_s: float = 30.0,
        fail_after: int = 3,
        stale_after_intervals: float = 3.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.source = source
        self.store = store
        self.url = url or source.url
        self.interval_s = float(interval_s if interval_s is not None else source.interval_s)
        if self.interval_s <= 0:
            raise ValueError("the polling interval must be positive")
        self.on_state = on_state
        self.on_rows = on_rows
        self.timeout_s = timeout_s
        self._timeout = httpx.Timeout(min(read_timeout_s, timeout_s),
                                      connect=min(connect_timeout_s, timeout_s))
        self.retries = retries
        # Retry sooner when polling often: a tenth of the interval, at most a second, to start.
        self.backoff_s = backoff_s if backoff_s is not None else min(1.0, self.interval_s / 10)
        self.backoff_max_s = backoff_max_s
        self.fail_after = fail_after
        self.stale_after_s = stale_after_intervals * self.interval_s
        self._clock = clock
        self._rng = rng or random.Random()
        self._own_client = client is None
        # Our own client keeps no idle connections: each poll opens one, so the watchdog always
        # has its socket. A poll a minute gains nothing from keep-alive.
        self._client = client or httpx.Client(
            headers={"User-Agent": USER_AGENT}, follow_redirects=True,
            limits=httpx.Limits(max_keepalive_connections=0))
        self.observations: list[Observation] = []  # the last good document's rows
        self._etag: str | None = None
        self._store_problem = ""  # the last store failure logged (each is logged once)
        self._last_modified: str | None = None
        self._state = SourceState(source.name)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._poll_lock = threading.Lock()
        self._watchdog: _Watchdog | None = None
        self._idle = True  # until the first poll, and again after stop()

    # -- state -------------------------------------------------------------------------------

    @property
    def state(self) -> SourceState:
        """The current state, re-judged against the clock (a live source goes stale by itself)."""
        return self._judge(self._state)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), HKT)

    def _judge(self, state: SourceState) -> SourceState:
        if self._idle:
            return replace(state, status="idle", stale_since=None)
        now = self._now()
        stale_at = (None if state.last_ok is None
                    else state.last_ok.timestamp() + self.stale_after_s)
        stale = stale_at is not None and now.timestamp() > stale_at
        if state.consecutive_failures >= self.fail_after or (
                state.last_ok is None and state.consecutive_failures > 0):
            status: Status = "failing"
        elif stale:
            status = "stale"
        else:
            status = "live"
        since = datetime.fromtimestamp(stale_at, HKT) if stale and stale_at is not None else None
        return replace(state, status=status, stale_since=since)

    def _report(self, state: SourceState) -> None:
        self._state = self._judge(state)
        if self.on_state is not None:
            try:
                self.on_state(self._state)
            except Exception:
                log.exception("%s: on_state callback failed", self.source.name)

    # -- polling -----------------------------------------------------------------------------

    def poll_once(self) -> PollResult:
        """Fetch, parse and store once, retrying network errors and 5xx; never raises."""
        with self._poll_lock:
            self._idle = False
            result = self._poll()
        state = self._state
        if result.ok:
            rows = result.rows if not result.not_modified else state.rows
            state = replace(state, last_ok=self._now(), last_error=None, consecutive_failures=0,
                            polls=state.polls + 1, rows=rows)
        else:
            state = replace(state, last_error=result.error, polls=state.polls + 1,
                            consecutive_failures=state.consecutive_failures + 1)
        self._report(state)
        return result

    def _poll(self) -> PollResult:
        name = self.source.name
        attempt = 0
        while True:
            attempt += 1
            try:
                code, body, validators = self._fetch()
                break
            except _Retryable as exc:
                if attempt > self.retries or self._stop.is_set():
                    log.warning("%s: poll failed after %d attempts: %s", name, attempt, exc)
                    return PollResult(False, attempts=attempt, error=str(exc))
                delay = self.backoff_delay(attempt)
                log.info("%s: %s; retrying in %.2f s", name, exc, delay)
                if self._stop.wait(delay):
                    return PollResult(False, attempts=attempt, error=f"{exc} (stopped)")
            except _Refused as exc:
                log.warning("%s: %s", name, exc)
                return PollResult(False, attempts=attempt, error=str(exc))
        if code == 304:
            return PollResult(True, 304, not_modified=True, attempts=attempt)
        try:
            rows = self.source.parse(body)
        except FeedFormatError as exc:
            snippet = exc.snippet or body[:120].decode("utf-8", "replace")
            log.warning("%s: malformed document skipped: %s (near %r)", name, exc.problem,
                        snippet)
            return PollResult(False, code, attempts=attempt, error=f"malformed: {exc.problem}")
        except Exception as exc:  # a parser bug must not stop the poller either
            log.exception("%s: parser failed", name)
            return PollResult(False, code, attempts=attempt,
                              error=f"parser failed: {type(exc).__name__}: {exc}")
        inserted = 0
        if self.store is not None:
            try:
                inserted = self.store.add(rows, self._now())
            except HKTwinError as exc:  # a full disk, a damaged store: said once, no traceback
                if str(exc) != self._store_problem:
                    log.error("%s: could not store %d rows: %s", name, len(rows), exc)
                    self._store_problem = str(exc)
                self.observations = rows  # still show them live
                return PollResult(False, code, rows=len(rows), attempts=attempt,
                                  error=f"could not store: {exc}")
            except Exception as exc:
                log.exception("%s: could not store %d rows", name, len(rows))
                self.observations = rows  # still show them live
                return PollResult(False, code, rows=len(rows), attempts=attempt,
                                  error=f"could not store: {exc}")
        # Remember the validators only now, so a document that failed is fetched again.
        self._etag, self._last_modified = validators
        self.observations = rows
        if self.on_rows is not None:
            try:
                self.on_rows(rows, inserted)
            except Exception:
                log.exception("%s: on_rows callback failed", name)
        return PollResult(True, code, rows=len(rows), inserted=inserted, attempts=attempt)

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (1, 2, ...): doubling up to
        `backoff_max_s`, times a random 0.5-1 so pollers that failed together do not retry in
        step."""
        delay = min(self.backoff_max_s, self.backoff_s * 2 ** (attempt - 1))
        return delay * (0.5 + 0.5 * self._rng.random())

    def _fetch(self) -> tuple[int, bytes, tuple[str | None, str | None]]:
        """One GET within the limits: (status, body, (etag, last-modified))."""
        headers = {}
        if self._etag:
            headers["If-None-Match"] = self._etag
        if self._last_modified:
            headers["If-Modified-Since"] = self._last_modified
        limit = self.source.max_bytes
        with _Watchdog(self.timeout_s) as dog:
            self._watchdog = dog
            try:
                with self._client.stream("GET", self.url, headers=headers, timeout=self._timeout,
                                         follow_redirects=True,
                                         extensions={"trace": dog.trace}) as resp:
                    code = resp.status_code
                    if code == 304:
                        return 304, b"", (self._etag, self._last_modified)
                    if code >= 500:
                        raise _Retryable(f"HTTP {code} {resp.reason_phrase}".strip())
                    if code != 200:
                        raise _Refused(f"HTTP {code} {resp.reason_phrase}".strip())
                    declared = resp.headers.get("Content-Length", "")
                    if declared.isdigit() and int(declared) > limit:
                        raise _Refused(f"response of {int(declared):,} bytes is over the "
                                       f"{limit:,}-byte limit")
                    body = bytearray()
                    deadline = time.monotonic() + self.timeout_s
                    for chunk in resp.iter_bytes():
                        body += chunk
                        if len(body) > limit:
                            raise _Refused(f"response is over the {limit:,}-byte limit")
                        if time.monotonic() > deadline:
                            dog.fire(f"took longer than {self.timeout_s:g} s")
                            raise _Refused(dog.reason)
                    return 200, bytes(body), (resp.headers.get("ETag"),
                                              resp.headers.get("Last-Modified"))
            except httpx.UnsupportedProtocol as exc:
                raise _Refused(f"unsupported URL: {exc}") from None
            except httpx.TransportError as exc:
                if dog.fired:
                    raise _Refused(dog.reason) from None
                raise _Retryable(f"{type(exc).__name__}: {exc}" if str(exc)
                                 else type(exc).__name__) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:  # undecodable body, bad URL...
                raise _Refused(f"{type(exc).__name__}: {exc}") from None
            finally:
                self._watchdog = None

    # -- running -----------------------------------------------------------------------------

    def run(self, count: int | None = None,
            on_result: Callable[[PollResult], None] | None = None) -> int:
        """Poll `count` times (forever when None) on the cadence, in this thread, until stopped.

        Polls start on a fixed grid of `interval_s` from the first (no drift); a poll that
        overruns skips the slots it missed rather than bunching up. Returns successful polls.
        """
        ok = done = 0
        start = time.monotonic()
        while not self._stop.is_set() and (count is None or done < count):
            result = self.poll_once()
            done += 1
            ok += result.ok
            if on_result is not None:
                on_result(result)
            if count is not None and done >= count:
                break
            slots = math.floor((time.monotonic() - start) / self.interval_s) + 1
            next_at = start + slots * self.interval_s
            if self._stop.wait(max(0.0, next_at - time.monotonic())):
                break
        return ok

    def start(self) -> None:
        """Poll in a background thread (the first poll at once)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=f"poll-{self.source.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float | None = None) -> None:
        """Stop polling: a request in flight is cut off at once; the state becomes idle."""
        self._stop.set()
        dog = self._watchdog
        if dog is not None:
            dog.fire("stopped")
        if self._thread is not None:
            self._thread.join(timeout_s if timeout_s is not None else self.timeout_s + 5)
            self._thread = None
        self._idle = True
        self._report(self._state)

    def close(self) -> None:
        """Stop, and close the HTTP client if the poller made it."""
        self.stop()
        if self._own_client:
            self._client.close()

    def __enter__(self) -> Poller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
