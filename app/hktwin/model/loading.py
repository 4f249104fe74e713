"""Open a data pack and turn it into the layers of a twin (off the GUI thread in the app)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hktwin.core.paths import cache_dir as default_cache_dir
from hktwin.core.paths import demo_pack_dir as default_pack_dir
from hktwin.core.progress import Progress, no_progress, sub_progress
from hktwin.feeds.store import FeedStore
from hktwin.geo.city import CityModel
from hktwin.geo.compose import Surface, drawn_terrain, inside
from hktwin.geo.drape import drape_lines
from hktwin.geo.pack import open_pack, pack_file, read_manifest
from hktwin.geo.pyramid import TerrainPyramid, level_count, levels_from_raster
from hktwin.geo.terrain_mesh import choose_step, terrain_mesh
from hktwin.geo.tiles import cached_building_tiles, tiles_from_cache
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
#: Read the building mesh cache on a thread while the pack is read. Off: once the terrain and
#: buildings tables come from the cache too, it measured slower on the 2-core VM (median ratio
#: 1.16 on the 342k-building pack, 1.34 on the demo city, alternated in one process).
PREFETCH_TILES = False

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
    base: bool = True,
) -> LoadedCity:
    """Read a pack (the demo city when None) and build its layers: terrain, sea, lines, buildings.

    `cache` is a folder, True for the user cache folder, or False/None to mesh without caching.
    `lod` forces level of detail on or off; None (the default) decides by size, and the
    environment variable HKTWIN_LOD=on|off overrides that. `plugin_layers` adds the layers the
    active plugins' layer factories build for this city (after the built-in ones). With `base`,
    a pack covering part of Hong Kong is drawn over its base pack (`geo.compose`).
    """
    cache_path = default_cache_dir() if cache is True else (cache or None)
    max_vertices = terrain_max_vertices or TERRAIN_MAX_VERTICES
    if lod is None:
        lod = {"on": True, "off": False}.get(os.environ.get("HKTWIN_LOD", "").lower())
    # With PREFETCH_TILES, the building meshes are read from the cache while the pack is read.
    prefetch = _prefetch_tiles(pack, cache_path, lod) if PREFETCH_TILES else None
    city = open_pack(pack, sub_progress(progress, 0.0, 0.35), base=base, cache=cache_path)
    origin = city.origin
    drawn = drawn_terrain(city)  # the pack's own terrain, or padded and blended into its base
    surface = Surface(city) if city.base is not None else city.terrain
    rows, cols = drawn.shape
    lod_terrain = lod if lod is not None else rows * cols > TERRAIN_PYRAMID_CELLS
    if lod_terrain:
        progress(0.35, "Building the terrain pyramid")
        pyramid = (terrain_pyramid(city, origin, cache_path) if city.base is None
                   else TerrainPyramid(drawn, origin))
        terrain = TerrainLayer("Terrain", terrain=city.terrain, pyramid=pyramid)
    else:
        progress(0.35, "Meshing terrain")
        step = choose_step(drawn, max_vertices)
        terrain = TerrainLayer("Terrain", terrain=city.terrain,
                               mesh=terrain_mesh(drawn, step, origin))
    layers: list[Layer] = [terrain]
    if city.base is not None:
        layers.append(context_terrain(city, drawn, origin, max_vertices))
    xmin, ymin, xmax, ymax = sea_bounds(city.base or city, SEA_MARGIN_M)
    sea = SeaLayer("Sea", bounds=(xmin - origin[0], ymin - origin[1],
                                  xmax - origin[0], ymax - origin[1]))
    layers.append(sea)
    for name, table in city.vectors.items():
        if name == "land":  # the coastline shows where the terrain rises through the sea
            continue
        if city.vector_kinds.get(name) in ("context", "stations"):  # drawn below as glyphs
            continue
        progress(0.45, f"Draping {name}")
        color, width = LINE_STYLES.get(name, ((0.8, 0.3, 0.8), 1.5))
        segments = drape_lines(table.geometry, surface, origin)
        layers.append(LinesLayer(name.capitalize(), segments=segments, color=color, width=width))
    if city.base is not None:
        layers.extend(context_lines(city, surface, origin))
    # Drawn after the buildings, so the long-standing layer order (terrain, sea, lines,
    # buildings) holds: the land beyond, population and stations.
    extra = [*beyond_layers(city.base or city, surface, origin),
             *population_layers(city, surface, origin), *station_layers(city, surface, origin)]
    from_cache = False
    if city.base is not None and city.base.buildings is not None:
        progress(0.5, "Demo city buildings")
        tiles, _ = cached_building_tiles(
            city.base.buildings, origin, cache_path, max_per_tile=None,
            variant=buildings_digest(city.base.buildings))
        layers.append(BuildingsLayer(f"Buildings ({context_name(city)})",
                                     buildings=city.base.buildings, tiles=tiles))
    if city.buildings is not None:
        lod_buildings = lod if lod is not None else (
            estimated_faces(city.buildings.footprints) > BUILDINGS_LOD_FACES)
        fetched = prefetch.result().get(lod_buildings) if prefetch is not None else None
        if fetched is not None:
            tiles, from_cache = fetched, True
            progress(0.97, "Buildings loaded from cache")
        else:
            tiles, from_cache = cached_building_tiles(
                city.buildings, origin, cache_path, progress=sub_progress(progress, 0.5, 0.97),
                max_per_tile=LOD_TILE_BUILDINGS if lod_buildings else None, boxes=lod_buildings,
            )
        layers.append(BuildingsLayer("Buildings", buildings=city.buildings, tiles=tiles,
                                     lod=lod_buildings))
    layers.extend(extra)
    if plugin_layers:
        from hktwin.plugins import city_layers

        progress(0.98, "Plugin layers")
        layers.extend(city_layers(city))  # a failing plugin is disabled and reported, not fatal
    progress(1.0, "City ready")
    return LoadedCity(city, layers, from_cache)


def _prefetch_tiles(pack, cache_path: Path | None, lod: bool | None):
    """A future of {lod: tiles} for the pack's buildings as the mesh cache holds them (empty when
    it holds none), started on a thread; None when there is no cache to read."""
    if cache_path is None:
        return None
    from concurrent.futures import ThreadPoolExecutor

    def fetch() -> dict[bool, list]:
        import rasterio

        pack_dir = Path(pack) if pack is not None else default_pack_dir()
        layers = read_manifest(pack_dir)["layers"]
        files = {e["kind"]: pack_file(pack_dir, e["path"], f"layers.{n}.path")
                 for n, e in layers.items() if e["kind"] in ("terrain", "buildings")}
        if "buildings" not in files or not files["buildings"].is_file():
            return {}
        with rasterio.open(files["terrain"]) as src:
            b = src.bounds
        origin = (round((b.left + b.right) / 2, -3), round((b.bottom + b.top) / 2, -3))
        found: dict[bool, list] = {}
        for boxed in ((True, False) if lod is None else (lod,)):
            tiles = tiles_from_cache(files["buildings"], origin, cache_path,
                                     max_per_tile=LOD_TILE_BUILDINGS if boxed else None,
                                     boxes=boxed)
            if tiles is not None:
                found[boxed] = tiles
                break
        return found

    def guarded() -> dict[bool, list]:
        try:
            return fetch()
        except Exception as exc:  # the ordinary path reports any real problem
            log.info("mesh cache not prefetched: %s", exc)
            return {}

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hktwin-tiles")
    future = pool.submit(guarded)
    pool.shutdown(wait=False)
    return future


#: Colour of the line round the official data of a composed city.
OUTLINE_STYLE = ((0.20, 0.95, 0.95), 3.0)


def context_name(city: CityModel) -> str:
    """How the base's layers are labelled ("demo city" for the approximate demo)."""
    assert city.base is not None
    return "demo city" if city.base.approximate else city.base.name


