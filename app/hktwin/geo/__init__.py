"""Geodata: CRS, raster and vector I/O, terrain sampling, meshing, tiling, ray casting.

No Qt and no vispy here, so all of it runs in scripts, notebooks and headless tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hktwin.geo.city import CityModel


def open_pack(path: str | None = None) -> CityModel:
    """Open a data pack folder (the embedded demo city when `path` is None) as a `CityModel`."""
    from hktwin.geo.pack import open_pack as _open_pack

    return _open_pack(path)


__all__ = ["open_pack"]
