"""Picking asked of the layers: each layer type answers "what is under this ray".

A picker is a function `(layer, ray) -> Hit | None` registered for a layer type (looked up by
the layer's class, then its bases, like the visual adapters), so a plugin that adds a layer type
adds its picker beside its adapter and the views never switch on layer types. Pickers are numpy
only: solid things are hit by the ray in 3D (`geo.raycast`); lines and points, too thin to hit,
are picked on screen within a few pixels of where they are drawn (`ray.project`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hktwin.geo.raycast import intersect_ray_heightfield, intersect_ray_triangles, ray_hits_box
from hktwin.model.analysis_layers import SitesLayer
from hktwin.model.layers import BuildingsLayer, Layer, SeaLayer, TerrainLayer
from hktwin.model.live_layers import StationsLayer, TrafficLayer

log = logging.getLogger(__name__)

LIVE_TOLERANCE_PX = 8.0
SITE_TOLERANCE_PX = 12.0


@dataclass(frozen=True)
class PickRay:
    """The ray under a pixel of a view, in scene coordinates (EPSG:2326 minus `offset`).

    `project` maps scene points (n, 3) to canvas pixels (n, 2), for features picked on screen.
    """

    origin: np.ndarray
    direction: np.ndarray
    pixel: tuple[float, float]
    project: Callable[[np.ndarray], np.ndarray]
    offset: tuple[float, float] = (0.0, 0.0)

    def at(self, t: float) -> np.ndarray:
        return self.origin + t * self.direction


@dataclass(frozen=True)
class Hit:
    """Something under the cursor: which layer, what kind of thing, which item of the layer
    (a building id, a link id, a station index, a site id), how far along the ray (metres),
    where (scene coordinates), and for things picked on screen how many pixels away."""

    layer: Layer
    kind: str
    item: Any
    distance: float
    point: np.ndarray = field(repr=False)
    screen_px: float = 0.0


Picker = Callable[[Layer, PickRay], "Hit | None"]
_PICKERS: dict[type, Picker] = {}


def register_picker(layer_type: type[Layer], picker: Picker) -> None:
    """Answer picks on layers of `layer_type` (and subclasses without their own) with `picker`."""
    _PICKERS[layer_type] = picker


def picker_for(layer: Layer) -> Picker | None:
    """The picker registered for the layer's type, else its plugin's (`[[layers]] picker`,
    imported on first use and run under the plugin guard), else None."""
    for cls in type(layer).__mro__:
        if cls in _PICKERS:
            return _PICKERS[cls]
    from hktwin.plugins import layer_contribution, pick_layer

    found = layer_contribution(type(layer))
    return pick_layer if found is not None and found.has("picker") else None


def pick_layers(layers, ray: PickRay) -> list[Hit]:
    """Every visible layer's answer for the ray, nearest first. A picker that fails is logged
    and skipped, so one broken layer type cannot stop picking on the others."""
    hits = []
    for layer in layers:
        if not layer.visible:
            continue
        picker = picker_for(layer)
        if picker is None:
            continue
        try:
            hit = picker(layer, ray)
        except Exception:
            log.exception("picking on layer %r failed", layer.name)
            continue
        if hit is not None:
            hits.append(hit)
    hits.sort(key=lambda h: h.distance)
    return hits


# -- built-in pickers ---------------------------------------------------------------------------
def pick_terrain(layer: TerrainLayer, ray: PickRay) -> Hit | None:
    if layer.terrain is None:
        return None
    t = intersect_ray_heightfield(ray.origin, ray.direction, layer.terrain, ray.offset,
                                  floor=None)
    if not np.isfinite(t):
        return None
    return Hit(layer, "ground", None, float(t), ray.at(t))


def pick_sea(layer: SeaLayer, ray: PickRay) -> Hit | None:
    dz = float(ray.direction[2])
    if dz >= -1e-9 or ray.origin[2] < layer.level:
        return None
    t = (layer.level - float(ray.origin[2])) / dz
    return Hit(layer, "sea", None, t, ray.at(t))


def pick_buildings(layer: BuildingsLayer, ray: PickRay) -> Hit | None:
    """The nearest building face on the ray, from the full tile meshes whatever is drawn."""
    best_t, best = np.inf, None
    for tile in layer.tiles:
        lo, hi = tile.mesh.bounds
        if not ray_hits_box(ray.origin, ray.direction, lo, hi):
            continue
        t, face = intersect_ray_triangles(ray.origin, ray.direction, tile.mesh.vertices,
                                          tile.mesh.faces)
        if t < best_t:
            best_t, best = t, int(tile.mesh.face_owner[face])
    if best is None:
        return None
    return Hit(layer, "building", best, float(best_t), ray.at(best_t))


def _screen_hit(layer: Layer, kind: str, ray: PickRay, item: Any, point: np.ndarray,
                d_px: float) -> Hit:
    return Hit(layer, kind, item, float(np.linalg.norm(point - ray.origin)), point, float(d_px))


def pick_traffic(layer: TrafficLayer, ray: PickRay) -> Hit | None:
    """The link drawn nearest the pixel, within `LIVE_TOLERANCE_PX`."""
    if not len(layer.segments):
        return None
    p = np.asarray(ray.pixel, np.float64)
    a = ray.project(layer.segments[:, 0])
    b = ray.project(layer.segments[:, 1])
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", p - a, ab)
                / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-9), 0.0, 1.0)
    d = np.linalg.norm(a + t[:, None] * ab - p, axis=1)
    i = int(np.argmin(d))
    if not d[i] < LIVE_TOLERANCE_PX:
        return None
    seg = layer.segments[i].astype(np.float64)
    return _screen_hit(layer, "link", ray, int(layer.segment_link[i]),
                       seg[0] + t[i] * (seg[1] - seg[0]), d[i])


def pick_stations(layer: StationsLayer, ray: PickRay) -> Hit | None:
    if not len(layer.positions):
        return None
    d = np.linalg.norm(ray.project(layer.positions) - np.asarray(ray.pixel), axis=1)
    i = int(np.argmin(d))
    if not d[i] < LIVE_TOLERANCE_PX:
        return None
    return _screen_hit(layer, "station", ray, i, layer.positions[i].astype(np.float64), d[i])


def site_points(layer: SitesLayer, offset: tuple[float, float]) -> tuple[np.ndarray, list[str]]:
    """Scene positions of every site's drawn point (antenna, anchor, sensor) and their ids."""
    scenario = layer.scenario
    if scenario is None:
        return np.zeros((0, 3)), []
    records = [*scenario.cells, *scenario.anchors, *scenario.sensors]
    pts = np.array([(r.x - offset[0], r.y - offset[1], r.ground_m + r.height_m)
                    for r in records], np.float64).reshape(-1, 3)
    return pts, [r.id for r in records]


def pick_sites(layer: SitesLayer, ray: PickRay) -> Hit | None:
    pts, ids = site_points(layer, ray.offset)
    if not ids:
        return None
    d = np.linalg.norm(ray.project(pts) - np.asarray(ray.pixel), axis=1)
    i = int(np.argmin(d))
    if not d[i] < SITE_TOLERANCE_PX:
        return None
    return _screen_hit(layer, "site", ray, ids[i], pts[i], d[i])


register_picker(TerrainLayer, pick_terrain)
register_picker(SeaLayer, pick_sea)
register_picker(BuildingsLayer, pick_buildings)
register_picker(TrafficLayer, pick_traffic)
register_picker(StationsLayer, pick_stations)
register_picker(SitesLayer, pick_sites)
