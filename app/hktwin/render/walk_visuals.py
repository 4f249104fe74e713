"""The walk drawn on the overview: a polyline over the ground with a dot at each drawn point.

It follows `session.walks.Walk` (redrawn on `changed`), sits a few metres above the terrain
and is drawn with no depth test, so hills and roofs never hide the line someone is drawing
(the viewer's cone is drawn the same way). No Qt here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from vispy import scene

WALK_COLOR = (0.62, 0.22, 1.0, 1.0)  # violet: not a road (yellow), a cone (pink) or a site
WALK_EDGE = (1.0, 1.0, 1.0, 1.0)
LIFT_M = 4.0  # above the ground, so the line is not lost in the terrain's own pixels
#: Drawn below the viewer's cone and dot (orders 500, 501) and above everything else.
ORDER = 490


class WalkOverlay:
    """The walk on a `CityCanvas`'s overview; `close()` removes it."""

    def __init__(self, canvas: Any, walk: Any) -> None:
        self.canvas = canvas
        self.walk = walk
        self.twin = canvas.twin
        parent = canvas.city_scene.box.scene
        self.line = scene.visuals.Line(width=4.0, method="gl", color=WALK_COLOR,
                                       parent=parent)
        self.line.set_gl_state("translucent", depth_test=False)
        self.line.order = ORDER
        self.points = scene.visuals.Markers(parent=parent)
        self.points.set_gl_state("translucent", depth_test=False)
        self.points.order = ORDER + 1
        walk.changed.connect(self._on_changed)
        self.update()

    def _on_changed(self, *_: object) -> None:
        self.update()

    def scene_points(self) -> np.ndarray:
        """The walk's points in scene coordinates, lifted above the ground (n, 3)."""
        pts = np.asarray(self.walk.points, np.float64).reshape(-1, 2)
        if not len(pts):
            return np.zeros((0, 3), np.float32)
        city = self.twin.city
        ground = np.zeros(len(pts))
        if city is not None:
            ground = np.nan_to_num(np.asarray(city.terrain.height_at(pts[:, 0], pts[:, 1]),
                                              np.float64), nan=0.0)
        ox, oy = self.twin.origin
        return np.column_stack([pts[:, 0] - ox, pts[:, 1] - oy,
                                np.fmax(ground, 0.0) + LIFT_M]).astype(np.float32)

    def update(self) -> None:
        pos = self.scene_points()
        self.line.visible = len(pos) >= 2
        if len(pos) >= 2:
            self.line.set_data(pos=pos, color=WALK_COLOR)
        self.points.visible = len(pos) >= 1
        if len(pos):
            self.points.set_data(pos, face_color=WALK_COLOR, edge_color=WALK_EDGE, size=9,
                                 edge_width=1.5)
        self.canvas.update()

    def close(self) -> None:
        self.walk.changed.disconnect(self._on_changed)
        for node in (self.line, self.points):
            node.parent = None
        self.canvas.update()
