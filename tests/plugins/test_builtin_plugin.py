"""The built-ins are plugin no. 1: their manifest declares exactly what the app registers."""

from __future__ import annotations

import importlib
from pathlib import Path

import hktwin.plugins as hp
from hktwin.plugins.manifest import read_manifest

MANIFEST = Path(hp.__file__).parent / "builtin" / hp.MANIFEST_NAME


def test_the_built_in_layers_are_the_adapters_the_renderer_registers():
    from hktwin.render import adapters, scene  # noqa: F401  (scene imports every adapter module)

    manifest = read_manifest(MANIFEST)
    declared = {c.code["model"]: c.code["adapter"] for c in manifest.of_kind("layers")}
    # The app's own registrations (a test elsewhere may register an adapter of its own).
    registered = {f"{k.__module__}:{k.__qualname__}": f"{v.__module__}:{v.__qualname__}"
                  for k, v in adapters._REGISTRY.items() if k.__module__.startswith("hktwin.")}
    assert declared == registered


def test_the_built_in_pickers_are_the_ones_picking_registers():
    from hktwin.render import picking

    manifest = read_manifest(MANIFEST)
    declared = {c.code["model"]: c.code["picker"] for c in manifest.of_kind("layers")
                if "picker" in c.code}
    registered = {f"{k.__module__}:{k.__qualname__}": f"{v.__module__}:{v.__qualname__}"
                  for k, v in picking._PICKERS.items() if k.__module__.startswith("hktwin.")}
    assert declared == registered


def test_the_built_in_feeds_are_the_sources_the_feed_room_knows():
    from hktwin.feeds import sources

    manifest = read_manifest(MANIFEST)
    assert [c.name for c in manifest.of_kind("feeds")] == list(sources.SOURCE_NAMES)
    assert sources.get_source("td-speed").name == "td-speed"
    for c in manifest.of_kind("feeds"):
        module, _, attr = c.code["source"].partition(":")
        assert c.name in getattr(importlib.import_module(module), attr)


def test_every_code_reference_of_the_built_ins_resolves():
    for spec in read_manifest(MANIFEST).contributions:
        for ref in spec.code.values():
            module, _, attr = ref.partition(":")
            assert hasattr(importlib.import_module(module), attr), ref


def test_the_built_ins_are_discovered_through_their_entry_point():
    from importlib.metadata import entry_points

    assert "hktwin.plugins.builtin" in [ep.value for ep in entry_points(group=hp.GROUP)]
    assert hp.registry().plugin("builtin").manifest.path == MANIFEST
