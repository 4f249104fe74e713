"""Camera poses and the named views of Hong Kong, in EPSG:2326."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache


@dataclass(frozen=True)
class CameraPose:
    """An orbit camera: it looks at `center` from `distance` metres away.

    `azimuth` is the compass bearing (degrees clockwise from north) from which the camera looks
    at the centre, i.e. the camera stands on the opposite side; `elevation` is the angle above
    the horizon; `fov` the vertical field of view in degrees.
    """

    center: tuple[float, float, float]
    distance: float
    azimuth: float
    elevation: float
    fov: float = 45.0

    def moved(self, **changes: float) -> CameraPose:
        return replace(self, **changes)

    def eye(self) -> tuple[float, float, float]:
        """Where the camera stands, in EPSG:2326 and metres."""
        el = math.radians(self.elevation)
        az = math.radians(self.azimuth)
        horizontal = self.distance * math.cos(el)
        cx, cy, cz = self.center
        return (cx - horizontal * math.sin(az), cy - horizontal * math.cos(az),
                cz + self.distance * math.sin(el))


def interpolate(a: CameraPose, b: CameraPose, t: float) -> CameraPose:
    """A pose between `a` and `b` (t in 0..1), eased and turning the short way round.

    Distance is interpolated in log space and lifted mid-way, so a flight between two views
    rises to show where it goes, as in Google Earth or Cesium.
    """
    s = t * t * (3 - 2 * t)
    lerp = lambda p, q: p + (q - p) * s  # noqa: E731
    d_az = (b.azimuth - a.azimuth + 180.0) % 360.0 - 180.0
    hop = 1.0 + 0.6 * math.sin(math.pi * s) * min(1.0, _ground_gap(a, b) / max(a.distance, 1.0))
    distance = math.exp(lerp(math.log(a.distance), math.log(b.distance))) * hop
    return CameraPose(
        center=tuple(lerp(p, q) for p, q in zip(a.center, b.center, strict=True)),  # type: ignore[arg-type]
        distance=distance,
        azimuth=(a.azimuth + d_az * s) % 360.0,
        elevation=lerp(a.elevation, b.elevation),
        fov=lerp(a.fov, b.fov),
    )


def _ground_gap(a: CameraPose, b: CameraPose) -> float:
    return math.hypot(a.center[0] - b.center[0], a.center[1] - b.center[1])


# Named views: (longitude, latitude of the point looked at, height there, distance, azimuth,
# elevation). Positions from public maps; tuned by looking at snapshots.
_VIEWS_WGS84 = {
    "harbour": (114.175, 22.295, 0.0, 8000.0, 80.0, 20.0),
    "kowloon": (114.176, 22.318, 0.0, 7000.0, 340.0, 30.0),
    "island": (114.180, 22.272, 0.0, 8000.0, 160.0, 30.0),
    "territory": (114.14, 22.35, 0.0, 60000.0, 0.0, 55.0),
}

VIEW_NAMES: tuple[str, ...] = tuple(_VIEWS_WGS84)
HOME_VIEW = "harbour"


@lru_cache(maxsize=1)
def named_views() -> dict[str, CameraPose]:
    """The named views as poses in EPSG:2326."""
    from hktwin.geo.crs import from_wgs84

    views = {}
    for name, (lon, lat, z, distance, azimuth, elevation) in _VIEWS_WGS84.items():
        x, y = from_wgs84(lon, lat)
        views[name] = CameraPose((float(x), float(y), z), distance, azimuth, elevation)
    return views


def pan(pose: CameraPose, right: float, forward: float) -> CameraPose:
    """Move the looked-at point by fractions of the orbit distance, relative to the heading."""
    az = math.radians(pose.azimuth)
    step = pose.distance
    dx = (right * math.cos(az) + forward * math.sin(az)) * step
    dy = (-right * math.sin(az) + forward * math.cos(az)) * step
    x, y, z = pose.center
    return pose.moved(center=(x + dx, y + dy, z))


def zoom(pose: CameraPose, factor: float) -> CameraPose:
    """Move closer (factor < 1) or further (factor > 1) from the looked-at point."""
    return pose.moved(distance=pose.distance * factor)


def orbit(pose: CameraPose, d_azimuth: float = 0.0, d_elevation: float = 0.0) -> CameraPose:
    """Turn around the looked-at point; elevation stays between 2 and 89.9 degrees."""
    return pose.moved(azimuth=(pose.azimuth + d_azimuth) % 360.0,
                      elevation=min(max(pose.elevation + d_elevation, 2.0), 89.9))
