"""`hktwin feeds ...`: record a source into a store, replay a store, parse or import documents.

Kept light: only argparse at import time, so `hktwin --version` does not load httpx or SQLite.
Unusable input (unknown source, missing file, unreadable store, malformed document) raises an
`HKTwinError`, which the main CLI prints as one `hktwin: error: ...` line with exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from hktwin.commands.common import positive
from hktwin.core.errors import DataError, HKTwinError

if TYPE_CHECKING:
    from hktwin.feeds.base import FeedSource, Observation
    from hktwin.feeds.poller import PollResult
    from hktwin.feeds.store import FeedStore, Values

HKT = timezone(timedelta(hours=8))
TABLE_ROWS = 20


class FeedsError(HKTwinError):
    """A feeds command that cannot run as asked."""


def _iso_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO 8601 time such as 2016-10-14T18:00:00+08:00") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=HKT)


#: Replay speeds accepted (as `feeds.replay.MIN_SPEED, MAX_SPEED`; not imported: SQLite).
MIN_SPEED, MAX_SPEED = 1e-6, 1e9


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--speed must be a number, not '{text}'") from None
    if value == float("inf"):
        return value
    if not (MIN_SPEED <= value <= MAX_SPEED):  # NaN fails too
        raise argparse.ArgumentTypeError(f"--speed {text} is outside {MIN_SPEED:g}..{MAX_SPEED:g}"
                                         " (or 'inf' for no waiting)")
    return value


def _builtin_sources() -> list[str]:
    """Built-in source names (plugins' sources are named by `hktwin plugins list`); light: no
    parser module is imported."""
    from hktwin.feeds.sources import SOURCE_NAMES

    return list(SOURCE_NAMES)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `feeds` command and its sub-commands to the main parser's sub-parsers."""
    feeds = subparsers.add_parser("feeds", help="record, replay, parse or import live feeds")
    sub = feeds.add_subparsers(dest="feeds_command", metavar="COMMAND", required=True,
                               parser_class=type(feeds))
    store_help = "feed store file (default: feeds.sqlite in the user data folder)"

    rec = sub.add_parser("record", help="poll a source into a store")
    rec.add_argument("--source", required=True, metavar="SOURCE",
                     help="feed source name: " + ", ".join(_builtin_sources()))
    rec.add_argument("--url", help="address to poll instead of the source's own")
    rec.add_argument("--interval", type=positive(float), help="seconds between polls")
    rec.add_argument("--count", type=positive(int), help="stop after this many polls")
    rec.add_argument("--store", type=Path, help=store_help)
    rec.add_argument("--timeout", type=positive(float), default=30.0,
                     help="total seconds allowed per request (30)")
    rec.add_argument("--retries", type=int, default=2, help="retries on network errors (2)")

    rep = sub.add_parser("replay", help="print a store's snapshots in time order")
    rep.add_argument("--store", type=Path, help=store_help)
    rep.add_argument("--speed", type=_speed, default=60.0,
                     help=f"times faster than recorded ({MIN_SPEED:g}..{MAX_SPEED:g}, default 60;"
                          " 'inf' for no waiting)")
    rep.add_argument("--source", action="append", help="only this source (repeatable)")
    rep.add_argument("--start", type=_iso_time, help="first time (ISO 8601; HKT if no offset)")
    rep.add_argument("--end", type=_iso_time, help="last time (ISO 8601; HKT if no offset)")

    par = sub.add_parser("parse", help="parse a saved document and print its rows",
                         description="Parse a saved document of one published feed and print "
                                     "its rows. Sources: " + ", ".join(_builtin_sources()) + ".")
    par.add_argument("file", type=Path, help="saved document")
    par.add_argument("--source", required=True, metavar="SOURCE",
                     help="feed source name: " + ", ".join(_builtin_sources()))
    par.add_argument("--json", action="store_true", help="print a JSON array of rows")

    imp = sub.add_parser("import-dir", help="load a folder of saved documents into a store")
    imp.add_argument("folder", type=Path, metavar="DIR", help="folder of saved documents")
    imp.add_argument("--source", required=True, metavar="SOURCE",
                     help="feed source name: " + ", ".join(_builtin_sources()))
    imp.add_argument("--store", type=Path, help=store_help)
    imp.add_argument("--pattern", default="*", help="file name pattern (default: every file)")


def run(args: argparse.Namespace) -> int:
    """Execute a parsed `feeds` command line; returns the exit status."""
    command = {"record": _record, "replay": _replay, "parse": _parse,
               "import-dir": _import_dir}[args.feeds_command]
    try:
        return command(args)
    except BrokenPipeError:  # `hktwin feeds parse ... | head`: the reader left, not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


# -- helpers -----------------------------------------------------------------------------------

def _source(name: str) -> FeedSource:
    from hktwin.feeds.sources import get_source

    try:
        return get_source(name)
    except KeyError as exc:
        raise FeedsError(exc.args[0]) from None
    except ImportError as exc:
        raise FeedsError(f"feed source '{name}' is not available: {exc}") from None


def _open_store(path: Path | None, create: bool) -> FeedStore:
    from hktwin.feeds.store import FeedStore, StoreCorrupt, StoreError, default_store_path

    path = path or default_store_path()
    if create and not path.parent.is_dir():
        raise DataError(path, "the folder of the store does not exist",
                        "create it or choose another --store")
    if not create and not path.is_file():
        raise DataError(path, "no feed store here", "record or import into it first")
    try:
        return FeedStore(path, create=create)
    except StoreCorrupt:
        raise
    except StoreError as exc:
        raise DataError(path, exc.problem, "choose another --store") from None


def _read(path: Path, source: FeedSource) -> bytes:
    """The file's bytes, at most the source's response limit (read bounded, whatever `stat`
    says: /dev/zero or a sparse 5 GB file is refused at once)."""
    from hktwin.core.files import read_bounded

    return read_bounded(path, source.max_bytes, f"{source.name} document")


def _quiet_logs() -> None:
    """The commands report failures themselves; keep library warnings off an unconfigured
    terminal so each problem is said once."""
    import logging

    if not logging.getLogger().handlers:
        logging.getLogger("hktwin.feeds").addHandler(logging.NullHandler())


def _mean(values: Values) -> float | None:
    nums = [v[0] for v in values.values() if v[0] is not None]
    return sum(nums) / len(nums) if nums else None


# -- commands ----------------------------------------------------------------------------------

def _parse(args: argparse.Namespace) -> int:
    import json

    from hktwin.feeds.base import FeedFormatError

    source = _source(args.source)
    data = _read(args.file, source)
    _refuse_other_kind(args.file, data, source.name)
    try:
        rows = source.parse(data)
    except FeedFormatError as exc:
        raise DataError(args.file, f"not a valid {source.name} document: {exc.problem}") from None
    if args.json:
        json.dump([o.to_json() for o in rows], sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_table(rows)
    return 0


def _refuse_other_kind(path: Path, data: bytes, name: str) -> None:
    """Refuse a document of another kind, naming what it looks like."""
    from hktwin.feeds.sniff import looks_like

    seen = looks_like(data)
    if seen is None or seen[0] == name:
        return
    other, what = seen
    fix = f"parse it with --source {other}" if other else "give a document of that source"
    raise DataError(path, f"not a {name} document: it looks like {what}", fix, field="--source")


def _print_table(rows: list[Observation]) -> None:
    width = max((len(o.key) for o in rows[:TABLE_ROWS]), default=3)
    print(f"{'key':<{width}}  {'time':<25}  {'value':>10}  unit")
    for o in rows[:TABLE_ROWS]:
        value = "-" if o.value is None else f"{o.value:g}"
        print(f"{o.key:<{width}}  {o.observed_at.isoformat():<25}  {value:>10}  {o.unit}")
    more = f" ({len(rows) - TABLE_ROWS} more not shown; --json prints all)" \
        if len(rows) > TABLE_ROWS else ""
    print(f"{len(rows)} rows{more}")


def _import_dir(args: argparse.Namespace) -> int:
    from hktwin.core.progress import TerminalProgress

    source = _source(args.source)
    folder: Path = args.folder
    if not folder.is_dir():
        raise DataError(folder, "folder not found")
    files = sorted(p for p in folder.glob(args.pattern) if p.is_file()
                   and not p.name.startswith("."))
    if not files:
        raise DataError(folder, f"no files match '{args.pattern}'")
    store = _open_store(args.store, create=True)
    progress = TerminalProgress()
    inserted = duplicates = failed = 0
    try:
        for n, path in enumerate(files):
            progress(n / len(files), f"importing {path.name}")
            try:
                data = _read(path, source)
                _refuse_other_kind(path, data, source.name)
                rows = source.parse(data)
                fetched = datetime.fromtimestamp(path.stat().st_mtime, HKT)
            except Exception as exc:  # a bad file is reported and skipped, never fatal
                failed += 1
                reason = getattr(exc, "problem", None) or f"{type(exc).__name__}: {exc}"
                print(f"hktwin: skipped {path.name}: {reason}", file=sys.stderr)
                continue
            # The store's own failures (a full disk, damaged pages) are not the input's fault:
            # they stop the import and are said once.
            added = store.add(rows, fetched)
            inserted += added
            duplicates += len(rows) - added
        progress(1.0, "done")
    finally:
        store.close()
    print(f"{len(files)} files: {inserted} rows inserted, {duplicates} duplicate, "
          f"{failed} files failed ({store.path})")
    if failed:
        print(f"hktwin: error: {folder}: {failed} of {len(files)} files could not be imported "
              "(each named above)", file=sys.stderr)
        return 2
    return 0


def _replay(args: argparse.Namespace) -> int:
    from hktwin.feeds.replay import replay

    store = _open_store(args.store, create=False)
    try:
        known = store.sources()
        for name in args.source or []:
            if name not in known:
                raise FeedsError(f"the store has no rows of '{name}'; it has: "
                                 + (", ".join(known) or "nothing"))
        units = {name: store.units(name) for name in (args.source or known)}
        steps = 0
        for when, values in replay(store, args.speed, args.source, args.start, args.end):
            for name, rows in values.items():
                mean = _mean(rows)
                unit = units[name][0] if len(units[name]) == 1 else ""
                summary = "no values" if mean is None else f"mean {mean:.1f} {unit}".rstrip()
                print(f"{when.isoformat()}  {name}  {len(rows)} rows  {summary}", flush=True)
            steps += 1
        if steps == 0:
            print("no snapshots in that range", file=sys.stderr)
    finally:
        store.close()
    return 0


def _record(args: argparse.Namespace) -> int:
    from hktwin.feeds.poller import Poller

    source = _source(args.source)
    store = _open_store(args.store, create=True)
    _quiet_logs()

    def report(result: PollResult) -> None:
        now = datetime.now(HKT).isoformat(timespec="seconds")
        if result.not_modified:
            what = "not modified"
        elif result.ok:
            what = f"{result.rows} rows, {result.inserted} new"
        else:
            what = f"failed: {result.error}"
        print(f"{now}  {source.name}  {what}", flush=True)

    poller = Poller(source, store, url=args.url, interval_s=args.interval,
                    timeout_s=args.timeout, retries=max(0, args.retries))
    ok = 0
    try:
        ok = poller.run(args.count, on_result=report)
    except KeyboardInterrupt:
        pass
    finally:
        polls = poller.state.polls
        poller.close()
        store.close()
    print(f"{polls} polls, {ok} successful, into {store.path}")
    return 0 if ok or not polls else 1
