"""The `hktwin` command: the GUI by default, headless subcommands beside it.

Usage errors and unusable input print one line naming the problem and exit with status 2; no
traceback reaches the user. The subcommands live in `hktwin.commands`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from hktwin import __version__
from hktwin.commands import COMMANDS, add_plugin_commands, run_plugin_command
from hktwin.commands.common import Parser, UsageError, check_pack
from hktwin.core.errors import HKTwinError
from hktwin.model.camera import HOME_VIEW, VIEW_NAMES

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="hktwin", description="HK Twin: a 3D digital twin of Hong Kong.")
    parser.add_argument("--version", action="version", version=f"hktwin {__version__}")
    # Own dests: a subcommand's --pack/--view default would otherwise overwrite `hktwin --pack X
    # snapshot` with None and silently render the demo city.
    parser.add_argument("--pack", dest="global_pack", type=Path,
                        help="data pack folder (default: the demo city)")
    parser.add_argument("--view", dest="global_view", choices=VIEW_NAMES, default=HOME_VIEW,
                        help="initial view")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    for module in COMMANDS.values():
        importlib.import_module(module).register(sub)
    add_plugin_commands(sub)
    return parser


def _report_plugin_failure(plugin) -> None:
    """One line per failed plugin (the run goes on without it; `hktwin plugins list
    --traceback` shows why)."""
    print(f"hktwin: plugin '{plugin.name}' failed ({plugin.stage}) and is disabled: "
          f"{plugin.error}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        from hktwin.plugins import on_failure

        on_failure(_report_plugin_failure)
        args = parser.parse_args(argv)
        if getattr(args, "pack", None) is None:
            args.pack = args.global_pack
        if args.command in COMMANDS:
            return importlib.import_module(COMMANDS[args.command]).run(args)
        if getattr(args, "plugin_command", None):
            return run_plugin_command(args)
        check_pack(args.pack)
        from hktwin.ui.app import run_gui

        return run_gui(pack=args.pack, view=args.global_view)
    except (UsageError, HKTwinError) as exc:
        print(f"hktwin: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
