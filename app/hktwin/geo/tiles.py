"""Buildings merged into one mesh per square tile, cached on disk keyed by the source's hash.

One mesh per tile keeps draw calls few (a 6 km tile holds thousands of buildings) while letting
the renderer cull and, later, simplify tile by tile.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hktwin.core.progress import Progress, no_progress
from hktwin.geo.buildings import Buildings
from hktwin.geo.extrude import extrude_footprints
from hktwin.geo.mesh import MeshArrays

log = logging.getLogger(__name__)

#: Bump when the meshing changes, so old caches are rebuilt rather than trusted.
MESH_FORMAT = 3
TILE_SIZE_M = 6000.0


@dataclass(frozen=True, eq=False)
class Tile:
    """One tile's merged building mesh; `key` is (column, row) on the tile grid."""

    key: tuple[int, int]
    mesh: MeshArrays


def tile_keys(x: np.ndarray, y: np.ndarray, tile_size: float, origin: tuple[float, float]):
    """Tile column and row of each point."""
    col = np.floor((np.asarray(x) - origin[0]) / tile_size).astype(np.int64)
    row = np.floor((np.asarray(y) - origin[1]) / tile_size).astype(np.int64)
    return col, row


def mesh_building_tiles(
    buildings: Buildings,
    origin: tuple[float, float],
    tile_size: float = TILE_SIZE_M,
    progress: Progress = no_progress,
) -> list[Tile]:
    """Group buildings by the tile of their centroid and extrude each group into one mesh."""
    col, row = tile_keys(buildings.centroid_x, buildings.centroid_y, tile_size, origin)
    packed = (col << 32) + (row & 0xFFFFFFFF)
    order = np.argsort(packed, kind="stable")
    keys, starts = np.unique(packed[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    tiles = []
    for i, (key, start, end) in enumerate(zip(keys, starts, ends, strict=True)):
        rows = order[start:end]
        mesh = extrude_footprints(
            buildings.footprints[rows], buildings.base[rows], buildings.height[rows],
            buildings.ids[rows], origin=origin,
        )
        tiles.append(Tile((int(key >> 32), int(np.int32(key & 0xFFFFFFFF))), mesh))
        progress((i + 1) / len(keys), f"Meshing buildings: tile {i + 1}/{len(keys)}")
    return tiles


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks so large sources never sit whole in memory."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def cache_key(source: Path, origin: tuple[float, float], tile_size: float) -> str:
    """A key that changes with the source's content, the mesher, the origin and the tiling."""
    params = f"{MESH_FORMAT}:{origin[0]:.3f}:{origin[1]:.3f}:{tile_size:.3f}"
    return hashlib.sha256((file_digest(source) + params).encode()).hexdigest()[:32]


_ARRAYS = ("vertices", "faces", "normals", "face_owner")


def _payload_digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in (*_ARRAYS, "keys", "vertex_counts", "face_counts"):
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return h.hexdigest()


def save_tiles(path: Path, tiles: list[Tile]) -> None:
    """Write tiles to one .npz with a digest of its contents; atomic (temp file + replace)."""
    merged = MeshArrays.concatenate([t.mesh for t in tiles])
    arrays = {name: getattr(merged, name) for name in _ARRAYS}
    # Face indices are stored per tile, not merged, so a tile can be sliced back out as is.
    arrays["faces"] = np.concatenate([t.mesh.faces for t in tiles]) if tiles else merged.faces
    arrays["keys"] = np.array([t.key for t in tiles], dtype=np.int64).reshape(-1, 2)
    arrays["vertex_counts"] = np.array([len(t.mesh.vertices) for t in tiles], dtype=np.int64)
    arrays["face_counts"] = np.array([t.mesh.n_faces for t in tiles], dtype=np.int64)
    arrays["digest"] = np.array(_payload_digest(arrays))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def load_tiles(path: Path) -> list[Tile]:
    """Read tiles written by `save_tiles`; raises ValueError if the file is corrupt."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except Exception as exc:  # zipfile, CRC, truncated or missing members
        raise ValueError(f"unreadable mesh cache {path}: {exc}") from exc
    missing = {*_ARRAYS, "keys", "vertex_counts", "face_counts", "digest"} - arrays.keys()
    if missing or str(arrays["digest"]) != _payload_digest(arrays):
        raise ValueError(f"mesh cache {path} does not match its digest")
    v_ends = np.cumsum(arrays["vertex_counts"])
    f_ends = np.cumsum(arrays["face_counts"])
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
        tiles.append(Tile((int(key[0]), int(key[1])), mesh))
    return tiles


def cached_building_tiles(
    buildings: Buildings,
    origin: tuple[float, float],
    cache_dir: Path | None,
    tile_size: float = TILE_SIZE_M,
    progress: Progress = no_progress,
) -> tuple[list[Tile], bool]:
    """Tiles from the cache when it holds a valid entry for this source, else mesh and store.

    Returns (tiles, from_cache). A corrupt entry is logged, deleted and rebuilt.
    """
    if cache_dir is None or buildings.source is None:
        return mesh_building_tiles(buildings, origin, tile_size, progress), False
    path = cache_dir / "meshes" / f"buildings-{cache_key(buildings.source, origin, tile_size)}.npz"
    if path.exists():
        try:
            tiles = load_tiles(path)
            progress(1.0, "Buildings loaded from cache")
            return tiles, True
        except ValueError as exc:
            log.warning("%s; rebuilding it", exc)
            path.unlink(missing_ok=True)
    tiles = mesh_building_tiles(buildings, origin, tile_size, progress)
    try:
        save_tiles(path, tiles)
    except OSError as exc:  # a read-only or full cache folder must not stop the app
        log.warning("could not write the mesh cache %s: %s", path, exc)
    return tiles, False
