"""Layers that show a feed's values at the clock's time: traffic links, stations, district
rainfall. Each layer names its `source`; `FeedBinding` fills in the values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import numpy as np
from psygnal import evented

from hktwin.geo.mesh import MeshArrays
from hktwin.model.layers import Layer

SATURATION_LEVELS = ("TRAFFIC GOOD", "TRAFFIC AVERAGE", "TRAFFIC BAD")


def _array(*shape: int, dtype=np.float32) -> Any:
    """A dataclass field defaulting to an empty array of this shape."""
    return field(default_factory=lambda: np.zeros(shape, dtype), repr=False)


@evented
@dataclass(eq=False)
class LiveLayer(Layer):
    """A layer whose values come from one feed source, keyed like the source's rows."""

    source: str = ""
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, object), repr=False)
    values: np.ndarray = _array(0)
    data_time: datetime | None = None  # the newest observation shown
    kind: ClassVar[str] = "live"

    def update(self, values: dict[str, tuple[float | None, datetime, dict]]) -> None:
        """Show these {key: (value, observed_at, attrs)} (keys not in the layer are ignored)."""
        out = np.full(len(self.keys), np.nan, np.float32)
        newest = None
        for i, key in enumerate(self.keys):
            hit = values.get(key)
            if hit is None:
                continue
            value, observed_at, attrs = hit
            out[i] = np.nan if value is None else value
            self._take_attrs(i, attrs)
            newest = observed_at if newest is None or observed_at > newest else newest
        self.values = out
        self.data_time = newest

    def _take_attrs(self, index: int, attrs: dict) -> None:
        """Subclasses keep the attributes they draw."""

    def describe(self, index: int) -> dict[str, Any]:
        value = float(self.values[index]) if np.isfinite(self.values[index]) else None
        return {"name": str(self.keys[index]), "kind": f"{self.kind} ({self.source})",
                "value": value, "source": self.source, "key": str(self.keys[index])}


@evented
@dataclass(eq=False)
class TrafficLayer(LiveLayer):
    """Road links coloured by speed relative to the limit, or by the TD saturation level.

    `segments` are the links draped on the ground (densified), `segment_link` the link each
    segment belongs to; `limits` km/h per link.
    """

    segments: np.ndarray = _array(0, 2, 3)
    segment_link: np.ndarray = _array(0, dtype=np.int64)
    limits: np.ndarray = _array(0)
    saturation: np.ndarray = _array(0, dtype=np.int8)  # index in SATURATION_LEVELS, -1 unknown
    names: np.ndarray = _array(0, dtype=object)  # what people read (road type, region, id)
    color_by: str = "speed"  # or "saturation"
    width: float = 4.0
    # issue 11 (hktwin.ai): past the last reading the values are a forecast (median) and `band`
    # the width of its 80 % band per link (NaN where none); see FeedBinding's forecaster.
    forecast: bool = False
    band: np.ndarray = _array(0)
    incident: np.ndarray = _array(0, dtype=bool)  # issue 11: flagged as unusual congestion
    kind: ClassVar[str] = "traffic"

    def update(self, values) -> None:
        self._next_saturation = np.full(len(self.keys), -1, np.int8)
        self._next_band = np.full(len(self.keys), np.nan, np.float32)
        self._next_forecast = False
        super().update(values)
        self.saturation = self._next_saturation
        self.band = self._next_band
        self.forecast = self._next_forecast

    def _take_attrs(self, index: int, attrs: dict) -> None:
        level = attrs.get("saturation")
        if level in SATURATION_LEVELS:
            self._next_saturation[index] = SATURATION_LEVELS.index(level)
        if attrs.get("forecast"):  # issue 11: a forecast value with its band
            self._next_forecast = True
            self._next_band[index] = float(attrs["p90"]) - float(attrs["p10"])

    def describe(self, index: int) -> dict[str, Any]:
        info = super().describe(index)
        level = int(self.saturation[index])
        name = self.names[index] if index < len(self.names) else f"Link {self.keys[index]}"
        info.update(name=str(name), limit_kmh=float(self.limits[index]),
                    saturation=SATURATION_LEVELS[level] if level >= 0 else None, unit="km/h")
        if self.forecast and index < len(self.band) and np.isfinite(self.band[index]):
            info.update(forecast=True, band_kmh=round(float(self.band[index]), 1))
        if index < len(self.incident) and self.incident[index]:
            info.update(incident="unusual congestion (below its forecast band)")
        return info


@evented
@dataclass(eq=False)
class StationsLayer(LiveLayer):
    """Point stations: weather glyphs with temperature, or AQHI columns in the official colours.

    `positions` are the stations on the ground in scene coordinates; `names` what labels show.
    """

    positions: np.ndarray = _array(0, 3)
    names: np.ndarray = field(default_factory=lambda: np.zeros(0, object), repr=False)
    style: str = "weather"  # or "aqhi"
    unit: str = ""
    kind: ClassVar[str] = "stations"

    def describe(self, index: int) -> dict[str, Any]:
        info = super().describe(index)
        info.update(name=str(self.names[index]), unit=self.unit)
        return info


@evented
@dataclass(eq=False)
class DistrictShadeLayer(LiveLayer):
    """District values (rainfall) shaded over the ground: `mesh` is a coarse copy of the terrain
    a few metres up, `vertex_district` the district (index into keys) of each vertex, -1 none."""

    mesh: MeshArrays = field(default_factory=MeshArrays.empty, repr=False)
    vertex_district: np.ndarray = _array(0, dtype=np.int64)
    unit: str = "mm"
    kind: ClassVar[str] = "district shade"
