"""The cameras of the views: the orbit camera over the city (model: `CameraPose`) and the street
camera at a pedestrian's eye (model: `StreetPose`), and the conversions to and from vispy."""

from __future__ import annotations

import math

import numpy as np
from vispy import scene
from vispy.scene.cameras.perspective import PerspectiveCamera

from hktwin.model.camera import CameraPose, StreetPose

#: Near plane = distance / sqrt(10 * DEPTH_VALUE): 400 keeps ~6 cm depth resolution 10 km away
#: while clipping nothing within 1/63 of the orbit distance.
DEPTH_VALUE = 400.0
MIN_DISTANCE_M = 30.0
MAX_DISTANCE_M = 250_000.0


class CityCamera(scene.TurntableCamera):
    """A turntable camera that keeps above the horizon and within sensible zoom limits."""

    def __init__(self, **kwargs) -> None:
        super().__init__(fov=45.0, up="+z", **kwargs)
        self.depth_value = DEPTH_VALUE

    def view_changed(self) -> None:
        if getattr(self, "_scale_factor", None) is not None:
            lo, hi = (_scale_for(d, self._fov) for d in (MIN_DISTANCE_M, MAX_DISTANCE_M))
            self._scale_factor = min(max(self._scale_factor, lo), hi)
        if getattr(self, "_elevation", None) is not None:
            self._elevation = min(max(self._elevation, 2.0), 89.9)
        super().view_changed()


def _scale_for(distance: float, fov: float) -> float:
    return distance * 2.0 * math.tan(math.radians(fov) / 2.0)


def apply_pose(camera: scene.TurntableCamera, pose: CameraPose, origin: tuple[float, float]):
    """Point a vispy turntable camera as the pose says (scene coordinates = EPSG:2326 - origin)."""
    cx, cy, cz = pose.center
    camera.set_state({
        "center": (cx - origin[0], cy - origin[1], cz),
        "fov": pose.fov,
        "scale_factor": _scale_for(pose.distance, pose.fov),
        # vispy's azimuth turns the view anticlockwise; a compass bearing turns clockwise.
        "azimuth": -pose.azimuth,
        "elevation": pose.elevation,
    })


def pose_of(camera: scene.TurntableCamera, origin: tuple[float, float]) -> CameraPose:
    """The model pose of a vispy turntable camera."""
    cx, cy, cz = camera.center
    fov = float(camera.fov)
    distance = camera.scale_factor / (2.0 * math.tan(math.radians(fov) / 2.0))
    return CameraPose(
        center=(float(cx) + origin[0], float(cy) + origin[1], float(cz)),
        distance=float(distance),
        azimuth=float(-camera.azimuth) % 360.0,
        elevation=float(camera.elevation),
        fov=fov,
    )


def eye_in_scene(pose: CameraPose, origin: tuple[float, float]) -> np.ndarray:
    x, y, z = pose.eye()
    return np.array([x - origin[0], y - origin[1], z])


#: Street camera clip planes: 0.3 m to 25 km keeps ~2 mm of depth at 100 m and ~0.2 m at 1 km
#: (24-bit depth), enough for facades across a street and the hills behind them.
STREET_NEAR_M = 0.3
STREET_FAR_M = 25_000.0


class StreetCamera(PerspectiveCamera):
    """A camera at an eye position looking along a heading and pitch, level or up.

    vispy's turntable looks *at* a centre and is clamped above the horizon here; a pedestrian
    looks *from* a point. The transform is built directly: rows right, up, back, eye (vispy's
    row-vector convention), with a perspective of the vertical field of view that the pose's
    horizontal one gives at the view box's aspect.
    """

    _state_props = ()

    def __init__(self, **kwargs) -> None:
        super().__init__(fov=45.0, **kwargs)
        self.interactive = False  # the AR view moves it through the model (walking, turning)
        self.pose: StreetPose | None = None
        self.origin: tuple[float, float] = (0.0, 0.0)

    def set_pose(self, pose: StreetPose, origin: tuple[float, float]) -> None:
        self.pose, self.origin = pose, origin
        self.view_changed()

    def eye_in_scene(self) -> np.ndarray:
        x, y, z = self.pose.eye()
        return np.array([x - self.origin[0], y - self.origin[1], z])

    def _update_transform(self, event=None) -> None:
        box = self._viewbox
        if box is None or self.pose is None:
            return
        w, h = box.size
        if w <= 0 or h <= 0:
            return
        pose = self.pose
        self._fov = pose.vfov(w / h)
        self._projection.set_perspective(self._fov, w / h, STREET_NEAR_M, STREET_FAR_M)
        forward = np.array(pose.forward())
        hd = math.radians(pose.heading)
        right = np.array([math.cos(hd), -math.sin(hd), 0.0])
        up = np.cross(right, forward)
        m = np.eye(4)
        m[0, :3], m[1, :3], m[2, :3], m[3, :3] = right, up, -forward, self.eye_in_scene()
        self.transform.matrix = m
        self._viewbox_tr.set_mapping([[-1, 1], [1, -1]], [[0, 0], box.size])
        chain = [n.transform for n in box.scene.node_path_to_child(self)[1:]]
        camera_tr = self._transform_cache.get(chain).inverse
        full = self._transform_cache.get([self._viewbox_tr, self._projection, camera_tr])
        self._transform_cache.roll()
        self._set_scene_transform(full)
