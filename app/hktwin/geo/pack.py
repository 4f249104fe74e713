"""Data packs: a folder with a versioned `manifest.json` naming its layers.

The embedded demo city is a pack too (`resources/demo_city`). Packs from a newer app version are
refused with a message rather than half-read.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path, PurePosixPath

from hktwin.core.errors import DataError
from hktwin.core.files import read_json
from hktwin.core.paths import demo_pack_dir
from hktwin.core.progress import Progress, no_progress
from hktwin.geo.buildings import read_buildings
from hktwin.geo.city import CityModel
from hktwin.geo.terrain import read_terrain
from hktwin.geo.vector import read_vector

#: Largest manifest read (real ones are a few kB; the import history is capped).
MAX_MANIFEST_BYTES = 16 * 2**20
PACK_FORMAT = "hktwin-pack"
PACK_VERSION = 1
LAYER_KINDS = ("terrain", "buildings", "roads", "districts", "stations", "population", "vector",
               "raster", "context")
#: `context` layers are drawn, never analysed: the land beyond the boundary, the boundary line.
#: A kind the app does not know is a plugin's (`[[pack_kinds]]`): read by that plugin's reader
#: into `CityModel.extras`, or skipped with a warning when no installed plugin reads it.
_PLUGIN_KIND = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
#: Files of these suffixes are rasters (read like the terrain, into `CityModel.rasters`); a
#: `population` layer is either census polygons or a density raster.
RASTER_SUFFIXES = (".tif", ".tiff")

log = logging.getLogger(__name__)


def pack_file(pack_dir: Path, rel: object, field: str) -> Path:
    """The file a manifest entry names, confined to the pack.

    A crafted manifest must not make the app read, replace or delete anything outside the pack, so
    a path must be a relative string with no `..` that still lies inside the pack once every
    symbolic link is resolved. Anything else is refused naming the manifest field.
    """
    manifest = pack_dir / "manifest.json"
    if not isinstance(rel, str) or not rel.strip():
        raise DataError(manifest, f"the path must be a file name inside the pack, not {rel!r}",
                        "give a relative path such as 'terrain.tif' or rebuild the pack",
                        field=field)
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    if os.path.isabs(rel) or rel.startswith(("/", "\\")) or ".." in parts or ":" in rel:
        raise DataError(manifest, f"the path '{rel}' leads outside the pack",
                        "packs may only name files inside their own folder; rebuild the pack",
                        field=field)
    root = os.path.realpath(pack_dir)
    target = os.path.realpath(os.path.join(root, rel))
    if os.path.commonpath([root, target]) != root or target == root:
        raise DataError(manifest, f"the path '{rel}' resolves to {target}, outside the pack "
                        "(a symbolic link leads out)",
                        "replace the link with the file itself or rebuild the pack", field=field)
    return pack_dir / rel


def read_manifest(pack_dir: Path) -> dict:
    """The pack's manifest, checked for format, version and layer entries."""
    path = pack_dir / "manifest.json"
    if not pack_dir.is_dir():
        raise DataError(pack_dir, "data pack not found",
                        "give the folder of a data pack (it holds manifest.json)")
    if not path.is_file():
        raise DataError(path, "the folder has no manifest.json, so it is not a data pack",
                        "build a pack with `hktwin data import` or give another folder")
    try:  # bounded (a manifest is a few kB) and never a RecursionError, however deep
        manifest = read_json(path, MAX_MANIFEST_BYTES, "pack manifest")
    except DataError as exc:
        raise DataError(path, f"the manifest is not usable ({exc.problem})",
                        "restore manifest.json from a backup or rebuild the pack") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != PACK_FORMAT:
        raise DataError(path, f"not an HK Twin data pack manifest (format must be '{PACK_FORMAT}')",
                        "give the folder of an HK Twin data pack", field="format")
    version = manifest.get("version")
    if not isinstance(version, int):
        raise DataError(path, "the manifest version is missing or not an integer",
                        "rebuild the pack", field="version")
    if version > PACK_VERSION:
        raise DataError(path, f"the pack is format version {version}; this HK Twin reads up to "
                        f"{PACK_VERSION}", "update HK Twin to open it", field="version")
    layers = manifest.get("layers")
    if not isinstance(layers, dict) or not layers:
        raise DataError(path, "the manifest lists no layers", "rebuild the pack", field="layers")
    for name, entry in layers.items():
        kind = entry.get("kind") if isinstance(entry, dict) else None
        valid = isinstance(entry, dict) and "path" in entry and isinstance(kind, str) and (
            kind in LAYER_KINDS or _PLUGIN_KIND.match(kind))
        if not valid:
            raise DataError(path, f"layer '{name}' needs a 'path' and a 'kind' (one of "
                            f"{', '.join(LAYER_KINDS)}, or a plugin's pack kind)",
                            "fix the entry or rebuild the pack", field=f"layers.{name}")
        pack_file(pack_dir, entry["path"], f"layers.{name}.path")
    feeds = manifest.get("feeds", {})
    if not isinstance(feeds, dict):
        raise DataError(path, "'feeds' must map names to file paths",
                        "fix the entry or rebuild the pack", field="feeds")
    for name, rel in feeds.items():
        pack_file(pack_dir, rel, f"feeds.{name}")
    base = manifest.get("base")
    if base is not None and base is not False and base != "demo":
        pack_file(pack_dir, base, "base")  # another pack inside this one, confined like a layer
    terrains = [n for n, e in layers.items() if e["kind"] == "terrain"]
    if len(terrains) != 1:
        raise DataError(path, "a pack needs exactly one terrain layer",
                        "import a DTM with `hktwin data import --as terrain`", field="layers")
    return manifest


