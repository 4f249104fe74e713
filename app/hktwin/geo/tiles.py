"""Buildings merged into one mesh per square tile, cached on disk keyed by the source's hash.

One mesh per tile keeps draw calls few (a 6 km tile holds thousands of buildings) while letting
the renderer cull and simplify tile by tile. For level of detail, crowded tiles are split as a
quadtree (down to 6 km / 2^MAX_SPLITS) so that culling and full detail near the camera work on
small pieces, and each tile also keeps its buildings as oriented boxes (`hktwin.geo.lod`).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hktwin.core.files import atomic_path
from hktwin.core.progress import Progress, no_progress
from hktwin.geo.buildings import Buildings
from hktwin.geo.extrude import extrude_footprints
from hktwin.geo.lod import Boxes, oriented_boxes
from hktwin.geo.mesh import MeshArrays

log = logging.getLogger(__name__)

#: Bump when the meshing changes, so old caches are rebuilt rather than trusted.
MESH_FORMAT = 4
TILE_SIZE_M = 6000.0
#: A quadtree tile is split at most this many times (6 km -> 375 m).
MAX_SPLITS = 4


@dataclass(frozen=True, eq=False)
class Tile:
    """One tile's merged building mesh; `key` is (column, row) on the grid of tiles of
    `TILE_SIZE_M / 2**level` metres; `boxes` the same buildings as oriented boxes, when level of
    detail asked for them."""

    key: tuple[int, int]
    mesh: MeshArrays
    level: int = 0
    boxes: Boxes | None = None


def tile_keys(x: np.ndarray, y: np.ndarray, tile_size: float, origin: tuple[float, float]):
    """Tile column and row of each point."""
    col = np.floor((np.asarray(x) - origin[0]) / tile_size).astype(np.int64)
    row = np.floor((np.asarray(y) - origin[1]) / tile_size).astype(np.int64)
    return col, row


def quadtree_keys(
    x: np.ndarray, y: np.ndarray, tile_size: float, origin: tuple[float, float],
    max_per_tile: int | None, max_splits: int = MAX_SPLITS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(column, row, level) of each point: a tile holding more than `max_per_tile` points is
    split into four, recursively, so dense districts get small tiles and the countryside big."""
    col, row = tile_keys(x, y, tile_size, origin)
    level = np.zeros(len(col), np.int64)
    if max_per_tile is None:
        return col, row, level
    for depth in range(1, max_splits + 1):
        _, inverse, counts = np.unique(_pack(col, row, level), return_inverse=True,
                                       return_counts=True)
        crowded = counts[inverse] > max_per_tile
        if not crowded.any():
            break
        level[crowded] = depth
        col[crowded], row[crowded] = tile_keys(x[crowded], y[crowded], tile_size / 2**depth,
                                               origin)
    return col, row, level


def _pack(col: np.ndarray, row: np.ndarray, level: np.ndarray) -> np.ndarray:
    """One sortable int64 per (level, column, row); columns and rows fit in 28 bits."""
    return (level << 56) + ((col & 0xFFFFFFF) << 28) + (row & 0xFFFFFFF)


