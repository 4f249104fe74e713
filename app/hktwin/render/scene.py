"""The twin drawn in a vispy canvas: adapters kept in step with the layer list, the camera kept
in step with the model's pose, and picking under a pixel.

The same `CityCanvas` is embedded in the Qt window and rendered offscreen by `snapshot`, so the
picture a test checks is the picture a planner sees.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from vispy import scene

from hktwin.geo.raycast import intersect_ray_heightfield, intersect_ray_triangles, ray_hits_box
from hktwin.model.camera import CameraPose
from hktwin.model.layers import BuildingsLayer, Layer, SeaLayer, TerrainLayer
from hktwin.model.live_layers import StationsLayer, TrafficLayer
from hktwin.model.twin import Twin
from hktwin.render import (  # noqa: F401  (register the adapters)
    layer_visuals,
    live_visuals,
    planning_visuals,
)
from hktwin.render.adapters import VisualAdapter, adapter_for
from hktwin.render.camera import CityCamera, apply_pose, pose_of

SKY = (0.74, 0.84, 0.93, 1.0)


class CityScene:
    """Keeps one visual adapter per layer of a `Twin` under a vispy view."""

    def __init__(self, view: scene.ViewBox, twin: Twin) -> None:
        self.view = view
        self.twin = twin
        self.adapters: dict[int, VisualAdapter] = {}
        self._syncing_camera = False
        view.camera = CityCamera()
        for layer in twin.layers:
            self._add(layer)
        self._reorder()
        twin.layers.events.inserted.connect(self._on_inserted)
        twin.layers.events.removed.connect(self._on_removed)
        twin.layers.events.changed.connect(self._on_changed)
        twin.layers.events.moved.connect(self._reorder)
        twin.layers.events.reordered.connect(self._reorder)
        twin.events.camera.connect(self._on_camera_change)
        twin.events.city.connect(self._on_city_change)
        view.scene.transform.changed.connect(self._on_view_transform)
        self._on_camera_change(twin.camera)

    # -- layers ------------------------------------------------------------------------------
    def _add(self, layer: Layer) -> None:
        self.adapters[id(layer)] = adapter_for(layer)(layer, self.view.scene, self.twin)

    def _on_inserted(self, index: int, layer: Layer) -> None:
        self._add(layer)
        self._reorder()

    def _on_removed(self, index: int, layer: Layer) -> None:
        adapter = self.adapters.pop(id(layer), None)
        if adapter is not None:
            adapter.close()
        self.view.update()

    def _on_changed(self, index: Any, old: Layer, new: Layer) -> None:
        self._on_removed(index, old)
        self._on_inserted(index, new)

    def _reorder(self, *_: object) -> None:
        for order, layer in enumerate(self.twin.layers):
            adapter = self.adapters.get(id(layer))
            if adapter is not None:
                adapter.set_order(order)
        self.view.update()

    def adapter(self, layer: Layer) -> VisualAdapter:
        return self.adapters[id(layer)]

    @property
    def n_faces(self) -> int:
        """Triangles in the visible layers."""
        return sum(a.n_faces for a in self.adapters.values() if a.layer.visible)

    # -- camera ------------------------------------------------------------------------------
    def _on_camera_change(self, pose: CameraPose) -> None:
        if self._syncing_camera:
            return
        self._syncing_camera = True
        try:
            apply_pose(self.view.camera, pose, self.twin.origin)
        finally:
            self._syncing_camera = False

    def _on_city_change(self, city: object) -> None:
        """A new city moves the scene origin: the same pose must be re-applied."""
        self._on_camera_change(self.twin.camera)

    def _on_view_transform(self, event: object = None) -> None:
        if self._syncing_camera:
            return
        self._syncing_camera = True
        try:
            self.twin.camera = pose_of(self.view.camera, self.twin.origin)
        finally:
            self._syncing_camera = False

    # -- projection and picking --------------------------------------------------------------
    def _canvas_to_scene(self):
        return self.view.canvas.scene.node_transform(self.view.scene)

    def project(self, points: np.ndarray) -> np.ndarray:
        """Canvas pixel (x, y) of EPSG:2326 points (n, 3); rows y grow downwards."""
        pts = np.atleast_2d(np.asarray(points, np.float64)).copy()
        pts[:, 0] -= self.twin.origin[0]
        pts[:, 1] -= self.twin.origin[1]
        mapped = self._canvas_to_scene().imap(pts)
        return mapped[:, :2] / mapped[:, 3:4]

    def ray(self, pos: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
        """Origin and unit direction, in scene coordinates, of the ray under a canvas pixel."""
        tr = self._canvas_to_scene()
        near = tr.map([pos[0], pos[1], -1.0, 1.0])
        far = tr.map([pos[0], pos[1], 1.0, 1.0])
        near = near[:3] / near[3]
        far = far[:3] / far[3]
        direction = far - near
        return near, direction / np.linalg.norm(direction)

    def _ground_distance(self, origin: np.ndarray, direction: np.ndarray) -> float:
        terrain_layers = [la for la in self.twin.layers.of_type(TerrainLayer) if la.visible]
        if not terrain_layers or terrain_layers[0].terrain is None:
            return float("nan")
        sea_visible = any(la.visible for la in self.twin.layers.of_type(SeaLayer))
        return intersect_ray_heightfield(origin, direction, terrain_layers[0].terrain,
                                         self.twin.origin, floor=0.0 if sea_visible else None)

    def ground_at(self, pos: tuple[float, float]) -> tuple[float, float, float] | None:
        """(easting, northing, height) of the ground or sea under a canvas pixel, if any."""
        origin, direction = self.ray(pos)
        t = self._ground_distance(origin, direction)
        if not np.isfinite(t):
            return None
        p = origin + t * direction
        return (float(p[0] + self.twin.origin[0]), float(p[1] + self.twin.origin[1]), float(p[2]))

    def pick(self, pos: tuple[float, float]) -> tuple[BuildingsLayer, int] | None:
        """The visible building under a canvas pixel, unless the ground hides it."""
        origin, direction = self.ray(pos)
        best_t, best = self._building_hit(origin, direction)
        if best is None:
            return None
        ground = self._ground_distance(origin, direction)
        if np.isfinite(ground) and ground < best_t - 1.0:
            return None
        return best

    def _building_hit(self, origin: np.ndarray, direction: np.ndarray):
        """(distance, (layer, building id)) of the nearest visible building face on a ray."""
        best_t, best = np.inf, None
        for layer in self.twin.layers.of_type(BuildingsLayer):
            if not layer.visible:
                continue
            for tile in layer.tiles:
                lo, hi = tile.mesh.bounds
                if not ray_hits_box(origin, direction, lo, hi):
                    continue
                t, face = intersect_ray_triangles(origin, direction, tile.mesh.vertices,
                                                  tile.mesh.faces)
                if t < best_t:
                    best_t, best = t, (layer, int(tile.mesh.face_owner[face]))
        return best_t, best


    def _project_scene(self, points: np.ndarray) -> np.ndarray:
        mapped = self._canvas_to_scene().imap(np.asarray(points, np.float64))
        return mapped[:, :2] / mapped[:, 3:4]

    def pick_live(self, pos: tuple[float, float], tolerance_px: float = 8.0):
        """The live feature (traffic link or station) drawn nearest a canvas pixel, within
        `tolerance_px`: (layer, index) or None. Measured on screen, as a user aims; a feature
        hidden behind a building under the cursor does not count."""
        best, best_d, best_xyz = None, tolerance_px, None
        p = np.asarray(pos, np.float64)
        for layer in self.twin.layers:
            if not layer.visible:
                continue
            if isinstance(layer, TrafficLayer) and len(layer.segments):
                a = self._project_scene(layer.segments[:, 0])
                b = self._project_scene(layer.segments[:, 1])
                ab = b - a
                t = np.clip(np.einsum("ij,ij->i", p - a, ab)
                            / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-9), 0.0, 1.0)
                d = np.linalg.norm(a + t[:, None] * ab - p, axis=1)
                i = int(np.argmin(d))
                if d[i] < best_d:
                    best, best_d = (layer, int(layer.segment_link[i])), d[i]
                    seg = layer.segments[i].astype(np.float64)
                    best_xyz = seg[0] + t[i] * (seg[1] - seg[0])
            elif isinstance(layer, StationsLayer) and len(layer.positions):
                d = np.linalg.norm(self._project_scene(layer.positions) - p, axis=1)
                i = int(np.argmin(d))
                if d[i] < best_d:
                    best, best_d = (layer, i), d[i]
                    best_xyz = layer.positions[i].astype(np.float64)
        if best is not None and self._building_in_front(pos, best_xyz):
            return None
        return best

    def _building_in_front(self, pos: tuple[float, float], point: np.ndarray) -> bool:
        """Whether a building under the pixel stands between the eye and `point`."""
        if self.pick(pos) is None:
            return False
        origin, direction = self.ray(pos)
        hit_t = self._building_hit(origin, direction)[0]
        return hit_t < float(np.linalg.norm(point - origin)) - 5.0


    def pick_site(self, pos: tuple[float, float], tolerance_px: float = 12.0) -> str | None:
        """The id of the scenario site drawn nearest a canvas pixel, within `tolerance_px`."""
        from hktwin.render.planning_visuals import SitesAdapter

        best, best_d = None, tolerance_px
        for adapter in self.adapters.values():
            if not isinstance(adapter, SitesAdapter) or not adapter.layer.visible:
                continue
            points, ids, _ = adapter.positions()
            if not ids:
                continue
            d = np.linalg.norm(self._project_scene(points) - np.asarray(pos), axis=1)
            i = int(np.argmin(d))
            if d[i] < best_d:
                best, best_d = ids[i], d[i]
        return best

    def surface_at(self, pos: tuple[float, float]) -> tuple[float, float, float, str] | None:
        """Where a site placed at a pixel would stand: a roof when a building is under the
        cursor ((x, y, roof height, "rooftop")), else the ground ((x, y, height, "ground"))."""
        import shapely

        hit = self.pick(pos)
        if hit is not None:
            layer, building_id = hit
            b = layer.buildings
            origin, direction = self.ray(pos)
            row = b.row_of(building_id)
            roof = float(b.base[row] + b.height[row])
            if abs(direction[2]) > 1e-6:  # where the ray crosses the roof plane
                t = (roof - origin[2]) / direction[2]
                p = origin + t * direction
                x, y = p[0] + self.twin.origin[0], p[1] + self.twin.origin[1]
                if shapely.contains_xy(b.footprints[row], x, y):
                    return (float(x), float(y), roof, "rooftop")
            return (float(b.centroid_x[row]), float(b.centroid_y[row]), roof, "rooftop")
        ground = self.ground_at(pos)
        if ground is None:
            return None
        return (*ground, "ground")


class CityCanvas(scene.SceneCanvas):
    """A SceneCanvas holding one `CityScene`, a notice in the corner and a frame timer."""

    def __init__(self, twin: Twin, size: tuple[int, int] = (1280, 800), **kwargs) -> None:
        super().__init__(size=size, bgcolor=SKY, keys=None, **kwargs)
        self.unfreeze()
        self.view = self.central_widget.add_view()
        self.city_scene = CityScene(self.view, twin)
        self.notice = scene.visuals.Text(
            "", color=(0.08, 0.1, 0.14, 0.9), font_size=9, anchor_x="right", anchor_y="bottom",
            parent=self.scene,
        )
        self.last_frame_ms = float("nan")
        self._frame_start = 0.0
        self.events.draw.connect(self._on_draw_start, position="first")
        self.events.draw.connect(self._on_draw_end, position="last")
        self.events.resize.connect(self._place_notice)
        self._place_notice()
        self.freeze()

    def set_notice(self, text: str) -> None:
        self.notice.text = text
        self.update()

    def _place_notice(self, event: object = None) -> None:
        w, h = self.size
        self.notice.pos = (w - 10, h - 20)  # canvas y grows downwards

    def _on_draw_start(self, event: object) -> None:
        self._frame_start = time.perf_counter()

    def _on_draw_end(self, event: object) -> None:
        self.last_frame_ms = (time.perf_counter() - self._frame_start) * 1000.0
