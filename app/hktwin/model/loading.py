"""Open a data pack and turn it into the layers of a twin (off the GUI thread in the app)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hktwin.core.paths import cache_dir as default_cache_dir
from hktwin.core.progress import Progress, no_progress, sub_progress
from hktwin.feeds.store import FeedStore
from hktwin.geo.city import CityModel
from hktwin.geo.drape import drape_lines
from hktwin.geo.pack import open_pack
from hktwin.geo.terrain_mesh import choose_step, terrain_mesh
from hktwin.geo.tiles import cached_building_tiles
from hktwin.model.layers import BuildingsLayer, Layer, LinesLayer, SeaLayer, TerrainLayer
from hktwin.model.live_layers import LiveLayer

#: The drawn terrain keeps at most this many grid vertices; software GL draws ~1 M triangles in
#: about 0.4 s, so the default keeps the whole scene interactive without a GPU.
TERRAIN_MAX_VERTICES = 400_000

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
    terrain_max_vertices: int = TERRAIN_MAX_VERTICES,
) -> LoadedCity:
    """Read a pack (the demo city when None) and build its layers: terrain, sea, lines, buildings.

    `cache` is a folder, True for the user cache folder, or False/None to mesh without caching.
    """
    cache_path = default_cache_dir() if cache is True else (cache or None)
    city = open_pack(pack, sub_progress(progress, 0.0, 0.35))
    origin = city.origin
    progress(0.35, "Meshing terrain")
    step = choose_step(city.terrain, terrain_max_vertices)
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
        tiles, from_cache = cached_building_tiles(
            city.buildings, origin, cache_path, progress=sub_progress(progress, 0.5, 1.0)
        )
        layers.append(BuildingsLayer("Buildings", buildings=city.buildings, tiles=tiles))
    progress(1.0, "City ready")
    return LoadedCity(city, layers, from_cache)


def load_live(loaded: LoadedCity, progress: Progress = no_progress) -> LoadedCity:
    """Add the live layers (traffic, weather, air quality, rainfall) and the pack's recorded
    feeds to a loaded city."""
    from hktwin.model.live import live_layers_for, recording_store

    progress(0.0, "Building live layers")
    loaded.live_layers = live_layers_for(loaded.city)
    loaded.store = recording_store(loaded.city, sub_progress(progress, 0.3, 1.0))
    progress(1.0, "Live layers ready")
    return loaded