def context_terrain(city: CityModel, drawn, origin: tuple[float, float],
                    max_vertices: int) -> TerrainLayer:
    """The base's terrain with a hole where the composed city's drawn grid lies.

    A base triangle with any vertex inside the pack's grid (grown by the drawn grid's margin less
    one base mesh step) is dropped, so the drawn grid always fills the hole.
    """
    assert city.base is not None
    b = city.base.terrain
    step = choose_step(b, max_vertices)
    mesh = terrain_mesh(b, step, origin)
    x0, y0, x1, y1 = city.terrain.bounds
    pad = (drawn.bounds[2] - x1)  # how far the drawn grid reaches beyond the pack's own
    grow = max(pad - step * b.cell_size * 1.01, 0.0)  # a dropped triangle spans one step
    hole = (x0 - grow - origin[0], y0 - grow - origin[1],
            x1 + grow - origin[0], y1 + grow - origin[1])
    v = mesh.vertices
    in_hole = inside(hole, v[:, 0], v[:, 1])
    keep = ~in_hole[mesh.faces].any(axis=1)
    mesh = type(mesh)(mesh.vertices, mesh.faces[keep], mesh.normals, mesh.face_owner[keep])
    return TerrainLayer(f"Terrain ({context_name(city)})", terrain=b, mesh=mesh)


