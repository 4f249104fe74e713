"""The shadow layer (its own time, or the twin's clock) and the day's shadow share of an area."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

import numpy as np

import hktwin.plugins as hp
from hktwin_sun import shadow, sun

LAYER_NAME = "Sun and shadow"


def _arr(*shape: int, dtype: Any = np.float32) -> Any:
    return field(default_factory=lambda: np.zeros(shape, dtype), repr=False)


@hp.evented
@dataclass(eq=False)
class ShadowLayer(hp.Layer):
    """Building shadows at `time` (None: follow the twin's clock), as triangles in scene
    coordinates: on the ground at each caster's base, and on the roofs a taller neighbour
    shades. Computed by `set_time`, so a hidden layer costs nothing."""

    buildings: Any = field(default=None, repr=False)
    origin: tuple[float, float] = (0.0, 0.0)
    time: datetime | None = None
    ground_triangles: np.ndarray = _arr(0, 3, 3)
    roof_triangles: np.ndarray = _arr(0, 3, 3)
    computed_for: datetime | None = None
    elevation: float = float("nan")
    azimuth: float = float("nan")
    kind: ClassVar[str] = "sun and shadow"

    @property
    def summary(self) -> str:
        if self.computed_for is None:
            return "building shadows (shown for the chosen time)"
        when = self.computed_for.strftime("%Y-%m-%d %H:%M")
        if self.elevation <= 0:
            return f"{when} HKT: the sun is below the horizon"
        return (f"{when} HKT: sun {self.elevation:.1f} deg up at {self.azimuth:.0f} deg; NREL "
                "SPA (pvlib); shadows on flat ground at each building's base")

    def set_time(self, when: datetime) -> None:
        """Compute the shadows for `when` (naive: Hong Kong Time)."""
        if self.buildings is None:
            return
        elevation, azimuth = sun.sun_position(when)
        b = self.buildings
        cast = shadow.cast_shadows(b.footprints, b.base, b.height, elevation, azimuth)
        ox, oy = self.origin
        ground = np.zeros((0, 3, 3), np.float32)
        if cast.sun_up and len(cast.polygons):
            tri = shadow.fan_triangles(cast.polygons)
            per_poly = _tri_owner(cast.polygons)
            z = np.asarray(b.base, np.float64)[cast.caster][per_poly] + 0.6
            ground = _lift(tri, z, ox, oy)
        roofs = np.zeros((0, 3, 3), np.float32)
        rows = np.flatnonzero(cast.roof_shaded) if cast.sun_up else np.zeros(0, np.int64)
        if len(rows):
            import shapely

            parts = shapely.get_parts(shapely.constrained_delaunay_triangles(b.footprints[rows]),
                                      return_index=True)
            coords = shapely.get_coordinates(shapely.get_exterior_ring(parts[0]))
            tri = coords.reshape(-1, 4, 2)[:, :3]
            top = (np.asarray(b.base, np.float64) + b.height)[rows][parts[1]] + 0.6
            roofs = _lift(tri, top, ox, oy)
        self.elevation, self.azimuth = elevation, azimuth
        self.roof_triangles = roofs
        self.ground_triangles = ground
        self.computed_for = sun._as_hkt(when)


def _tri_owner(polygons: np.ndarray) -> np.ndarray:
    import shapely

    counts = shapely.get_num_coordinates(shapely.get_exterior_ring(polygons))
    return np.repeat(np.arange(len(polygons)), np.maximum(counts - 3, 0))


def _lift(tri: np.ndarray, z: np.ndarray, ox: float, oy: float) -> np.ndarray:
    out = np.empty((len(tri), 3, 3), np.float32)
    out[:, :, 0] = tri[:, :, 0] - ox
    out[:, :, 1] = tri[:, :, 1] - oy
    out[:, :, 2] = np.asarray(z, np.float64)[:, None]
    return out


def make_layers(city: hp.CityModel) -> list[hp.Layer]:
    """The factory HK Twin calls for a loaded city: a hidden shadow layer (turn it on to see
    the shadows at the clock's time, or set its own time)."""
    if getattr(city, "buildings", None) is None:
        return []
    return [ShadowLayer(LAYER_NAME, visible=False, buildings=city.buildings,
                        origin=city.origin)]


def tour_step(session: Any, params: Any) -> Any:
    """The `sun-shadows` tour step: show the shadow layer (at `params["time"]`, "HH:MM" on
    the clock's day, else following the clock) until the tour moves on."""
    layer = next((la for la in session.twin.layers if isinstance(la, ShadowLayer)), None)
    if layer is None or layer.buildings is None:
        raise hp.StepSkipped("this city has no buildings to cast shadows")
    before = (layer.visible, layer.time)
    at = params.get("time")
    if at is not None:
        try:
            hour, minute = (int(v) for v in str(at).split(":"))
            day = sun._as_hkt(session.twin.clock.time).astimezone(sun.HKT)
            layer.time = day.replace(hour=hour, minute=minute, second=0, microsecond=0,
                                     tzinfo=None)
        except ValueError:
            raise hp.StepSkipped(f"time {at!r} is not HH:MM") from None
        layer.set_time(layer.time)
    layer.visible = True

    def undo() -> None:
        layer.visible, layer.time = before

    return undo


@dataclass
class DayShadow:
    times: list[datetime]
    elevation: np.ndarray
    share: np.ndarray  # share of the open ground in shadow at each time

    @property
    def daylight(self) -> np.ndarray:
        return self.elevation > 0.0

    @property
    def daylight_mean_share(self) -> float:
        return float(self.share[self.daylight].mean()) if self.daylight.any() else 1.0

    @property
    def sunlit_hours(self) -> float:
        """Hours of daylight times the sunlit share (area-weighted sun hours)."""
        step_h = (self.times[1] - self.times[0]).total_seconds() / 3600 if len(self.times) > 1 \
            else 0.0
        return float(((1.0 - self.share) * self.daylight).sum() * step_h)


def day_shadow_share(buildings: Any, area: Any, day: date, step_minutes: int = 30) -> DayShadow:
    """The share of `area`'s open ground (a shapely polygon, EPSG:2326) in building shadow at
    every `step_minutes` of `day`; only buildings whose longest shadow could reach it count."""
    import shapely

    times = sun.day_times(day, step_minutes)
    elevation, azimuth = sun.sun_positions(times)
    reach = min(float(np.max(buildings.height, initial=0.0)) / np.tan(np.radians(5.0)),
                shadow.MAX_SHADOW_M)
    near = shapely.STRtree(buildings.footprints).query(shapely.buffer(area, reach),
                                                       predicate="intersects")
    fp = buildings.footprints[near]
    base = np.asarray(buildings.base)[near]
    height = np.asarray(buildings.height)[near]
    share = np.ones(len(times))
    for i in np.flatnonzero(elevation > 0.0):  # one vectorised pass per time step
        cast = shadow.cast_shadows(fp, base, height, elevation[i], azimuth[i])
        share[i] = shadow.area_share_in_shadow(area, fp, cast)
    return DayShadow(times, elevation, share)


def run_analysis(twin: hp.Twin, area: tuple[float, float, float, float] | None = None,
                 day: date | None = None, step_minutes: int = 30, **_: Any) -> hp.AnalysisResult:
    """Share of an area (xmin, ymin, xmax, ymax in EPSG:2326; default a 400 m square at the
    camera's centre) in shadow over a day (default: the clock's day)."""
    import shapely

    city = twin.city
    if city is None or city.buildings is None:
        return hp.AnalysisResult(legend="no buildings in this pack")
    if area is None:
        cx, cy = twin.camera.center[:2]
        area = (cx - 200.0, cy - 200.0, cx + 200.0, cy + 200.0)
    day = day or twin.clock.time.date()
    result = day_shadow_share(city.buildings, shapely.box(*area), day, step_minutes)
    return hp.AnalysisResult(
        metrics={"daylight_mean_share_in_shadow": result.daylight_mean_share,
                 "area_weighted_sun_hours": result.sunlit_hours},
        legend=f"open ground of {area} on {day}: NREL SPA sun, flat-ground building shadows")
