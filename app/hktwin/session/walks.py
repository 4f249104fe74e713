"""The walk the planner drew on the map (EPSG:2326 points), its GeoJSON file, and the
walk report worked out from the session, no Qt.

The walk is session state, not a widget's: the AR dock draws, plays and records it, the
walk report reads it, and it outlives the dock closing. It is saved as a GeoJSON Feature with
a LineString in EPSG:2326 (the `crs` member names it, as GDAL writes for non-WGS84 GeoJSON);
a file that is not one raises `DataError` naming the file and the field.

    walk = Walk()
    walk.add(834_000.0, 816_000.0); walk.add(834_080.0, 816_010.0)
    walk.save(Path("walk.geojson"))
    report = evaluate_session_walk(twin.city, walk.points, scenario.anchors)  # WalkReport
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from psygnal import Signal

from hktwin.core.errors import DataError

#: The CRS a walk file is written and read in.
WALK_CRS = "urn:ogc:def:crs:EPSG::2326"
_CRS_NAMES = {"urn:ogc:def:crs:EPSG::2326", "EPSG:2326", "epsg:2326",
              "urn:ogc:def:crs:EPSG:6.6:2326"}
#: A walk file larger than this is not a walk someone drew.
MAX_WALK_BYTES = 8 * 1024 * 1024
MAX_WALK_POINTS = 10_000
#: Easting/northing ranges that can be Hong Kong in EPSG:2326 (with a wide margin).
EASTING_RANGE = (780_000.0, 880_000.0)
NORTHING_RANGE = (790_000.0, 860_000.0)
#: Buildings this far beyond the walk's extent can still hide an anchor it passes.
OCCLUDER_MARGIN_M = 300.0


class Walk:
    """An ordered polyline of (easting, northing) points; `changed` fires on every edit."""

    changed = Signal(object)  # the points, a tuple of (x, y)

    def __init__(self, points: Sequence[tuple[float, float]] = ()) -> None:
        self._points: list[tuple[float, float]] = [(float(x), float(y)) for x, y in points]
        self.path: Path | None = None  # the file it was last saved to or read from

    @property
    def points(self) -> tuple[tuple[float, float], ...]:
        return tuple(self._points)

    def __len__(self) -> int:
        return len(self._points)

    @property
    def length_m(self) -> float:
        return sum(math.dist(a, b) for a, b in itertools.pairwise(self._points))

    @property
    def walkable(self) -> bool:
        """Two or more distinct points: something `sample_path` can walk."""
        return self.length_m > 0

    def set_points(self, points: Sequence[tuple[float, float]]) -> None:
        self._points = [(float(x), float(y)) for x, y in points]
        self.changed.emit(self.points)

    def add(self, x: float, y: float) -> None:
        """Add a point at the end (a repeat of the last point is ignored: a double-click)."""
        p = (float(x), float(y))
        if self._points and math.dist(self._points[-1], p) < 1e-6:
            return
        self._points.append(p)
        self.changed.emit(self.points)

    def remove_last(self) -> None:
        if self._points:
            self._points.pop()
            self.changed.emit(self.points)

    def clear(self) -> None:
        if self._points:
            self._points = []
            self.changed.emit(self.points)

    # -- GeoJSON ---------------------------------------------------------------------------------
    def to_geojson(self) -> dict[str, Any]:
        return {"type": "Feature",
                "crs": {"type": "name", "properties": {"name": WALK_CRS}},
                "properties": {"name": "walk", "length_m": round(self.length_m, 2)},
                "geometry": {"type": "LineString",
                             "coordinates": [[round(x, 3), round(y, 3)] for x, y in self._points]}}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the walk as GeoJSON (written whole or not at all)."""
        from hktwin.core.files import atomic_write_json

        if len(self._points) < 2:
            raise DataError(path, "the walk has fewer than two points", "draw a walk first",
                            field="geometry.coordinates")
        out = atomic_write_json(path, self.to_geojson())
        self.path = Path(path)
        return out

    def load(self, path: str | os.PathLike[str]) -> None:
        """Replace the walk by one read from a GeoJSON file; a bad file leaves it as it was."""
        points = read_walk(path)
        self.path = Path(path)
        self.set_points(points)


