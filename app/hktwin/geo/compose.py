"""A pack that covers part of Hong Kong, drawn over a base pack (the demo city by default).

Official data arrives in pieces: a 5 m DTM crop of one district, then its buildings, then the
census. Each piece is shown in its surroundings: the base is drawn wherever the pack has no data
of its own. The pack's own layers stay as they are (analysis uses only them); what changes is
what is drawn:

- the *drawn* terrain is the pack's grid padded by a margin, official heights inside, the base's
  outside and a feathered blend over a band at the edge of the official data (no cliff);
- the base's terrain is drawn with a hole where the padded grid lies;
- the base's buildings inside the covered area are dropped when the pack has buildings of its
  own (no doubles), otherwise stood on the official ground;
- every line is draped on whichever terrain is under it (`Surface`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import ArrayLike

from hktwin.geo.buildings import Buildings
from hktwin.geo.city import CityModel
from hktwin.geo.terrain import Terrain

#: The blend from official to base heights spans at least this many official cells and at least
#: this many base cells (a 5 m crop over the 50 m demo city: 100 m).
FEATHER_CELLS = 4
FEATHER_BASE_CELLS = 2
#: The drawn grid reaches this many base cells beyond the official data, so the base mesh's hole
#: (cut along its own coarser grid) is always filled.
PAD_BASE_CELLS = 4


def covered_bounds(terrain: Terrain) -> tuple[float, float, float, float]:
    """The extent of the terrain's valid (non-NaN) cells."""
    valid = np.isfinite(terrain.heights)
    rows = np.flatnonzero(valid.any(axis=1))
    cols = np.flatnonzero(valid.any(axis=0))
    if len(rows) == 0:
        return terrain.bounds
    c = terrain.cell_size
    return (float(terrain.origin_x + cols[0] * c), float(terrain.origin_y - (rows[-1] + 1) * c),
            float(terrain.origin_x + (cols[-1] + 1) * c), float(terrain.origin_y - rows[0] * c))


def inside(bounds: tuple[float, float, float, float], x: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Which points lie inside (xmin, ymin, xmax, ymax)."""
    x, y = np.asarray(x), np.asarray(y)
    return (x >= bounds[0]) & (x <= bounds[2]) & (y >= bounds[1]) & (y <= bounds[3])


def compose(city: CityModel, base: CityModel) -> CityModel:
    """`city` with `base` attached: the base's buildings inside the covered area removed when
    the city has buildings (official ones replace them), else stood on the official ground."""
    covered = covered_bounds(city.terrain)
    composed = dataclasses.replace(city, base=base, covered=covered)
    drawn = drawn_terrain(composed)
    composed = dataclasses.replace(composed, base=dataclasses.replace(
        base, buildings=_context_buildings(base.buildings, city.buildings is not None, covered,
                                           drawn)))
    object.__setattr__(composed, "_drawn_terrain", drawn)  # reused by the loader
    return composed


def _context_buildings(buildings: Buildings | None, replaced: bool,
                       covered: tuple[float, float, float, float],
                       drawn: Terrain) -> Buildings | None:
    if buildings is None:
        return None
    within = inside(covered, buildings.centroid_x, buildings.centroid_y)
    if replaced:
        keep = np.flatnonzero(~within)
        return _take(buildings, keep)
    ground = drawn.height_at(buildings.centroid_x[within], buildings.centroid_y[within])
    base = buildings.base.copy()
    base[within] = np.where(np.isfinite(ground), np.maximum(ground, 0.0), base[within])
    return dataclasses.replace(buildings, base=base.astype(np.float32))


def _take(b: Buildings, rows: np.ndarray) -> Buildings:
    return dataclasses.replace(
        b, ids=b.ids[rows], names=b.names[rows], kinds=b.kinds[rows], base=b.base[rows],
        height=b.height[rows], footprints=b.footprints[rows], centroid_x=b.centroid_x[rows],
        centroid_y=b.centroid_y[rows])


def drawn_terrain(city: CityModel) -> Terrain:
    """The terrain drawn for a composed city: the official grid padded into the base, official
    heights blended to the base's over a band at the edge of the official data.

    The weight of the official height grows from 0 at the edge of its valid cells to 1 one
    feather width inside (Euclidean distance), so the surface is continuous across the seam.
    """
    cached = getattr(city, "_drawn_terrain", None)
    if cached is not None:
        return cached
    t = city.terrain
    if city.base is None:
        return t
    from scipy.ndimage import distance_transform_edt

    b = city.base.terrain
    c = t.cell_size
    pad = math.ceil(PAD_BASE_CELLS * b.cell_size / c)
    rows, cols = t.shape
    heights = np.full((rows + 2 * pad, cols + 2 * pad), np.nan, np.float32)
    heights[pad:pad + rows, pad:pad + cols] = t.heights
    grid = Terrain(heights, t.origin_x - pad * c, t.origin_y + pad * c, c)
    xs, ys = grid.cell_centres()
    gx, gy = np.meshgrid(xs, ys)
    under = b.height_at(gx, gy).astype(np.float32)
    valid = np.isfinite(heights)
    feather = max(FEATHER_CELLS, FEATHER_BASE_CELLS * b.cell_size / c)
    # Distance (cells) from each valid cell to the nearest cell without official data.
    weight = np.clip((distance_transform_edt(valid) - 0.5) / feather, 0.0, 1.0)
    weight = np.where(np.isfinite(under), weight, 1.0).astype(np.float32)
    with np.errstate(invalid="ignore"):
        blended = np.where(valid, weight * np.nan_to_num(heights) + (1 - weight) *
                           np.nan_to_num(under), under)
    return Terrain(blended.astype(np.float32), grid.origin_x, grid.origin_y, c)


class Surface:
    """Heights of whatever terrain is drawn at a point: the composed city's drawn terrain inside
    its grid, the base's outside. Duck-types `Terrain` for draping."""

    def __init__(self, city: CityModel) -> None:
        self.drawn = drawn_terrain(city)
        self.base = city.base.terrain if city.base is not None else None
        self.cell_size = self.drawn.cell_size

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.base.bounds if self.base is not None else self.drawn.bounds

    def height_at(self, easting: ArrayLike, northing: ArrayLike) -> np.ndarray:
        x = np.asarray(easting, dtype=np.float64)
        y = np.asarray(northing, dtype=np.float64)
        z = self.drawn.height_at(x, y)
        if self.base is not None:
            outside = ~np.isfinite(z)
            if outside.any():
                z = np.where(outside, self.base.height_at(x, y), z)
        return z


def official_notice(city: CityModel) -> str:
    """What the window and snapshots say of a composed city."""
    if city.base is None or city.base.approximate:
        return "official data inside the outline, approximate demo city outside"
    return f"official data inside the outline, {city.base.name} outside"
