"""Throwaway plugins installed for real: a package, its manifest and a `.dist-info` folder with
an `entry_points.txt` in a temporary folder put on sys.path, so `importlib.metadata` discovers
them exactly as it discovers a pip-installed plugin."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

registry_mod = importlib.import_module("hktwin.plugins.registry")


def write_plugin(site: Path, name: str, manifest: str, files: dict[str, str] | None = None,
                 package: str | None = None, version: str = "0.1.0") -> str:
    """Write package `package` (default hkt_test_<name>) with `manifest` and `files`, and its
    distribution metadata with an entry point in group hktwin.plugins. Returns the package."""
    package = package or f"hkt_test_{name.replace('-', '_')}"
    pkg = site / package
    pkg.mkdir(parents=True)
    for rel, text in {"__init__.py": "", **(files or {})}.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(textwrap.dedent(text), encoding="utf-8")
    if manifest is not None:
        (pkg / "hktwin-plugin.toml").write_text(textwrap.dedent(manifest), encoding="utf-8")
    dist = site / f"{package}-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n",
                                   encoding="utf-8")
    (dist / "entry_points.txt").write_text(f"[hktwin.plugins]\n{name} = {package}\n",
                                           encoding="utf-8")
    return package


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
