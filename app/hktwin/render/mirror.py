"""Several views of one scene graph without a second upload: each view draws *mirrors* of the
graph's nodes.

vispy 0.17 gives a node one parent, so the same node cannot sit in two view boxes; but a
visual can have *views* (`Visual.view()`): objects that share the visual's GPU data (buffers,
textures, the shared part of its program) and have their own transforms, clippers and draw
call. A mirror is a scene node wrapping such a view, so the meshes and textures of the city are
uploaded once whatever the number of views (`benchmarks/bench_views.py` counts the bytes).

Where vispy's views of a visual class do not work (lines, markers and text in 0.17: their draw
set-up writes to the visual's own program), the mirror is a copy that follows the original's
data on each change; these are small (road lines, a few hundred markers and labels).

A node may also answer `mirror_for(parent, view)` itself (level of detail: each view chooses
its own detail, so it gets its own pooled meshes, and shares the tile meshes they are cut from).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vispy import scene
from vispy.scene.visuals import VisualNode
from vispy.visuals.transforms import NullTransform
from vispy.visuals.visual import Visual

_VIEW_NODE_CLASSES: dict[type, type] = {}


def _view_node_class(view_cls: type) -> type:
    """A scene-node class wrapping vispy's view class `view_cls` (made once per class)."""
    cls = _VIEW_NODE_CLASSES.get(view_cls)
    if cls is not None:
        return cls

    def __init__(self, visual, parent=None):
        self._visual_superclass = view_cls
        if hasattr(visual, "_scaling"):  # read from the view by MarkersVisual's transforms
            self._scaling = visual._scaling
        view_cls.__init__(self, visual)
        self.unfreeze()
        VisualNode.__init__(self, parent=parent)
        self.freeze()

    def attach(self, filt, view=None):
        # Filters a node attaches for itself (its view box's clipper, its opacity) stay its own;
        # vispy's default (view=None) would share them with the original and every view.
        view_cls.attach(self, filt, self if isinstance(self, Visual) else None)

    def detach(self, filt, view=None):
        view_cls.detach(self, filt, self if isinstance(self, Visual) else None)

    def __getattr__(self, name):
        # What a view lacks is the original's data (a mesh's `mesh_data` and `_vertices`, read
        # by filters as they attach): a view shares it, so read it there.
        try:
            original = object.__getattribute__(self, "_visual")
        except AttributeError:
            raise AttributeError(name) from None
        return getattr(original, name)

    cls = type(f"Mirror{view_cls.__name__}", (VisualNode, view_cls),
               {"__init__": __init__, "attach": attach, "detach": detach,
                "__getattr__": __getattr__})
    _VIEW_NODE_CLASSES[view_cls] = cls
    return cls


def _own_filters(node: Any) -> list:
    """Filters that belong to a node rather than to its data: clippers, opacity, picking."""
    out = [getattr(node, "_opacity_filter", None), getattr(node, "_picking_filter", None),
           *getattr(node, "_clippers", {}).values()]
    return [f for f in out if f is not None]


def view_node(original: VisualNode, parent: scene.Node) -> VisualNode:
    """A node drawing `original`'s GPU data under `parent` (another view box's scene)."""
    node = _view_node_class(original._view_class)(original, parent=parent)
    own = _own_filters(original)
    for sub in [node] if isinstance(node, Visual) else list(node._subvisuals):
        for f in own:
            if f in sub._vshare.filters:
                f._detach(sub)
    return node


# -- copies, for the visual classes whose vispy views do not work -------------------------------
def _copy_line(src, parent):
    dst = scene.visuals.Line(method="gl", antialias=False, parent=parent)

    def sync():
        dst.set_data(pos=src.pos, color=src.color, width=src.width, connect=src.connect)
    return dst, sync


def _copy_markers(src, parent):
    dst = scene.visuals.Markers(parent=parent)

    def sync():
        data = src._data
        if data is None or len(data) == 0:
            dst.visible = False
            return
        dst.set_data(data["a_position"], face_color=data["a_bg_color"],
                     edge_color=data["a_fg_color"], size=data["a_size"],
                     edge_width=data["a_edgewidth"])
    return dst, sync


