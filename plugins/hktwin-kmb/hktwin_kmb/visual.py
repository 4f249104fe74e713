"""Bus stops as red discs on a short pole, each labelled with the minutes to the next bus."""

from __future__ import annotations

import numpy as np
from vispy import scene

import hktwin.plugins as hp
from hktwin_kmb.layer import BusStopsLayer

KMB_RED = (0.85, 0.10, 0.12, 1.0)
POLE_M = 40.0


class BusStopsAdapter(hp.VisualAdapter):
    def __init__(self, layer: BusStopsLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        top = layer.positions.astype(np.float32).copy()
        top[:, 2] += POLE_M
        poles = np.stack([layer.positions.astype(np.float32), top], axis=1).reshape(-1, 3)
        self.poles = scene.visuals.Line(pos=poles, connect="segments", color=(0.2, 0.2, 0.2, 1),
                                        width=2, parent=self.node)
        self.markers = scene.visuals.Markers(parent=self.node)
        self.labels = scene.visuals.Text(color="black", font_size=8, anchor_x="left",
                                         anchor_y="bottom", parent=self.node)
        self._top = top
        self._redraw()
        layer.events.values.connect(self._redraw)

    def _redraw(self, *_: object) -> None:
        layer = self.layer
        face = np.tile(np.array(KMB_RED, np.float32), (len(layer.keys), 1))
        face[~np.isfinite(layer.values)] = (0.6, 0.6, 0.6, 1.0)
        self.markers.set_data(self._top, face_color=face, edge_color="white", size=10)
        if len(layer.keys):
            self.labels.text = [layer.label(i) for i in range(len(layer.keys))]
            self.labels.pos = self._top + np.array([0, 0, 10], np.float32)

    def close(self) -> None:
        self.layer.events.values.disconnect(self._redraw)
        super().close()
