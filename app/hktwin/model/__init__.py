"""Evented application state, no Qt: the Twin, its layers, the camera pose.

Models emit psygnal events when they change; render adapters and widgets subscribe to them.
"""

from hktwin.model.camera import CameraPose, named_views
from hktwin.model.layers import (
    BuildingsLayer,
    Layer,
    LayerList,
    LinesLayer,
    SeaLayer,
    TerrainLayer,
)
from hktwin.model.twin import Twin

__all__ = [
    "BuildingsLayer",
    "CameraPose",
    "Layer",
    "LayerList",
    "LinesLayer",
    "SeaLayer",
    "TerrainLayer",
    "Twin",
    "named_views",
]
