"""`hktwin demo`: the outreach mode, a self-running bilingual tour, full screen.

The tour is read and validated here, headless, so a bad tour file is refused with one line
before any window opens; the window itself is imported only when the command runs, so building
the parser loads no Qt.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hktwin.commands.common import UsageError, check_pack, positive

LANGS = ("en", "zh-Hant", "both")


def register(sub) -> None:
    demo = sub.add_parser("demo", help="play the self-running outreach tour, full screen")
    demo.add_argument("--tour", type=Path, help="tour file (TOML; default: the sample tour in "
                      "resources/tours/hong-kong.toml)")
    demo.add_argument("--lang", choices=LANGS, default="both",
                      help="caption language: en, zh-Hant (Traditional Chinese) or both")
    demo.add_argument("--time-scale", type=positive(float), default=1.0, metavar="X",
                      help="play the tour X times as fast (tests run a 5-minute tour in seconds)")
    demo.add_argument("--idle", type=positive(float), default=45.0, metavar="SECONDS",
                      help="after a visitor stops, resume the tour after this long (45)")
    demo.add_argument("--pack", type=Path, help="data pack folder (default: the demo city)")
    demo.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    demo.add_argument("--exit-after", type=positive(float), metavar="SECONDS",
                      help="close after this many seconds (unattended checks)")


def run(args: argparse.Namespace) -> int:
    from hktwin.core.paths import resources_dir
    from hktwin.model.tour import load_tour

    tour_path = args.tour or Path(resources_dir()) / "tours" / "hong-kong.toml"
    if args.tour is not None and not args.tour.is_file():
        raise UsageError(f"--tour: no such file: {args.tour}")
    tour = load_tour(tour_path)  # a bad tour is one line, before any window
    check_pack(args.pack)
    from hktwin.ui.tour_player import run_demo  # the GUI, only now

    print(f"playing '{tour.title.get('en', tour_path.name)}' ({len(tour.steps)} steps); "
          "press Esc three times to leave")
    return run_demo(tour_path, lang=args.lang, time_scale=args.time_scale, pack=args.pack,
                    idle_resume_s=args.idle, full_screen=not args.windowed,
                    exit_after_s=args.exit_after)
