"""Views of a scene graph: a view box with a camera, its own level of detail, and picking.

`SceneView` holds what every view shares: projection of points to pixels, the ray under a
pixel, and picking through the layers' pickers (`render.picking`). `OrbitView` is the planner's
overview, its camera kept in step with the twin's `CameraPose`; `StreetView` is a pedestrian's
eye (`StreetPose`), the AR street view's camera. The first view of a graph hosts its nodes; the
others draw mirrors that share the GPU data (`render.mirror`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from vispy import scene

from hktwin.model.camera import CameraPose, StreetPose
from hktwin.model.layers import BuildingsLayer
from hktwin.render.camera import CityCamera, StreetCamera, apply_pose, pose_of
from hktwin.render.culling import ViewCuller
from hktwin.render.mirror import Mirror
from hktwin.render.picking import Hit, PickRay, pick_layers
from hktwin.render.scene_graph import SceneGraph

GROUND_KINDS = ("ground", "sea")


def _inherit_clippers(root: scene.Node) -> None:
    """vispy hands a view box's clipper to a node only as that node is parented; nodes made
    under a root that joins the view later must be given it (else they draw outside the box)."""
    stack = list(root.children)
    while stack:
        node = stack.pop()
        p = node.parent
        while p is not None:
            if p.clip_children:
                node._set_clipper(p, p.clipper)
            p = p.parent
        stack.extend(node.children)


class SceneView:
    """One view box drawing a `SceneGraph`; `host` views parent the graph's root directly.

    Each view culls the shared meshes for its own camera (`render.culling`): `culler.enabled`
    turns that off, `occlusion` adds the test against the buildings around the eye.
    """

    occlusion = False

    def __init__(self, graph: SceneGraph, box: scene.ViewBox, host: bool) -> None:
        self.graph = graph
        self.box = box
        self.lod_copies: dict[int, Any] = {}  # level of detail made for this view (mirror_for)
        self.mirror: Mirror | None = None
        if host:
            graph.root.parent = box.scene
            _inherit_clippers(graph.root)
        else:
            self.mirror = Mirror(graph.root, box.scene, owner=self)
        self.culler = ViewCuller(box, self._drawn_root, graph.twin, occlusion=self.occlusion)

    def _drawn_root(self) -> scene.Node:
        return self.mirror.root if self.mirror is not None else self.graph.root

    # -- what the view draws -----------------------------------------------------------------
    @property
    def view(self) -> scene.ViewBox:
        return self.box

    @property
    def twin(self):
        return self.graph.twin

    @property
    def adapters(self) -> dict:
        return self.graph.adapters

    def adapter(self, layer):
        return self.graph.adapter(layer)

    def sync(self) -> None:
        """Bring the mirrors up to date and cull for this view's camera; before each frame."""
        if self.mirror is not None:
            self.mirror.sync()
        self.culler.update()

    @property
    def n_faces(self) -> int:
        """Triangles this view draws: shared meshes, plus its own level of detail."""
        total = 0
        for adapter in self.graph.adapters.values():
            if not adapter.layer.visible:
                continue
            lod = getattr(adapter, "lod", None)
            own = self.lod_copies.get(id(lod)) if lod is not None else None
            total += own.n_faces if own is not None else adapter.n_faces
        return total

    @property
    def drawn_faces(self) -> int:
        """Triangles this view drew in its last frame, after culling for its camera."""
        return self.n_faces - self.culler.faces_culled

    def close(self) -> None:
        if self.mirror is not None:
            self.mirror.close()
        elif self.graph.root.parent is self.box.scene:
            self.graph.root.parent = None
        self.box.parent = None

    # -- projection --------------------------------------------------------------------------
    def _canvas_to_scene(self):
        return self.box.canvas.scene.node_transform(self.box.scene)

    def project(self, points: np.ndarray) -> np.ndarray:
        """Canvas pixel (x, y) of EPSG:2326 points (n, 3); rows y grow downwards."""
        pts = np.atleast_2d(np.asarray(points, np.float64)).copy()
        pts[:, 0] -= self.twin.origin[0]
        pts[:, 1] -= self.twin.origin[1]
        return self._project_scene(pts)

    def _project_scene(self, points: np.ndarray) -> np.ndarray:
        mapped = self._canvas_to_scene().imap(np.asarray(points, np.float64))
        return mapped[:, :2] / mapped[:, 3:4]

    def depth_of(self, points: np.ndarray) -> np.ndarray:
        """Normalised device depth (-1 near .. 1 far; > 1 or w < 0: not in front) of scene
        points, for telling what lies in front of the camera."""
        mapped = self._canvas_to_scene().imap(np.asarray(points, np.float64))
        return np.where(mapped[:, 3] > 0, mapped[:, 2] / mapped[:, 3], np.inf)

    def ray(self, pos: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
        """Origin and unit direction, in scene coordinates, of the ray under a canvas pixel."""
        tr = self._canvas_to_scene()
        near = tr.map([pos[0], pos[1], -1.0, 1.0])
        far = tr.map([pos[0], pos[1], 1.0, 1.0])
        near = near[:3] / near[3]
        far = far[:3] / far[3]
        direction = far - near
        return near, direction / np.linalg.norm(direction)

    def contains(self, pos: tuple[float, float]) -> bool:
        """Whether a canvas pixel lies in this view's box."""
        x, y = self.box.pos
        w, h = self.box.size
        return x <= pos[0] < x + w and y <= pos[1] < y + h

    # -- picking, asked of the layers ----------------------------------------------------------
    def pick_ray(self, pos: tuple[float, float]) -> PickRay:
        origin, direction = self.ray(pos)
        return PickRay(origin, direction, (float(pos[0]), float(pos[1])), self._project_scene,
                       self.twin.origin)

    def hits(self, pos: tuple[float, float]) -> list[Hit]:
        """What every visible layer has under a canvas pixel, nearest first."""
        return pick_layers(self.twin.layers, self.pick_ray(pos))

    @staticmethod
    def _first(hits: list[Hit], kinds: tuple[str, ...]) -> Hit | None:
        return next((h for h in hits if h.kind in kinds), None)

    def ground_at(self, pos: tuple[float, float]) -> tuple[float, float, float] | None:
        """(easting, northing, height) of the ground or sea under a canvas pixel, if any."""
        hit = self._first(self.hits(pos), GROUND_KINDS)
        if hit is None:
            return None
        p = hit.point
        return (float(p[0] + self.twin.origin[0]), float(p[1] + self.twin.origin[1]), float(p[2]))

    def _building(self, hits: list[Hit]) -> Hit | None:
        """The nearest building hit, unless the ground stands in front of it."""
        building = self._first(hits, ("building",))
        if building is None:
            return None
        ground = self._first(hits, GROUND_KINDS)
        if ground is not None and ground.distance < building.distance - 1.0:
            return None
        return building

    def pick(self, pos: tuple[float, float]) -> tuple[BuildingsLayer, int] | None:
        """The visible building under a canvas pixel, unless the ground hides it."""
        hit = self._building(self.hits(pos))
        return None if hit is None else (hit.layer, hit.item)

    def pick_live(self, pos: tuple[float, float]):
        """The live feature (traffic link or station) drawn nearest a canvas pixel: (layer,
        index) or None. Measured on screen, as a user aims; a feature hidden behind a building
        under the cursor does not count."""
        hits = self.hits(pos)
        live = [h for h in hits if h.kind in ("link", "station")]
        if not live:
            return None
        best = min(live, key=lambda h: h.screen_px)
        building = self._building(hits)
        if building is not None and building.distance < best.distance - 5.0:
            return None
        return best.layer, best.item

    def pick_site(self, pos: tuple[float, float]) -> str | None:
        """The id of the scenario site drawn nearest a canvas pixel (within 12 px)."""
        sites = [h for h in self.hits(pos) if h.kind == "site"]
        return min(sites, key=lambda h: h.screen_px).item if sites else None

    def surface_at(self, pos: tuple[float, float]) -> tuple[float, float, float, str] | None:
        """Where a site placed at a pixel would stand: a roof when a building is under the
        cursor ((x, y, roof height, "rooftop")), else the ground ((x, y, height, "ground"))."""
        import shapely

        hits = self.hits(pos)
        hit = self._building(hits)
        if hit is not None:
            b = hit.layer.buildings
            origin, direction = self.ray(pos)
            row = b.row_of(hit.item)
            roof = float(b.base[row] + b.height[row])
            if abs(direction[2]) > 1e-6:  # where the ray crosses the roof plane
                t = (roof - origin[2]) / direction[2]
                p = origin + t * direction
                x, y = p[0] + self.twin.origin[0], p[1] + self.twin.origin[1]
                if shapely.contains_xy(b.footprints[row], x, y):
                    return (float(x), float(y), roof, "rooftop")
            return (float(b.centroid_x[row]), float(b.centroid_y[row]), roof, "rooftop")
        ground = self._first(hits, GROUND_KINDS)
        if ground is None:
            return None
        p = ground.point
        return (float(p[0] + self.twin.origin[0]), float(p[1] + self.twin.origin[1]),
                float(p[2]), "ground")


class OrbitView(SceneView):
    """The overview: a turntable camera kept in step with the twin's `CameraPose`, both ways."""

    def __init__(self, graph: SceneGraph, box: scene.ViewBox, host: bool = True) -> None:
        super().__init__(graph, box, host)
        self._syncing_camera = False
        box.camera = CityCamera()
        twin = graph.twin
        twin.events.camera.connect(self._on_camera_change)
        twin.events.city.connect(self._on_city_change)
        box.scene.transform.changed.connect(self._on_view_transform)
        self._on_camera_change(twin.camera)

    def _on_camera_change(self, pose: CameraPose) -> None:
        if self._syncing_camera:
            return
        self._syncing_camera = True
        try:
            apply_pose(self.box.camera, pose, self.twin.origin)
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
            self.twin.camera = pose_of(self.box.camera, self.twin.origin)
        finally:
            self._syncing_camera = False

    def close(self) -> None:
        self.twin.events.camera.disconnect(self._on_camera_change)
        self.twin.events.city.disconnect(self._on_city_change)
        super().close()


class StreetView(SceneView):
    """A pedestrian's eye: a `StreetCamera` placed by a `StreetPose` (set `pose`). It culls
    what the buildings around the eye hide, too: in a street canyon, most of the city."""

    occlusion = True

    def __init__(self, graph: SceneGraph, box: scene.ViewBox, host: bool = False,
                 pose: StreetPose | None = None) -> None:
        super().__init__(graph, box, host)
        self.camera = StreetCamera()
        box.camera = self.camera
        graph.twin.events.city.connect(self._on_city_change)
        self._pose: StreetPose | None = None
        if pose is not None:
            self.pose = pose

    @property
    def pose(self) -> StreetPose | None:
        return self._pose

    @pose.setter
    def pose(self, pose: StreetPose) -> None:
        self._pose = pose
        self.camera.set_pose(pose, self.twin.origin)

    def _on_city_change(self, city: object) -> None:
        if self._pose is not None:
            self.camera.set_pose(self._pose, self.twin.origin)

    def eye_in_scene(self) -> np.ndarray:
        return self.camera.eye_in_scene()

    def close(self) -> None:
        self.twin.events.city.disconnect(self._on_city_change)
        super().close()
