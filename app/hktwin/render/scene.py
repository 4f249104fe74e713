"""The twin drawn in a vispy canvas: one scene graph (GPU data per layer) and its views.

The same `CityCanvas` is embedded in the Qt window and rendered offscreen by `snapshot`, so the
picture a test checks is the picture a planner sees. Its first view is the overview
(`city_scene`, an `OrbitView`); `add_street_view()` opens a pedestrian's view beside it in the
same canvas, drawing the same GPU data (one GL context, so nothing is uploaded twice; see
`docs/architecture.md`, "Views").
"""

from __future__ import annotations

import time

from vispy import scene

from hktwin.model.camera import StreetPose
from hktwin.model.twin import Twin
from hktwin.render.fonts import canvas_fonts
from hktwin.render.scene_graph import SceneGraph
from hktwin.render.views import OrbitView, SceneView, StreetView

SKY = (0.74, 0.84, 0.93, 1.0)

#: The overview under its historical name: tests, benchmarks and the window use
#: `canvas.city_scene` for projection, picking and the adapters.
CityScene = OrbitView


class CityCanvas(scene.SceneCanvas):
    """A SceneCanvas holding the twin's `SceneGraph`, its views, a corner notice and a frame
    timer. Views are laid out side by side: the overview on the left, others on the right."""

    def __init__(self, twin: Twin, size: tuple[int, int] = (1280, 800),
                 overview: bool = True, **kwargs) -> None:
        super().__init__(size=size, bgcolor=SKY, keys=None, **kwargs)
        self.unfreeze()
        self.graph = SceneGraph(twin)
        self.views: list[SceneView] = []
        self.side_width = 0.45  # share of the canvas a side view takes
        self.city_scene: OrbitView | None = None
        self.view: scene.ViewBox | None = None
        if overview:
            box = scene.widgets.ViewBox(parent=self.scene)
            self.city_scene = OrbitView(self.graph, box, host=True)
            self.view = box
            self.views.append(self.city_scene)
        # The corner notice: solid dark text on a small light box, readable over sea, sky or
        # buildings and laid out again on every resize (window and snapshots alike).
        self.notice = scene.visuals.Text(
            "", color=(0.05, 0.07, 0.10, 1.0), font_size=9, anchor_x="right", anchor_y="bottom",
            font_manager=canvas_fonts(self), parent=self.scene,
        )
        self.notice.order = 1000
        self.notice_box = scene.visuals.Rectangle(
            center=(0, 0), width=10, height=10, radius=3, color=(1.0, 1.0, 1.0, 0.82),
            border_color=None, parent=self.scene)
        self.notice_box.order = 999
        self.notice_box.visible = False
        self.last_frame_ms = float("nan")
        self._frame_start = 0.0
        self.events.draw.connect(self._on_draw_start, position="first")
        self.events.draw.connect(self._on_draw_end, position="last")
        self.events.resize.connect(self._layout)
        self._layout()
        self.freeze()

    @property
    def twin(self) -> Twin:
        return self.graph.twin

    # -- views -------------------------------------------------------------------------------
    def add_street_view(self, pose: StreetPose | None = None) -> StreetView:
        """A pedestrian's view of the same scene graph, beside the overview (or filling the
        canvas when there is none)."""
        box = scene.widgets.ViewBox(parent=self.scene)
        view = StreetView(self.graph, box, host=not self.views, pose=pose)
        self.views.append(view)
        self._layout()
        self.update()
        return view

    def remove_view(self, view: SceneView) -> None:
        if view is self.city_scene or view not in self.views:
            return
        self.views.remove(view)
        view.close()
        self._layout()
        self.update()

    def view_at(self, pos: tuple[float, float]) -> SceneView | None:
        """The view whose box holds a canvas pixel (for routing mouse events); the overview
        where no side view's box does (its box may lag a resize by an event)."""
        side = next((v for v in reversed(self.views) if v is not self.city_scene
                     and v.contains(pos)), None)
        return side or self.city_scene or (self.views[0] if self.views else None)

    def side_rect(self) -> tuple[float, float, float, float]:
        """(x, y, w, h) of the area side views share, in canvas pixels."""
        w, h = self.size
        if self.city_scene is None:
            return (0.0, 0.0, float(w), float(h))
        side = round(w * self.side_width)
        return (float(w - side), 0.0, float(side), float(h))

    def _layout(self, event: object = None) -> None:
        w, h = self.size
        sides = [v for v in self.views if v is not self.city_scene]
        if self.city_scene is not None:
            main_w = w if not sides else w - round(w * self.side_width)
            self.city_scene.box.pos = (0, 0)
            self.city_scene.box.size = (main_w, h)
        for v in sides:
            place = getattr(v, "place", None)
            if place is not None:  # the view lays itself out (a phone frame, say)
                place(self.side_rect())
            else:
                x, y, sw, sh = self.side_rect()
                v.box.pos = (x, y)
                v.box.size = (sw, sh)
        self.notice.pos = (w - 10, h - 20)  # canvas y grows downwards
        self._place_notice_box()

    def _place_notice_box(self) -> None:
        text = self.notice
        self.notice_box.visible = bool(text.text)
        if not text.text:
            return
        size_px = text.font_size * 96.0 / 72.0
        right, bottom = text.pos[0][:2]
        width = 0.47 * size_px * len(text.text) + 14
        height = size_px + 9
        # Canvas pixels grow downwards, so the text hangs below its anchor point.
        self.notice_box.center = (right + 6 - width / 2, bottom + size_px / 2 + 1)
        self.notice_box.width, self.notice_box.height = width, height

    def _draw_scene(self, bgcolor=None) -> None:
        # Both paths to a frame (a window's paint and render()) come here: mirrors first.
        for view in self.views:
            view.sync()
        super()._draw_scene(bgcolor)

    # -- notice and timing -------------------------------------------------------------------
    def set_notice(self, text: str) -> None:
        self.notice.text = text
        self._place_notice_box()
        self.update()

    def _on_draw_start(self, event: object) -> None:
        self._frame_start = time.perf_counter()

    def _on_draw_end(self, event: object) -> None:
        self.last_frame_ms = (time.perf_counter() - self._frame_start) * 1000.0
