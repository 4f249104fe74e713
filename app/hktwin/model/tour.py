"""Demo tours: a presenter's TOML file of steps, validated, and its timeline of camera poses.

A tour is a list of steps. Each step flies the camera to its pose (`fly` seconds), then dwells
there (`dwell` seconds, moving along its `path` if it has one) with its caption shown in English
and Traditional Chinese, its layers shown or hidden, the clock set, and its `action` started.
The tour loops. The file format (`resources/tours/hong-kong.toml` is the sample):

    [tour]
    title = "Hong Kong, live"            # title."zh-Hant" = "..." for the Chinese title
    loop = true
    fly = 6.0                            # default flight (s) into each step
    dwell = 12.0                         # default time (s) at each step

    [[step]]
    name = "Victoria Harbour"
    caption = { en = "...", "zh-Hant" = "..." }
    camera = { view = "harbour" }        # a named view, or an orbit or a street pose:
    # camera = { look_at = [114.158, 22.282], distance = 900, azimuth = 30, elevation = 25 }
    # camera = { street = [114.1580, 22.2812], heading = 80, pitch = 5, hfov = 65 }
    path = [ { street = [...], heading = 90 }, ... ]   # keyframes visited during the dwell
    layers = { show = ["Traffic"], hide = ["Rainfall"] }  # layer names or kinds
    clock = "2026-11-30T08:00:00+08:00"  # or "live"; clock_speed = 300 plays it
    action = "coverage"                  # looked up in the step registry; params = { ... }

Positions are [longitude, latitude] (WGS84, as a presenter copies them from a map) or, with
the `_xy` suffix (`look_at_xy`, `street_xy`), EPSG:2326 metres. Errors name the file, the step
and the field.

Interpolation keeps speed steady: between two orbit poses the view direction is slerped
(constant angular speed), the looked-at point moves linearly and the distance geometrically;
two street poses move the eye linearly and turn the heading at a constant rate the short way
round. A step's `path` is reparametrised by arc length (a metric combining ground distance,
view angle and zoom), so every keyframe-to-keyframe leg moves at the same speed; flights
accelerate and decelerate over their first and last `RAMP` share only, so the camera never
jumps and moves at constant speed between the ramps.

Step actions are looked up in `ACTIONS` (`register_action`), so plugins and the player add
kinds; a step whose action is unknown or whose feature is missing is skipped with a log line,
never a dialog.
"""

from __future__ import annotations

import itertools
import logging
import math
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hktwin.core.errors import DataError
from hktwin.core.files import atomic_write_text, read_bounded_text
from hktwin.model.camera import CameraPose, StreetPose, named_views

if TYPE_CHECKING:
    from hktwin.model.twin import Twin

log = logging.getLogger(__name__)

LANGS = ("en", "zh-Hant")
TOUR_FORMAT = 1
#: Share of a flight spent accelerating (and again decelerating).
RAMP = 0.2
#: The overview follows a street walker from this far (m) and this high (degrees).
FOLLOW_M = 300.0
FOLLOW_ELEVATION = 55.0
#: Walking speed (m/s) of a street `path`.
WALK_SPEED_M_S = 1.4

Pose = CameraPose | StreetPose


class StepSkipped(Exception):
    """A step cannot run here (its feature is missing); the player logs it and moves on."""


# --- the step registry --------------------------------------------------------------------------

#: action name -> handler(context, params). The context is whatever the player passes (the tour
#: player gives its session and window); a handler raises `StepSkipped` when it cannot run.
ACTIONS: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {}
#: action name -> one line for documentation and error messages.
ACTION_HELP: dict[str, str] = {}


def register_action(name: str, handler: Callable[[Any, Mapping[str, Any]], Any],
                    help: str = "") -> None:
    """Add (or replace) a step kind."""
    ACTIONS[name] = handler
    ACTION_HELP[name] = help


# --- the model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One stop of a tour (see the module docstring)."""

    name: str
    camera: Pose
    caption: Mapping[str, str] = field(default_factory=dict)
    path: tuple[Pose, ...] = ()
    fly: float = 6.0
    dwell: float = 12.0
    show: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    clock: datetime | str | None = None  # a time, "live", or None (leave it)
    clock_speed: float | None = None  # play the clock at this speed during the step
    action: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def keyframes(self) -> tuple[Pose, ...]:
        return (self.camera, *self.path)

    def caption_text(self, lang: str = "both") -> str:
        if lang == "both":
            return "\n".join(t for t in (self.caption.get(k, "") for k in LANGS) if t)
        return self.caption.get(lang) or self.caption.get("en", "")


