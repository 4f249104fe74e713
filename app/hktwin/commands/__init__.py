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
    "ai": "hktwin.commands.ai",
    "plugins": "hktwin.commands.plugins",
    "demo": "hktwin.commands.demo",
    "settings": "hktwin.commands.settings",
}


def add_plugin_commands(sub) -> None:
    """Add the subcommands plugins declare (`[[cli]]` in their manifests) without importing
    them: each gets a placeholder parser that keeps its arguments for `run_plugin_command`."""
    import argparse

    from hktwin.plugins import cli_commands

    for name, contribution in cli_commands().items():
        if name in COMMANDS:
            continue
        # no option prefix: every argument after the name is kept for the plugin's own parser
        parser = sub.add_parser(name, help=f"{contribution.title} (plugin {contribution.plugin})",
                                add_help=False, prefix_chars="\x00")
        parser.add_argument("plugin_args", nargs=argparse.REMAINDER)
        parser.set_defaults(plugin_command=name)


def run_plugin_command(args) -> int:
    """Import the plugin's command module now, parse its arguments with its own parser and run
    it, all under the plugin guard (a failure is one line, exit 2, the plugin disabled)."""
    from hktwin.commands.common import Parser
    from hktwin.plugins import call, cli_commands

    contribution = cli_commands()[args.plugin_command]
    module = contribution.load("module")
    parser = Parser(prog="hktwin")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    call(contribution.plugin, "registration", module.register, sub)
    own = parser.parse_args([args.plugin_command, *args.plugin_args])
    for key in ("pack", "view"):  # the global options given before the subcommand
        if getattr(own, key, None) is None and getattr(args, key, None) is not None:
            setattr(own, key, getattr(args, key))
    return int(call(contribution.plugin, "command", module.run, own) or 0)
