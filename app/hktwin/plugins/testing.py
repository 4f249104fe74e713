"""Pytest fixtures HK Twin publishes for plugin authors (entry point `pytest11`: `hktwin`).

Installed with HK Twin, so any test suite in the same environment can use them:

- `hktwin_plugins`: a fresh plugin registry for the test, rediscovered from the installed entry
  points, with settings kept in a temporary folder (so enabling or disabling is not persisted).
- `make_twin(pack=None, plugin_layers=True)`: a headless `Twin` with the demo city (or `pack`)
  loaded, including the layers every active plugin's layer factories build.
- `make_session(...)`: the same city opened as an `hktwin.session` document, when that room
  provides one (skips with the reason otherwise).
- `make_window(...)`: a `MainWindow` on that twin under pytest-qt (closed after the test).

This module is imported by every pytest run in the environment: it imports nothing heavy at
module level.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def hktwin_plugins(tmp_path_factory: pytest.TempPathFactory,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A registry discovered afresh for this test; the process's one is restored after."""
    from hktwin.plugins.registry import PluginRegistry, reset_registry

    monkeypatch.setenv("HKTWIN_CONFIG_DIR", str(tmp_path_factory.mktemp("hktwin-config")))
    fresh = PluginRegistry()
    old = reset_registry(fresh)
    try:
        yield fresh
    finally:
        reset_registry(old)


def _load_twin(pack: str | Path | None, plugin_layers: bool) -> Any:
    loading = importlib.import_module("hktwin.model.loading")
    twin_mod = importlib.import_module("hktwin.model.twin")
    loaded = loading.load_city(pack, plugin_layers=plugin_layers)
    twin = twin_mod.Twin(city=loaded.city)
    twin.layers.extend(loaded.layers)
    return twin


@pytest.fixture
def make_twin(hktwin_plugins: Any) -> Callable[..., Any]:
    """Factory: `make_twin(pack=None, plugin_layers=True)` -> a loaded headless Twin."""
    def make(pack: str | Path | None = None, plugin_layers: bool = True) -> Any:
        return _load_twin(pack, plugin_layers)

    return make


@pytest.fixture
def make_session(hktwin_plugins: Any) -> Callable[..., Any]:
    """Factory: `make_session(pack=None)` -> an `hktwin.session.Session` on a loaded twin."""
    def make(pack: str | Path | None = None, **kwargs: Any) -> Any:
        session_mod = importlib.import_module("hktwin.session")
        session_cls = getattr(session_mod, "Session", None)
        if session_cls is None:
            pytest.skip("this HK Twin has no hktwin.session.Session yet")
        return session_cls(twin=_load_twin(pack, True), **kwargs)

    return make


@pytest.fixture
def make_window(request: pytest.FixtureRequest, hktwin_plugins: Any) -> Iterator[Callable]:
    """Factory: `make_window(pack=None)` -> a shown MainWindow (needs pytest-qt and a display)."""
    qtbot = request.getfixturevalue("qtbot")
    made: list[Any] = []

    def make(pack: str | Path | None = None, **kwargs: Any) -> Any:
        importlib.import_module("vispy").use("pyside6")
        window_mod = importlib.import_module("hktwin.ui.main_window")
        window = window_mod.MainWindow(twin=_load_twin(pack, True), **kwargs)
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        window.close()