@dataclass(frozen=True)
class Tour:
    title: Mapping[str, str]
    steps: tuple[Step, ...]
    loop: bool = True
    source: Path | None = None

    def with_step(self, step: Step, index: int | None = None) -> Tour:
        steps = list(self.steps)
        steps.insert(len(steps) if index is None else index, step)
        return replace(self, steps=tuple(steps))

    def timeline(self, ground: Callable[[float, float], float] | None = None) -> Timeline:
        return Timeline.build(self, ground)


# --- reading and validating --------------------------------------------------------------------

#: A tour is a few kilobytes of TOML; anything past this is not one.
TOUR_LIMIT = 1 << 20


def load_tour(path: str | Path) -> Tour:
    """Read and validate a tour file; a bad file raises a `DataError` naming the field."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, "no such tour file", "give the path of a .toml tour")
    try:
        doc = tomllib.loads(read_bounded_text(path, TOUR_LIMIT, "tour file", encoding="utf-8"))
    except UnicodeDecodeError:
        raise DataError(path, "is not UTF-8 text", "save the tour as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(path, f"is not valid TOML ({exc})", "fix the line it names") from None
    return parse_tour(doc, path)


def parse_tour(doc: Mapping[str, Any], path: Path | None = None) -> Tour:
    """A `Tour` from a parsed TOML document."""
    head = _table(doc.get("tour", {}), path, "tour")
    fmt = head.get("format", TOUR_FORMAT)
    if fmt != TOUR_FORMAT:
        raise DataError(path, f"tour format {fmt!r} is not supported",
                        f"this version reads format {TOUR_FORMAT}", field="tour.format")
    fly = _number(head.get("fly", 6.0), path, "tour.fly", lo=0.0)
    dwell = _number(head.get("dwell", 12.0), path, "tour.dwell", lo=0.0)
    raw_steps = doc.get("step", [])
    if not isinstance(raw_steps, list) or not raw_steps:
        raise DataError(path, "has no steps", "add [[step]] tables", field="step")
    steps = tuple(_parse_step(_table(s, path, f"step[{i}]"), path, f"step[{i}]", fly, dwell)
                  for i, s in enumerate(raw_steps))
    title = _texts(head.get("title", ""), path, "tour.title")
    return Tour(title, steps, bool(head.get("loop", True)), path)


_STEP_KEYS = {"name", "caption", "camera", "path", "fly", "dwell", "layers", "clock",
              "clock_speed", "action", "params"}


def _parse_step(t: Mapping[str, Any], path: Path | None, where: str, fly: float,
                dwell: float) -> Step:
    unknown = set(t) - _STEP_KEYS
    if unknown:
        raise DataError(path, f"unknown key {sorted(unknown)[0]!r}",
                        f"use only {', '.join(sorted(_STEP_KEYS))}", field=where)
    if "camera" not in t:
        raise DataError(path, "has no camera", "give camera = { view = \"harbour\" } or a pose",
                        field=f"{where}.camera")
    camera = parse_pose(t["camera"], path, f"{where}.camera")
    raw_path = t.get("path", [])
    if not isinstance(raw_path, list):
        raise DataError(path, "must be a list of poses", field=f"{where}.path")
    keyframes = tuple(parse_pose(p, path, f"{where}.path[{k}]") for k, p in enumerate(raw_path))
    layers = _table(t.get("layers", {}), path, f"{where}.layers")
    show = _names(layers.get("show", []), path, f"{where}.layers.show")
    hide = _names(layers.get("hide", []), path, f"{where}.layers.hide")
    clock = t.get("clock")
    if isinstance(clock, str) and clock != "live":
        try:
            clock = datetime.fromisoformat(clock)
        except ValueError:
            raise DataError(path, f"{clock!r} is not a time", "write 2026-11-30T08:00:00+08:00 "
                            "or \"live\"", field=f"{where}.clock") from None
    if isinstance(clock, datetime) and clock.tzinfo is None:
        raise DataError(path, "has no time zone", "add +08:00 (Hong Kong time)",
                        field=f"{where}.clock")
    if clock is not None and not isinstance(clock, datetime | str):
        raise DataError(path, f"{clock!r} is not a time", field=f"{where}.clock")
    speed = t.get("clock_speed")
    if speed is not None:
        speed = _number(speed, path, f"{where}.clock_speed", lo=0.0)
    action = t.get("action")
    if action is not None and not isinstance(action, str):
        raise DataError(path, "must be the name of a step kind", field=f"{where}.action")
    return Step(name=str(t.get("name", where)), camera=camera,
                caption=_texts(t.get("caption", {}), path, f"{where}.caption"),
                path=keyframes, fly=_number(t.get("fly", fly), path, f"{where}.fly", lo=0.0),
                dwell=_number(t.get("dwell", dwell), path, f"{where}.dwell", lo=0.0),
                show=show, hide=hide, clock=clock, clock_speed=speed, action=action,
                params=_table(t.get("params", {}), path, f"{where}.params"))


def parse_pose(raw: Any, path: Path | None = None, where: str = "camera") -> Pose:
    """A camera pose from its TOML table (named view, orbit or street)."""
    t = _table(raw, path, where)
    if "view" in t:
        views = named_views()
        if t["view"] not in views:
            raise DataError(path, f"no view is called {t['view']!r}",
                            f"use one of {', '.join(views)}", field=f"{where}.view")
        pose = views[t["view"]]
        changes = {k: _number(t[k], path, f"{where}.{k}")
                   for k in ("distance", "azimuth", "elevation", "fov") if k in t}
        return pose.moved(**changes) if changes else pose
    if "street" in t or "street_xy" in t:
        x, y = _position(t, "street", path, where)
        ground = t.get("ground")
        return StreetPose(x, y, heading=_number(t.get("heading", 0.0), path, f"{where}.heading"),
                          pitch=_number(t.get("pitch", 0.0), path, f"{where}.pitch"),
                          hfov=_number(t.get("hfov", 65.0), path, f"{where}.hfov", lo=10, hi=150),
                          ground=_number(ground, path, f"{where}.ground") if ground is not None
                          else math.nan)
    if "look_at" in t or "look_at_xy" in t:
        x, y = _position(t, "look_at", path, where)
        z = _number(t.get("height", 0.0), path, f"{where}.height")
        return CameraPose((x, y, z),
                          _number(t.get("distance", 1000.0), path, f"{where}.distance", lo=1.0),
                          _number(t.get("azimuth", 0.0), path, f"{where}.azimuth") % 360.0,
                          _number(t.get("elevation", 30.0), path, f"{where}.elevation",
                                  lo=-89.0, hi=89.9),
                          _number(t.get("fov", 45.0), path, f"{where}.fov", lo=5.0, hi=120.0))
    raise DataError(path, "is not a pose", "give view = \"...\", look_at = [lon, lat] or "
                    "street = [lon, lat]", field=where)


def _position(t: Mapping[str, Any], key: str, path: Path | None, where: str
              ) -> tuple[float, float]:
    xy = f"{key}_xy" in t
    raw = t[f"{key}_xy"] if xy else t[key]
    name = f"{where}.{key}_xy" if xy else f"{where}.{key}"
    if not (isinstance(raw, list) and len(raw) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)):
        raise DataError(path, f"{raw!r} is not two numbers", "write [longitude, latitude]"
                        if not xy else "write [easting, northing]", field=name)
    a, b = float(raw[0]), float(raw[1])
    if xy:
        return a, b
    if not (113.5 <= a <= 114.7 and 22.0 <= b <= 22.7):
        raise DataError(path, f"[{a}, {b}] is not in Hong Kong", "write [longitude, latitude] in "
                        "degrees, e.g. [114.158, 22.282]", field=name)
    from hktwin.geo.crs import from_wgs84

    x, y = from_wgs84(a, b)
    return float(x), float(y)


def _table(raw: Any, path: Path | None, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise DataError(path, f"must be a table, not {type(raw).__name__}", field=where)
    return raw


def _number(raw: Any, path: Path | None, where: str, lo: float = -math.inf,
            hi: float = math.inf) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise DataError(path, f"{raw!r} is not a number", field=where)
    if not lo <= raw <= hi:
        raise DataError(path, f"{raw} is outside {lo:g}..{hi:g}", field=where)
    return float(raw)


def _texts(raw: Any, path: Path | None, where: str) -> dict[str, str]:
    if isinstance(raw, str):
        return {"en": raw}
    t = _table(raw, path, where)
    out = {}
    for k, v in t.items():
        if k not in LANGS:
            raise DataError(path, f"unknown language {k!r}", f"use {' or '.join(LANGS)}",
                            field=f"{where}.{k}")
        if not isinstance(v, str):
            raise DataError(path, "must be text", field=f"{where}.{k}")
        out[k] = v
    return out


def _names(raw: Any, path: Path | None, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise DataError(path, "must be a list of layer names", field=where)
    return tuple(raw)


# --- writing -------------------------------------------------------------------------------------


def dump_tour(tour: Tour) -> str:
    """The tour as TOML text (`load_tour` reads it back to an equal tour)."""
    lines = ["[tour]", f"format = {TOUR_FORMAT}", f"title = {_inline(dict(tour.title))}",
             f"loop = {_toml(tour.loop)}", ""]
    for s in tour.steps:
        lines += ["[[step]]", f"name = {_toml(s.name)}"]
        if s.caption:
            lines.append(f"caption = {_inline(dict(s.caption))}")
        lines.append(f"camera = {_inline(pose_table(s.camera))}")
        if s.path:
            lines.append("path = [" + ", ".join(_inline(pose_table(p)) for p in s.path) + "]")
        lines += [f"fly = {_toml(s.fly)}", f"dwell = {_toml(s.dwell)}"]
        if s.show or s.hide:
            lines.append(f"layers = {_inline({'show': list(s.show), 'hide': list(s.hide)})}")
        if s.clock is not None:
            clock = s.clock if isinstance(s.clock, str) else s.clock.isoformat()
            lines.append(f"clock = {_toml(clock)}")
        if s.clock_speed is not None:
            lines.append(f"clock_speed = {_toml(s.clock_speed)}")
        if s.action:
            lines.append(f"action = {_toml(s.action)}")
        if s.params:
            lines.append(f"params = {_inline(dict(s.params))}")
        lines.append("")
    return "\n".join(lines)


def save_tour(tour: Tour, path: str | Path) -> Path:
    """Write the tour atomically."""
    return atomic_write_text(path, dump_tour(tour))


def pose_table(pose: Pose) -> dict[str, Any]:
    """A pose as the TOML table `parse_pose` reads (EPSG:2326 positions, exact)."""
    if isinstance(pose, StreetPose):
        out = {"street_xy": [pose.x, pose.y], "heading": pose.heading, "pitch": pose.pitch,
               "hfov": pose.hfov}
        if math.isfinite(pose.ground):
            out["ground"] = pose.ground
        return out
    x, y, z = pose.center
    return {"look_at_xy": [x, y], "height": z, "distance": pose.distance,
            "azimuth": pose.azimuth, "elevation": pose.elevation, "fov": pose.fov}


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return _inline(v)
    raise TypeError(f"cannot write {v!r} to a tour")


def _inline(t: Mapping[str, Any]) -> str:
    def key(k: str) -> str:
        return k if k.replace("_", "").isalnum() and k.isascii() else _toml(k)

    return "{ " + ", ".join(f"{key(k)} = {_toml(v)}" for k, v in t.items()) + " }"


# --- "Add keyframe here" -------------------------------------------------------------------------


def keyframe_from(twin: Twin, name: str = "", camera: Pose | None = None,
                  dwell: float = 10.0, fly: float = 6.0) -> Step:
    """A step recording what the window shows now: its camera (or `camera`, e.g. the AR view's
    street pose), which layers are visible, and the clock's time."""
    layers = list(twin.layers)
    return Step(name=name or f"Keyframe {twin.clock.time:%H:%M:%S}",
                camera=camera if camera is not None else twin.camera,
                show=tuple(layer.name for layer in layers if layer.visible),
                hide=tuple(layer.name for layer in layers if not layer.visible),
                clock="live" if twin.clock.live else twin.clock.time, fly=fly, dwell=dwell)


