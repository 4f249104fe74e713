"""The headless subcommands of `hktwin`, one module each.

Each module has `register(subparsers)` (adds its parser; keeps imports light so `hktwin --version`
loads no GDAL) and `run(args) -> int`. `COMMANDS` maps the subcommand name to its module.
"""

from __future__ import annotations

#: subcommand -> module under hktwin.commands (imported when the parser is built)
COMMANDS: dict[str, str] = {
    "snapshot": "hktwin.commands.snapshot",
    "evaluate": "hktwin.commands.evaluate",
    "data": "hktwin.commands.data",
    "feeds": "hktwin.commands.feeds",
}
