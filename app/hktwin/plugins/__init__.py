"""The public plugin API of HK Twin: the only module a plugin imports from the app.

A plugin is a Python package with a static manifest, `hktwin-plugin.toml`, beside its
`__init__.py`, and an entry point in group `hktwin.plugins` naming the package. HK Twin reads
the manifests at start-up without importing plugin code; a contribution's code is imported the
first time it is used, and every call into it goes through one guard that names the plugin,
keeps the traceback, disables the plugin and notifies once. See docs/plugins.md.

The app's types a plugin builds on (`Layer`, `VisualAdapter`, `FeedSource`, `Observation`...)
are re-exported here lazily: `hktwin.plugins.Layer` imports the model only when asked for, so
this module stays light and sits below every room it serves.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hktwin.plugins.manifest import KINDS, MANIFEST_NAME, Manifest, api_compatible, read_manifest
from hktwin.plugins.registry import (
    API_VERSION,
    BUILTIN,
    GROUP,
    Contribution,
    Plugin,
    PluginError,
    PluginRegistry,
    registry,
    reset_registry,
)

_log = logging.getLogger(__name__)

#: name -> "module:attr" of the app types re-exported for plugins (imported on first access)
_TYPES = {
    "Layer": "hktwin.model.layers:Layer",
    "LiveLayer": "hktwin.model.live_layers:LiveLayer",
    "MeshArrays": "hktwin.geo.mesh:MeshArrays",
    "CityModel": "hktwin.geo.city:CityModel",
    "Twin": "hktwin.model.twin:Twin",
    "FeedSource": "hktwin.feeds.base:FeedSource",
    "Observation": "hktwin.feeds.base:Observation",
    "FeedFormatError": "hktwin.feeds.base:FeedFormatError",
    "DataError": "hktwin.core.errors:DataError",
    "Progress": "hktwin.core.progress:Progress",
    "VisualAdapter": "hktwin.render.adapters:VisualAdapter",
    "Hit": "hktwin.render.picking:Hit",
    "PickRay": "hktwin.render.picking:PickRay",
    "evented": "psygnal:evented",
    "open_pack": "hktwin.geo.pack:open_pack",
    "StepSkipped": "hktwin.model.tour:StepSkipped",
}


def __getattr__(name: str) -> Any:
    ref = _TYPES.get(name)
    if ref is None:
        raise AttributeError(f"module 'hktwin.plugins' has no attribute '{name}'")
    module, _, attr = ref.partition(":")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


@dataclass
class AnalysisResult:
    """What an analysis returns: layers to add to the twin, named metrics, and a legend line
    that says how the numbers were made (assumptions included)."""

    layers: list[Any] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    legend: str = ""


# -- the registry, module-level -----------------------------------------------------------------

_builtin: Manifest | None = None


def builtin_manifest() -> Manifest:
    """The built-ins' manifest (plugin no. 1), read straight from the package: the one place
    the app's own feed sources, layer types and pickers are listed."""
    global _builtin
    if _builtin is None:
        from pathlib import Path

        _builtin = read_manifest(Path(__file__).parent / "builtin" / MANIFEST_NAME)
    return _builtin


def plugins() -> list[Plugin]:
    """Every discovered plugin, refused and disabled ones included."""
    return registry().plugins()


def contributions(kind: str) -> list[Contribution]:
    """The contributions of `kind` (one of `KINDS`) from the active plugins."""
    return registry().contributions(kind)


def contribution(kind: str, name: str) -> Contribution:
    """One contribution by name (or `plugin:name`); KeyError naming the known ones."""
    return registry().contribution(kind, name)


def call(plugin: str, stage: str, fn: Callable[..., Any], *args: Any,
         default: Any = PluginError, **kwargs: Any) -> Any:
    """Call plugin code under the guard (see `PluginRegistry.call`)."""
    return registry().call(plugin, stage, fn, *args, default=default, **kwargs)


def on_failure(callback: Callable[[Plugin], None]) -> Callable[[], None]:
    """Be told (once per plugin) when a plugin fails; returns a disconnect function."""
    return registry().on_failure(callback)


# -- what the app's closed lists consult ---------------------------------------------------------