def add_keyframe(tour: Tour | None, twin: Twin, **kwargs: Any) -> Tour:
    """The tour (a new one when None) with a keyframe of the current view appended."""
    step = keyframe_from(twin, **kwargs)
    if tour is None:
        return Tour({"en": "My tour"}, (step,))
    return tour.with_step(step)


# --- interpolation -------------------------------------------------------------------------------


def _direction(azimuth: float, elevation: float) -> np.ndarray:
    """Unit vector from the eye to the looked-at point of an orbit pose."""
    az, el = math.radians(azimuth), math.radians(elevation)
    return np.array([math.sin(az) * math.cos(el), math.cos(az) * math.cos(el), -math.sin(el)])


def _angles(d: np.ndarray) -> tuple[float, float]:
    d = d / np.linalg.norm(d)
    return (math.degrees(math.atan2(d[0], d[1])) % 360.0,
            math.degrees(math.asin(float(np.clip(-d[2], -1.0, 1.0)))))


def _slerp(a: np.ndarray, b: np.ndarray, s: float) -> np.ndarray:
    dot = float(np.clip(a @ b, -1.0, 1.0))
    omega = math.acos(dot)
    if omega < 1e-6:
        return a + (b - a) * s
    return (math.sin((1 - s) * omega) * a + math.sin(s * omega) * b) / math.sin(omega)


