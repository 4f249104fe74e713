"""Visual adapters for planning layers: coverage rasters draped on the ground, scenario sites."""

from __future__ import annotations

import numpy as np
from vispy import scene
from vispy.visuals.filters import Alpha, TextureFilter

from hktwin.model.analysis_layers import CoverageLayer, SitesLayer
from hktwin.render import colors
from hktwin.render.adapters import VisualAdapter, register_adapter

CELL_COLOR = (0.85, 0.1, 0.75, 1.0)
ANCHOR_COLOR = (0.0, 0.75, 0.85, 1.0)
SENSOR_COLOR = (0.95, 0.85, 0.1, 1.0)
SELECTED_EDGE = (1.0, 0.55, 0.1, 1.0)


class CoverageAdapter(VisualAdapter):
    """A ground-following grid textured with the raster's colours (cheap at any resolution)."""

    def __init__(self, layer: CoverageLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        self.visual = scene.visuals.Mesh(vertices=layer.mesh.vertices, faces=layer.mesh.faces,
                                         color="white", parent=self.node)
        self.visual.set_gl_state("translucent", depth_test=True, cull_face=False)
        self.texture = TextureFilter(self._texture(), layer.texcoords)
        self.visual.attach(self.texture)
        self.alpha = Alpha(layer.opacity)
        self.visual.attach(self.alpha)
        for signal in (layer.events.raster, layer.events.vmin, layer.events.vmax,
                       layer.events.scale):
            signal.connect(self._retexture)

    def _texture(self) -> np.ndarray:
        layer = self.layer
        ramp = "difference" if layer.scale == "difference" else "rsrp"
        return colors.ramp_rgba(layer.raster, layer.vmin, layer.vmax, ramp)

    def _retexture(self, *_: object) -> None:
        self.texture.texture = self._texture()
        self.visual.update()

    def _on_opacity_change(self, opacity: float) -> None:
        self.alpha.alpha = opacity
        self.visual.update()

    def close(self) -> None:
        self.layer.events.disconnect(self._retexture)
        super().close()


class SitesAdapter(VisualAdapter):
    """Masts from the ground to each antenna, markers at antennas, anchors and sensors."""

    def __init__(self, layer: SitesLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        self.masts = scene.visuals.Line(connect="segments", width=3.0, method="gl",
                                        color=(0.2, 0.2, 0.25, 1.0), parent=self.node)
        self.markers = scene.visuals.Markers(parent=self.node)
        self.markers.set_gl_state("translucent", depth_test=False)
        self.origin = context.origin if context is not None else (0.0, 0.0)
        scenario = layer.scenario
        if scenario is not None:
            scenario.changed.connect(self.redraw)
            scenario.events.selected.connect(self.redraw)
        self.redraw()

    def positions(self) -> tuple[np.ndarray, list[str], np.ndarray]:
        """Scene positions of every site's visible point, their ids and colours."""
        scenario = self.layer.scenario
        pts, ids, cols = [], [], []
        if scenario is None:
            return np.zeros((0, 3), np.float32), ids, np.zeros((0, 4), np.float32)
        for records, color in ((scenario.cells, CELL_COLOR), (scenario.anchors, ANCHOR_COLOR),
                               (scenario.sensors, SENSOR_COLOR)):
            for r in records:
                pts.append((r.x - self.origin[0], r.y - self.origin[1], r.ground_m + r.height_m))
                ids.append(r.id)
                cols.append(color)
        return (np.array(pts, np.float32).reshape(-1, 3), ids,
                np.array(cols, np.float32).reshape(-1, 4))

    def redraw(self, *_: object) -> None:
        pts, ids, cols = self.positions()
        scenario = self.layer.scenario
        if len(pts) == 0:
            self.markers.visible = self.masts.visible = False
            return
        self.markers.visible = self.masts.visible = True
        feet = pts.copy()
        records = [*scenario.cells, *scenario.anchors, *scenario.sensors]
        feet[:, 2] = [r.ground_m for r in records]
        self.masts.set_data(pos=np.stack([feet, pts], axis=1).reshape(-1, 3))
        selected = getattr(scenario, "selected", None)
        edge = np.tile(np.array([[0.1, 0.1, 0.1, 1.0]], np.float32), (len(pts), 1))
        sizes = np.full(len(pts), 14.0, np.float32)
        for i, site_id in enumerate(ids):
            if site_id == selected:
                edge[i] = SELECTED_EDGE
                sizes[i] = 22.0
        self.markers.set_data(pts, face_color=cols, edge_color=edge, size=sizes, edge_width=2.5)

    def close(self) -> None:
        if self.layer.scenario is not None:
            self.layer.scenario.changed.disconnect(self.redraw)
            self.layer.scenario.events.selected.disconnect(self.redraw)
        super().close()


register_adapter(CoverageLayer, CoverageAdapter)
register_adapter(SitesLayer, SitesAdapter)
