"""Named views: camera poses by name, the orbit views of Hong Kong and street-level eyes (built
in, and the ones the planner saves), no Qt.

A pose is an orbit `model.camera.CameraPose` (the session puts it on the twin's camera) or a
street-level `StreetPose` (it becomes the twin's `street`, the eye of the AR street view; the
session stands it on the open city's ground). Names keep their insertion order, which is the
order of the View menu's number keys.
"""

from __future__ import annotations

from collections.abc import Iterator

from psygnal import Signal

from hktwin.model.camera import VIEW_NAMES, named_views

#: Built-in street-level views: (longitude, latitude, heading, pitch), from public maps.
STREET_VIEWS_WGS84: dict[str, tuple[float, float, float, float]] = {
    "street: Queen's Road Central": (114.1571, 22.2820, 120.0, 4.0),
    "street: Tsim Sha Tsui promenade": (114.1722, 22.2937, 200.0, 2.0),
}


def street_views() -> dict[str, object]:
    """The built-in street views as `StreetPose`s in EPSG:2326 (standing on the datum; the
    session puts them on the city's ground)."""
    from hktwin.geo.crs import from_wgs84

    try:
        from hktwin.model.camera import StreetPose
    except ImportError:  # a model without street poses: orbit views only
        return {}
    out: dict[str, object] = {}
    for name, (lon, lat, heading, pitch) in STREET_VIEWS_WGS84.items():
        x, y = from_wgs84(lon, lat)
        out[name] = StreetPose(float(x), float(y), heading, pitch)
    return out


class Views:
    """An ordered name -> pose table, starting with the built-in orbit views."""

    changed = Signal()

    def __init__(self) -> None:
        views = named_views()
        self._poses: dict[str, object] = {name: views[name] for name in VIEW_NAMES}
        self._poses.update(street_views())
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

    def orbit_names(self) -> list[str]:
        """Names of the orbit views (the ones the overview camera flies to)."""
        from hktwin.model.camera import CameraPose

        return [n for n, p in self._poses.items() if isinstance(p, CameraPose)]

    def street_names(self) -> list[str]:
        from hktwin.model.camera import StreetPose

        return [n for n, p in self._poses.items() if isinstance(p, StreetPose)]

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