def as_orbit(pose: Pose) -> CameraPose:
    """The overview's pose for a pose: itself for an orbit pose; for a street pose, a camera
    following the walker from above and behind (`FOLLOW_M` away, `FOLLOW_ELEVATION` up,
    looking along the heading), so the overview shows the viewer and the street around while
    the AR view shows what the phone sees."""
    if isinstance(pose, CameraPose):
        return pose
    ground = pose.ground if math.isfinite(pose.ground) else 0.0
    return CameraPose((float(pose.x), float(pose.y), float(ground)), FOLLOW_M, pose.heading,
                      FOLLOW_ELEVATION)


def interpolate_poses(a: Pose, b: Pose, s: float) -> Pose:
    """The pose a fraction `s` (0..1, linear: constant speed) of the way from `a` to `b`."""
    if isinstance(a, StreetPose) and isinstance(b, StreetPose):
        dh = (b.heading - a.heading + 180.0) % 360.0 - 180.0
        ga = a.ground if math.isfinite(a.ground) else math.nan
        gb = b.ground if math.isfinite(b.ground) else math.nan
        return StreetPose(a.x + (b.x - a.x) * s, a.y + (b.y - a.y) * s,
                          heading=(a.heading + dh * s) % 360.0,
                          pitch=a.pitch + (b.pitch - a.pitch) * s,
                          hfov=a.hfov + (b.hfov - a.hfov) * s,
                          height=a.height + (b.height - a.height) * s, ground=ga + (gb - ga) * s)
    if s >= 1.0:
        return b
    if s <= 0.0:
        return a
    oa, ob = as_orbit(a), as_orbit(b)
    d = _slerp(_direction(oa.azimuth, oa.elevation), _direction(ob.azimuth, ob.elevation), s)
    az, el = _angles(d)
    ca, cb = np.array(oa.center), np.array(ob.center)
    c = ca + (cb - ca) * s
    dist = math.exp(math.log(oa.distance) + (math.log(ob.distance) - math.log(oa.distance)) * s)
    return CameraPose((float(c[0]), float(c[1]), float(c[2])), dist, az, el,
                      oa.fov + (ob.fov - oa.fov) * s)


