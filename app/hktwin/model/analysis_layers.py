"""Layers for planning: the scenario's sites and coverage rasters (RSRP, SINR, differences)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from psygnal import evented

from hktwin.analysis.colormap import rsrp_range
from hktwin.geo.mesh import MeshArrays
from hktwin.model.layers import Layer

#: Colour scales for coverage rasters: (vmin, vmax, unit).
SCALES = {"rsrp": (*rsrp_range(), "dBm"), "sinr": (-5.0, 30.0, "dB"),
          "throughput": (0.0, 1000.0, "Mbit/s"), "difference": (-20.0, 20.0, "dB")}


@evented
@dataclass(eq=False)
class CoverageLayer(Layer):
    """A raster over `bounds` (row 0 at the north edge) draped on the ground as a texture.

    `scale` picks the colour ramp ("rsrp", "sinr", "throughput" or "difference"); NaN cells
    (inside buildings, out of range) are transparent.
    """

    raster: np.ndarray = field(default_factory=lambda: np.zeros((1, 1), np.float32),
                               repr=False)
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    scale: str = "rsrp"
    vmin: float = -120.0
    vmax: float = -60.0
    mesh: MeshArrays = field(default_factory=MeshArrays.empty, repr=False)
    texcoords: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32),
                                  repr=False)
    kind: ClassVar[str] = "coverage"

    @property
    def unit(self) -> str:
        return SCALES.get(self.scale, (0, 0, ""))[2]


@evented
@dataclass(eq=False)
class SitesLayer(Layer):
    """The scenario's small cells, AR anchors and sensors, drawn where they stand.

    `scenario` is the evented `Scenario`; the adapter redraws on its `changed` signal.
    """

    scenario: Any = None
    kind: ClassVar[str] = "sites"