def _read_plugin_layer(name: str, kind: str, file: Path, entry: dict,
                       extras: dict[str, tuple[str, object]], warnings: list[str]) -> None:
    """A layer of a plugin's kind into `extras` as (kind, data); when no active plugin reads
    the kind, or its reader fails, the layer is left out with a warning (the rest opens)."""
    from hktwin.plugins import PluginError, read_pack_layer

    try:
        extras[name] = (kind, read_pack_layer(kind, file, entry))
        return
    except KeyError:
        problem = (f"layer '{name}' is of kind '{kind}', which no installed plugin reads; "
                   "install (or enable) the plugin that made it (hktwin plugins list)")
    except PluginError as exc:
        problem = f"layer '{name}' could not be read: {exc}"
    log.warning("%s: %s", file.parent / "manifest.json", problem)
    warnings.append(problem)


#: A pack whose terrain covers less than this share of the base's area is drawn over the base
#: (the demo city) unless its manifest says `"base": false`.
PARTIAL_SHARE = 0.5


def base_pack_dir(pack_dir: Path, manifest: dict, bounds: tuple[float, float, float, float]
                  ) -> Path | None:
    """The pack `pack_dir` is drawn over, or None when it stands alone.

    The manifest's `base` is `false` (stand alone), `"demo"` (the embedded demo city) or the
    relative path of another pack inside this one (confined like every other path). Without
    one, an official pack (not `approximate`) covering part of Hong Kong gets the demo city,
    so a district crop opens in its surroundings rather than as an island in an empty sea.
    """
    base = manifest.get("base")
    demo = demo_pack_dir()
    if base is False or os.path.realpath(pack_dir) == os.path.realpath(demo):
        return None
    if base == "demo":
        return demo
    if base is not None:
        return pack_file(pack_dir, base, "base")
    if manifest.get("approximate", False):
        return None
    try:
        demo_bounds = read_manifest(demo).get("bounds")
    except DataError:  # a build without the demo city: the pack stands alone
        return None
    if not (isinstance(demo_bounds, list) and len(demo_bounds) == 4):
        return None
    bx0, by0, bx1, by1 = (float(v) for v in demo_bounds)
    x0, y0, x1, y1 = bounds
    overlap = max(0.0, min(x1, bx1) - max(x0, bx0)) * max(0.0, min(y1, by1) - max(y0, by0))
    area = (bx1 - bx0) * (by1 - by0)
    return demo if overlap > 0 and (x1 - x0) * (y1 - y0) < PARTIAL_SHARE * area else None


