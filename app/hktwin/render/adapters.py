"""The bridge from layer models to vispy: one adapter class per layer type, in a registry.

An adapter builds its vispy node(s) from the layer, subscribes to the layer's events in its
constructor and unsubscribes in `close()`. A plugin adds a layer type by registering an adapter
for it; the scene looks adapters up by the layer's class (then its base classes).
"""

from __future__ import annotations

from typing import Any

from vispy import scene

from hktwin.model.layers import Layer

_REGISTRY: dict[type[Layer], type[VisualAdapter]] = {}


def register_adapter(layer_type: type[Layer], adapter_type: type[VisualAdapter]) -> None:
    """Draw layers of `layer_type` (and its subclasses without their own) with `adapter_type`."""
    _REGISTRY[layer_type] = adapter_type


def adapter_for(layer: Layer) -> type[VisualAdapter]:
    """The adapter class for a layer: registered here, else a plugin's (`hktwin.plugins`
    layer contributions, imported on first use and built under the plugin guard)."""
    for cls in type(layer).__mro__:
        if cls in _REGISTRY:
            return _REGISTRY[cls]
    from hktwin.plugins import PluginError, adapter_for_layer

    try:
        found = adapter_for_layer(type(layer))
    except PluginError:  # the plugin is disabled and reported: draw nothing for its layer
        return VisualAdapter
    if found is None:
        raise LookupError(f"no visual adapter registered for layer type {type(layer).__name__}")
    contribution, adapter_type = found
    return _guarded(contribution.plugin, adapter_type)


def _guarded(plugin: str, adapter_type: type[VisualAdapter]) -> type[VisualAdapter]:
    """A plugin adapter whose construction (its first draw) runs under the plugin guard; on
    failure the layer gets an empty node and the plugin is disabled."""

    def build(layer: Layer, parent: scene.Node, context: Any = None) -> VisualAdapter:
        from hktwin.plugins import PluginError, call

        try:
            return call(plugin, "draw", adapter_type, layer, parent, context)
        except PluginError:
            return VisualAdapter(layer, parent, context)

    return build  # type: ignore[return-value]  (called like the class)


class VisualAdapter:
    """Base adapter: owns one vispy `Node` under the scene; follows visibility and order."""

    def __init__(self, layer: Layer, parent: scene.Node, context: Any = None) -> None:
        self.layer = layer
        self.context = context
        self.node = scene.Node(parent=parent, name=layer.name)
        self.node.visible = layer.visible
        layer.events.visible.connect(self._on_visible_change)
        layer.events.opacity.connect(self._on_opacity_change)

    def _on_visible_change(self, visible: bool) -> None:
        self.node.visible = visible

    def _on_opacity_change(self, opacity: float) -> None:
        """Subclasses apply opacity to their visuals."""

    def set_order(self, order: int) -> None:
        self.node.order = order
        for child in self.node.children:
            child.order = order

    @property
    def n_faces(self) -> int:
        """Triangles this adapter draws (0 for lines and the like)."""
        return 0

    def close(self) -> None:
        self.layer.events.disconnect(self._on_visible_change)
        self.layer.events.disconnect(self._on_opacity_change)
        self.node.parent = None