def pose_distance(a: Pose, b: Pose) -> float:
    """Arc length of the leg a -> b in a metric of view change (dimensionless).

    Street legs: metres walked over `WALK_SPEED_M_S`, plus turning at 30 degrees a second;
    orbit legs: ground distance in units of the mean orbit distance, view angle in radians and
    zoom as a log ratio, added in quadrature.
    """
    if isinstance(a, StreetPose) and isinstance(b, StreetPose):
        dh = abs((b.heading - a.heading + 180.0) % 360.0 - 180.0)
        return math.hypot(b.x - a.x, b.y - a.y) / WALK_SPEED_M_S + max(dh, abs(b.pitch - a.pitch)
                                                                       ) / 30.0
    oa, ob = as_orbit(a), as_orbit(b)
    ref = math.sqrt(oa.distance * ob.distance)
    ground = math.dist(oa.center, ob.center) / ref
    da, db = _direction(oa.azimuth, oa.elevation), _direction(ob.azimuth, ob.elevation)
    angle = math.acos(float(np.clip(da @ db, -1.0, 1.0)))
    zoom = abs(math.log(ob.distance / oa.distance))
    return math.sqrt(ground**2 + angle**2 + zoom**2)


def ramp(u: float, share: float = RAMP) -> float:
    """Progress 0..1 over time u 0..1: constant speed, with smooth ramps of `share` at each end
    (a trapezoidal speed profile; the position and its speed are continuous)."""
    u = min(max(u, 0.0), 1.0)
    if share <= 0:
        return u
    v = 1.0 / (1.0 - share)  # top speed so that the area is 1
    if u < share:
        return 0.5 * v * u * u / share
    if u > 1.0 - share:
        w = 1.0 - u
        return 1.0 - 0.5 * v * w * w / share
    return v * (u - share / 2)


