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


EYE_HEIGHT_M = 1.6
PITCH_RANGE = (-30.0, 60.0)
DEFAULT_HFOV = 65.0


@dataclass(frozen=True)
class StreetPose:
    """A pedestrian's eye: standing at (`x`, `y`) in EPSG:2326 on ground `ground` metres above
    the datum, the eye `height` metres above that, looking along the compass `heading`
    (degrees clockwise from north) and `pitch` degrees up (negative: down; clamped to
    -30..+60, as a phone is held), through a horizontal field of view `hfov`.

    The orbit `CameraPose` cannot look level or up (it looks *at* a point from above); this pose
    is what the AR street view and street-level named views are made of.
    """

    x: float
    y: float
    heading: float = 0.0
    pitch: float = 0.0
    hfov: float = DEFAULT_HFOV
    height: float = EYE_HEIGHT_M
    ground: float = 0.0

    def __post_init__(self) -> None:
        lo, hi = PITCH_RANGE
        object.__setattr__(self, "pitch", min(max(float(self.pitch), lo), hi))
        object.__setattr__(self, "heading", float(self.heading) % 360.0)
        object.__setattr__(self, "hfov", min(max(float(self.hfov), 10.0), 150.0))

    def moved(self, **changes: float) -> StreetPose:
        return replace(self, **changes)

    def eye(self) -> tuple[float, float, float]:
        """Where the eye is, in EPSG:2326 and metres above the datum."""
        return (self.x, self.y, self.ground + self.height)

    def forward(self) -> tuple[float, float, float]:
        """Unit vector the eye looks along (east, north, up)."""
        h, p = math.radians(self.heading), math.radians(self.pitch)
        return (math.sin(h) * math.cos(p), math.cos(h) * math.cos(p), math.sin(p))

    def vfov(self, aspect: float) -> float:
        """Vertical field of view in degrees for a picture `aspect` = width / height wide."""
        half = math.radians(self.hfov) / 2.0
        return math.degrees(2.0 * math.atan(math.tan(half) / max(aspect, 1e-6)))

    def walked(self, forward: float = 0.0, right: float = 0.0) -> StreetPose:
        """Moved `forward` metres along the heading and `right` metres to its right, level."""
        h = math.radians(self.heading)
        return replace(self, x=self.x + forward * math.sin(h) + right * math.cos(h),
                       y=self.y + forward * math.cos(h) - right * math.sin(h))

    def turned(self, d_heading: float = 0.0, d_pitch: float = 0.0) -> StreetPose:
        return replace(self, heading=self.heading + d_heading, pitch=self.pitch + d_pitch)


def street_pose_at(x: float, y: float, heading: float = 0.0, pitch: float = 0.0,
                   terrain=None, **kwargs: float) -> StreetPose:
    """A street pose standing on the terrain at (x, y) (on the datum where there is none, or
    at sea level where the terrain is below it)."""
    ground = 0.0
    if terrain is not None:
        h = float(terrain.height_at(x, y))
        if math.isfinite(h):
            ground = max(h, 0.0)
    return StreetPose(x, y, heading, pitch, ground=ground, **kwargs)


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


#: A named view of a pack covering part of Hong Kong keeps the pack's extent (its diagonal)
#: this many times over in its orbit distance at most: the pack fills the middle of the view with
#: its surroundings round it.
FRAME_DIAGONALS = 1.5


def fitted(pose: object, city: object) -> object:
    """A named orbit view fitted to a city with a base (`CityModel.covered`): a view looking at
    a point inside the covered extent comes no further away than frames the extent, any other
    looks at the extent's centre from its own bearing and elevation. Other poses and cities
    that stand alone are returned as they are."""
    covered = getattr(city, "covered", None)
    if covered is None or not isinstance(pose, CameraPose):
        return pose
    x0, y0, x1, y1 = covered
    reach = FRAME_DIAGONALS * math.hypot(x1 - x0, y1 - y0)
    cx, cy, cz = pose.center
    if not (x0 <= cx <= x1 and y0 <= cy <= y1):
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return replace(pose, center=(cx, cy, cz), distance=min(pose.distance, reach))


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
