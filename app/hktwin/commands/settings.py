"""`hktwin settings`: show where the settings live, print them, or reset them to the defaults."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("settings", help="show, locate or reset the user's settings")
    p.add_argument("action", nargs="?", choices=("show", "path", "reset"), default="show",
                   help="show (default): print them as JSON; path: the file; reset: defaults "
                        "(the old file is kept as settings.json.before-reset)")


def run(args: argparse.Namespace) -> int:
    from hktwin.core import settings

    if args.action == "path":
        print(settings.settings_path())
        return 0
    if args.action == "reset":
        settings.reset()
        print(f"settings reset to the defaults in {settings.settings_path()}")
        return 0
    current = settings.load()
    for notice in settings.take_notices():
        print(f"hktwin: {notice}")
    print(json.dumps(current.to_json(), indent=2, ensure_ascii=False))
    return 0
