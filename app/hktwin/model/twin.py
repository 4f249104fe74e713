"""The Twin: the open document (a city, its layers, the camera and the selection)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from psygnal import evented

from hktwin.geo.city import CityModel
from hktwin.model.camera import HOME_VIEW, CameraPose, named_views
from hktwin.model.clock import Clock, now_hkt
from hktwin.model.layers import LayerList

if TYPE_CHECKING:
    from hktwin.model.camera import StreetPose

SelectionKind = Literal["building", "live", "site"]


@dataclass(frozen=True, eq=False)
class Selection(Mapping):
    """What was picked, typed: a building, a live feature (road link, station) or a site.

    `layer` names the layer it belongs to, `key` is its id there (building id, feed key, site
    id), `info` the attributes the inspector shows. It reads like that mapping too
    (`selection["name"]`), so a widget shows it without knowing the kinds.
    """

    kind: SelectionKind
    layer: str
    key: Any
    info: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.info[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.info)

    def __len__(self) -> int:
        return len(self.info)


@evented
@dataclass(eq=False)
class Twin:
    """Everything a window (or a headless snapshot) shows.

    `origin` is subtracted from EPSG:2326 coordinates to give scene coordinates; it is the
    city's origin once one is loaded. `selection` is the picked feature, if any; `clock`
    is the time every live layer shows. `street` is the pedestrian's eye of the street-level
    (AR) view when one is open: model state like `camera`, so a view shows it and sets it.
    """

    layers: LayerList = field(default_factory=LayerList)
    camera: CameraPose = field(default_factory=lambda: named_views()[HOME_VIEW])
    city: CityModel | None = None
    selection: Selection | None = None
    clock: Clock = field(default_factory=lambda: Clock(time=now_hkt()))
    street: StreetPose | None = None

    @property
    def origin(self) -> tuple[float, float]:
        return self.city.origin if self.city is not None else (0.0, 0.0)

    def go_to(self, view: str) -> None:
        """Jump to a named view."""
        from hktwin.model.camera import fitted

        self.camera = fitted(named_views()[view], self.city)  # a partial pack: its extent
