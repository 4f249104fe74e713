"""Layer models: the data of one thing on the map plus how it is shown (visible, opacity).

A layer knows nothing about how it is drawn; `hktwin.render` keeps a registry from layer type to
visual adapter, so a new layer type (a plugin's, say) is a new subclass here plus an adapter
registered there, with no change to the core. Geometry is in scene coordinates: EPSG:2326 minus
the twin's `origin`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from psygnal import evented
from psygnal.containers import EventedList

from hktwin.geo.buildings import Buildings
from hktwin.geo.mesh import MeshArrays
from hktwin.geo.pyramid import TerrainPyramid
from hktwin.geo.terrain import Terrain
from hktwin.geo.tiles import Tile


@evented
@dataclass(eq=False)
class Layer:
    """Base of every layer: a name, visibility and opacity, each with its own event."""

    name: str
    visible: bool = True
    opacity: float = 1.0
    kind: ClassVar[str] = "layer"

    def __post_init__(self) -> None:
        self.opacity = float(min(max(self.opacity, 0.0), 1.0))

    @property
    def summary(self) -> str:
        """One line for tooltips and the layer panel."""
        return self.kind


@evented
@dataclass(eq=False)
class TerrainLayer(Layer):
    """The ground, as a mesh coloured by elevation and lit by the sun.

    A terrain too large for one mesh comes with a `pyramid` instead (chunks chosen per view by
    the renderer); `mesh` is then empty.
    """

    terrain: Terrain | None = field(default=None, repr=False)
    mesh: MeshArrays = field(default_factory=MeshArrays.empty, repr=False)
    pyramid: TerrainPyramid | None = field(default=None, repr=False)
    kind: ClassVar[str] = "terrain"

    @property
    def summary(self) -> str:
        rows, cols = self.terrain.shape if self.terrain is not None else (0, 0)
        if self.pyramid is not None:
            return f"terrain {cols}x{rows} cells, level of detail ({self.pyramid.n_levels} levels)"
        return f"terrain {cols}x{rows} cells, {self.mesh.n_faces:,} triangles"


@evented
@dataclass(eq=False)
class SeaLayer(Layer):
    """A flat sea surface at `level` metres over `bounds` (xmin, ymin, xmax, ymax)."""

    bounds: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    level: float = 0.0
    color: tuple[float, float, float] = (0.16, 0.36, 0.52)
    kind: ClassVar[str] = "sea"


@evented
@dataclass(eq=False)
class BuildingsLayer(Layer):
    """Extruded buildings merged into one mesh per tile; `selected` is a building id or None.

    With `lod`, the renderer draws near tiles in full and far ones as boxes (`Tile.boxes`),
    under a triangle budget; picking always uses the full meshes.
    """

    buildings: Buildings | None = field(default=None, repr=False)
    tiles: list[Tile] = field(default_factory=list, repr=False)
    selected: int | None = None
    lod: bool = False
    kind: ClassVar[str] = "buildings"

    @property
    def n_faces(self) -> int:
        return sum(t.mesh.n_faces for t in self.tiles)

    @property
    def summary(self) -> str:
        count = len(self.buildings) if self.buildings is not None else 0
        lod = ", level of detail" if self.lod else ""
        return f"{count:,} buildings in {len(self.tiles)} tiles, {self.n_faces:,} triangles{lod}"


@evented
@dataclass(eq=False)
class LinesLayer(Layer):
    """Line segments (n, 2, 3) draped on the ground: roads, boundaries."""

    segments: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, 3), np.float32),
                                 repr=False)
    color: tuple[float, float, float] = (0.95, 0.75, 0.2)
    width: float = 2.0
    kind: ClassVar[str] = "lines"

    @property
    def summary(self) -> str:
        return f"{len(self.segments):,} segments"


class LayerList(EventedList[Layer]):
    """The ordered layers of a twin; index 0 is drawn first (at the bottom)."""

    def __init__(self, data: list[Layer] | None = None) -> None:
        super().__init__(data or [], hashable=False)

    def names(self) -> list[str]:
        return [layer.name for layer in self]

    def get(self, name: str) -> Layer | None:
        """The first layer with this name, or None."""
        return next((layer for layer in self if layer.name == name), None)

    def of_type(self, layer_type: type[Layer]) -> list[Layer]:
        return [layer for layer in self if isinstance(layer, layer_type)]
