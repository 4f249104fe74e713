"""Discovery, lazy loading and error isolation of plugins.

Start-up reads the entry points of group `hktwin.plugins` and each plugin's static manifest; no
plugin code runs. A contribution's code is imported the first time it is used. Every call into
plugin code goes through `PluginRegistry.guard` (or `call`, built on it): an exception is caught,
its traceback kept, the plugin disabled for the rest of the run and the listeners notified once;
the caller gets a `PluginError` (one line for the user) or the default it asked for.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hktwin.core.errors import DataError, HKTwinError
from hktwin.plugins.manifest import (
    KINDS,
    MANIFEST_NAME,
    ContributionSpec,
    Manifest,
    api_compatible,
    read_manifest,
)

GROUP = "hktwin.plugins"
BUILTIN = "builtin"  # HK Twin's own contributions, declared as plugin no. 1
#: the public API version; a plugin declares the one it was written for in its manifest
API_VERSION = "1.0"
STAGES = ("manifest", "api", "import", "registration", "draw", "pick", "poll", "analysis",
          "predict", "tour", "command", "call")

log = logging.getLogger(__name__)


class PluginError(HKTwinError):
    """A plugin failed (or was refused, or is disabled); the app carries on without it."""

    def __init__(self, plugin: str, stage: str, problem: str) -> None:
        self.plugin = plugin
        self.stage = stage
        self.problem = problem
        super().__init__(f"plugin '{plugin}' ({stage}): {problem}")


@dataclass
class Plugin:
    """One discovered plugin: identity, where it came from, and whether it may run.

    `enabled` is the user's choice (settings); `error` is set when the plugin was refused or
    failed, with the stage and traceback; either keeps its code from running.
    """

    name: str
    title: str = ""
    version: str = ""
    api: str = ""
    description: str = ""
    entry_point: str = ""
    distribution: str = ""
    manifest: Manifest | None = None
    enabled: bool = True
    error: str | None = None
    stage: str | None = None
    traceback: str | None = None

    @property
    def active(self) -> bool:
        """Enabled by the user and not failed: its code may run."""
        return self.enabled and self.error is None

    def to_json(self) -> dict[str, Any]:
        """What `hktwin plugins list --json` prints for it."""
        contribs: dict[str, list[str]] = {}
        for spec in self.manifest.contributions if self.manifest else ():
            contribs.setdefault(spec.kind, []).append(spec.name)
        return {"name": self.name, "title": self.title, "version": self.version,
                "api": self.api, "distribution": self.distribution,
                "entry_point": self.entry_point, "enabled": self.enabled,
                "active": self.active, "error": self.error, "stage": self.stage,
                "traceback": self.traceback, "contributions": contribs}


@dataclass(frozen=True)
class Contribution:
    """A contribution of an active plugin; its code fields are imported on first `load`."""

    plugin: str
    spec: ContributionSpec
    registry: PluginRegistry = field(repr=False, compare=False)

    @property
    def kind(self) -> str:
        """The contribution kind (`layers`, `feeds`, ...)."""
        return self.spec.kind

    @property
    def name(self) -> str:
        """The name the manifest gives it, unique within its plugin."""
        return self.spec.name

    @property
    def title(self) -> str:
        """What menus and lists show (the name when the manifest gives no title)."""
        return self.spec.title

    @property
    def meta(self) -> dict[str, Any]:
        """The manifest's other fields for it (a dock's `area`, a menu's `menu`...)."""
        return self.spec.meta

    @property
    def id(self) -> str:
        """`plugin:name`, unique across plugins."""
        return f"{self.plugin}:{self.name}"

    def has(self, code_field: str) -> bool:
        """Whether the manifest names code for `code_field` (an optional one, say `picker`)."""
        return code_field in self.spec.code

    def load(self, code_field: str, expect: type | tuple[type, ...] | None = None) -> Any:
        """The object `code_field` names, imported now (once); `expect` checks its type.

        Raises `PluginError` if the plugin is off or the import or check fails (the plugin is
        then disabled).
        """
        return self.registry.load(self, code_field, expect)

    def call(self, code_field: str, stage: str, *args: Any, **kwargs: Any) -> Any:
        """Load `code_field` and call it under the guard, naming `stage` on failure."""
        fn = self.load(code_field)
        return self.registry.call(self.plugin, stage, fn, *args, **kwargs)


def _resolve(ref: str) -> Any:
    module_name, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


def locate_manifest(target: str) -> Path:
    """The manifest beside the package an entry point names, found without importing it."""
    module_name = target.partition(":")[0].strip()
    spec = importlib.util.find_spec(module_name)
    if spec is None:
        raise DataError(None, f"the entry point names module '{module_name}', which is not "
                        "installed", "reinstall the plugin", field=GROUP)
    if spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations)))
    elif spec.origin:
        folder = Path(spec.origin).parent
    else:
        raise DataError(None, f"cannot locate the files of '{module_name}'", field=GROUP)
    return folder / MANIFEST_NAME


