"""The Twin: the open document (a city, its layers, the camera and the selection)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psygnal import evented

from hktwin.geo.city import CityModel
from hktwin.model.camera import HOME_VIEW, CameraPose, named_views
from hktwin.model.clock import Clock, now_hkt
from hktwin.model.layers import LayerList


@evented
@dataclass(eq=False)
class Twin:
    """Everything a window (or a headless snapshot) shows.

    `origin` is subtracted from EPSG:2326 coordinates to give scene coordinates; it is the
    city's origin once one is loaded. `selection` describes the picked feature, if any; `clock`
    is the time every live layer shows.
    """

    layers: LayerList = field(default_factory=LayerList)
    camera: CameraPose = field(default_factory=lambda: named_views()[HOME_VIEW])
    city: CityModel | None = None
    selection: dict[str, Any] | None = None
    clock: Clock = field(default_factory=lambda: Clock(time=now_hkt()))

    @property
    def origin(self) -> tuple[float, float]:
        return self.city.origin if self.city is not None else (0.0, 0.0)

    def go_to(self, view: str) -> None:
        """Jump to a named view."""
        self.camera = named_views()[view]
