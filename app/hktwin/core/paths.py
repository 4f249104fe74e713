"""Where the app finds its bundled resources and keeps its caches."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

APP_NAME = "hktwin"


def resources_dir() -> Path:
    """The installed `resources/` folder (mapped to the `hktwin.resources` package)."""
    # A wheel or the PyInstaller bundle: hktwin/resources beside hktwin/core (a namespace
    # package, so importlib.resources would hand back a MultiplexedPath, not a folder).
    beside = Path(__file__).resolve().parents[1] / "resources"
    if beside.is_dir():
        return beside
    try:
        root = resources.files("hktwin.resources")
        path = Path(str(root))
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    # A source checkout that was never installed: app/hktwin/core/paths.py -> repo/resources
    return Path(__file__).resolve().parents[3] / "resources"


def demo_pack_dir() -> Path:
    """The embedded approximate Hong Kong demo city."""
    return resources_dir() / "demo_city"


def cache_dir() -> Path:
    """The user's cache folder for derived data (meshes); `HKTWIN_CACHE_DIR` overrides it."""
    override = os.environ.get("HKTWIN_CACHE_DIR")
    if override:
        path = Path(override)
    else:
        from platformdirs import user_cache_dir

        path = Path(user_cache_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_data_dir() -> Path:
    """The user's data folder (feed stores, autosave copies, settings): `$HKTWIN_DATA_DIR`, else
    platformdirs' `user_data_dir("hktwin")`. The one place this is decided; not created here."""
    override = os.environ.get("HKTWIN_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir as platform_data_dir

    return Path(platform_data_dir(APP_NAME))
