"""The scene graph of a twin: its GPU data, one visual adapter per layer, under one root node.

One `SceneGraph` per GL context. It knows nothing of cameras: views (`render.views`) draw it.
The first view hosts the root node itself; every other view draws mirrors of it that share
its buffers and textures (`render.mirror`), so a second view of the city uploads no mesh again.
"""

from __future__ import annotations

import contextlib
from typing import Any

from vispy import scene

from hktwin.model.layers import Layer
from hktwin.model.twin import Twin
from hktwin.render import (  # noqa: F401  (register the built-in adapters and pickers)
    context_visuals,
    layer_visuals,
    live_visuals,
    picking,
    planning_visuals,
)
from hktwin.render.adapters import VisualAdapter, adapter_for


class SceneGraph:
    """Keeps one visual adapter per layer of a `Twin`, in layer order, under `root`."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self.root = scene.Node(name="city")
        self.adapters: dict[int, VisualAdapter] = {}
        for layer in twin.layers:
            self._add(layer)
        self._reorder()
        twin.layers.events.inserted.connect(self._on_inserted)
        twin.layers.events.removed.connect(self._on_removed)
        twin.layers.events.changed.connect(self._on_changed)
        twin.layers.events.moved.connect(self._reorder)
        twin.layers.events.reordered.connect(self._reorder)

    def _add(self, layer: Layer) -> None:
        self.adapters[id(layer)] = adapter_for(layer)(layer, self.root, self.twin)

    def _on_inserted(self, index: int, layer: Layer) -> None:
        self._add(layer)
        self._reorder()

    def _on_removed(self, index: int, layer: Layer) -> None:
        adapter = self.adapters.pop(id(layer), None)
        if adapter is not None:
            adapter.close()
        self.root.update()

    def _on_changed(self, index: Any, old: Layer, new: Layer) -> None:
        self._on_removed(index, old)
        self._on_inserted(index, new)

    def _reorder(self, *_: object) -> None:
        for order, layer in enumerate(self.twin.layers):
            adapter = self.adapters.get(id(layer))
            if adapter is not None:
                adapter.set_order(order)
        self.root.update()

    def adapter(self, layer: Layer) -> VisualAdapter:
        return self.adapters[id(layer)]

    @property
    def n_faces(self) -> int:
        """Triangles the visible layers hold (as the hosting view draws them)."""
        return sum(a.n_faces for a in self.adapters.values() if a.layer.visible)

    def close(self) -> None:
        events = self.twin.layers.events
        for signal in (events.inserted, events.removed, events.changed, events.moved,
                       events.reordered):
            for slot in (self._on_inserted, self._on_removed, self._on_changed, self._reorder):
                with contextlib.suppress(Exception):  # not connected to this signal
                    signal.disconnect(slot)
        for adapter in self.adapters.values():
            adapter.close()
        self.adapters.clear()
        self.root.parent = None
