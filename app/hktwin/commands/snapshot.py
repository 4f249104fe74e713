"""`hktwin snapshot`: render the city to a PNG with no window (EGL surfaceless)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hktwin.commands.common import UsageError, check_pack, size_arg
from hktwin.model.camera import HOME_VIEW, VIEW_NAMES


def register(sub) -> None:
    snap = sub.add_parser("snapshot", help="render the city to a PNG with no window")
    snap.add_argument("--out", type=Path, required=True, help="PNG file to write")
    snap.add_argument("--size", type=size_arg, default=(1280, 800), help="WIDTHxHEIGHT (1280x800)")
    snap.add_argument("--view", choices=VIEW_NAMES, default=HOME_VIEW, help="named view")
    snap.add_argument("--pack", type=Path, help="data pack folder (default: the demo city)")


def run(args: argparse.Namespace) -> int:
    from hktwin.core.progress import TerminalProgress
    from hktwin.render.snapshot import render_city, write_png

    out: Path = args.out
    if out.suffix.lower() != ".png":
        raise UsageError(f"--out must name a .png file, not '{out}'")
    if not out.parent.exists():
        raise UsageError(f"the folder of --out does not exist: {out.parent}")
    check_pack(args.pack)
    shot = render_city(args.pack, args.view, args.size, progress=TerminalProgress())
    write_png(out, shot.image)
    print(f"wrote {out} ({args.size[0]}x{args.size[1]}, view {args.view})")
    return 0