@dataclass(frozen=True)
class Found:
    """An entry point as discovery saw it (name, target, distribution)."""

    name: str
    value: str
    distribution: str = ""
    version: str = ""


def entry_points_found() -> list[Found]:
    """Every installed entry point of group `hktwin.plugins`."""
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group=GROUP):
        dist = getattr(ep, "dist", None)
        out.append(Found(ep.name, ep.value, dist.name if dist else "",
                         dist.version if dist else ""))
    return out


class PluginRegistry:
    """The plugins of this process, their contributions, and the one guard around their code."""

    def __init__(self, found: list[Found] | None = None,
                 enabled: Callable[[str], bool] | None = None) -> None:
        self._lock = threading.RLock()
        self._plugins: dict[str, Plugin] = {}
        self._loaded: dict[tuple[str, str, str], Any] = {}
        self._listeners: list[Callable[[Plugin], None]] = []
        self._notified: set[str] = set()
        if enabled is None:
            from hktwin.core import settings

            enabled = settings.load().is_plugin_enabled
        for item in found if found is not None else entry_points_found():
            self._add(item, enabled)

    # -- discovery -------------------------------------------------------------------------
    def _add(self, item: Found, enabled: Callable[[str], bool]) -> None:
        plugin = Plugin(name=item.name, version=item.version, entry_point=item.value,
                        distribution=item.distribution)
        try:
            manifest = read_manifest(locate_manifest(item.value))
        except Exception as exc:  # a bad manifest refuses this plugin only
            msg = exc.message if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}"
            plugin.error, plugin.stage = msg, "manifest"
            plugin.traceback = traceback.format_exc()
        else:
            plugin.manifest = manifest
            plugin.name = manifest.name
            plugin.title = manifest.title
            plugin.api = manifest.api
            plugin.description = manifest.description
            plugin.version = item.version or manifest.version
            if not api_compatible(manifest.api, API_VERSION):
                plugin.error = (f"written for plugin API {manifest.api}, this HK Twin provides "
                                f"{API_VERSION}; update the plugin or HK Twin")
                plugin.stage = "api"
        if plugin.name in self._plugins:
            other = self._plugins[plugin.name]
            plugin.error = plugin.error or (f"another plugin is already called '{plugin.name}' "
                                            f"({other.entry_point})")
            plugin.stage = plugin.stage or "manifest"
            plugin.name = f"{plugin.name}#{len(self._plugins)}"
        plugin.title = plugin.title or plugin.name
        plugin.enabled = plugin.name == BUILTIN or bool(enabled(plugin.name))
        self._plugins[plugin.name] = plugin
        if plugin.error:
            log.warning("plugin '%s' refused: %s", plugin.name, plugin.error)

    # -- queries ---------------------------------------------------------------------------
    def plugins(self) -> list[Plugin]:
        """Every discovered plugin, refused and disabled ones included."""
        return list(self._plugins.values())

    def plugin(self, name: str) -> Plugin:
        """One plugin by name; KeyError naming the installed ones."""
        try:
            return self._plugins[name]
        except KeyError:
            raise KeyError(f"no plugin called '{name}'; installed: "
                           f"{', '.join(self._plugins) or 'none'}") from None

    def contributions(self, kind: str, inactive: bool = False) -> list[Contribution]:
        """The contributions of `kind` from every active plugin (with `inactive`, from the
        disabled and failed ones too: their code still refuses to load), in discovery order."""
        if kind not in KINDS:
            raise KeyError(f"unknown contribution kind '{kind}'; known: {', '.join(KINDS)}")
        return [Contribution(p.name, spec, self) for p in self._plugins.values()
                if (p.active or inactive) and p.manifest for spec in p.manifest.of_kind(kind)]

    def contribution(self, kind: str, name: str) -> Contribution:
        """One contribution by `name` or `plugin:name`; an active plugin's first, else a
        disabled one's (whose code then refuses to load, saying why)."""
        for c in (*self.contributions(kind), *self.contributions(kind, inactive=True)):
            if name in (c.name, c.id):
                return c
        known = ", ".join(c.name for c in self.contributions(kind)) or "none"
        raise KeyError(f"no {kind} contribution called '{name}'; known: {known}")

    def failures(self) -> list[Plugin]:
        """The plugins that were refused or failed."""
        return [p for p in self._plugins.values() if p.error]

    # -- the guard -------------------------------------------------------------------------
    def on_failure(self, callback: Callable[[Plugin], None]) -> Callable[[], None]:
        """Call `callback(plugin)` once when a plugin fails; returns a function that
        disconnects it. Plugins that had already failed are reported at once."""
        self._listeners.append(callback)
        for plugin in self.failures():
            if plugin.name in self._notified:
                self._safe_notify(callback, plugin)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _safe_notify(self, callback: Callable[[Plugin], None], plugin: Plugin) -> None:
        try:
            callback(plugin)
        except Exception:  # a broken listener must not hide the plugin's failure
            log.exception("plugin failure listener failed")

    def fail(self, plugin_name: str, stage: str, exc: BaseException) -> PluginError:
        """Record a failure: keep the traceback, disable the plugin, notify once."""
        with self._lock:
            plugin = self._plugins.get(plugin_name)
            if plugin is None:  # a plugin made up by a test or an unknown caller
                plugin = self._plugins.setdefault(plugin_name, Plugin(name=plugin_name))
            if plugin.error is None:
                plugin.error = f"{type(exc).__name__}: {exc}"
                plugin.stage = stage
                plugin.traceback = "".join(traceback.format_exception(exc))
            first = plugin_name not in self._notified
            self._notified.add(plugin_name)
        if first:
            log.warning("plugin '%s' failed (%s) and is disabled: %s", plugin_name, stage,
                        plugin.error)
            for callback in list(self._listeners):
                self._safe_notify(callback, plugin)
        return PluginError(plugin_name, stage, f"{plugin.error}; the plugin is disabled")

    def check_active(self, plugin_name: str, stage: str) -> None:
        """Raise `PluginError` if that plugin may not run now."""
        plugin = self._plugins.get(plugin_name)
        if plugin is not None and not plugin.active:
            why = plugin.error or "disabled in the Plugins dialog (or settings)"
            raise PluginError(plugin_name, stage, why)

    @contextlib.contextmanager
    def guard(self, plugin_name: str, stage: str) -> Iterator[None]:
        """THE wrapper around plugin code: any exception becomes a recorded failure (plugin
        disabled, listeners told once) and is re-raised as `PluginError`."""
        self.check_active(plugin_name, stage)
        try:
            yield
        except PluginError:
            raise
        except Exception as exc:
            raise self.fail(plugin_name, stage, exc) from exc

    def call(self, plugin_name: str, stage: str, fn: Callable[..., Any], *args: Any,
             default: Any = PluginError, **kwargs: Any) -> Any:
        """`fn(*args, **kwargs)` under the guard. With `default`, a failure returns it instead
        of raising (the failure is still recorded and notified)."""
        try:
            with self.guard(plugin_name, stage):
                return fn(*args, **kwargs)
        except PluginError:
            if default is PluginError:
                raise
            return default

    def load(self, contribution: Contribution, code_field: str,
             expect: type | tuple[type, ...] | None = None) -> Any:
        key = (contribution.plugin, contribution.id, code_field)
        if key in self._loaded:
            self.check_active(contribution.plugin, "import")
            return self._loaded[key]
        ref = contribution.spec.code.get(code_field)
        if ref is None:
            raise KeyError(f"{contribution.kind} '{contribution.id}' declares no {code_field}")
        with self.guard(contribution.plugin, "import"):
            module_name = ref.partition(":")[0]
            importlib.import_module(module_name)
        with self.guard(contribution.plugin, "registration"):
            obj = _resolve(ref)
            if expect is not None:
                ok = (issubclass(obj, expect) if isinstance(obj, type)
                      else isinstance(obj, expect))
                if not ok:
                    names = expect if isinstance(expect, tuple) else (expect,)
                    raise TypeError(f"{ref} is not a {' or '.join(t.__name__ for t in names)}")
        self._loaded[key] = obj
        return obj

    # -- user choice -----------------------------------------------------------------------
    def set_enabled(self, name: str, enabled: bool, save: bool = True) -> None:
        """Turn a plugin on or off for this run and (with `save`) in the settings. The
        built-ins (`builtin`) stay on: the app's own menus and sources are declared there."""
        plugin = self.plugin(name)
        if name == BUILTIN and not enabled:
            raise ValueError("the built-ins (plugin 'builtin') cannot be disabled")
        plugin.enabled = bool(enabled)
        if save:
            from hktwin.core import settings

            current = settings.load()
            current.set_plugin_enabled(name, enabled)
            settings.save(current)


_registry: PluginRegistry | None = None
_registry_lock = threading.Lock()


def registry() -> PluginRegistry:
    """The process's registry, discovered on first use."""
    global _registry
    if _registry is None:
        with _registry_lock:
            if _registry is None:
                _registry = PluginRegistry()
    return _registry


def reset_registry(new: PluginRegistry | None = None) -> PluginRegistry | None:
    """Forget the registry (tests; after installing a plugin): the next use rediscovers."""
    global _registry
    old, _registry = _registry, new
    return old
