"""Visual adapters for live layers: traffic links, weather and AQHI stations, district rainfall.
Each recolours its visual when its layer's values change (the clock moved)."""

from __future__ import annotations

import numpy as np
from vispy import scene

from hktwin.geo.extrude import extrude_footprints
from hktwin.model.live_layers import DistrictShadeLayer, StationsLayer, TrafficLayer
from hktwin.render import colors
from hktwin.render.adapters import VisualAdapter, register_adapter
from hktwin.render.layer_visuals import MeshAdapter

NO_DATA = (0.55, 0.55, 0.58)
# Speed relative to the limit (and TD saturation levels): free, slowing, congested.
TRAFFIC = np.array([(0.10, 0.72, 0.25), (1.00, 0.68, 0.00), (0.88, 0.10, 0.10)])
# EPD AQHI health-risk bands: Low 1-3, Moderate 4-6, High 7, Very High 8-10, Serious 10+.
AQHI_EDGES = np.array([3.5, 6.5, 7.5, 10.5])
AQHI_COLORS = np.array([(0.00, 0.62, 0.27), (0.98, 0.66, 0.00), (0.90, 0.00, 0.00),
                        (0.55, 0.27, 0.07), (0.10, 0.10, 0.10)])
AQHI_METRES_PER_UNIT = 60.0


def traffic_colors(layer: TrafficLayer) -> np.ndarray:
    """RGB per link: speed/limit >= 0.7 green, >= 0.4 amber, below red; or by saturation."""
    if layer.color_by == "saturation":
        level = layer.saturation.astype(np.int64)
        rgb = TRAFFIC[np.clip(level, 0, 2)]
        rgb[level < 0] = NO_DATA
        return rgb
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = layer.values / layer.limits
    band = np.where(ratio >= 0.7, 0, np.where(ratio >= 0.4, 1, 2))
    rgb = TRAFFIC[band]
    rgb[~np.isfinite(ratio)] = NO_DATA
    return rgb


#: issue 11: links flagged as unusual congestion (far below their forecast band).
INCIDENT = np.array([0.85, 0.0, 0.85])


