"""The orbit camera over the city, and conversion between it and the model's `CameraPose`."""

from __future__ import annotations

import math

import numpy as np
from vispy import scene

from hktwin.model.camera import CameraPose

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