def _qualname(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def layer_contribution(layer_type: type) -> Contribution | None:
    """The `layers` contribution whose model is `layer_type` or its nearest base class (also
    of a disabled plugin, whose code then refuses to run: its layers draw and pick nothing)."""
    by_model: dict[str, Contribution] = {}
    for c in registry().contributions("layers", inactive=True):
        by_model.setdefault(c.spec.code["model"], c)
    for cls in layer_type.__mro__:
        hit = by_model.get(_qualname(cls))
        if hit is not None:
            return hit
    return None


def adapter_for_layer(layer_type: type) -> tuple[Contribution, type] | None:
    """The plugin adapter class for a layer type, imported now; None when no plugin has one.

    Raises `PluginError` when the plugin's adapter fails to import (the plugin is disabled).
    """
    found = layer_contribution(layer_type)
    if found is None or not found.has("adapter"):
        return None
    return found, found.load("adapter", expect=__getattr__("VisualAdapter"))


def city_layers(city: Any) -> list[Any]:
    """The layers every plugin's layer factory builds for a loaded city (failures skipped:
    the plugin is disabled and reported, the city still opens)."""
    layer_base = __getattr__("Layer")
    out: list[Any] = []
    for c in contributions("layers"):
        if not c.has("factory"):
            continue
        try:
            factory = c.load("factory")
            made = registry().call(c.plugin, "registration", factory, city)
            made = list(made or [])
            bad = [m for m in made if not isinstance(m, layer_base)]
            if bad:
                registry().fail(c.plugin, "registration",
                                TypeError(f"{c.id} factory returned {type(bad[0]).__name__}, "
                                          "not a Layer"))
                continue
        except PluginError:
            continue
        for layer in made:
            layer.plugin = c.plugin  # the inspector and the layer panel name the plugin
        out.extend(made)
    return out


def pick_layer(layer: Any, *args: Any) -> Any:
    """Ask a plugin layer's picker what is under a ray or pixel; None when it has no picker
    or fails (then the plugin is disabled)."""
    c = layer_contribution(type(layer))
    if c is None or not c.has("picker"):
        return None
    try:
        return c.call("picker", "pick", layer, *args)
    except PluginError:
        return None


def inspector_rows(layer: Any, index: int) -> list[tuple[str, str]]:
    """The (label, value) rows a plugin layer shows in the inspector for item `index`."""
    c = layer_contribution(type(layer))
    if c is None or not c.has("inspector"):
        return []
    try:
        return list(c.call("inspector", "pick", layer, index) or [])
    except PluginError:
        return []


def feed_source_names() -> list[str]:
    """The names of the feed sources active plugins declare."""
    return [c.name for c in contributions("feeds")]


def feed_source(name: str) -> Any:
    """A plugin's `FeedSource` by name, its parser guarded (a crash in it disables the plugin
    and surfaces as a `FeedFormatError`, so the poller marks the source failing); None when
    no plugin has one."""
    from dataclasses import replace

    format_error, feed_type = __getattr__("FeedFormatError"), __getattr__("FeedSource")
    try:
        c = contribution("feeds", name)
    except KeyError:
        return None
    source = c.load("source")
    if isinstance(source, dict):  # a module's SOURCES table
        source = source.get(name)
    if callable(source) and not isinstance(source, feed_type):
        source = c.call("source", "registration")
    if not isinstance(source, feed_type):
        raise registry().fail(c.plugin, "registration",
                              TypeError(f"{c.id} is not a FeedSource"))
    parse = source.parse

    def parse_or_refuse(data: bytes) -> tuple[list | None, Exception | None]:
        try:
            return parse(data), None
        except format_error as exc:  # a document not in the published format: not a bug
            return None, exc

    def guarded_parse(data: bytes) -> list:
        try:
            rows, refused = registry().call(c.plugin, "poll", parse_or_refuse, data)
        except PluginError as exc:
            raise format_error(name, str(exc)) from exc
        if refused is not None:
            raise refused
        return rows

    return replace(source, parse=guarded_parse)


def tour_step(name: str) -> Callable[[Any, Any], Any] | None:
    """A plugin's tour step kind by name (`action = NAME` in a tour), as `run(session, params)`
    under the guard: a step that raises `StepSkipped` is skipped; any other failure disables
    the plugin and raises `PluginError` (the tour skips that step too). None when no active
    plugin has one."""
    try:
        c = contribution("tour", name)
    except KeyError:
        return None

    skipped = __getattr__("StepSkipped")

    def attempt(fn: Callable[..., Any], session: Any, params: Any) -> tuple[Any, Exception | None]:
        try:
            return fn(session, params), None
        except skipped as exc:  # the step cannot run here (no such layer...): not a bug
            return None, exc

    def run(session: Any, params: Any) -> Any:
        result, refused = registry().call(c.plugin, "tour", attempt, c.load("run"), session,
                                          params)
        if refused is not None:
            raise refused
        return result

    return run


def tour_step_names() -> list[str]:
    """The step kinds active plugins add to tours."""
    return [c.name for c in contributions("tour")]


def forecaster_for(store_path: Any, source: str, keys: list[str]) -> Any:
    """The first forecaster an active predictor offers for a live source and its keys (links,
    stations), else None. A predictor may name the `sources` it serves in its manifest; one
    that raises is disabled and the next one is asked."""
    for c in contributions("predictors"):
        wanted = c.meta.get("sources")
        if isinstance(wanted, list) and source not in wanted:
            continue
        try:
            found = c.call("predictor", "predict", store_path, source, keys)
        except PluginError:
            continue
        if found is not None:
            return found
    return None


def pack_kind_names() -> list[str]:
    """The pack layer kinds active plugins read (beyond the app's own)."""
    return [c.name for c in contributions("pack_kinds")]


def read_pack_layer(kind: str, path: Any, entry: dict[str, Any]) -> Any:
    """A pack layer of a plugin's kind, read by its `reader(path, entry)` under the guard;
    `PluginError` when it fails, KeyError when no plugin reads that kind."""
    c = contribution("pack_kinds", kind)
    return c.call("reader", "import", path, entry)


def importer_names() -> list[str]:
    """The plugins' importers, by name (what `--as NAME` picks); the app's own is not listed."""
    return [c.name for c in contributions("importers") if c.plugin != BUILTIN]


def importer_for(path: Any, as_kind: str | None = None) -> Contribution | None:
    """The plugin importer for a file: the one named `as_kind`, else the first whose
    `detect(path)` says yes (a detect that fails disables its plugin and is passed over)."""
    for c in contributions("importers"):
        if c.plugin == BUILTIN:
            continue
        if as_kind is not None:
            if as_kind in (c.name, c.id):
                return c
            continue
        try:
            if c.has("detect") and c.call("detect", "import", path, default=False):
                return c
        except PluginError:  # its code would not load: the plugin is disabled now
            continue
    return None


def sample_packs() -> dict[str, Path]:
    """The sample data packs active plugins ship (`[[samples]]`, meta `path`: a folder inside
    the plugin's package with a `manifest.json`), by name. One whose path leads out of its
    package, or holds no pack, is left out with a warning."""
    from hktwin.core.errors import DataError
    from hktwin.plugins.registry import locate_manifest

    out: dict[str, Path] = {}
    for c in contributions("samples"):
        rel = c.meta.get("path")
        try:
            root = locate_manifest(registry().plugin(c.plugin).entry_point).parent.resolve()
        except (DataError, KeyError):
            continue
        target = (root / rel).resolve() if isinstance(rel, str) and rel.strip() else root
        if target == root or root not in target.parents:
            _log.warning("plugin %s: sample %s: path %r is not a folder inside the plugin",
                         c.plugin, c.name, rel)
        elif not (target / "manifest.json").is_file():
            _log.warning("plugin %s: sample %s: %s holds no data pack", c.plugin, c.name, target)
        else:
            out.setdefault(c.name, target)
    return out


def cli_commands() -> dict[str, Contribution]:
    """Subcommand name -> contribution (its `module` has register/run), for `hktwin`."""
    return {c.name: c for c in contributions("cli")}


def run_analysis(name: str, twin: Any, **params: Any) -> AnalysisResult:
    """Run an analysis contribution on a twin under the guard; `PluginError` on failure (the
    twin and the scenario are not touched: the result's layers are for the caller to add)."""
    c = contribution("analyses", name)
    result = c.call("run", "analysis", twin, **params)
    if not isinstance(result, AnalysisResult):
        raise registry().fail(c.plugin, "analysis",
                              TypeError(f"{c.id} returned {type(result).__name__}, "
                                        "not an AnalysisResult"))
    return result


__all__ = [
    "API_VERSION", "GROUP", "KINDS", "MANIFEST_NAME",
    "AnalysisResult", "Contribution", "Manifest", "Plugin", "PluginError", "PluginRegistry",
    "adapter_for_layer", "api_compatible", "builtin_manifest", "call", "city_layers",
    "cli_commands", "contribution", "contributions", "feed_source", "feed_source_names",
    "forecaster_for", "importer_for", "importer_names", "inspector_rows", "layer_contribution",
    "on_failure", "pack_kind_names", "pick_layer", "plugins", "read_manifest", "read_pack_layer",
    "registry", "reset_registry", "run_analysis", "sample_packs", "tour_step",
    "tour_step_names",
    *_TYPES,
]
