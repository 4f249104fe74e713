"""Building shadows for a sun direction, vectorised over all buildings (shapely 2 ufuncs).

A building of height h casts its footprint along the direction away from the sun by
h / tan(elevation); its shadow on flat ground is the convex hull of the footprint and that
moved copy (exact for convex footprints, slightly generous in the notch of an L-shaped one).
The shadow lies at the caster's base height: on a slope it is drawn at that height. A roof is
in shadow where a taller neighbour's shadow covers its centre and the shadow's height there
(the caster's top minus the distance along the sun's direction times tan(elevation)) is above
the roof.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_SHADOW_M = 1500.0  # a low sun's shadows are cut here (and the share is near 1 anyway)


@dataclass
class Shadows:
    """Shadow polygons per casting building (EPSG:2326) and which roofs are shaded."""

    polygons: np.ndarray  # shapely Polygons, one per building that casts (height > 0)
    caster: np.ndarray  # building row of each polygon
    roof_shaded: np.ndarray  # bool per building
    elevation: float
    azimuth: float

    @property
    def sun_up(self) -> bool:
        return self.elevation > 0.0


def shadow_vector(elevation_deg: float, azimuth_deg: float) -> np.ndarray:
    """Ground displacement (dx, dy) per metre of height: away from the sun."""
    elevation = np.radians(max(elevation_deg, 1e-3))
    azimuth = np.radians(azimuth_deg)
    length = 1.0 / np.tan(elevation)
    return np.array([-np.sin(azimuth), -np.cos(azimuth)]) * length


def cast_shadows(footprints: np.ndarray, base: np.ndarray, height: np.ndarray,
                 elevation_deg: float, azimuth_deg: float) -> Shadows:
    """The shadows of every building for one sun position."""
    import shapely

    n = len(footprints)
    if elevation_deg <= 0.0:  # night: no cast shadows, everything is dark
        return Shadows(np.zeros(0, object), np.zeros(0, np.int64), np.ones(n, bool),
                       elevation_deg, azimuth_deg)
    height = np.asarray(height, np.float64)
    casts = np.flatnonzero(height > 0.0)
    per_m = shadow_vector(elevation_deg, azimuth_deg)
    reach = np.minimum(height[casts] * np.hypot(*per_m), MAX_SHADOW_M)
    offset = per_m / np.hypot(*per_m) * reach[:, None]
    coords, idx = shapely.get_coordinates(footprints[casts], return_index=True)
    pts = np.concatenate([coords, coords + offset[idx]])
    which = np.concatenate([idx, idx])
    order = np.argsort(which, kind="stable")
    # a line through all the points has their convex hull, and is 8x quicker to build
    hulls = shapely.convex_hull(shapely.linestrings(pts[order], indices=which[order]))
    roof = roof_shade(footprints, base, height, casts, hulls, elevation_deg, per_m)
    return Shadows(hulls, casts, roof, elevation_deg, azimuth_deg)


def roof_shade(footprints, base, height, casts, hulls, elevation_deg, per_m) -> np.ndarray:
    import shapely

    cx, cy = _centres(footprints)
    centres = shapely.points(np.column_stack([cx, cy]))
    tree = shapely.STRtree(hulls)
    point_i, hull_j = tree.query(centres, predicate="intersects")
    caster = casts[hull_j]
    keep = caster != point_i
    point_i, caster = point_i[keep], caster[keep]
    unit = per_m / np.hypot(*per_m)
    along = (cx[point_i] - cx[caster]) * unit[0] + (cy[point_i] - cy[caster]) * unit[1]
    top = np.asarray(base, np.float64) + height
    shadow_z = top[caster] - np.maximum(along, 0.0) * np.tan(np.radians(elevation_deg))
    shaded = np.zeros(len(footprints), bool)
    shaded[point_i[shadow_z > top[point_i]]] = True
    return shaded


def _centres(footprints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import shapely

    c = shapely.get_coordinates(shapely.point_on_surface(footprints))
    return c[:, 0], c[:, 1]


def fan_triangles(polygons: np.ndarray) -> np.ndarray:
    """Triangles (m, 3, 2) of convex polygons (a fan from each first vertex)."""
    import shapely

    rings = shapely.get_exterior_ring(polygons)
    coords, idx = shapely.get_coordinates(rings, return_index=True)
    counts = np.bincount(idx, minlength=len(polygons))
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    n_tri = np.maximum(counts - 3, 0)  # closed ring: k + 1 coordinates, k - 2 triangles
    poly = np.repeat(np.arange(len(polygons)), n_tri)
    k = np.arange(n_tri.sum()) - np.repeat(np.cumsum(n_tri) - n_tri, n_tri)
    first = start[poly]
    return np.stack([coords[first], coords[first + k + 1], coords[first + k + 2]], axis=1)


def area_share_in_shadow(area, footprints: np.ndarray, shadows: Shadows) -> float:
    """Share of the open ground of `area` (a shapely polygon, minus building footprints) in a
    building's shadow; 1.0 when the sun is down."""
    import shapely

    near = shapely.STRtree(footprints).query(area, predicate="intersects")
    open_ground = shapely.difference(area, shapely.union_all(footprints[near]))
    if open_ground.area <= 0.0:
        return 0.0
    if not shadows.sun_up:
        return 1.0
    hit = shapely.STRtree(shadows.polygons).query(open_ground, predicate="intersects")
    if len(hit) == 0:
        return 0.0
    shade = shapely.intersection(open_ground, shapely.union_all(shadows.polygons[hit]))
    return float(shade.area / open_ground.area)
