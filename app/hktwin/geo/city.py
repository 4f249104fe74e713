"""The city model: what a data pack holds once opened, in EPSG:2326."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hktwin.geo.buildings import Buildings
from hktwin.geo.terrain import Terrain
from hktwin.geo.vector import VectorTable


@dataclass(eq=False)
class CityModel:
    """Terrain, buildings and named vector layers of one data pack.

    `origin` is the point subtracted from coordinates before they go to the GPU (float32 keeps
    centimetres only near zero); every mesh built from this city uses it.
    """

    name: str
    path: Path
    terrain: Terrain
    buildings: Buildings | None
    vectors: dict[str, VectorTable] = field(default_factory=dict)
    vector_kinds: dict[str, str] = field(default_factory=dict)  # name -> "roads", "vector"...
    #: Gridded layers other than the terrain (a population density raster...), each a `Terrain`
    #: of values on a north-up EPSG:2326 grid, so `height_at` samples them.
    rasters: dict[str, Terrain] = field(default_factory=dict)
    raster_kinds: dict[str, str] = field(default_factory=dict)  # name -> "population" | "raster"
    feeds: dict[str, Path] = field(default_factory=dict)  # "links", "limits", "recording"
    notice: str = ""
    approximate: bool = False
    #: Layers of plugins' pack kinds: name -> (kind, what the plugin's reader returned); the
    #: plugins' layer factories make layers of them.
    extras: dict[str, tuple[str, Any]] = field(default_factory=dict)
    #: What opening the pack left out, one line each (a layer of a kind no plugin reads...).
    warnings: list[str] = field(default_factory=list)
    #: The pack this one is drawn over where it has no data (the demo city by default for a pack
    #: covering part of Hong Kong; see `geo.compose`), or None when it stands alone.
    base: CityModel | None = None
    #: (xmin, ymin, xmax, ymax) of the pack's own (official) data when it has a base.
    covered: tuple[float, float, float, float] | None = None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.terrain.bounds

    @property
    def origin(self) -> tuple[float, float]:
        xmin, ymin, xmax, ymax = self.bounds
        return (round((xmin + xmax) / 2, -3), round((ymin + ymax) / 2, -3))
