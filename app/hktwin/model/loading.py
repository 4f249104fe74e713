"""Open a data pack and turn it into the layers of a twin (off the GUI thread in the app)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hktwin.core.paths import cache_dir as default_cache_dir
from hktwin.core.progress import Progress, no_progress, sub_progress
from hktwin.feeds.store import FeedStore
from hktwin.geo.city import CityModel
from hktwin.geo.drape import drape_lines
from hktwin.geo.pack import open_pack, pack_file, read_manifest
from hktwin.geo.pyramid import TerrainPyramid, level_count, levels_from_raster
from hktwin.geo.terrain_mesh import choose_step, terrain_mesh
from hktwin.geo.tiles import cached_building_tiles
from hktwin.model.layers import BuildingsLayer, Layer, LinesLayer, SeaLayer, TerrainLayer
from hktwin.model.live_layers import LiveLayer

#: The drawn terrain keeps at most this many grid vertices; software GL draws ~1 M triangles in
#: about 0.4 s, so the default keeps the whole scene interactive without a GPU.
TERRAIN_MAX_VERTICES = 400_000
#: A terrain with more cells than this (4x what one mesh keeps, so a stride of 2 or more would
#: drop detail near the camera) is drawn from a pyramid of chunks chosen per view instead.
TERRAIN_PYRAMID_CELLS = TERRAIN_MAX_VERTICES * 4
#: Buildings of more triangles than this (about 95,000 buildings) are drawn with level of
#: detail: crowded tiles split down to at most LOD_TILE_BUILDINGS buildings, far ones as boxes.
#: The demo city (48k buildings, 0.5 M triangles) stays below, drawn whole.
BUILDINGS_LOD_FACES = 1_000_000
LOD_TILE_BUILDINGS = 2_000

log = logging.getLogger(__name__)

LINE_STYLES = {
    "roads": ((0.98, 0.72, 0.20), 2.5),
    "districts": ((0.92, 0.92, 0.98), 1.0),
}


@dataclass
class LoadedCity:
    city: CityModel
    layers: list[Layer]
    meshes_from_cache: bool
    live_layers: list[LiveLayer] = field(default_factory=list)
    store: FeedStore | None = None  # the pack's recorded feeds, when it ships them


def load_city(
    pack: str | Path | None = None,
    progress: Progress = no_progress,
    cache: Path | bool | None = True,
    terrain_max_vertices: int | None = None,
    lod: bool | None = None,
    plugin_layers: bool = True,
) -> LoadedCity:
    """Read a pack (the demo city when None) and build its layers: terrain, sea, lines, buildings.

    `cache` is a folder, True for the user cache folder, or False/None to mesh without caching.
    `lod` forces level of detail on or off; None (the default) decides by size, and the
    environment variable HKTWIN_LOD=on|off overrides that. `plugin_layers` adds the layers the
    active plugins' layer factories build for this city (after the built-in ones).
    """
    cache_path = default_cache_dir() if cache is True else (cache or None)
    max_vertices = terrain_max_vertices or TERRAIN_MAX_VERTICES
    if lod is None:
        lod = {"on": True, "off": False}.get(os.environ.get("HKTWIN_LOD", "").lower())
    city = open_pack(pack, sub_progress(progress, 0.0, 0.35))
    origin = city.origin
    rows, cols = city.terrain.shape
    lod_terrain = lod if lod is not None else rows * cols > TERRAIN_PYRAMID_CELLS
    if lod_terrain:
        progress(0.35, "Building the terrain pyramid")
        terrain = TerrainLayer("Terrain", terrain=city.terrain,
                               pyramid=terrain_pyramid(city, origin))
    else:
        progress(0.35, "Meshing terrain")
        step = choose_step(city.terrain, max_vertices)
        terrain = TerrainLayer("Terrain", terrain=city.terrain,
                               mesh=terrain_mesh(city.terrain, step, origin))
    xmin, ymin, xmax, ymax = city.bounds
    sea = SeaLayer("Sea", bounds=(xmin - origin[0], ymin - origin[1],
                                  xmax - origin[0], ymax - origin[1]))
    layers: list[Layer] = [terrain, sea]
    for name, table in city.vectors.items():
        if name == "land":  # the coastline shows where the terrain rises through the sea
            continue
        progress(0.45, f"Draping {name}")
        color, width = LINE_STYLES.get(name, ((0.8, 0.3, 0.8), 1.5))
        segments = drape_lines(table.geometry, city.terrain, origin)
        layers.append(LinesLayer(name.capitalize(), segments=segments, color=color, width=width))
    from_cache = False
    if city.buildings is not None:
        lod_buildings = lod if lod is not None else (
            estimated_faces(city.buildings.footprints) > BUILDINGS_LOD_FACES)
        tiles, from_cache = cached_building_tiles(
            city.buildings, origin, cache_path, progress=sub_progress(progress, 0.5, 1.0),
            max_per_tile=LOD_TILE_BUILDINGS if lod_buildings else None, boxes=lod_buildings,
        )
        layers.append(BuildingsLayer("Buildings", buildings=city.buildings, tiles=tiles,
                                     lod=lod_buildings))
    if plugin_layers:
        from hktwin.plugins import city_layers

        progress(0.98, "Plugin layers")
        layers.extend(city_layers(city))  # a failing plugin is disabled and reported, not fatal
    progress(1.0, "City ready")
    return LoadedCity(city, layers, from_cache)


def terrain_pyramid(city: CityModel, origin: tuple[float, float]) -> TerrainPyramid:
    """The city's terrain as a pyramid, its coarse levels read from the GeoTIFF's overviews
    when the file has them."""
    n_levels = level_count(city.terrain.shape)
    levels = None
    try:
        entry = next(e for e in read_manifest(city.path)["layers"].values()
                     if e["kind"] == "terrain")
        file = pack_file(city.path, entry["path"], "layers.terrain.path")
        levels = levels_from_raster(file, city.terrain.heights, n_levels)
    except Exception as exc:  # overviews are an optimisation: average in memory instead
        log.info("terrain overviews not used: %s", exc)
    return TerrainPyramid(city.terrain, origin, levels=levels)


def estimated_faces(footprints) -> int:
    """Triangles the full extrusion will make: two per wall edge and n - 2 per roof."""
    import shapely

    coords = shapely.get_num_coordinates(footprints).astype(np.int64)
    return int(np.maximum(3 * coords - 5, 0).sum())


def load_live(loaded: LoadedCity, progress: Progress = no_progress) -> LoadedCity:
    """Add the live layers (traffic, weather, air quality, rainfall) and the pack's recorded
    feeds to a loaded city."""
    from hktwin.model.live import live_layers_for, recording_store

    progress(0.0, "Building live layers")
    loaded.live_layers = live_layers_for(loaded.city)
    loaded.store = recording_store(loaded.city, sub_progress(progress, 0.3, 1.0))
    progress(1.0, "Live layers ready")
    return loaded
