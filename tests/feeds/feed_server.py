"""A scripted feed server on 127.0.0.1 for poller tests: documents, then faults on demand.

Each request takes the next step of the script (the last document step repeats once the script
runs out). Document steps honour If-None-Match / If-Modified-Since with a 304. Fault steps:
`delay` (answer after the client has given up), `status` (e.g. 500), `truncated` (declares more
bytes than it sends), `junk`, `bomb` (an entity-expansion XML), `drip` (one byte every 0.2 s),
`oversize` (with or without a declared length). The server records what it served, so a test
can compare "documents the server sent in full" with what reached the store.

Everything is bounded: the accept loop stops after `max_requests` or `lifetime_s`, handler
sleeps are capped, and a client that hangs up ends a drip at once.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<jtis_speedlist>&lol9;</jtis_speedlist>
"""
MAX_SLEEP_S = 3.0


@dataclass(frozen=True)
class Step:
    """One scripted response. kind: doc, delay, status, truncated, junk, bomb, drip, oversize."""

    kind: str
    body: bytes = b""
    status: int = 200
    seconds: float = 0.0      # delay: how long to wait; drip: pause between bytes
    size: int = 0             # oversize: body length
    declare_length: bool = True
    last_modified: datetime | None = None
    send_etag: bool = True

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


def doc(body: bytes, last_modified: datetime | None = None, send_etag: bool = True) -> Step:
    return Step("doc", body, last_modified=last_modified, send_etag=send_etag)


def delay(seconds: float) -> Step:
    return Step("delay", b"<late/>", seconds=seconds)


def status(code: int) -> Step:
    return Step("status", f"error {code}".encode(), status=code)


def truncated(body: bytes) -> Step:
    return Step("truncated", body)


def junk(size: int = 4096) -> Step:
    return Step("junk", os.urandom(size))


def bomb() -> Step:
    return Step("bomb", BOMB)


def drip(body: bytes = b"<jtis_speedlist>" + b" " * 200, seconds: float = 0.2) -> Step:
    return Step("drip", body, seconds=seconds)


def oversize(size: int, declare_length: bool = True) -> Step:
    return Step("oversize", size=size, declare_length=declare_length)


@dataclass
class Served:
    """One request as the server saw it."""

    kind: str
    status: int
    complete: bool            # the whole body was written
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class FeedServer:
    """`with FeedServer([doc(...), status(500), ...]) as server: server.url`."""

    def __init__(self, steps: list[Step] | None = None, *, max_requests: int = 400,
                 lifetime_s: float = 120.0) -> None:
        self.steps: list[Step] = list(steps or [])
        self.served: list[Served] = []
        self.max_requests = max_requests
        self.lifetime_s = lifetime_s
        self._lock = threading.Lock()
        self._next = 0
        self.requests = 0
        self._last_doc: Step | None = None
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.timeout = 0.05
        self._thread = threading.Thread(target=self._serve, name="feed-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/feed.xml"

    def push(self, *steps: Step) -> None:
        with self._lock:
            self.steps.extend(steps)

    def take(self) -> Step:
        with self._lock:
            self.requests += 1
            if self._next < len(self.steps):
                step = self.steps[self._next]
                self._next += 1
                if step.kind == "doc":
                    self._last_doc = step
                return step
            if self._last_doc is None:
                return status(503)
            return self._last_doc

    def record(self, served: Served) -> None:
        with self._lock:
            self.served.append(served)

    def _serve(self) -> None:
        end = time.monotonic() + self.lifetime_s
        while (not self._stop.is_set() and self.requests < self.max_requests
               and time.monotonic() < end):
            self._httpd.handle_request()  # returns after `timeout` when idle

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._httpd.server_close()

    # -- what was served ---------------------------------------------------------------------

    def complete_docs(self) -> list[bytes]:
        """Bodies of documents sent in full with a 200."""
        return [s.body for s in self.served if s.kind == "doc" and s.status == 200 and s.complete]

    def count(self, kind: str, status_code: int | None = None) -> int:
        return sum(1 for s in self.served
                   if s.kind == kind and (status_code is None or s.status == status_code))


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            step = server.take()
            headers = {k: v for k, v in self.headers.items()}
            try:
                getattr(self, "_" + step.kind)(step, headers)
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
                server.record(Served(step.kind, step.status, False, headers=headers))
                self.close_connection = True

        def _send(self, code: int, body: bytes, extra: dict[str, str] | None = None,
                  length: int | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body) if length is None else length))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def _doc(self, step: Step, headers: dict[str, str]) -> None:
            lm = step.last_modified or datetime(2016, 10, 14, 10, 0, tzinfo=UTC)
            validators = {"Last-Modified": format_datetime(lm, usegmt=True)}
            if step.send_etag:
                validators["ETag"] = step.etag
            inm = self.headers.get("If-None-Match") if step.send_etag else None
            ims = self.headers.get("If-Modified-Since")
            fresh = False
            if inm is not None:
                fresh = step.etag in [t.strip() for t in inm.split(",")]
            elif ims is not None:
                try:
                    fresh = lm.replace(microsecond=0) <= parsedate_to_datetime(ims)
                except (TypeError, ValueError):
                    fresh = False
            if fresh:
                self.send_response(304)
                for k, v in validators.items():
                    self.send_header(k, v)
                self.end_headers()
                server.record(Served("doc", 304, True, headers=headers))
                return
            self._send(200, step.body, validators)
            server.record(Served("doc", 200, True, step.body, headers))

        def _delay(self, step: Step, headers: dict[str, str]) -> None:
            time.sleep(min(step.seconds, MAX_SLEEP_S))
            self._send(200, step.body)
            server.record(Served("delay", 200, True, step.body, headers))

        def _status(self, step: Step, headers: dict[str, str]) -> None:
            self._send(step.status, step.body)
            server.record(Served("status", step.status, True, step.body, headers))

        def _truncated(self, step: Step, headers: dict[str, str]) -> None:
            self._send(200, step.body[: len(step.body) // 2], length=len(step.body))
            self.close_connection = True
            server.record(Served("truncated", 200, False, headers=headers))

        def _junk(self, step: Step, headers: dict[str, str]) -> None:
            self._send(200, step.body)
            server.record(Served("junk", 200, True, step.body, headers))

        def _bomb(self, step: Step, headers: dict[str, str]) -> None:
            self._send(200, step.body)
            server.record(Served("bomb", 200, True, step.body, headers))

        def _drip(self, step: Step, headers: dict[str, str]) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(step.body)))
            self.end_headers()
            self.wfile.flush()
            end = time.monotonic() + MAX_SLEEP_S * 2
            for i in range(len(step.body)):
                if time.monotonic() > end:
                    break
                self.wfile.write(step.body[i:i + 1])
                self.wfile.flush()
                time.sleep(step.seconds)
            self.close_connection = True
            server.record(Served("drip", 200, False, headers=headers))

        def _oversize(self, step: Step, headers: dict[str, str]) -> None:
            self.send_response(200)
            if step.declare_length:
                self.send_header("Content-Length", str(step.size))
            else:
                self.send_header("Connection", "close")  # body ends when the socket closes
            self.end_headers()
            self.close_connection = True
            chunk = b"<x>" + b"y" * 65_530 + b"</x>"
            sent = 0
            while sent < step.size:
                part = chunk[: step.size - sent]
                self.wfile.write(part)
                sent += len(part)
            server.record(Served("oversize", 200, True, headers=headers))

    return Handler