def context_lines(city: CityModel, surface, origin: tuple[float, float]) -> list[Layer]:
    """The base's lines (roads, districts) and the outline of the official data."""
    import shapely

    assert city.base is not None and city.covered is not None
    out: list[Layer] = []
    for name, table in city.base.vectors.items():
        if name == "land" or name in city.vectors or \
                city.base.vector_kinds.get(name) == "context":
            continue
        color, width = LINE_STYLES.get(name, ((0.8, 0.3, 0.8), 1.5))
        segments = drape_lines(table.geometry, surface, origin)
        out.append(LinesLayer(f"{name.capitalize()} ({context_name(city)})", segments=segments,
                              color=color, width=width * 0.8))
    outline = drape_lines(np.array([shapely.box(*city.covered)]), surface, origin, lift_m=6.0,
                          max_segment_m=max(surface.cell_size * 2, 10.0))
    color, width = OUTLINE_STYLE
    out.append(LinesLayer("Official data outline", segments=outline, color=color, width=width))
    return out


#: The land beyond the boundary: flat, muted (not the elevation ramp: it is not modelled), just
#: above the sea; the HKSAR boundary line over it.
BEYOND_COLOR = (0.55, 0.58, 0.50)
BEYOND_Z_M = 1.0
BOUNDARY_STYLE = ((0.92, 0.42, 0.32), 2.0)


#: The sea spans the land drawn, the land beyond included, and this margin; the renderer pads
#: it by its own size again, so in the usual views it reaches the far clipping plane (about
#: half a degree below the horizon in the harbour view) instead of ending short of the land.
SEA_MARGIN_M = 0.0


def sea_bounds(city: CityModel, margin: float) -> tuple[float, float, float, float]:
    """The terrain's bounds and the context layers' (the land beyond), grown by `margin`."""
    import shapely

    x0, y0, x1, y1 = city.bounds
    for name, table in city.vectors.items():
        if city.vector_kinds.get(name) == "context" and len(table.geometry):
            bx0, by0, bx1, by1 = shapely.total_bounds(np.asarray(table.geometry))
            x0, y0, x1, y1 = min(x0, bx0), min(y0, by0), max(x1, bx1), max(y1, by1)
    return (x0 - margin, y0 - margin, x1 + margin, y1 + margin)


def beyond_layers(city: CityModel, surface, origin: tuple[float, float]) -> list[Layer]:
    """The pack's `context` layers: polygons filled flat and muted to the horizon (Shenzhen and
    the Pearl River Delta beyond the terrain), lines draped as the boundary."""
    import shapely

    from hktwin.model.context_layers import FillLayer, fill_mesh

    out: list[Layer] = []
    for name, table in city.vectors.items():
        if city.vector_kinds.get(name) != "context" or len(table.geometry) == 0:
            continue
        geoms = np.asarray(table.geometry)
        polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))
        if polygonal.any():
            mesh, _ = fill_mesh(geoms[polygonal], origin, BEYOND_Z_M)
            out.append(FillLayer("Land beyond the boundary", mesh=mesh,
                                 colors=np.tile(np.array(BEYOND_COLOR, np.float32),
                                                (len(mesh.vertices), 1))))
        if (~polygonal).any():
            color, width = BOUNDARY_STYLE
            out.append(LinesLayer("Boundary", segments=drape_lines(geoms[~polygonal], surface,
                                                                   origin, lift_m=5.0),
                                  color=color, width=width))
    return out


#: Population grids are draped at this spacing at least (metres) and this opacity.
POPULATION_SPACING_M = 25.0
POPULATION_OPACITY = 0.7
POPULATION_MAX_VERTICES = 400_000


def _draped(bounds, surface, origin, spacing: float):
    from hktwin.geo.drape import draped_grid

    x0, y0, x1, y1 = bounds
    area = max((x1 - x0) * (y1 - y0), 1.0)
    spacing = max(spacing, float(np.sqrt(area / POPULATION_MAX_VERTICES)))
    return draped_grid(tuple(bounds), surface, origin, spacing, lift_m=2.0)


def _ramp_colors(classes: np.ndarray) -> np.ndarray:
    from hktwin.model.context_layers import RAMP

    rgba = np.zeros((len(classes), 4), np.float32)
    ok = classes >= 0
    rgba[ok, :3] = RAMP[classes[ok]]
    rgba[ok, 3] = 1.0
    return rgba


