"""Adapters for the context layers (`model.context_layers`): flat fills (land beyond the
boundary, choropleths) and labelled point glyphs (stations)."""

from __future__ import annotations

import numpy as np
from vispy import scene

from hktwin.model.context_layers import FillLayer, PointsLayer
from hktwin.render import colors
from hktwin.render.adapters import VisualAdapter, register_adapter
from hktwin.render.layer_visuals import MeshAdapter


class FillAdapter(MeshAdapter):
    """One unlit mesh in the layer's vertex colours (a flat fill needs no shading)."""

    def __init__(self, layer: FillLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        if layer.mesh.n_faces:
            rgb = np.asarray(layer.colors, np.float32)
            # RGBA colours (a choropleth's transparent gaps) go as they are.
            visual = self._add_mesh(layer.mesh, rgb if rgb.shape[1] == 4 else colors.rgba(rgb))
            # Flat on the sea or draped on the terrain: drawn just in front of what it lies on.
            visual.update_gl_state(polygon_offset_fill=True, polygon_offset=(-1.0, -4.0))


class PointsAdapter(VisualAdapter):
    """Round glyphs with a dark edge, a label beside each."""

    def __init__(self, layer: PointsLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        pts = np.asarray(layer.points, np.float32)
        self.markers = scene.visuals.Markers(parent=self.node)
        if len(pts):
            self.markers.set_data(pts, face_color=(*layer.color, 1.0), edge_color="black",
                                  edge_width=1.0, size=layer.size, symbol="disc")
        self.markers.set_gl_state("translucent", depth_test=False)
        self.labels = None
        if len(pts) and layer.labels:
            self.labels = scene.visuals.Text(
                list(layer.labels), pos=pts + np.array([0, 0, 0], np.float32), color="black",
                font_size=7, anchor_x="left", anchor_y="bottom", parent=self.node)
            self.labels.set_gl_state("translucent", depth_test=False)

    @property
    def n_faces(self) -> int:
        return 0


register_adapter(FillLayer, FillAdapter)
register_adapter(PointsLayer, PointsAdapter)