# -- documents ---------------------------------------------------------------------------------

def real_speedmap_files(real: Path) -> list[Path]:
    """The 14 archived Traffic Speed Map snapshots, in time order."""
    return sorted((real / "td").glob("*-speedmap.xml"))


_ITEM = re.compile(rb"<LINK_ID>([^<]*)</LINK_ID>.*?<TRAFFIC_SPEED>([^<]*)</TRAFFIC_SPEED>"
                   rb".*?<CAPTURE_DATE>([^<]*)</CAPTURE_DATE>", re.S)


def speedmap_by_regex(body: bytes) -> dict[str, tuple[float, str]]:
    """{link: (speed, capture date)} read with a regex: an independent check of the parser."""
    return {m[1].decode(): (float(m[2]), m[3].decode()) for m in _ITEM.finditer(body)}


_CAPTURE = re.compile(rb"<CAPTURE_DATE>([^<]+)</CAPTURE_DATE>")


def shift_capture_dates(body: bytes, delta: timedelta) -> bytes:
    """A Traffic Speed Map document with every CAPTURE_DATE moved by `delta`."""
    def move(m: re.Match[bytes]) -> bytes:
        when = datetime.fromisoformat(m.group(1).decode()) + delta
        return b"<CAPTURE_DATE>" + when.isoformat().encode() + b"</CAPTURE_DATE>"

    return _CAPTURE.sub(move, body)


def speedmap_xml(when: datetime, links: int = 607, base_speed: int = 30) -> bytes:
    """A synthetic document in the Traffic Speed Map format (for tests without real data)."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
    items = "".join(
        f"<jtis_speedmap><LINK_ID>{1000 + i}-{2000 + i}</LINK_ID><REGION>K</REGION>"
        f"<ROAD_TYPE>URBAN ROAD</ROAD_TYPE><ROAD_SATURATION_LEVEL>TRAFFIC GOOD"
        f"</ROAD_SATURATION_LEVEL><TRAFFIC_SPEED>{base_speed + i % 40}</TRAFFIC_SPEED>"
        f"<CAPTURE_DATE>{stamp}</CAPTURE_DATE></jtis_speedmap>" for i in range(links))
    return (f'<?xml version="1.0" encoding="UTF-8"?><jtis_speedlist>{items}'
            f"</jtis_speedlist>").encode()
