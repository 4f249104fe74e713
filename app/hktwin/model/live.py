"""Live layers for a city, the recorded feeds that come with a pack, and the binding that keeps
each live layer showing its source's values at the clock's time."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta

import numpy as np

from hktwin.core.progress import Progress, no_progress
from hktwin.feeds import stations
from hktwin.feeds.base import Observation
from hktwin.feeds.store import FeedStore, default_store_path, from_ms
from hktwin.geo.city import CityModel
from hktwin.geo.drape import drape_lines
from hktwin.geo.td_links import read_td_links
from hktwin.geo.terrain_mesh import choose_step, terrain_mesh
from hktwin.model.clock import Clock
from hktwin.model.live_layers import DistrictShadeLayer, LiveLayer, StationsLayer, TrafficLayer

log = logging.getLogger(__name__)

#: How old a value may be and still be shown at the clock's time, per source.
MAX_AGE = {"td-speedmap": timedelta(minutes=15), "td-speed": timedelta(minutes=10),
           "hko-rhrread": timedelta(hours=2), "aqhi": timedelta(hours=2)}
SHADE_MAX_VERTICES = 40_000
LINK_OFFSET_M = 12.0


def live_layers_for(city: CityModel) -> list[LiveLayer]:
    """Traffic (when the pack has a link table), weather, AQHI and district rainfall layers."""
    origin = city.origin
    layers: list[LiveLayer] = []
    if "links" in city.feeds:
        import shapely

        links = read_td_links(city.feeds["links"], city.feeds.get("limits"))
        # Hong Kong drives on the left: each direction is drawn on its own side of the road, so
        # both directions of a road show (and can be clicked) separately.
        lines = shapely.offset_curve(links.lines(), LINK_OFFSET_M)
        segments, owner = drape_lines(lines, city.terrain, origin, lift_m=6.0,
                                      return_owner=True)
        layers.append(TrafficLayer(
            "Traffic", source="td-speedmap", keys=links.ids, segments=segments,
            segment_link=owner, limits=links.limits, names=links.names,
            values=np.full(len(links), np.nan, np.float32),
            saturation=np.full(len(links), -1, np.int8)))
    layers.append(_stations_layer(city, "Weather", "hko-rhrread", stations.weather_stations(),
                                  "temperature:", "weather", "°C"))
    layers.append(_stations_layer(city, "Air quality", "aqhi", stations.aqhi_stations(), "",
                                  "aqhi", "AQHI"))
    districts = city.vectors.get("districts")
    if districts is not None:
        layers.append(_rainfall_layer(city, districts))
    return layers


def _stations_layer(city, name, source, table, prefix, style, unit) -> StationsLayer:
    places = list(table.values())
    x = np.array([p.easting for p in places])
    y = np.array([p.northing for p in places])
    ground = np.nan_to_num(city.terrain.height_at(x, y), nan=0.0).clip(min=0.0)
    positions = np.column_stack([x - city.origin[0], y - city.origin[1], ground])
    return StationsLayer(
        name, source=source, keys=np.array([prefix + p.name for p in places], dtype=object),
        names=np.array([p.name for p in places], dtype=object),
        values=np.full(len(places), np.nan, np.float32), positions=positions.astype(np.float32),
        style=style, unit=unit)


def _rainfall_layer(city: CityModel, districts) -> DistrictShadeLayer:
    """A coarse copy of the land a few metres up, each vertex tagged with its district."""
    import shapely

    step = choose_step(city.terrain, SHADE_MAX_VERTICES)
    mesh = terrain_mesh(city.terrain, step, city.origin, drop_below=0.0)
    names = districts["name_en"] if "name_en" in districts else np.array(
        [f"district {i}" for i in range(len(districts))], dtype=object)
    keys = []
    for n in names:
        try:
            keys.append("rainfall:" + stations.canonical_place(str(n), kind="district"))
        except KeyError:
            keys.append(f"rainfall:{n}")
    xy = mesh.vertices[:, :2].astype(np.float64) + city.origin
    vertex_district = np.full(len(xy), -1, np.int64)
    for i, polygon in enumerate(districts.geometry):  # 18 districts, each test vectorised
        inside = shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])
        vertex_district[inside] = i
    lifted = mesh.vertices.copy()
    lifted[:, 2] += 8.0
    from hktwin.geo.mesh import MeshArrays

    mesh = MeshArrays(lifted, mesh.faces, mesh.normals, mesh.face_owner)
    return DistrictShadeLayer("Rainfall", source="hko-rhrread",
                              keys=np.array(keys, dtype=object),
                              values=np.full(len(keys), np.nan, np.float32), mesh=mesh,
                              vertex_district=vertex_district, visible=True, opacity=0.55)


def recording_store(city: CityModel, progress: Progress = no_progress) -> FeedStore | None:
    """A feed store holding the pack's recorded feeds (imported once, then reused)."""
    recording = city.feeds.get("recording")
    if recording is None or not recording.exists():
        return None
    with open(recording, "rb") as fh:  # streamed: a recording may be large
        digest = hashlib.file_digest(fh, "sha256").hexdigest()[:16]
    path = default_store_path().parent / f"recording-{digest}.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    store = FeedStore(path)
    if store.row_count() == 0:
        import pyarrow.parquet as pq

        table = pq.ParquetFile(recording).read().to_pylist()
        by_time: dict[tuple[str, int], list[Observation]] = {}
        for row in table:
            value = row["value"]
            obs = Observation(row["source"], row["key"], from_ms(int(row["observed_at"]) * 1000),
                              None if value is None or value != value else float(value),
                              row["unit"], json.loads(row["attrs"]))
            by_time.setdefault((row["source"], int(row["observed_at"])), []).append(obs)
        for i, batch in enumerate(by_time.values()):  # one document per source and time
            store.add(batch, fetched_at=batch[0].observed_at)
            if i % 50 == 0:
                progress(i / len(by_time), "Importing the recorded day of feeds")
    return store


