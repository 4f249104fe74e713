"""The user's settings: one versioned JSON file in the user's config folder.

Why a file of our own rather than QSettings: every room (the CLI, the plugin loader, tests) reads
the same settings without Qt, and the file is plain, versioned JSON that can be migrated, checked
and reset.

API (no Qt)::

    from hktwin.core import settings
    s = settings.load()                  # never raises for a bad file: it is set aside
    s.enabled_plugins["my-plugin"] = False
    s.is_plugin_enabled("my-plugin")     # -> False (unknown plugins default to enabled)
    s.add_recent_scenario("/path/a.hktwin.json")
    settings.save(s)                     # atomic (temporary file + replace)
    settings.reset()                     # back to defaults; the old file is kept as a backup
    settings.settings_path()             # $HKTWIN_CONFIG_DIR/settings.json or platformdirs'
    settings.take_notices()              # messages about a bad file not yet shown

A file that is not JSON, not an object, or of a newer version is moved aside as
`settings.json.bad-<time>` (or kept when newer) and defaults are used; `load()` records one line
in `Settings.notices` and in `take_notices()` (process-wide, so a message from the plugin
registry's early load still reaches the window or CLI that shows it). A key of the wrong type
falls back to its default, also with a notice. Older versions are migrated by `_MIGRATIONS`.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from hktwin.core.files import atomic_write_json

APP_NAME = "hktwin"
FILE_NAME = "settings.json"
#: bump when a key changes meaning; add a step to _MIGRATIONS that turns version N-1 into N
VERSION = 1
MAX_RECENT = 10
UNITS = ("metric", "imperial")
LANGUAGES = ("en", "zh-Hant")


@dataclass
class FeedPolling:
    """Whether the window polls the official feeds on its own (on at start-up when polling
    was on at quit), and how often (seconds; a source is never polled more often than it
    publishes)."""

    enabled: bool = False
    interval_s: int = 60


@dataclass
class Settings:
    """Everything the app remembers between runs. Plain data: edit, then `save()`."""

    #: main window layout: {"geometry": base64 str, "state": base64 str, "maximized": bool}
    window: dict[str, Any] = field(default_factory=dict)
    recent_scenarios: list[str] = field(default_factory=list)
    recent_packs: list[str] = field(default_factory=list)
    #: plugin name -> enabled; a plugin not named here is enabled
    enabled_plugins: dict[str, bool] = field(default_factory=dict)
    feed_polling: FeedPolling = field(default_factory=FeedPolling)
    units: str = "metric"
    language: str = "en"
    #: the first-run welcome was shown and dismissed
    welcome_shown: bool = False
    #: messages about the file (set aside, migrated, bad keys), for the UI to show once
    notices: list[str] = field(default_factory=list, compare=False, repr=False)

    def is_plugin_enabled(self, name: str) -> bool:
        return bool(self.enabled_plugins.get(name, True))

    def set_plugin_enabled(self, name: str, enabled: bool) -> None:
        self.enabled_plugins[name] = bool(enabled)

    def add_recent_scenario(self, path: str | os.PathLike[str]) -> None:
        _push_recent(self.recent_scenarios, path)

    def add_recent_pack(self, path: str | os.PathLike[str]) -> None:
        _push_recent(self.recent_packs, path)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("notices")
        return {"version": VERSION, **data}


def _push_recent(items: list[str], path: str | os.PathLike[str]) -> None:
    text = str(Path(path).expanduser().resolve())
    if text in items:
        items.remove(text)
    items.insert(0, text)
    del items[MAX_RECENT:]


def config_dir() -> Path:
    """`$HKTWIN_CONFIG_DIR`, else platformdirs' `user_config_dir("hktwin")` (~/.config/hktwin)."""
    override = os.environ.get("HKTWIN_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME))


def settings_path() -> Path:
    return config_dir() / FILE_NAME


# -- reading ------------------------------------------------------------------------------------

def _set_aside(path: Path, why: str, notices: list[str]) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.bad-{stamp}")
    try:
        os.replace(path, backup)
        notices.append(f"{path}: {why}; it was set aside as {backup.name} and defaults are used")
    except OSError as exc:
        notices.append(f"{path}: {why}; defaults are used (could not set it aside: {exc})")


def _migrate(data: dict[str, Any], path: Path, notices: list[str]) -> dict[str, Any]:
    version = data.get("version", 0)
    while version < VERSION:
        data = _MIGRATIONS[version](data)
        version += 1
        data["version"] = version
        notices.append(f"{path}: settings migrated to version {version}")
    return data


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (unversioned) files named the plugin list `plugins`: a list of disabled names."""
    disabled = data.pop("plugins", None)
    if isinstance(disabled, list) and "enabled_plugins" not in data:
        data["enabled_plugins"] = {str(n): False for n in disabled}
    return data


_MIGRATIONS = {0: _v0_to_v1}


def _check(value: Any, default: Any) -> bool:
    """Is `value` of the same shape as the default (keeps wrong types out of the app)?"""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool) and value > 0
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if isinstance(default, dict):
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)
    return False


def _from_json(data: dict[str, Any], path: Path, notices: list[str]) -> Settings:
    settings = Settings(notices=notices)
    for f in fields(Settings):
        if f.name == "notices" or f.name not in data:
            continue
        value, default = data[f.name], getattr(settings, f.name)
        if f.name == "feed_polling":
            polling = FeedPolling()
            if isinstance(value, dict):
                for sub in fields(FeedPolling):
                    if sub.name in value and _check(value[sub.name], getattr(polling, sub.name)):
                        setattr(polling, sub.name, value[sub.name])
                    elif sub.name in value:
                        notices.append(f"{path} [feed_polling.{sub.name}]: unusable value, "
                                       "the default is used")
            else:
                notices.append(f"{path} [feed_polling]: not an object, the default is used")
            settings.feed_polling = polling
            continue
        ok = _check(value, default)
        if ok and f.name == "enabled_plugins":
            ok = all(isinstance(v, bool) for v in value.values())
        if ok and f.name == "units":
            ok = value in UNITS
        if ok and f.name == "language":
            ok = value in LANGUAGES
        if ok:
            setattr(settings, f.name, value[:MAX_RECENT] if isinstance(value, list) else value)
        else:
            notices.append(f"{path} [{f.name}]: unusable value {value!r:.60}, the default is used")
    return settings


#: notices of every load() in this process not yet shown: the first load (often the plugin
#: registry's) is the one that sets a bad file aside, so its message must outlive that load
_PENDING: list[str] = []


def take_notices() -> list[str]:
    """The notices about the settings file not yet shown (and forget them)."""
    pending = list(dict.fromkeys(_PENDING))
    _PENDING.clear()
    return pending


def load(path: str | os.PathLike[str] | None = None) -> Settings:
    """The saved settings, or defaults. Never raises for a bad file: see the module docstring."""
    settings = _load(path)
    _PENDING.extend(settings.notices)
    return settings


def _load(path: str | os.PathLike[str] | None = None) -> Settings:
    path = Path(path) if path is not None else settings_path()
    notices: list[str] = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            _set_aside(path, "not UTF-8 text", notices)
        else:
            notices.append(f"{path}: cannot be read ({exc.strerror}); defaults are used")
        return Settings(notices=notices)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        _set_aside(path, f"not valid JSON (line {exc.lineno}: {exc.msg})", notices)
        return Settings(notices=notices)
    if not isinstance(data, dict):
        _set_aside(path, "not a JSON object", notices)
        return Settings(notices=notices)
    version = data.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        _set_aside(path, f"unusable version {version!r}", notices)
        return Settings(notices=notices)
    if version > VERSION:
        # Written by a newer HK Twin: keep that file as it is, read what this version knows.
        backup = path.with_name(f"{path.name}.v{version}")
        if not backup.exists():
            with contextlib.suppress(OSError):
                backup.write_text(text, encoding="utf-8")
        notices.append(f"{path}: written by a newer HK Twin (settings version {version}, this "
                       f"one reads {VERSION}); a copy is kept as {backup.name}")
        return _from_json(data, path, notices)
    return _from_json(_migrate(data, path, notices), path, notices)


# -- writing ------------------------------------------------------------------------------------

def save(settings: Settings, path: str | os.PathLike[str] | None = None) -> Path:
    """Write the settings atomically (a crash mid-write leaves the old file whole)."""
    path = Path(path) if path is not None else settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_json(path, settings.to_json())


def reset(path: str | os.PathLike[str] | None = None) -> Settings:
    """Back to the defaults; the old file is kept beside as `settings.json.before-reset`."""
    path = Path(path) if path is not None else settings_path()
    if path.exists():
        os.replace(path, path.with_name(f"{path.name}.before-reset"))
    fresh = Settings()
    save(fresh, path)
    return fresh
