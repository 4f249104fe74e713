"""Named views: camera poses by name (the orbit views of Hong Kong, street-level eyes the
planner saves), no Qt.

A pose is any of `hktwin.model.camera`'s pose types (the orbit `CameraPose`, and the street-level
pose where the model has one); the session applies it to the twin's camera. Names keep their
insertion order, which is the order of the View menu's number keys.
"""

from __future__ import annotations

from collections.abc import Iterator

from psygnal import Signal

from hktwin.model.camera import VIEW_NAMES, named_views


class Views:
    """An ordered name -> pose table, starting with the built-in orbit views."""

    changed = Signal()

    def __init__(self) -> None:
        views = named_views()
        self._poses: dict[str, object] = {name: views[name] for name in VIEW_NAMES}
        self.builtin: frozenset[str] = frozenset(self._poses)

    def __getitem__(self, name: str) -> object:
        try:
            return self._poses[name]
        except KeyError:
            raise KeyError(f"no view is called {name!r} (views: {', '.join(self._poses)})") \
                from None

    def __contains__(self, name: object) -> bool:
        return name in self._poses

    def __iter__(self) -> Iterator[str]:
        return iter(self._poses)

    def __len__(self) -> int:
        return len(self._poses)

    def names(self) -> list[str]:
        return list(self._poses)

    def save(self, name: str, pose: object) -> None:
        """Keep `pose` under `name` (replacing a view of that name, built-in ones too)."""
        if not name:
            raise ValueError("a view needs a name")
        self._poses[name] = pose
        self.changed.emit()

    def remove(self, name: str) -> None:
        if name in self.builtin:
            raise ValueError(f"{name!r} is a built-in view")
        del self._poses[name]
        self.changed.emit()
