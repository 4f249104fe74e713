"""Phones and tablets the AR preview imitates: the field of view of their main camera.

A preset's `fov_long_deg` is the angle across the *long* side of the camera image (the
horizontal field of view when the device is held in landscape). In portrait the same lens spans
the long side vertically, so the horizontal field of view is narrower; `PhoneCamera` works it
out from the image size.

Where a maker publishes the 35 mm-equivalent focal length of the main (wide) camera, the field
of view is derived from it: the 4:3 frame that fills the 35 mm diagonal (43.27 mm) is 34.62 mm
wide, so fov = 2 atan(34.62 / (2 f_eq)). Where a maker publishes a (diagonal) field of view,
the long side of a 4:3 image is 0.8 of the diagonal: fov = 2 atan(0.8 tan(diag / 2)). Presets
whose maker publishes neither say "approximate". AR frameworks crop the camera image to the
screen, so the preview's field of view is the camera's at best; these are upper bounds within a
few degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from hktwin.core.errors import DataError

Orientation = Literal["portrait", "landscape"]

#: Width of a 4:3 frame inscribed in the 35 mm film diagonal (mm).
FRAME_43_WIDTH_MM = 34.62


def fov_from_equivalent_focal(f_eq_mm: float) -> float:
    """Long-side field of view (degrees) of a 4:3 image from a 35 mm-equivalent focal length."""
    return math.degrees(2 * math.atan(FRAME_43_WIDTH_MM / (2 * f_eq_mm)))


def fov_from_diagonal(diagonal_deg: float) -> float:
    """Long-side field of view (degrees) of a 4:3 image from its diagonal field of view."""
    return math.degrees(2 * math.atan(0.8 * math.tan(math.radians(diagonal_deg) / 2)))


@dataclass(frozen=True)
class DevicePreset:
    """A device the AR view imitates: its camera's long-side field of view and its screen."""

    name: str  # the key used on the command line (--device)
    label: str
    fov_long_deg: float
    screen_px: tuple[int, int]  # long side, short side
    kind: Literal["phone", "tablet", "custom"] = "phone"
    source: str = "approximate"

    def image_size(self, orientation: Orientation = "portrait", long_px: int | None = None
                   ) -> tuple[int, int]:
        """(width, height) of the preview image, keeping the screen's aspect ratio."""
        big, small = self.screen_px
        if long_px is not None:
            small, big = max(1, round(small * long_px / big)), int(long_px)
        return (small, big) if orientation == "portrait" else (big, small)


PRESETS: dict[str, DevicePreset] = {p.name: p for p in (
    DevicePreset("iphone-15", "iPhone 15", fov_from_equivalent_focal(26.0), (2556, 1179),
                 source="Apple tech specs: 48MP Main camera, 26 mm equivalent"),
    DevicePreset("iphone-15-pro", "iPhone 15 Pro", fov_from_equivalent_focal(24.0),
                 (2556, 1179), source="Apple tech specs: 48MP Main camera, 24 mm equivalent"),
    DevicePreset("pixel-8", "Google Pixel 8", fov_from_diagonal(82.0), (2400, 1080),
                 source="Google Pixel 8 tech specs: 50 MP wide camera, 82 degree field of view"),
    DevicePreset("galaxy-s23", "Samsung Galaxy S23", fov_from_diagonal(85.0), (2340, 1080),
                 source="Samsung Galaxy S23 specifications: 50MP wide camera, FOV 85 degrees"),
    DevicePreset("generic-phone", "Generic phone", 65.0, (2400, 1080),
                 source="approximate: the middle of current main cameras (60-70 degrees)"),
    DevicePreset("ipad", "iPad (10th generation)", 62.0, (2360, 1640), kind="tablet",
                 source="approximate: Apple publishes no focal length for the iPad wide camera"),
    DevicePreset("galaxy-tab-s9", "Samsung Galaxy Tab S9", 64.0, (2560, 1600), kind="tablet",
                 source="approximate"),
)}

DEFAULT_DEVICE = "generic-phone"


def custom_device(fov_long_deg: float, screen_px: tuple[int, int] = (2400, 1080)) -> DevicePreset:
    """A device of any field of view (10-120 degrees across the long side)."""
    if not 10.0 <= fov_long_deg <= 120.0:
        raise DataError(None, f"field of view {fov_long_deg} degrees is outside 10-120",
                        "give the long-side field of view in degrees", field="fov")
    return DevicePreset("custom", f"Custom ({fov_long_deg:g} degrees)", float(fov_long_deg),
                        (max(screen_px), min(screen_px)), kind="custom", source="user")


def get_device(name: str) -> DevicePreset:
    """A preset by name, or `custom:FOV` (e.g. `custom:70`)."""
    if name.startswith("custom:"):
        try:
            return custom_device(float(name.split(":", 1)[1]))
        except ValueError:
            raise DataError(None, f"'{name}' has no number after 'custom:'",
                            "write e.g. custom:70", field="device") from None
    try:
        return PRESETS[name]
    except KeyError:
        raise DataError(None, f"unknown device '{name}'",
                        f"use one of {', '.join(PRESETS)} or custom:FOV", field="device") from None