@dataclass(frozen=True)
class Segment:
    """A stretch of the timeline: flying into a step or dwelling at it."""

    step: int
    phase: str  # "fly" | "dwell"
    t0: float
    t1: float
    poses: tuple[Pose, ...]  # the keyframes passed, in order
    lengths: tuple[float, ...]  # cumulative arc length at each keyframe (0 .. total)
    eased: bool

    def pose_at(self, t: float) -> Pose:
        if len(self.poses) == 1 or self.t1 <= self.t0:
            return self.poses[-1] if t >= self.t1 else self.poses[0]
        u = (t - self.t0) / (self.t1 - self.t0)
        s = (ramp(u) if self.eased else min(max(u, 0.0), 1.0)) * self.lengths[-1]
        k = int(np.searchsorted(self.lengths, s, side="right") - 1)
        k = min(max(k, 0), len(self.poses) - 2)
        span = self.lengths[k + 1] - self.lengths[k]
        f = 0.0 if span <= 0 else (s - self.lengths[k]) / span
        return interpolate_poses(self.poses[k], self.poses[k + 1], min(max(f, 0.0), 1.0))


def on_ground(pose: Pose, ground: Callable[[float, float], float] | None) -> Pose:
    """A street pose with its ground height filled in (from `ground(x, y)`, else 0 m)."""
    if not isinstance(pose, StreetPose) or math.isfinite(pose.ground):
        return pose
    h = float(ground(pose.x, pose.y)) if ground is not None else 0.0
    return replace(pose, ground=max(h, 0.0) if math.isfinite(h) else 0.0)


def _grounded(step: Step, ground: Callable[[float, float], float] | None) -> Step:
    return replace(step, camera=on_ground(step.camera, ground),
                   path=tuple(on_ground(p, ground) for p in step.path))


def _segment(step: int, phase: str, t0: float, duration: float, poses: Iterable[Pose],
             eased: bool) -> Segment:
    poses = tuple(poses)
    legs = [pose_distance(a, b) for a, b in itertools.pairwise(poses)]
    return Segment(step, phase, t0, t0 + duration, poses,
                   tuple(np.concatenate([[0.0], np.cumsum(legs)]).tolist()), eased)


@dataclass(frozen=True)
class Timeline:
    """The tour laid out in time: segments back to back, `duration` seconds a loop."""

    tour: Tour
    segments: tuple[Segment, ...]
    duration: float

    @staticmethod
    def build(tour: Tour, ground: Callable[[float, float], float] | None = None) -> Timeline:
        """Lay the tour out; `ground(x, y)` stands street poses without a `ground` on the
        terrain (0 m without it)."""
        segs: list[Segment] = []
        t = 0.0
        steps = tuple(_grounded(s, ground) for s in tour.steps)
        tour = replace(tour, steps=steps)
        for i, step in enumerate(steps):
            prev = steps[i - 1].keyframes[-1] if (i > 0 or tour.loop) else None
            if prev is not None and step.fly > 0 and (i > 0 or len(steps) > 1 or step.path):
                segs.append(_segment(i, "fly", t, step.fly, (prev, step.camera), True))
                t += step.fly
            dwell = step.dwell
            if step.path:
                walk = _segment(i, "dwell", t, 1.0, step.keyframes, False)
                # A street walk at walking speed needs its time; the dwell can only be longer.
                if all(isinstance(p, StreetPose) for p in step.keyframes):
                    dwell = max(dwell, walk.lengths[-1])
            segs.append(_segment(i, "dwell", t, dwell, step.keyframes, False))
            t += dwell
        return Timeline(tour, tuple(segs), t)

    def locate(self, t: float) -> tuple[Segment, float]:
        """The segment at time `t` (wrapped into the loop when the tour loops) and that time."""
        if self.duration <= 0:
            return self.segments[0], 0.0
        if self.tour.loop:
            t = t % self.duration
        t = min(max(t, 0.0), self.duration)
        starts = [s.t0 for s in self.segments]
        k = max(0, int(np.searchsorted(starts, t, side="right")) - 1)
        return self.segments[k], t

    def pose_at(self, t: float) -> Pose:
        seg, t = self.locate(t)
        return seg.pose_at(t)

    def step_at(self, t: float) -> tuple[int, str]:
        seg, _ = self.locate(t)
        return seg.step, seg.phase

    def loops_done(self, t: float) -> int:
        return int(t // self.duration) if self.duration > 0 else 0