def forecast_colors(rgb: np.ndarray, band: np.ndarray, limits: np.ndarray) -> np.ndarray:
    """issue 11: forecast links faded towards white, the more the wider their 80 % band (a
    band of 40 % of the limit or more is at the palest), so the band's width reads as
    paleness."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.nan_to_num(band / limits, nan=0.4)
    fade = (0.35 + 0.45 * np.clip(rel / 0.4, 0.0, 1.0))[:, None]
    return rgb * (1 - fade) + fade


class TrafficAdapter(VisualAdapter):
    def __init__(self, layer: TrafficLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        self.visual = scene.visuals.Line(pos=layer.segments.reshape(-1, 3), connect="segments",
                                         width=layer.width, method="gl", antialias=False,
                                         parent=self.node)
        self.visual.set_gl_state("translucent", depth_test=True)
        self._recolor()
        for signal in (layer.events.values, layer.events.saturation, layer.events.color_by,
                       layer.events.opacity, layer.events.forecast, layer.events.band,
                       layer.events.incident):
            signal.connect(self._recolor)

    def _recolor(self, *_: object) -> None:
        layer = self.layer
        per_link = traffic_colors(layer)
        if layer.forecast and len(layer.band) == len(per_link):
            per_link = forecast_colors(per_link, layer.band, layer.limits)
        if len(layer.incident) == len(per_link) and layer.incident.any():
            per_link = per_link.copy()
            per_link[layer.incident] = INCIDENT  # issue 11: unusual congestion
        per_vertex = np.repeat(per_link[layer.segment_link], 2, axis=0)
        rgba = colors.rgba(per_vertex)
        rgba[:, 3] = layer.opacity
        if layer.forecast:  # issue 11: dashed, every other segment nearly transparent
            rgba[np.repeat(np.arange(len(layer.segment_link)) % 2 == 1, 2), 3] *= 0.15
        self.visual.set_data(color=rgba)

    def close(self) -> None:
        self.layer.events.disconnect(self._recolor)
        super().close()


def aqhi_colors(values: np.ndarray) -> np.ndarray:
    rgb = AQHI_COLORS[np.searchsorted(AQHI_EDGES, np.nan_to_num(values, nan=0.0))]
    rgb[~np.isfinite(values)] = NO_DATA
    return rgb


class StationsAdapter(VisualAdapter):
    """Weather: a disc and the temperature; AQHI: a column as tall as the index, band-coloured."""

    def __init__(self, layer: StationsLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        self.columns: scene.Mesh | None = None
        self.markers = scene.visuals.Markers(parent=self.node)
        # Depth-tested: from the street a station's label behind a tower is hidden.
        self.labels = scene.visuals.Text(color="black", font_size=9, anchor_x="center",
                                         anchor_y="bottom", depth_test=True, parent=self.node)
        self._redraw()
        layer.events.values.connect(self._redraw)

    def _redraw(self, *_: object) -> None:
        layer = self.layer
        values = layer.values
        pos = layer.positions.astype(np.float32)
        if layer.style == "aqhi":
            self._draw_columns(values)
            top = pos.copy()
            top[:, 2] += np.nan_to_num(values, nan=0.0) * AQHI_METRES_PER_UNIT + 40
            face = colors.rgba(aqhi_colors(values))
            texts = [f"{v:.0f}" if np.isfinite(v) else "" for v in values]
        else:
            top = pos.copy()
            top[:, 2] += 60
            face = colors.rgba(np.tile([[1.0, 1.0, 1.0]], (len(values), 1)))
            texts = [f"{v:.1f}°" if np.isfinite(v) else "" for v in values]
        self.markers.set_data(top, face_color=face, edge_color=(0.1, 0.1, 0.1, 1.0), size=9)
        if len(texts):
            above = top.copy()
            above[:, 2] += 30
            self.labels.text = texts
            self.labels.pos = above

    def _draw_columns(self, values: np.ndarray) -> None:
        import shapely

        pos = self.layer.positions
        half = 30.0
        boxes = shapely.box(pos[:, 0] - half, pos[:, 1] - half, pos[:, 0] + half,
                            pos[:, 1] + half)
        heights = np.nan_to_num(values, nan=0.0) * AQHI_METRES_PER_UNIT + 1.0
        mesh = extrude_footprints(boxes, pos[:, 2], heights, np.arange(len(pos)))
        rgb = aqhi_colors(values)[mesh.face_owner]
        vertex_rgb = np.empty((len(mesh.vertices), 3))
        vertex_rgb[mesh.faces.ravel()] = np.repeat(rgb, 3, axis=0)
        vertex_colors = colors.rgba(vertex_rgb, colors.lambert(mesh.normals))
        if self.columns is None:
            self.columns = scene.visuals.Mesh(parent=self.node)
            self.columns.set_gl_state("translucent", depth_test=True)
        self.columns.set_data(vertices=mesh.vertices, faces=mesh.faces,
                              vertex_colors=vertex_colors)

    def close(self) -> None:
        self.layer.events.disconnect(self._redraw)
        super().close()


def rainfall_rgba(mm: np.ndarray) -> np.ndarray:
    """Transparent when dry; light to deep blue from 0.5 to 30 mm in the hour."""
    t = np.clip(np.log1p(np.nan_to_num(mm, nan=0.0)) / np.log1p(30.0), 0.0, 1.0)
    rgba = np.zeros((len(mm), 4), np.float32)
    rgba[:, 0] = 0.55 - 0.45 * t
    rgba[:, 1] = 0.75 - 0.45 * t
    rgba[:, 2] = 1.0 - 0.2 * t
    rgba[:, 3] = np.where(np.nan_to_num(mm, nan=0.0) > 0.0, 0.35 + 0.55 * t, 0.0)
    return rgba


class DistrictShadeAdapter(MeshAdapter):
    def __init__(self, layer: DistrictShadeLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        self.visual = self._add_mesh(layer.mesh, self._vertex_colors())
        layer.events.values.connect(self._recolor)

    def _vertex_colors(self) -> np.ndarray:
        per_district = rainfall_rgba(self.layer.values)
        district = self.layer.vertex_district
        out = np.zeros((len(district), 4), np.float32)
        inside = district >= 0
        out[inside] = per_district[district[inside]]
        return out

    def _recolor(self, *_: object) -> None:
        self.visual.set_data(vertices=self.layer.mesh.vertices, faces=self.layer.mesh.faces,
                             vertex_colors=self._vertex_colors())

    def close(self) -> None:
        self.layer.events.disconnect(self._recolor)
        super().close()


register_adapter(TrafficLayer, TrafficAdapter)
register_adapter(StationsLayer, StationsAdapter)
register_adapter(DistrictShadeLayer, DistrictShadeAdapter)