class FeedBinding:
    """Keeps live layers showing, at the clock's time, the latest values their sources had.

    issue 11: with a `forecaster` (hktwin.ai.live.TrafficForecaster) and the clock replaying
    past `clock.forecast_from` (the last reading), the traffic layers show the forecast made
    at that reading instead, with its band in the attrs.
    """

    def __init__(self, store: FeedStore, clock: Clock, layers: list[LiveLayer],
                 forecaster=None) -> None:
        self.store = store
        self.clock = clock
        self.layers = layers
        self.forecaster = forecaster
        clock.events.time.connect(self.refresh)
        self.refresh()

    def refresh(self, *_: object) -> None:
        cache: dict[str, dict] = {}
        ahead = self._forecast_values()
        flagged = None
        if self.forecaster is not None and ahead is None and not self.clock.live:
            flagged = getattr(self.forecaster, "incidents_at", lambda t: None)(self.clock.time)
        for layer in self.layers:
            if isinstance(layer, TrafficLayer):  # issue 11: incidents flagged at this time
                on = set(flagged or ())
                layer.incident = np.array([str(k) in on for k in layer.keys], dtype=bool)
            if ahead is not None and layer.source == getattr(self.forecaster, "source", None):
                layer.update(ahead)
                continue
            if layer.source not in cache:
                cache[layer.source] = self.store.values_at(
                    layer.source, self.clock.time, MAX_AGE.get(layer.source))
            layer.update(cache[layer.source])

    def _forecast_values(self) -> dict | None:
        """issue 11: {key: (p50, time, attrs with p10/p90)} past the last reading, else None."""
        origin, clock = self.clock.forecast_from, self.clock
        if self.forecaster is None or origin is None or clock.live or clock.time <= origin:
            return None
        try:
            ahead = self.forecaster.values_at(origin, clock.time)
        except Exception:  # a failing predictor must not stop the replay
            log.exception("traffic forecast failed; showing no forecast")
            self.forecaster = None
            return None
        return {k: (v.p50, clock.time, {"forecast": True, "p10": v.p10, "p90": v.p90})
                for k, v in ahead.items()}

    def close(self) -> None:
        self.clock.events.time.disconnect(self.refresh)


def recorded_range(store: FeedStore, layers: list[LiveLayer]):
    """(first, last) snapshot time of the layers' sources in the store, or (None, None).

    Snapshot times (a document's newest observation), not row times: at the first row time of
    a document only part of it is observed yet."""
    times = [store.times(s) for s in {la.source for la in layers}]
    times = [t for t in times if t]
    if not times:
        return None, None
    return min(t[0] for t in times), max(t[-1] for t in times)