def read_walk(path: str | os.PathLike[str]) -> list[tuple[float, float]]:
    """The points of a walk file: a GeoJSON LineString (bare, as a Feature, or the first
    LineString of a FeatureCollection) in EPSG:2326. Anything else: `DataError`."""
    from hktwin.core.files import read_json

    doc = read_json(path, MAX_WALK_BYTES, "GeoJSON walk")
    if not isinstance(doc, dict):
        raise DataError(path, "a GeoJSON document is a JSON object", "save the walk again",
                        field="type")
    kind = doc.get("type")
    field_prefix = ""
    crs = doc.get("crs")
    if kind == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise DataError(path, "a FeatureCollection needs a 'features' list", field="features")
        found = [i for i, f in enumerate(features) if isinstance(f, dict)
                 and isinstance(f.get("geometry"), dict)
                 and f["geometry"].get("type") == "LineString"]
        if not found:
            raise DataError(path, "no LineString feature in the collection",
                            "draw the walk as one line", field="features")
        field_prefix = f"features[{found[0]}]."
        doc = features[found[0]]
        kind = "Feature"
    if kind == "Feature":
        crs = doc.get("crs", crs)
        geometry = doc.get("geometry")
        field_prefix += "geometry."
        if not isinstance(geometry, dict):
            raise DataError(path, "the feature has no geometry", field=field_prefix[:-1])
    elif kind == "LineString":
        geometry = doc
    else:
        raise DataError(path, f"type {kind!r} is not a walk", "give a GeoJSON LineString "
                        "(a Feature or FeatureCollection holding one)", field="type")
    _check_crs(path, crs)
    if geometry.get("type") != "LineString":
        raise DataError(path, f"the geometry is a {geometry.get('type')!r}, not a LineString",
                        "save the walk as a line", field=f"{field_prefix}type")
    coords = geometry.get("coordinates")
    where = f"{field_prefix}coordinates"
    if not isinstance(coords, list) or len(coords) < 2:
        raise DataError(path, "a walk needs a list of two or more [easting, northing] points",
                        field=where)
    if len(coords) > MAX_WALK_POINTS:
        raise DataError(path, f"{len(coords)} points is more than a drawn walk "
                        f"({MAX_WALK_POINTS} at most)", field=where)
    points = []
    for i, c in enumerate(coords):
        if (not isinstance(c, list) or len(c) < 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           and math.isfinite(v) for v in c[:2])):
            raise DataError(path, f"point {i} is {c!r}, not [easting, northing] numbers",
                            field=f"{where}[{i}]")
        x, y = float(c[0]), float(c[1])
        if not (EASTING_RANGE[0] <= x <= EASTING_RANGE[1]
                and NORTHING_RANGE[0] <= y <= NORTHING_RANGE[1]):
            hint = (" (it looks like longitude and latitude)" if abs(x) <= 180 and abs(y) <= 90
                    else "")
            raise DataError(path, f"point {i} ({x}, {y}) is not in Hong Kong in EPSG:2326"
                            f"{hint}", "give HK1980 Grid eastings and northings",
                            field=f"{where}[{i}]")
        points.append((x, y))
    if sum(math.dist(a, b) for a, b in itertools.pairwise(points)) <= 0:
        raise DataError(path, "all the points are the same place", "draw a walk that goes "
                        "somewhere", field=where)
    return points


def _check_crs(path, crs: Any) -> None:
    if crs is None:
        return  # read as EPSG:2326; the coordinate check catches WGS84 degrees
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str) or name not in _CRS_NAMES:
        raise DataError(path, f"the walk is in {name or crs!r}, not EPSG:2326",
                        "reproject it to EPSG:2326 (HK1980 Grid)", field="crs")


# -- the walk report from the session ----------------------------------------------------------

def latest_coverage(planning: Any) -> Any:
    """The newest coverage evaluation's `CoverageResult`, or None ("not evaluated")."""
    results = getattr(planning, "results", None) or []
    return getattr(results[-1][1], "result", None) if results else None


def walk_inputs(city: Any, points: Sequence[tuple[float, float]], anchors: Sequence[Any],
                coverage: Any = None, dt_s: float = 1.0) -> dict[str, Any]:
    """What `evaluate_walk` needs for a walk over a city: the path sampled on its ground
    (one position per `dt_s` at walking pace), the anchors, the city's buildings near the
    walk as an occluder, and the coverage (None: "not evaluated")."""
    import numpy as np

    from hktwin.analysis.ar.occlusion import Occluder
    from hktwin.analysis.ar.walk import sample_path

    if city is None:
        raise DataError(None, "no city is open", "open a data pack first", field="city")
    path = sample_path(points, dt_s=dt_s, ground=city.terrain.height_at)
    p = np.asarray(points, np.float64)
    lo, hi = p.min(axis=0), p.max(axis=0)
    centre = (float((lo[0] + hi[0]) / 2), float((lo[1] + hi[1]) / 2))
    radius = float(np.max(hi - lo) / 2 + OCCLUDER_MARGIN_M)
    return {"path": path, "anchors": list(anchors),
            "occluder": Occluder.from_city(city, around=centre, radius_m=radius),
            "coverage": coverage}


def evaluate_session_walk(city: Any, points: Sequence[tuple[float, float]],
                          anchors: Sequence[Any], coverage: Any = None,
                          device: str = "generic-phone", orientation: str = "portrait",
                          progress: Any = None) -> Any:
    """The walk report (`analysis.ar.walk.WalkReport`) of a walk over a city."""
    from hktwin.analysis.ar.walk import evaluate_walk

    inputs = walk_inputs(city, points, anchors, coverage)
    return evaluate_walk(inputs["path"], inputs["anchors"], inputs["occluder"],
                         inputs["coverage"], device=device, orientation=orientation,
                         progress=progress)


def report_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The walk table as CSV text: one row per anchor, intervals as 'from-to' metres."""
    import csv
    import io

    def spans(value: Any) -> str:
        if value is None:
            return "not evaluated"
        return "; ".join(f"{a:.1f}-{b:.1f}" for a, b in value)

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "name", "seen_share", "first_seen_m", "seen_m", "below_requirement_m",
                "below_requirement_share_of_seen"])
    for r in rows:
        share = r["below_requirement_share_of_seen"]
        w.writerow([r["id"], r["name"], r["seen_share"],
                    "" if r["first_seen_m"] is None else f"{r['first_seen_m']:.1f}",
                    spans(r["seen_m"]), spans(r["below_requirement_m"]),
                    "" if share is None else share])
    return buf.getvalue()
