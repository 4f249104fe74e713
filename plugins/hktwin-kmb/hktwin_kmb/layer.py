"""The bus stops of a route with their next arrivals: a live layer fed by `kmb-route-eta`.

Stops come from the static KMB tables (stop list and route-stop list, refreshed daily by KMB;
a copy ships in `data/`), projected to EPSG:2326. Until the feed has been polled, the layer
shows the bundled sample document and says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any, ClassVar

import numpy as np

import hktwin.plugins as hp
from hktwin_kmb.feed import NAME, ROUTE, parse

DATA = "data"
STOPS_FILE = "stop-1a.json"
ROUTE_STOPS_FILE = "route-stop-1a-outbound-1.json"
SAMPLE_FILE = "route-eta-1a-1.json"


def data_file(name: str) -> bytes:
    return resources.files("hktwin_kmb").joinpath(DATA, name).read_bytes()


@hp.evented
@dataclass(eq=False)
class BusStopsLayer(hp.LiveLayer):
    """Stops (keys `route/bound/seq`) at `positions` (scene coordinates) named `names`; the
    value is the minutes to the next bus; `arrivals` the next few times per stop."""

    positions: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)), repr=False)
    names: np.ndarray = field(default_factory=lambda: np.zeros(0, object), repr=False)
    arrivals: list = field(default_factory=list, repr=False)
    destination: str = ""
    sample: bool = True  # showing the bundled sample, not a polled document
    kind: ClassVar[str] = "bus stops"

    def update(self, values) -> None:
        if not values and self.sample:
            return  # nothing polled or recorded yet: keep showing the sample, labelled so
        self._next_arrivals = [[] for _ in range(len(self.keys))]
        super().update(values)
        self.arrivals = self._next_arrivals
        self.sample = False  # a polled document (make_layers marks its sample as such)

    def _take_attrs(self, index: int, attrs: dict) -> None:
        self._next_arrivals[index] = list(attrs.get("etas", []))
        self.destination = attrs.get("dest_en", self.destination)

    def describe(self, index: int) -> dict[str, Any]:
        """What the inspector shows for a stop: its name, the next buses."""
        info = super().describe(index)
        info.update(name=str(self.names[index]), unit="min", route=ROUTE,
                    destination=self.destination, **dict(inspector_rows(self, index)[2:]))
        return info

    def label(self, index: int) -> str:
        value = self.values[index]
        if not np.isfinite(value):
            return f"{self.names[index].title()}: no bus"
        return f"{self.names[index].title()}: {value:.0f} min"

    @property
    def summary(self) -> str:
        when = self.data_time.strftime("%Y-%m-%d %H:%M") if self.data_time else "?"
        origin = "bundled sample" if self.sample else "live"
        return f"KMB {ROUTE} to {self.destination.title()}: {len(self.keys)} stops, {origin} " \
               f"of {when} HKT"


def route_stops(stops_doc: dict, route_doc: dict) -> list[tuple[str, str, float, float]]:
    """(key, English name, lat, lon) of each stop of the route, in sequence."""
    by_id = {s["stop"]: s for s in stops_doc["data"]}
    out = []
    for rs in sorted(route_doc["data"], key=lambda r: int(r["seq"])):
        stop = by_id.get(rs["stop"])
        if stop is None:
            continue
        key = f"{rs['route']}/{rs['bound']}/{int(rs['seq'])}"
        out.append((key, stop["name_en"], float(stop["lat"]), float(stop["long"])))
    return out


def values_of(rows) -> dict[str, tuple[float | None, datetime, dict]]:
    return {r.key: (r.value, r.observed_at, r.attrs) for r in rows}


def make_layers(city: hp.CityModel) -> list[hp.Layer]:
    """The factory HK Twin calls for a loaded city: the route's stops inside the city."""
    from pyproj import Transformer

    stops = route_stops(json.loads(data_file(STOPS_FILE)), json.loads(data_file(ROUTE_STOPS_FILE)))
    lat = np.array([s[2] for s in stops])
    lon = np.array([s[3] for s in stops])
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:2326", always_xy=True).transform(lon, lat)
    xmin, ymin, xmax, ymax = city.bounds
    inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    if not inside.any():
        return []
    z = np.nan_to_num(np.asarray(city.terrain.height_at(x[inside], y[inside]), float), nan=0.0)
    ox, oy = city.origin
    layer = BusStopsLayer(  # off until asked for: one sample route, labelled at every stop
        f"KMB {ROUTE} arrivals", source=NAME, visible=False,
        keys=np.array([s[0] for s, ok in zip(stops, inside, strict=True) if ok], object),
        names=np.array([s[1] for s, ok in zip(stops, inside, strict=True) if ok], object),
        positions=np.column_stack([x[inside] - ox, y[inside] - oy, np.maximum(z, 0.0)]))
    layer.update(values_of(parse(data_file(SAMPLE_FILE))))
    layer.sample = True
    return [layer]


def inspector_rows(layer: BusStopsLayer, index: int) -> list[tuple[str, str]]:
    times = ", ".join(datetime.fromisoformat(t).strftime("%H:%M") for t in layer.arrivals[index])
    return [("Stop", str(layer.names[index])), ("Route", f"{ROUTE} to {layer.destination}"),
            ("Next buses", times or "none"), ("Data", "sample" if layer.sample else "live")]


def pick(layer: BusStopsLayer, ray) -> Any:
    """The stop drawn nearest the cursor (its disc on the pole), within 10 px; picked on screen
    like the app's stations, so the window's inspector shows `describe`."""
    if len(layer.keys) == 0:
        return None
    top = layer.positions.astype(np.float64).copy()
    top[:, 2] += 40.0
    px = ray.project(top)
    d = np.hypot(px[:, 0] - ray.pixel[0], px[:, 1] - ray.pixel[1])
    i = int(np.argmin(d))
    if not np.isfinite(d[i]) or d[i] > 10.0:
        return None
    return hp.Hit(layer, "station", i, float(np.linalg.norm(top[i] - ray.origin)), top[i],
                  float(d[i]))
