"""Drawing the noise layer: one translucent square per street cell, coloured by L10, magenta
over the limit; recoloured when the layer's levels change (new live speeds)."""

from __future__ import annotations

import numpy as np
from vispy import scene

import hktwin.plugins as hp
from hktwin_noise.layer import SPEED_SOURCES, NoiseLayer, live_speeds

EDGES = np.array([60.0, 65.0, 70.0, 75.0])
#: green, yellow, orange below the limit; red over it, purple 5 dB(A) over it
COLORS = np.array([(0.20, 0.70, 0.30), (0.95, 0.85, 0.15), (0.98, 0.55, 0.10),
                   (0.90, 0.10, 0.10), (0.55, 0.05, 0.60)])


def level_colors(levels: np.ndarray, threshold: float, opacity: float) -> np.ndarray:
    """RGBA per cell by the band of its L10 (over `threshold` always red or purple); cells
    quieter than 50 dB(A) fade out."""
    edges = EDGES - EDGES[2] + threshold
    band = np.searchsorted(edges, levels, side="right")
    band = np.where(levels > threshold, np.maximum(band, 3), np.minimum(band, 2))
    rgba = np.ones((len(levels), 4), np.float32)
    rgba[:, :3] = COLORS[band]
    rgba[:, 3] = np.clip((np.nan_to_num(levels, neginf=0.0) - 50.0) / 10.0, 0.0, 1.0)
    rgba[:, 3] *= 0.7 * opacity
    return rgba


class NoiseAdapter(hp.VisualAdapter):
    def __init__(self, layer: NoiseLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        half = layer.cell_size / 2.0
        xy = layer.cell_xy.astype(np.float32)
        corners = np.array([(-half, -half), (half, -half), (half, half), (-half, half)],
                           np.float32)
        verts = np.zeros((len(xy), 4, 3), np.float32)
        verts[:, :, :2] = xy[:, None, :] + corners[None]
        verts[:, :, 2] = layer.cell_z[:, None]
        base = np.arange(len(xy), dtype=np.uint32)[:, None] * 4
        faces = np.concatenate([base + np.array([0, 1, 2]), base + np.array([0, 2, 3])])
        self._verts = verts.reshape(-1, 3)
        self._faces = faces
        self.mesh = scene.visuals.Mesh(vertices=self._verts, faces=self._faces,
                                       vertex_colors=self._colors(), parent=self.node)
        self.mesh.set_gl_state("translucent", depth_test=True, cull_face=False,
                               polygon_offset_fill=True, polygon_offset=(-2.0, -2.0))
        layer.events.cell_l10.connect(self._recolor)
        layer.events.opacity.connect(self._recolor)
        self._traffic = None
        self._twin = context
        if context is not None and hasattr(context, "layers"):
            context.layers.events.inserted.connect(self._on_layer_inserted)
            for other in context.layers:
                self._follow(other)

    def _colors(self) -> np.ndarray:
        rgba = level_colors(self.layer.cell_l10, self.layer.threshold, self.layer.opacity)
        return np.repeat(rgba, 4, axis=0)

    def _recolor(self, *_: object) -> None:
        self.mesh.set_data(vertices=self._verts, faces=self._faces,
                           vertex_colors=self._colors())

    # -- live speeds -----------------------------------------------------------------------
    def _on_layer_inserted(self, index: int, other) -> None:
        self._follow(other)

    def _follow(self, other) -> None:
        if self._traffic is None and getattr(other, "source", None) in SPEED_SOURCES:
            self._traffic = other
            other.events.values.connect(self._on_speeds)
            self._on_speeds()

    def _on_speeds(self, *_: object) -> None:
        # called from the app's feed binding: run under the plugin guard so a failure here
        # disables this plugin instead of breaking the traffic layer's update
        hp.call("noise", "draw", self._apply_speeds, default=None)

    def _apply_speeds(self) -> None:
        speeds = live_speeds(self._twin)
        if speeds:
            self.layer.set_speeds(speeds)

    @property
    def n_faces(self) -> int:
        return len(self._faces)

    def close(self) -> None:
        self.layer.events.disconnect(self._recolor)
        if self._traffic is not None:
            self._traffic.events.values.disconnect(self._on_speeds)
        if self._twin is not None and hasattr(self._twin, "layers"):
            self._twin.layers.events.inserted.disconnect(self._on_layer_inserted)
        super().close()
