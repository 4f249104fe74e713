"""Coordinate reference systems: everything inside the app is EPSG:2326 (HK 1980 Grid, metres).

WGS84 appears only at input and output, through these two functions.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

HK1980 = "EPSG:2326"
WGS84 = "EPSG:4326"


@lru_cache(maxsize=4)
def _transformer(source: str, target: str):
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


def to_wgs84(easting: ArrayLike, northing: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """HK1980 Grid metres -> (longitude, latitude) in degrees."""
    lon, lat = _transformer(HK1980, WGS84).transform(np.asarray(easting), np.asarray(northing))
    return np.asarray(lon), np.asarray(lat)


def from_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """(longitude, latitude) in degrees -> HK1980 Grid metres."""
    x, y = _transformer(WGS84, HK1980).transform(np.asarray(lon), np.asarray(lat))
    return np.asarray(x), np.asarray(y)
