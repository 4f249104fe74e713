"""Colours and baked sun lighting for the city meshes.

Lighting is baked into vertex colours (a fixed sun from the north-west, the cartographic
hillshade convention) rather than computed per fragment: it looks the same in every view, costs
nothing per frame on software GL, and keeps the scene as cheap to draw as a bare mesh.
"""

from __future__ import annotations

import numpy as np

# Coverage ramps are defined once, below render, for the window and the reports alike.
from hktwin.analysis.colormap import ramp_rgba

__all__ = ["ramp_rgba"]

#: Direction towards the sun: from azimuth 315 deg (north-west), 50 deg above the horizon.
_SUN_AZ, _SUN_ALT = np.radians(315.0), np.radians(50.0)
SUN = np.array([np.sin(_SUN_AZ) * np.cos(_SUN_ALT), np.cos(_SUN_AZ) * np.cos(_SUN_ALT),
                np.sin(_SUN_ALT)])
AMBIENT = 0.5

# Hypsometric tints (metres -> RGB), muted so buildings and overlays stand out.
_ELEVATION_STOPS = np.array([0.0, 20.0, 120.0, 300.0, 550.0, 800.0, 1000.0])
_ELEVATION_COLORS = np.array([
    [0.55, 0.60, 0.42],
    [0.40, 0.55, 0.33],
    [0.33, 0.50, 0.29],
    [0.44, 0.52, 0.33],
    [0.56, 0.54, 0.40],
    [0.66, 0.62, 0.52],
    [0.80, 0.78, 0.74],
])
SEABED = np.array([0.20, 0.33, 0.40])

BUILDING_COLORS = {
    "landmark": (0.93, 0.90, 0.84),
    "commercial": (0.76, 0.80, 0.86),
    "residential": (0.88, 0.85, 0.80),
    "industrial": (0.74, 0.72, 0.68),
    "public": (0.84, 0.80, 0.70),
    "village": (0.86, 0.76, 0.64),
}
DEFAULT_BUILDING = (0.82, 0.82, 0.82)
HIGHLIGHT = (1.0, 0.55, 0.1)


def lambert(normals: np.ndarray) -> np.ndarray:
    """Brightness in [AMBIENT, 1] of surfaces with these unit normals under the sun."""
    return AMBIENT + (1.0 - AMBIENT) * np.clip(normals @ SUN, 0.0, 1.0)


def elevation_colors(heights: np.ndarray) -> np.ndarray:
    """RGB per height from the hypsometric ramp; below sea level the seabed colour."""
    rgb = np.stack([np.interp(heights, _ELEVATION_STOPS, _ELEVATION_COLORS[:, i])
                    for i in range(3)], axis=1)
    rgb[heights < 0] = SEABED
    return rgb


def rgba(rgb: np.ndarray, shade: np.ndarray | None = None) -> np.ndarray:
    """float32 RGBA from RGB, optionally multiplied by a per-row brightness."""
    if shade is not None:
        rgb = rgb * shade[:, None]
    out = np.ones((len(rgb), 4), np.float32)
    out[:, :3] = np.clip(rgb, 0.0, 1.0)
    return out
