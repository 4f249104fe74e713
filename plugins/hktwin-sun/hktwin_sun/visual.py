"""Drawing the shadows: translucent dark triangles on the ground and on shaded roofs. They are
computed only while the layer is shown, for its own time or the twin's clock."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from vispy import scene

import hktwin.plugins as hp
from hktwin_sun.layer import ShadowLayer

SHADE = (0.05, 0.07, 0.18)
ALPHA = 0.45
#: following the clock, shadows are recomputed once it has moved this far
CLOCK_STEP = timedelta(minutes=5)


class ShadowAdapter(hp.VisualAdapter):
    def __init__(self, layer: ShadowLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        self.twin = context
        self.ground = scene.visuals.Mesh(parent=self.node)
        self.roofs = scene.visuals.Mesh(parent=self.node)
        for mesh in (self.ground, self.roofs):
            # depth writes on: overlapping shadows at one height do not darken twice
            mesh.set_gl_state("translucent", depth_test=True, cull_face=False,
                              polygon_offset_fill=True, polygon_offset=(-1.0, -1.0))
        layer.events.ground_triangles.connect(self._redraw)
        layer.events.opacity.connect(self._redraw)
        layer.events.time.connect(self._refresh)
        layer.events.visible.connect(self._refresh)
        self._clock = getattr(context, "clock", None)
        if self._clock is not None:
            self._clock.events.time.connect(self._on_clock)
        self._refresh()
        self._redraw()

    def _wanted_time(self):
        if self.layer.time is not None:
            return self.layer.time
        return self._clock.time if self._clock is not None else None

    def _refresh(self, *_: object) -> None:
        when = self._wanted_time()
        if self.layer.visible and when is not None and when != self.layer.computed_for:
            hp.call("sun", "draw", self.layer.set_time, when, default=None)

    def _on_clock(self, *_: object) -> None:
        done = self.layer.computed_for
        if self.layer.time is None and (done is None or abs(self._clock.time - done) >=
                                        CLOCK_STEP):
            self._refresh()

    def _redraw(self, *_: object) -> None:
        color = (*SHADE, ALPHA * self.layer.opacity)
        for mesh, tris in ((self.ground, self.layer.ground_triangles),
                           (self.roofs, self.layer.roof_triangles)):
            if len(tris) == 0:
                mesh.visible = False
                continue
            verts = np.ascontiguousarray(tris.reshape(-1, 3), np.float32)
            faces = np.arange(len(verts), dtype=np.uint32).reshape(-1, 3)
            mesh.set_data(vertices=verts, faces=faces, color=color)
            mesh.visible = True

    @property
    def n_faces(self) -> int:
        return len(self.layer.ground_triangles) + len(self.layer.roof_triangles)

    def close(self) -> None:
        self.layer.events.disconnect(self._redraw)
        self.layer.events.disconnect(self._refresh)
        if self._clock is not None:
            self._clock.events.time.disconnect(self._on_clock)
        super().close()
