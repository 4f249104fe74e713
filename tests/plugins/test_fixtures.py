"""The fixtures HK Twin publishes through pytest11 work for an installed plugin's tests."""

from __future__ import annotations

import importlib.util

import pytest

import hktwin.plugins as hp


def test_make_twin_loads_the_demo_city_with_the_plugin_layers(make_twin, hktwin_plugins):
    twin = make_twin()
    assert twin.city is not None and twin.layers.get("Terrain") is not None
    from_plugins = [layer for layer in twin.layers if getattr(layer, "plugin", "")]
    expected = {c.plugin for c in hktwin_plugins.contributions("layers") if c.has("factory")}
    assert {layer.plugin for layer in from_plugins} <= expected
    if importlib.util.find_spec("hktwin_noise") is not None:
        assert twin.layers.get("Road noise").plugin == "noise"


def test_make_session_drives_the_same_twin(make_session):
    session = make_session()
    assert session.twin.city is not None
    assert session.twin.layers.get("Buildings") is not None


def test_hktwin_plugins_is_a_fresh_registry_with_throwaway_settings(hktwin_plugins):
    from hktwin.core import settings

    assert hp.registry() is hktwin_plugins
    others = [p.name for p in hktwin_plugins.plugins() if p.name != "builtin"]
    if not others:
        pytest.skip("only the built-ins are installed (pip install -e plugins/*)")
    name = others[0]
    hktwin_plugins.set_enabled(name, False)
    assert settings.load().enabled_plugins == {name: False}
    assert not hp.registry().plugin(name).active
    with pytest.raises(ValueError, match="cannot be disabled"):
        hktwin_plugins.set_enabled("builtin", False)