def mesh_building_tiles(
    buildings: Buildings,
    origin: tuple[float, float],
    tile_size: float = TILE_SIZE_M,
    progress: Progress = no_progress,
    max_per_tile: int | None = None,
    boxes: bool = False,
) -> list[Tile]:
    """Group buildings by the tile of their centroid and extrude each group into one mesh.

    `max_per_tile` splits crowded tiles (a quadtree); `boxes` adds each tile's oriented boxes.
    """
    x, y = np.asarray(buildings.centroid_x), np.asarray(buildings.centroid_y)
    col, row, level = quadtree_keys(x, y, tile_size, origin, max_per_tile)
    packed = _pack(col, row, level)
    order = np.argsort(packed, kind="stable")
    keys, starts = np.unique(packed[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    tiles = []
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        rows = order[start:end]
        first = rows[0]
        args = (buildings.footprints[rows], buildings.base[rows], buildings.height[rows],
                buildings.ids[rows])
        mesh = extrude_footprints(*args, origin=origin)
        box = oriented_boxes(*args, origin=origin) if boxes else None
        tiles.append(Tile((int(col[first]), int(row[first])), mesh, int(level[first]), box))
        progress((i + 1) / len(keys), f"Meshing buildings: tile {i + 1}/{len(keys)}")
    return tiles


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks so large sources never sit whole in memory."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def cache_key(
    source: Path, origin: tuple[float, float], tile_size: float,
    max_per_tile: int | None = None, boxes: bool = False, variant: str = "",
) -> str:
    """A key that changes with the source's content, the mesher, the origin and the tiling
    (and `variant`: which rows of the source, standing where, for a composed city's base)."""
    params = f"{MESH_FORMAT}:{origin[0]:.3f}:{origin[1]:.3f}:{tile_size:.3f}"
    if max_per_tile is not None or boxes:
        params += f":{max_per_tile}:{int(boxes)}"
    if variant:
        params += f":{variant}"
    return hashlib.sha256((file_digest(source) + params).encode()).hexdigest()[:32]


_ARRAYS = ("vertices", "faces", "normals", "face_owner")
_TABLE = ("keys", "vertex_counts", "face_counts")
_BOXES = ("box_corners", "box_z", "box_owner", "box_size", "box_counts", "box_error")


def save_tiles(path: Path, tiles: list[Tile]) -> None:
    """Write tiles to one .npz; atomic (temp file + replace). Each member carries zip's CRC-32,
    so a damaged file fails to load rather than loading wrong."""
    merged = MeshArrays.concatenate([t.mesh for t in tiles])
    arrays = {name: getattr(merged, name) for name in _ARRAYS}
    # Face indices are stored per tile, not merged, so a tile can be sliced back out as is.
    arrays["faces"] = np.concatenate([t.mesh.faces for t in tiles]) if tiles else merged.faces
    arrays["keys"] = np.array([(*t.key, t.level) for t in tiles], dtype=np.int64).reshape(-1, 3)
    arrays["vertex_counts"] = np.array([len(t.mesh.vertices) for t in tiles], dtype=np.int64)
    arrays["face_counts"] = np.array([t.mesh.n_faces for t in tiles], dtype=np.int64)
    if tiles and all(t.boxes is not None for t in tiles):
        arrays.update(_box_arrays([t.boxes for t in tiles]))  # type: ignore[misc]
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:  # no stray .tmp on a failure
        np.savez(fh, **arrays)


def load_tiles(path: Path) -> list[Tile]:
    """Read tiles written by `save_tiles`; raises ValueError if the file is corrupt."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except Exception as exc:  # zipfile: CRC-32 mismatch, truncated or missing members
        raise ValueError(f"unreadable mesh cache {path}: {exc}") from exc
    missing = {*_ARRAYS, *_TABLE} - arrays.keys()
    if missing:
        raise ValueError(f"mesh cache {path} lacks {', '.join(sorted(missing))}")
    v_ends = np.cumsum(arrays["vertex_counts"])
    f_ends = np.cumsum(arrays["face_counts"])
    consistent = (
        (v_ends[-1] if len(v_ends) else 0) == len(arrays["vertices"]) == len(arrays["normals"])
        and (f_ends[-1] if len(f_ends) else 0) == len(arrays["faces"])
        == len(arrays["face_owner"]))
    if not consistent:
        raise ValueError(f"mesh cache {path} is inconsistent (counts do not match its arrays)")
    boxes = _boxes_from(arrays) if "box_counts" in arrays else [None] * len(arrays["keys"])
    tiles = []
    for i, key in enumerate(arrays["keys"]):
        v0 = v_ends[i - 1] if i else 0
        f0 = f_ends[i - 1] if i else 0
        mesh = MeshArrays(
            arrays["vertices"][v0 : v_ends[i]],
            arrays["faces"][f0 : f_ends[i]],
            arrays["normals"][v0 : v_ends[i]],
            arrays["face_owner"][f0 : f_ends[i]],
        )
        level = int(key[2]) if len(key) > 2 else 0  # format 3 caches had no level
        tiles.append(Tile((int(key[0]), int(key[1])), mesh, level, boxes[i]))
    return tiles


def _box_arrays(boxes: list[Boxes]) -> dict[str, np.ndarray]:
    return {
        "box_corners": np.concatenate([b.corners for b in boxes]),
        "box_z": np.concatenate([b.z for b in boxes]),
        "box_owner": np.concatenate([b.owner for b in boxes]),
        "box_size": np.concatenate([b.size for b in boxes]),
        "box_counts": np.array([len(b) for b in boxes], np.int64),
        "box_error": np.array([b.error for b in boxes], np.float64),
    }


def _boxes_from(arrays: dict[str, np.ndarray]) -> list[Boxes]:
    ends = np.cumsum(arrays["box_counts"])
    starts = ends - arrays["box_counts"]
    return [Boxes(arrays["box_corners"][a:b], arrays["box_z"][a:b], arrays["box_owner"][a:b],
                  arrays["box_size"][a:b], float(e))
            for a, b, e in zip(starts, ends, arrays["box_error"], strict=True)]


def tiles_from_cache(
    source: Path, origin: tuple[float, float], cache_dir: Path, tile_size: float = TILE_SIZE_M,
    max_per_tile: int | None = None, boxes: bool = False,
) -> list[Tile] | None:
    """The cached tiles of a buildings file, or None when the cache holds no valid entry.

    Needs only the file and the origin (not the read table), so a loader can read the cache
    while the buildings themselves are being read.
    """
    key = cache_key(source, origin, tile_size, max_per_tile=max_per_tile, boxes=boxes)
    path = cache_dir / "meshes" / f"buildings-{key}.npz"
    if not path.exists():
        return None
    try:
        return load_tiles(path)
    except ValueError as exc:
        log.warning("%s; rebuilding it", exc)
        path.unlink(missing_ok=True)
        return None


def cached_building_tiles(
    buildings: Buildings,
    origin: tuple[float, float],
    cache_dir: Path | None,
    tile_size: float = TILE_SIZE_M,
    progress: Progress = no_progress,
    max_per_tile: int | None = None,
    boxes: bool = False,
    variant: str = "",
) -> tuple[list[Tile], bool]:
    """Tiles from the cache when it holds a valid entry for this source, else mesh and store.

    Returns (tiles, from_cache). A corrupt entry is logged, deleted and rebuilt. `variant`
    tells apart tables read from the same file and then changed (a base city's buildings).
    """
    options = {"max_per_tile": max_per_tile, "boxes": boxes}
    if cache_dir is None or buildings.source is None:
        return mesh_building_tiles(buildings, origin, tile_size, progress, **options), False
    key = cache_key(buildings.source, origin, tile_size, variant=variant, **options)
    path = cache_dir / "meshes" / f"buildings-{key}.npz"
    if path.exists():
        try:
            tiles = load_tiles(path)
            progress(1.0, "Buildings loaded from cache")
            return tiles, True
        except ValueError as exc:
            log.warning("%s; rebuilding it", exc)
            path.unlink(missing_ok=True)
    tiles = mesh_building_tiles(buildings, origin, tile_size, progress, **options)
    try:
        save_tiles(path, tiles)
    except OSError as exc:  # a read-only or full cache folder must not stop the app
        log.warning("could not write the mesh cache %s: %s", path, exc)
    return tiles, False


# -- the buildings table cache ---------------------------------------------------------------------
#: Buildings files larger than this are cached as plain arrays: for the territory's 342,000
#: footprints, decoding the GeoParquet, orienting the rings and finding the centroids took most
#: of a warm open (3.4 s of 4.0 s on the shared VM).
BUILDINGS_CACHE_BYTES = 8 * 2**20
BUILDINGS_CACHE_FORMAT = 1


def _source_key(path: Path) -> str:
    import os

    st = os.stat(path)
    ident = f"{BUILDINGS_CACHE_FORMAT}:{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}"
    return hashlib.sha256(ident.encode()).hexdigest()[:32]


def cached_buildings(path: str | Path, cache_dir: Path | None, read) -> Buildings:
    """`read(path)` (a validated, sorted, oriented `Buildings`), or the same table from the
    cache: footprints as ragged coordinate arrays (already oriented), centroids, attributes.
    Keyed by the file's path, size and modification time; a damaged entry is rebuilt."""
    path = Path(path)
    if cache_dir is None or path.stat().st_size < BUILDINGS_CACHE_BYTES:
        return read(path)
    entry = cache_dir / "buildings" / f"table-{_source_key(path)}.npz"
    if entry.exists():
        try:
            return _load_buildings(entry, path)
        except Exception as exc:  # zip CRC, missing members, shapes: rebuild
            log.warning("unreadable buildings cache %s (%s); rebuilding it", entry, exc)
            entry.unlink(missing_ok=True)
    buildings = read(path)
    try:
        _save_buildings(entry, buildings)
    except Exception as exc:  # a read-only or full cache folder must not stop the app
        log.warning("could not write the buildings cache %s: %s", entry, exc)
    return buildings


def _save_buildings(entry: Path, b: Buildings) -> None:
    import shapely

    def text(values: np.ndarray) -> np.ndarray:
        if not all(isinstance(v, str) for v in values):
            raise ValueError("non-text names or kinds")
        return np.asarray(values, dtype=str)

    arrays = {"ids": b.ids, "names": text(b.names), "kinds": text(b.kinds), "base": b.base,
              "height": b.height, "centroid_x": b.centroid_x, "centroid_y": b.centroid_y}
    if len(b) and (shapely.get_type_id(b.footprints) == 3).all():  # Polygons only: ragged
        _, coords, (ring_offsets, poly_offsets) = shapely.to_ragged_array(b.footprints)
        arrays.update(coords=coords, ring_offsets=ring_offsets, poly_offsets=poly_offsets)
    else:
        wkb = shapely.to_wkb(b.footprints)
        arrays.update(wkb=np.frombuffer(b"".join(wkb), np.uint8),
                      wkb_lengths=np.array([len(w) for w in wkb], np.int64))
    entry.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(entry) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def _load_buildings(entry: Path, source: Path) -> Buildings:
    import shapely

    with np.load(entry, allow_pickle=False) as data:
        a = {name: data[name] for name in data.files}
    n = len(a["ids"])
    if "coords" in a:
        footprints = shapely.from_ragged_array(
            shapely.GeometryType.POLYGON, a["coords"], (a["ring_offsets"], a["poly_offsets"]))
    else:
        ends = np.cumsum(a["wkb_lengths"])
        blob = a["wkb"].tobytes()
        footprints = shapely.from_wkb([blob[e - k:e] for e, k in zip(ends, a["wkb_lengths"],
                                                                      strict=True)])
    columns = ("names", "kinds", "base", "height", "centroid_x", "centroid_y")
    if len(footprints) != n or any(len(a[c]) != n for c in columns):
        raise ValueError("columns of different lengths")
    return Buildings(ids=a["ids"], names=a["names"].astype(object),
                     kinds=a["kinds"].astype(object), base=a["base"], height=a["height"],
                     footprints=np.asarray(footprints, dtype=object), centroid_x=a["centroid_x"],
                     centroid_y=a["centroid_y"], source=source)
