"""Throwaway plugins installed for real: a package, its manifest and a `.dist-info` folder with
an `entry_points.txt` in a temporary folder put on sys.path, so `importlib.metadata` discovers
them exactly as it discovers a pip-installed plugin."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

registry_mod = importlib.import_module("hktwin.plugins.registry")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder on sys.path for throwaway plugins; settings in a temporary folder."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.setenv("HKTWIN_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.syspath_prepend(str(folder))
    before = set(sys.modules)
    old = registry_mod.reset_registry()
    yield folder
    for mod in set(sys.modules) - before:
        if mod.startswith("hkt_test_"):
            del sys.modules[mod]
    registry_mod.reset_registry(old)


@pytest.fixture
def fresh(site: Path) -> Callable[[], registry_mod.PluginRegistry]:
    """Rediscover (real entry points) and make that the process's registry."""
    def make() -> registry_mod.PluginRegistry:
        import importlib

        importlib.invalidate_caches()
        reg = registry_mod.PluginRegistry()
        registry_mod.reset_registry(reg)
        return reg

    return make
