"""Writing throwaway plugins for the tests: a package, its manifest and a `.dist-info` folder
with an `entry_points.txt`, so `importlib.metadata` discovers them as it does pip-installed ones.
(A module of its own, not conftest: several conftest modules share that name in one run.)"""

from __future__ import annotations

import textwrap
from pathlib import Path


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


BROKEN_LAYER = """
[plugin]
name = "brokenlayer"
api = "1"
[[layers]]
name = "bad"
model = "hkt_test_brokenlayer.code:BadLayer"
adapter = "hkt_test_brokenlayer.code:BadAdapter"
picker = "hkt_test_brokenlayer.code:pick"
factory = "hkt_test_brokenlayer.code:make_layers"
"""
BROKEN_LAYER_CODE = """
from dataclasses import dataclass

import hktwin.plugins as hp


@hp.evented
@dataclass(eq=False)
class BadLayer(hp.Layer):
    pass


class BadAdapter(hp.VisualAdapter):
    def __init__(self, layer, parent, context=None):
        super().__init__(layer, parent, context)
        raise ZeroDivisionError("draw failed")


def pick(layer, *ray):
    raise KeyError("pick failed")


def make_layers(city):
    return [BadLayer("bad one")]
"""


def write_broken_layer_plugin(site: Path) -> str:
    """Plugin `brokenlayer`: a layer "bad one" whose adapter and picker raise (draw failed,
    pick failed), for the tests of failure isolation headless and in the window."""
    return write_plugin(site, "brokenlayer", BROKEN_LAYER, {"code.py": BROKEN_LAYER_CODE})