def _copy_text(src, parent):
    # The same font manager: its glyph atlas is one 1024 x 1024 texture (3 MB) per manager.
    # Depth-tested in the other views: at street level a label behind a tower is hidden.
    dst = scene.visuals.Text(parent=parent, font_manager=src._font_manager, face=src._face,
                             bold=src._bold, italic=src._italic, depth_test=True)

    def sync():
        dst.font_size = src.font_size
        dst.anchors = src.anchors
        dst.color = src.color
        dst.text = src.text
        if src.pos is not None and len(src.pos):
            dst.pos = src.pos
    return dst, sync


_COPIERS: dict[type, Callable] = {
    scene.visuals.Line: _copy_line,
    scene.visuals.Markers: _copy_markers,
    scene.visuals.Text: _copy_text,
}


class Mirror:
    """Keeps a copy of a subtree of nodes under another parent: plain nodes as plain nodes,
    visuals as views of their GPU data (or followed copies), in the same order, visibility and
    transforms. `sync()` runs before each frame of the view; it only rebuilds what changed."""

    def __init__(self, source: scene.Node, parent: scene.Node, owner: Any = None) -> None:
        self.source = source
        self.owner = owner  # the view: passed to nodes that make their own mirrors
        self.root = scene.Node(parent=parent, name=f"mirror of {source.name}")
        self._nodes: dict[int, tuple[scene.Node, scene.Node]] = {}  # id(src) -> (src, mirror)
        self._copies: dict[int, Callable[[], None]] = {}
        self._stale: set[int] = set()
        self._structure_changed = True
        source.events.children_change.connect(self._on_children_change)

    def _on_children_change(self, event: object = None) -> None:
        self._structure_changed = True

    def _on_source_update(self, event: Any) -> None:
        self._stale.add(id(event.source))

    def sync(self) -> None:
        if self._structure_changed:
            self._structure_changed = False
            seen: set[int] = set()
            self._reconcile(self.source, self.root, seen)
            for key in list(self._nodes):
                if key not in seen:
                    self._drop(key)
        else:
            self._copy_state(self.source, self.root)
        for key in list(self._stale):
            sync = self._copies.get(key)
            if sync is not None:
                sync()
        self._stale.clear()

    def _make(self, src: scene.Node, parent: scene.Node) -> scene.Node:
        make = getattr(src, "mirror_for", None)
        if make is not None:
            return make(parent, self.owner)
        if isinstance(src, VisualNode):
            copier = next((c for t, c in _COPIERS.items() if isinstance(src, t)), None)
            if copier is not None:
                node, sync = copier(src, parent)
                sync()
                self._copies[id(src)] = sync
                src.events.update.connect(self._on_source_update)
                return node
            return view_node(src, parent)
        return scene.Node(parent=parent, name=src.name)

    def _reconcile(self, src: scene.Node, dst: scene.Node, seen: set[int]) -> None:
        self._copy_node_state(src, dst)
        for child in src.children:
            key = id(child)
            entry = self._nodes.get(key)
            if entry is None or entry[0] is not child:
                if entry is not None:
                    self._drop(key)
                entry = (child, self._make(child, dst))
                self._nodes[key] = entry
            seen.add(key)
            if getattr(child, "mirror_for", None) is None:
                self._reconcile(child, entry[1], seen)
            else:
                self._copy_node_state(child, entry[1])

    def _copy_state(self, src: scene.Node, dst: scene.Node) -> None:
        self._copy_node_state(src, dst)
        if getattr(src, "mirror_for", None) is not None:
            return
        for child in src.children:
            entry = self._nodes.get(id(child))
            if entry is not None:
                self._copy_state(child, entry[1])

    @staticmethod
    def _copy_node_state(src: scene.Node, dst: scene.Node) -> None:
        if dst.visible != src.visible:
            dst.visible = src.visible
        if dst.order != src.order:
            dst.order = src.order
        tr = src.transform
        if dst.transform is not tr and not isinstance(tr, NullTransform):
            dst.transform = tr

    def _drop(self, key: int) -> None:
        src, node = self._nodes.pop(key)
        if key in self._copies:
            del self._copies[key]
            src.events.update.disconnect(self._on_source_update)
        close = getattr(node, "close_mirror", None)
        if close is not None:
            close()
        node.parent = None

    def close(self) -> None:
        self.source.events.children_change.disconnect(self._on_children_change)
        for key in list(self._nodes):
            self._drop(key)
        self.root.parent = None
