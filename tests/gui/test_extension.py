"""A layer type added from outside the core (as the plugin guide shows) is drawn, listed in the
panel and cleaned up, and the built-in adapters follow their layer's events."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from gui_helpers import look_at_tiny_island, pixel, render
from psygnal import evented
from vispy import scene

from hktwin.model.layers import Layer
from hktwin.render.adapters import VisualAdapter, register_adapter


@evented
@dataclass(eq=False)
class MarkersLayer(Layer):
    positions: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    size: float = 12.0
    kind = "markers"


class MarkersAdapter(VisualAdapter):
    closed = 0

    def __init__(self, layer, parent, context=None):
        super().__init__(layer, parent, context)
        self.visual = scene.visuals.Markers(parent=self.node)
        self._redraw()
        layer.events.size.connect(self._redraw)

    def _redraw(self, *_):
        self.visual.set_data(self.layer.positions, size=self.layer.size,
                             face_color=(1.0, 0.0, 1.0, 1.0), edge_width=0)

    def close(self):
        MarkersAdapter.closed += 1
        self.layer.events.size.disconnect(self._redraw)
        super().close()


register_adapter(MarkersLayer, MarkersAdapter)


def test_a_new_layer_type_is_drawn_listed_and_closed(qtbot, window, load, tiny_pack):
    load(window, tiny_pack)
    look_at_tiny_island(window)
    twin = window.twin
    target = np.array([[834_000.0, 816_400.0, 500.0]])  # above the hill
    local = (target - [*twin.origin, 0.0]).astype(np.float32)
    markers = MarkersLayer("Sensors", positions=local, size=30.0)
    rows_before = window.layer_panel.list.count()
    twin.layers.append(markers)
    xy = window.canvas.city_scene.project(target)[0]
    r, g, b = pixel(render(window), xy)
    assert r > 200 and b > 200 and g < 80, (r, g, b)  # magenta marker where it was placed
    assert window.layer_panel.list.item(0).text() == "Sensors"
    markers.visible = False
    r, g, b = pixel(render(window), xy)
    assert not (r > 200 and b > 200 and g < 80)
    twin.layers.remove(markers)
    assert MarkersAdapter.closed == 1
    assert window.layer_panel.list.count() == rows_before


def test_builtin_adapters_follow_visibility_opacity_and_order(window, load, tiny_pack):
    load(window, tiny_pack)
    scene_ = window.canvas.city_scene
    buildings = window.twin.layers.get("Buildings")
    adapter = scene_.adapter(buildings)
    buildings.visible = False
    assert adapter.node.visible is False
    buildings.opacity = 0.25
    assert all(f.alpha == 0.25 for f in adapter._alpha_filters)
    window.twin.layers.move(window.twin.layers.index(buildings), 0)
    assert adapter.node.order == 0
    assert scene_.adapter(window.twin.layers.get("Terrain")).node.order == 1