def population_layers(city: CityModel, surface, origin: tuple[float, float]) -> list[Layer]:
    """Census polygons as a choropleth of people per km2 and density rasters as a coloured
    grid, both draped on the ground (quantile classes; the legend on the layer)."""
    import shapely

    from hktwin.model.context_layers import FillLayer, classes_of, classify

    out: list[Layer] = []
    for name, table in city.vectors.items():
        if city.vector_kinds.get(name) != "population" or len(table.geometry) == 0:
            continue
        geoms = np.asarray(table.geometry)
        if "density_per_km2" in table:
            values = np.asarray(table["density_per_km2"], np.float64)
        elif "population" in table:
            values = np.asarray(table["population"], np.float64) / np.maximum(
                shapely.area(geoms) / 1e6, 1e-6)
        else:
            continue
        mesh, _ = _draped(shapely.total_bounds(geoms), surface, origin, POPULATION_SPACING_M)
        x = mesh.vertices[:, 0].astype(np.float64) + origin[0]
        y = mesh.vertices[:, 1].astype(np.float64) + origin[1]
        tree = shapely.STRtree(geoms)
        pts, polys = tree.query(shapely.points(x, y), predicate="within")
        owner = np.full(len(x), -1, np.int64)
        owner[pts] = polys
        classes, legend = classify(values)
        vertex_class = np.where(owner >= 0, classes[np.maximum(owner, 0)], -1)
        out.append(FillLayer(f"{name.capitalize()} (people per km\u00b2)", mesh=mesh,
                             colors=_ramp_colors(vertex_class), legend=legend,
                             opacity=POPULATION_OPACITY))
    for name, raster in city.rasters.items():
        if city.raster_kinds.get(name) != "population":
            continue
        mesh, _ = _draped(raster.bounds, surface, origin,
                          max(raster.cell_size, POPULATION_SPACING_M))
        x = mesh.vertices[:, 0].astype(np.float64) + origin[0]
        y = mesh.vertices[:, 1].astype(np.float64) + origin[1]
        cells = np.asarray(raster.heights)[::max(1, raster.shape[0] // 500),
                                           ::max(1, raster.shape[1] // 500)].ravel()
        vc, legend = classes_of(raster.height_at(x, y), cells)
        if not legend:
            continue
        out.append(FillLayer(f"{name.capitalize()} (density)", mesh=mesh,
                             colors=_ramp_colors(vc), legend=legend,
                             opacity=POPULATION_OPACITY))
    return out


#: Station glyphs float this far above the ground (metres), so hills do not hide them.
STATION_LIFT_M = 20.0


def station_layers(city: CityModel, surface, origin: tuple[float, float]) -> list[Layer]:
    """Point layers (kind `stations`) as glyphs with their names."""
    import shapely

    from hktwin.model.context_layers import PointsLayer

    out: list[Layer] = []
    for name, table in city.vectors.items():
        if city.vector_kinds.get(name) != "stations" or len(table.geometry) == 0:
            continue
        pts = shapely.get_coordinates(shapely.centroid(np.asarray(table.geometry)))
        z = np.fmax(np.nan_to_num(surface.height_at(pts[:, 0], pts[:, 1]), nan=0.0), 0.0)
        labels = [str(v) if v is not None else "" for v in
                  (table["name"] if "name" in table else [""] * len(pts))]
        points = np.column_stack([pts[:, 0] - origin[0], pts[:, 1] - origin[1],
                                  z + STATION_LIFT_M]).astype(np.float32)
        out.append(PointsLayer(name.capitalize(), points=points, labels=labels))
    return out


def buildings_digest(buildings) -> str:
    """A short digest of which base buildings are kept and where they stand (the mesh cache of
    a composed city's context buildings depends on both)."""
    import hashlib

    h = hashlib.sha256(np.ascontiguousarray(buildings.ids).tobytes())
    h.update(np.ascontiguousarray(buildings.base).tobytes())
    return h.hexdigest()[:16]


def terrain_pyramid(city: CityModel, origin: tuple[float, float],
                    cache: Path | None = None) -> TerrainPyramid:
    """The city's terrain as a pyramid, its coarse levels read from the GeoTIFF's overviews
    when the file has them; with a `cache` folder, levels and per-chunk statistics are kept
    there and memory-mapped on the next open."""
    from hktwin.geo.pyramid import cached_pyramid

    n_levels = level_count(city.terrain.shape)
    try:
        entry = next(e for e in read_manifest(city.path)["layers"].values()
                     if e["kind"] == "terrain")
        file = pack_file(city.path, entry["path"], "layers.terrain.path")
    except Exception as exc:  # no file to key or read overviews from: average in memory
        log.info("terrain overviews not used: %s", exc)
        return TerrainPyramid(city.terrain, origin)

    def levels():
        try:
            return levels_from_raster(file, city.terrain.heights, n_levels)
        except Exception as exc:  # overviews are an optimisation: average in memory instead
            log.info("terrain overviews not used: %s", exc)
            return None

    return cached_pyramid(file, city.terrain, origin, cache, n_levels, levels)

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
