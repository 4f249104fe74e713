"""The `hktwin` command: the GUI by default, headless subcommands beside it.

Usage errors and unusable input print one line naming the problem and exit with status 2; no
traceback reaches the user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hktwin import __version__
from hktwin.analysis import cli as analysis_cli
from hktwin.core.errors import HKTwinError
from hktwin.feeds import cli as feeds_cli
from hktwin.geo import data_cli
from hktwin.model.camera import HOME_VIEW, VIEW_NAMES

EXIT_USAGE = 2


class UsageError(Exception):
    """A command line that cannot be acted on."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(message)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must be WIDTHxHEIGHT, e.g. 1280x800, not '{text}'") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is outside 16..8192 pixels")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hktwin", description="HK Twin: a 3D digital twin of Hong Kong.")
    parser.add_argument("--version", action="version", version=f"hktwin {__version__}")
    parser.add_argument("--pack", type=Path, help="data pack folder (default: the demo city)")
    parser.add_argument("--view", choices=VIEW_NAMES, default=HOME_VIEW, help="initial view")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    snap = sub.add_parser("snapshot", help="render the city to a PNG with no window")
    snap.add_argument("--out", type=Path, required=True, help="PNG file to write")
    snap.add_argument("--size", type=_size, default=(1280, 800), help="WIDTHxHEIGHT (1280x800)")
    snap.add_argument("--view", choices=VIEW_NAMES, default=HOME_VIEW, help="named view")
    snap.add_argument("--pack", type=Path, help="data pack folder (default: the demo city)")
    feeds_cli.register(sub)
    analysis_cli.register(sub)
    data_cli.register(sub)
    return parser


def _check_pack(pack: Path | None) -> None:
    if pack is not None:
        from hktwin.geo.pack import read_manifest

        read_manifest(pack)


def _snapshot(args: argparse.Namespace) -> int:
    from hktwin.core.progress import TerminalProgress
    from hktwin.render.snapshot import render_city, write_png

    out: Path = args.out
    if out.suffix.lower() != ".png":
        raise UsageError(f"--out must name a .png file, not '{out}'")
    if not out.parent.exists():
        raise UsageError(f"the folder of --out does not exist: {out.parent}")
    _check_pack(args.pack)
    shot = render_city(args.pack, args.view, args.size, progress=TerminalProgress())
    write_png(out, shot.image)
    print(f"wrote {out} ({args.size[0]}x{args.size[1]}, view {args.view})")
    return 0


def _warm_pack(pack: Path, progress) -> None:
    """Mesh an imported pack's buildings into the cache exactly as the app will open it."""
    from hktwin.model.loading import load_city

    load_city(pack, progress=progress)


def _scenario_sites(path: Path):
    """A scenario file's sites and evaluation area, for `hktwin evaluate`: the same area the
    window evaluates, so both give the same numbers."""
    from hktwin.model.scenario_io import load_scenario

    scenario = load_scenario(path)
    return scenario.site_set(), scenario.evaluation_area()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        if args.command == "snapshot":
            return _snapshot(args)
        if args.command == "feeds":
            return feeds_cli.run(args)
        if args.command == "evaluate":
            return analysis_cli.run(args, load_sites=_scenario_sites)
        if args.command == "data":
            return data_cli.run(args, warm=_warm_pack)
        _check_pack(args.pack)
        from hktwin.ui.app import run_gui

        return run_gui(pack=args.pack, view=args.view)
    except UsageError as exc:
        print(f"hktwin: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HKTwinError as exc:
        print(f"hktwin: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
