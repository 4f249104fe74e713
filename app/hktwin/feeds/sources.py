"""The registry of feed sources by name; modules are imported only when a source is used."""

from __future__ import annotations

import importlib

from hktwin.feeds.base import FeedSource


def _builtin_modules() -> dict[str, str]:
    """name -> module defining SOURCES: dict[str, FeedSource], as the built-ins' manifest
    (app/hktwin/plugins/builtin/hktwin-plugin.toml, `[[feeds]]`) declares them."""
    from hktwin.plugins import builtin_manifest

    return {c.name: c.code["source"].partition(":")[0]
            for c in builtin_manifest().of_kind("feeds")}


_MODULES = _builtin_modules()
_EXTRA: dict[str, FeedSource] = {}

SOURCE_NAMES: tuple[str, ...] = tuple(_MODULES)


def register_source(source: FeedSource) -> None:
    """Add a source (a plugin's, or a test's) under its name."""
    _EXTRA[source.name] = source


def source_names() -> list[str]:
    """Built-in sources, then registered ones, then those plugins declare in their manifests."""
    from hktwin.plugins import feed_source_names

    names = [*SOURCE_NAMES, *(n for n in _EXTRA if n not in _MODULES)]
    return [*names, *(n for n in feed_source_names() if n not in names)]


def get_source(name: str) -> FeedSource:
    """The source called `name`; KeyError naming the known ones otherwise."""
    if name in _EXTRA:
        return _EXTRA[name]
    if name not in _MODULES:
        from hktwin.plugins import feed_source

        plugin_source = feed_source(name)  # its parser runs under the plugin guard
        if plugin_source is not None:
            return plugin_source
        raise KeyError(f"unknown feed source '{name}'; known: {', '.join(source_names())}")
    return importlib.import_module(_MODULES[name]).SOURCES[name]