#: Terrains of more cells than this are memory-mapped from the cache when `open_pack` is given
#: one (decompressing the territory's 5 m DTM took seconds of every open).
TERRAIN_CACHE_CELLS = 4_000_000


def _read_terrain(file: Path, cache: Path | None):
    if cache is None:
        return read_terrain(file)
    try:
        import rasterio

        with rasterio.open(file) as src:
            cells = src.width * src.height
    except Exception:  # read_terrain names the problem
        return read_terrain(file)
    if cells <= TERRAIN_CACHE_CELLS:
        return read_terrain(file)
    from hktwin.geo.pyramid import cached_terrain

    return cached_terrain(file, cache, read_terrain)


def open_pack(path: str | Path | None = None, progress: Progress = no_progress,
              base: bool = False, cache: Path | None = None) -> CityModel:
    """Read a pack into a `CityModel` (the embedded demo city when `path` is None).

    With `base` (what `model.loading.load_city` asks for), a pack covering part of Hong Kong
    comes composed over its base pack (`base_pack_dir`): `CityModel.base` holds the base,
    `covered` the official extent. With a `cache` folder, a large terrain is memory-mapped
    from it (read-only heights) and a large buildings table read from plain arrays there (the
    first open fills both).
    """
    pack_dir = Path(path) if path is not None else demo_pack_dir()
    manifest = read_manifest(pack_dir)
    layers = manifest["layers"]
    n = len(layers)
    terrain = buildings = None
    vectors, kinds, rasters, raster_kinds = {}, {}, {}, {}
    extras: dict[str, tuple[str, object]] = {}
    warnings: list[str] = []
    for i, (name, entry) in enumerate(layers.items()):
        progress(i / n, f"Reading {name}")
        file = pack_file(pack_dir, entry["path"], f"layers.{name}.path")
        kind = entry["kind"]
        if kind == "terrain":
            terrain = _read_terrain(file, cache)
        elif kind == "buildings":
            if cache is None:
                buildings = read_buildings(file)
            else:  # a large table comes from the cache, oriented, with its centroids
                from hktwin.geo.tiles import cached_buildings

                buildings = cached_buildings(file, cache, read_buildings)
        elif kind not in LAYER_KINDS:
            _read_plugin_layer(name, kind, file, entry, extras, warnings)
        elif kind == "raster" or file.suffix.lower() in RASTER_SUFFIXES:
            rasters[name] = read_terrain(file)
            raster_kinds[name] = kind
        else:
            vectors[name] = read_vector(file)
            kinds[name] = kind
    feeds = manifest.get("feeds", {})
    progress(1.0, "Pack read")
    assert terrain is not None  # read_manifest guarantees one terrain layer
    city = CityModel(
        name=str(manifest.get("name", pack_dir.name)),
        path=pack_dir,
        terrain=terrain,
        buildings=buildings,
        vectors=vectors,
        vector_kinds=kinds,
        rasters=rasters,
        raster_kinds=raster_kinds,
        feeds={name: pack_file(pack_dir, rel, f"feeds.{name}") for name, rel in feeds.items()},
        notice=str(manifest.get("notice", "")),
        approximate=bool(manifest.get("approximate", False)),
        extras=extras,
        warnings=warnings,
    )
    base_dir = base_pack_dir(pack_dir, manifest, terrain.bounds) if base else None
    if base_dir is None:
        return city
    from hktwin.geo.compose import compose

    return compose(city, open_pack(base_dir, base=False, cache=cache))
