"""`hktwin plugins list [--json]` and `hktwin plugins new NAME`: what is installed, and a
skeleton to start a new plugin from."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from hktwin.commands.common import UsageError


def register(sub) -> None:
    p = sub.add_parser("plugins", help="list the installed plugins, or write a new one")
    verbs = p.add_subparsers(dest="plugins_command", required=True)
    ls = verbs.add_parser("list", help="installed plugins, their contributions and state")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.add_argument("--traceback", action="store_true", help="show failed plugins' tracebacks")
    new = verbs.add_parser("new", help="write a working plugin skeleton with a passing test")
    new.add_argument("name", help="plugin name: lowercase letters, digits and '-'")
    new.add_argument("--dir", type=Path, default=Path("."),
                     help="folder to create the plugin's project in (default: here)")
    for verb in ("enable", "disable"):
        v = verbs.add_parser(verb, help=f"{verb} a plugin (kept in the settings)")
        v.add_argument("name")


def run(args: argparse.Namespace) -> int:
    if args.plugins_command == "list":
        return _list(args.json, args.traceback)
    if args.plugins_command == "new":
        out = write_skeleton(args.name, args.dir)
        print(f"wrote {out}: pip install -e {out} && pytest {out}")
        return 0
    from hktwin.plugins import registry

    try:
        registry().set_enabled(args.name, args.plugins_command == "enable")
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(f"{args.name}: {args.plugins_command}d")
    return 0


def _list(as_json: bool, tracebacks: bool) -> int:
    from hktwin.plugins import plugins

    found = plugins()
    if as_json:
        rows = [p.to_json() for p in found]
        if not tracebacks:
            for row in rows:
                row.pop("traceback")
        print(json.dumps(rows, indent=2))
        return 0
    for p in found:
        state = "enabled" if p.active else ("failed" if p.error else "disabled")
        print(f"{p.name} {p.version or '?'} (API {p.api or '?'}): {state}")
        for kind, names in p.to_json()["contributions"].items():
            print(f"  {kind}: {', '.join(names)}")
        if p.error:
            print(f"  error ({p.stage}): {p.error}")
            if tracebacks and p.traceback:
                print("  " + p.traceback.rstrip().replace("\n", "\n  "))
    if not found:
        print("no plugins installed")
    return 0


# -- the skeleton ---------------------------------------------------------------------------------

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,40}$")

_PYPROJECT = '''\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "hktwin-{name}"
version = "0.1.0"
description = "An HK Twin plugin: {name}"
requires-python = ">=3.11"
dependencies = ["hk-twin"]

[project.entry-points."hktwin.plugins"]
{name} = "{package}"

[tool.setuptools]
packages = ["{package}"]

[tool.setuptools.package-data]
"{package}" = ["hktwin-plugin.toml"]
'''

_MANIFEST = '''\
[plugin]
name = "{name}"
title = "{title}"
api = "1.0"
description = "Rings of markers around the city centre: a starting point."

[[layers]]
name = "{name}-rings"
title = "{title} rings"
model = "{package}.layer:RingLayer"
adapter = "{package}.visual:RingAdapter"
factory = "{package}.layer:make_layers"
'''

_INIT = '''\
"""{title}: an HK Twin plugin (see hktwin-plugin.toml for what it contributes)."""
'''

_LAYER = '''\
"""The layer model: points on rings around the city centre (no Qt, no GL)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import hktwin.plugins as hp


@hp.evented
@dataclass(eq=False)
class RingLayer(hp.Layer):
    """Points (n, 3) in scene coordinates."""

    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)), repr=False)


def ring_points(radii_m: list[float], per_ring: int = 36) -> np.ndarray:
    """Points on circles of these radii around the scene origin, 30 m up."""
    angle = np.linspace(0.0, 2.0 * np.pi, per_ring, endpoint=False)
    r = np.repeat(np.asarray(radii_m, float), per_ring)
    a = np.tile(angle, len(radii_m))
    return np.column_stack([r * np.cos(a), r * np.sin(a), np.full(len(r), 30.0)])


def make_layers(city) -> list[hp.Layer]:
    """Called by HK Twin once a city is loaded: the layers this plugin adds."""
    return [RingLayer("{title} rings", points=ring_points([1000.0, 2000.0, 3000.0]))]
'''

_VISUAL = '''\
"""How the layer is drawn (vispy): one marker per point, following visibility and opacity."""

from __future__ import annotations

from vispy import scene

import hktwin.plugins as hp


class RingAdapter(hp.VisualAdapter):
    def __init__(self, layer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        self.markers = scene.visuals.Markers(parent=self.node)
        self.markers.set_data(layer.points, face_color=(0.9, 0.2, 0.6, 1.0), size=8)
'''

_TEST = '''\
from pathlib import Path

import numpy as np

import hktwin.plugins as hp
import {package}
from {package}.layer import RingLayer, make_layers, ring_points


def test_manifest_is_valid_and_compatible():
    manifest = hp.read_manifest(Path({package}.__file__).with_name(hp.MANIFEST_NAME))
    assert manifest.name == "{name}"
    assert hp.api_compatible(manifest.api, hp.API_VERSION)


def test_rings_have_the_radii_asked_for():
    points = ring_points([100.0, 250.0], per_ring=8)
    radii = np.hypot(points[:, 0], points[:, 1])
    assert np.allclose(radii[:8], 100.0) and np.allclose(radii[8:], 250.0)


def test_the_factory_builds_a_ring_layer():
    (layer,) = make_layers(city=None)
    assert isinstance(layer, RingLayer) and isinstance(layer, hp.Layer)
    assert len(layer.points) == 3 * 36
'''


def write_skeleton(name: str, folder: Path) -> Path:
    """Write `hktwin-NAME/` under `folder`: pyproject with the entry point, manifest, a layer
    with its adapter and factory, and a test; refuses to overwrite."""
    if not _NAME.match(name):
        raise UsageError(f"plugin name '{name}' must be lowercase letters, digits and '-', "
                         "starting with a letter")
    if not folder.is_dir():
        raise UsageError(f"--dir does not exist: {folder}")
    package = "hktwin_" + name.replace("-", "_")
    root = folder / f"hktwin-{name}"
    if root.exists():
        raise UsageError(f"{root} already exists; choose another name or folder")
    title = name.replace("-", " ").capitalize()
    values = {"name": name, "package": package, "title": title}
    files = {
        "pyproject.toml": _PYPROJECT,
        f"{package}/__init__.py": _INIT,
        f"{package}/hktwin-plugin.toml": _MANIFEST,
        f"{package}/layer.py": _LAYER,
        f"{package}/visual.py": _VISUAL,
        f"tests/test_{package}.py": _TEST,
    }
    for rel, template in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values), encoding="utf-8")
    return root
