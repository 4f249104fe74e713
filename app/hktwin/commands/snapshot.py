"""`hktwin snapshot`: render the city to a PNG with no window (EGL surfaceless)."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hktwin.commands.common import UsageError, check_pack, size_arg
from hktwin.model.camera import HOME_VIEW, VIEW_NAMES


def time_arg(text: str) -> datetime:
    """An ISO 8601 time; without an offset it is Hong Kong Time."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an ISO 8601 time such as "
                                         "2026-06-21T16:00") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone(timedelta(hours=8)))


def register(sub) -> None:
    snap = sub.add_parser("snapshot", help="render the city to a PNG with no window")
    snap.add_argument("--out", type=Path, required=True, help="PNG file to write")
    snap.add_argument("--size", type=size_arg, default=(1280, 800), help="WIDTHxHEIGHT (1280x800)")
    snap.add_argument("--view", choices=VIEW_NAMES, default=HOME_VIEW, help="named view")
    snap.add_argument("--pack", type=Path, help="data pack folder (default: the demo city)")
    snap.add_argument("--show", action="append", default=[], metavar="LAYER",
                      help="turn this layer on (repeatable), e.g. a plugin's 'Sun and shadow'")
    snap.add_argument("--hide", action="append", default=[], metavar="LAYER",
                      help="turn this layer off (repeatable)")
    snap.add_argument("--time", type=time_arg, help="the clock's time, ISO 8601 "
                      "(2026-06-21T16:00; Hong Kong Time unless an offset is given)")


def run(args: argparse.Namespace) -> int:
    from hktwin.core.progress import TerminalProgress
    from hktwin.render.snapshot import render_city, write_png

    out: Path = args.out
    if out.suffix.lower() != ".png":
        raise UsageError(f"--out must name a .png file, not '{out}'")
    if not out.parent.exists():
        raise UsageError(f"the folder of --out does not exist: {out.parent}")
    check_pack(args.pack)
    shot = render_city(args.pack, args.view, args.size, progress=TerminalProgress(),
                       show=args.show, hide=args.hide, when=args.time)
    write_png(out, shot.image)
    print(f"wrote {out} ({args.size[0]}x{args.size[1]}, view {args.view})")
    return 0
