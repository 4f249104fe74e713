"""The phone's pinhole camera at street level: world points (EPSG:2326) to pixels.

Axes: x east, y north, z up (metres above the Hong Kong Principal Datum). `heading_deg` is a
compass bearing (clockwise from north) and `pitch_deg` the angle above the horizon. Pixel (0, 0)
is the top-left corner of the image; u grows to the right, v downwards. The renderer uses
`view_matrix` and `projection_matrix` so that what it draws and what this module computes are
the same projection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike

from hktwin.analysis.ar.devices import DEFAULT_DEVICE, DevicePreset, Orientation, get_device

#: Eye height of a person holding up a phone (m above the ground).
EYE_HEIGHT_M = 1.6


@dataclass(frozen=True)
class PhoneCamera:
    """Where the phone is, where it points and how wide it sees.

    `x, y, z` is the eye in EPSG:2326 (z absolute, m above HKPD); `fov_long_deg` spans the long
    side of the `width x height` image (the device preset's figure).
    """

    x: float
    y: float
    z: float
    heading_deg: float = 0.0
    pitch_deg: float = 0.0
    fov_long_deg: float = 65.0
    width: int = 1080
    height: int = 2400

    @staticmethod
    def at(x: float, y: float, ground_m: float, heading_deg: float, pitch_deg: float = 0.0,
           device: str | DevicePreset = DEFAULT_DEVICE, orientation: Orientation = "portrait",
           long_px: int | None = 1280, eye_height_m: float = EYE_HEIGHT_M) -> PhoneCamera:
        """A person's phone: eye `eye_height_m` above `ground_m`, a device preset's lens."""
        preset = get_device(device) if isinstance(device, str) else device
        w, h = preset.image_size(orientation, long_px)
        return PhoneCamera(float(x), float(y), float(ground_m) + eye_height_m,
                           float(heading_deg) % 360.0, float(pitch_deg), preset.fov_long_deg, w, h)

    def moved(self, **changes: float) -> PhoneCamera:
        return replace(self, **changes)

    # --- intrinsics ----------------------------------------------------------------------------

    @property
    def focal_px(self) -> float:
        """Focal length in pixels (square pixels)."""
        return max(self.width, self.height) / 2 / math.tan(math.radians(self.fov_long_deg) / 2)

    @property
    def hfov_deg(self) -> float:
        return math.degrees(2 * math.atan(self.width / 2 / self.focal_px))

    @property
    def vfov_deg(self) -> float:
        return math.degrees(2 * math.atan(self.height / 2 / self.focal_px))

    # --- extrinsics ----------------------------------------------------------------------------

    @property
    def eye(self) -> np.ndarray:
        return np.array([self.x, self.y, self.z], np.float64)

    def basis(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Unit vectors (right, up, forward) of the camera in world axes."""
        h, p = math.radians(self.heading_deg), math.radians(self.pitch_deg)
        forward = np.array([math.sin(h) * math.cos(p), math.cos(h) * math.cos(p), math.sin(p)])
        right = np.array([math.cos(h), -math.sin(h), 0.0])
        up = np.cross(right, forward)
        return right, up, forward

    def to_camera(self, points: ArrayLike) -> np.ndarray:
        """World points (..., 3) to camera coordinates (..., 3): right, up, forward (m)."""
        r, u, f = self.basis()
        d = np.asarray(points, np.float64) - self.eye
        return np.stack([d @ r, d @ u, d @ f], axis=-1)

    def project(self, points: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pixels (u, v) and depth (m along the view axis) of world points (..., 3).

        Points behind the eye (depth <= 0) get NaN pixels.
        """
        c = self.to_camera(points)
        depth = c[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(depth > 1e-6, self.focal_px / depth, np.nan)
        u = self.width / 2 + c[..., 0] * inv
        v = self.height / 2 - c[..., 1] * inv
        return u, v, depth

    def in_frame(self, u: np.ndarray, v: np.ndarray, margin_px: float = 0.0) -> np.ndarray:
        """Pixels inside the image (NaN -> False)."""
        with np.errstate(invalid="ignore"):
            return ((u >= -margin_px) & (u <= self.width + margin_px)
                    & (v >= -margin_px) & (v <= self.height + margin_px))

    def pixel_rays(self, u: ArrayLike, v: ArrayLike) -> np.ndarray:
        """Unit world directions (..., 3) through pixels (u, v)."""
        r, up, f = self.basis()
        du = (np.asarray(u, np.float64) - self.width / 2) / self.focal_px
        dv = (self.height / 2 - np.asarray(v, np.float64)) / self.focal_px
        d = du[..., None] * r + dv[..., None] * up + f
        return d / np.linalg.norm(d, axis=-1, keepdims=True)

    # --- for the renderer ----------------------------------------------------------------------

    def view_matrix(self, origin: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
        """4 x 4 world-to-eye matrix (OpenGL: x right, y up, looking down -z), column vectors.

        `origin` is subtracted from x and y first (scene coordinates).
        """
        r, u, f = self.basis()
        eye = self.eye - np.array([origin[0], origin[1], 0.0])
        m = np.eye(4)
        m[0, :3], m[1, :3], m[2, :3] = r, u, -f
        m[:3, 3] = -m[:3, :3] @ eye
        return m

    def projection_matrix(self, near: float = 0.5, far: float = 20_000.0) -> np.ndarray:
        """4 x 4 OpenGL perspective matrix (column vectors) matching `project`."""
        fx = 2 * self.focal_px / self.width
        fy = 2 * self.focal_px / self.height
        m = np.zeros((4, 4))
        m[0, 0], m[1, 1] = fx, fy
        m[2, 2] = -(far + near) / (far - near)
        m[2, 3] = -2 * far * near / (far - near)
        m[3, 2] = -1.0
        return m


def heading_to(x0: float, y0: float, x1: float, y1: float) -> float:
    """Compass bearing (degrees) from (x0, y0) to (x1, y1)."""
    return math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360.0
