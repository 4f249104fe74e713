"""Level-of-detail drawing: terrain chunks and building tiles chosen per view, merged into a few
pooled meshes, and recomputed off the GUI thread while the camera moves.

Per frame the cost is one look at the view matrix. When it has changed, the choice and the merged
arrays are computed on a worker thread (numpy only, no GL) and swapped into the pooled visuals on
the GUI thread when ready; one job runs at a time, which throttles the work to what the machine
keeps up with; the first picture of a layer, too, arrives that way rather than freezing the
window. Without an event loop (EGL snapshots, benchmarks) the work is done at draw time, so a
rendered image always shows the detail its camera asks for. Each visual costs ~0.4 ms a
frame on software GL, so the terrain is one mesh and the buildings two (full tiles, boxes),
whatever the number of chunks and tiles.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from vispy import scene
from vispy.geometry import MeshData

from hktwin.geo.lod import TileIndex, select_tiles
from hktwin.geo.mesh import MeshArrays
from hktwin.geo.pyramid import TerrainPyramid, View, select_chunks
from hktwin.geo.tiles import Tile
from hktwin.render import colors

log = logging.getLogger(__name__)


@dataclass
class LodSettings:
    """Budgets and tolerances; software GL draws ~2.5 M triangles a second at 1280 x 800.

    `sync`: None computes at draw time only where there is no event loop (EGL); True always
    (tests, scripts), False never.
    """

    terrain_budget: int = 300_000
    terrain_tolerance_px: float = 2.0
    buildings_budget: int = 300_000
    buildings_tolerance_px: float = 2.0
    building_min_px: float = 1.5
    sync: bool | None = None


SETTINGS = LodSettings()

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _worker() -> ThreadPoolExecutor:
    """One worker thread for all level-of-detail jobs, so they never compete with each other."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hktwin-lod")
        return _executor


def view_matrix(node: scene.Node) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The scene-to-viewport matrix of the view box holding `node`, and the viewport size."""
    box = node
    while box is not None and not isinstance(box, scene.widgets.ViewBox):
        box = box.parent
    if box is None:
        return None
    w, h = (int(v) for v in box.size)
    if w <= 0 or h <= 0:
        return None
    tr = box.scene.node_transform(box)
    p = tr.map(np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]))
    return np.vstack([p[1] - p[0], p[2] - p[0], p[3] - p[0], p[0]]), (w, h)


def mesh_data(mesh: MeshArrays, vertex_colors: np.ndarray) -> MeshData:
    """A MeshData with the per-face arrays vispy uploads already expanded, so the GUI thread only
    copies them to GL. An empty mesh becomes one degenerate triangle (vispy cannot draw none)."""
    if mesh.n_faces == 0:
        md = MeshData(vertices=np.zeros((3, 3), np.float32), faces=np.array([[0, 1, 2]], np.uint32),
                      vertex_colors=np.zeros((3, 4), np.float32))
    else:
        md = MeshData(vertices=mesh.vertices, faces=mesh.faces, vertex_colors=vertex_colors)
    md.get_vertices(indexed="faces")
    md.get_vertex_colors(indexed="faces")
    return md


class LodMesh(scene.visuals.Mesh):
    """A pooled Mesh that lets its driver bring the level of detail up to date before drawing.

    Level of detail belongs to a view: another view of the scene gets its own copy of the
    owning `TerrainLod` / `BuildingsLod` (`mirror_for`), which shares the pyramid's chunk cache
    and the tile meshes and chooses its own detail for its own camera.
    """

    def __init__(self, driver: LodDriver, parent: scene.Node, owner: Any = None) -> None:
        super().__init__(parent=parent)
        self.set_data(meshdata=mesh_data(MeshArrays.empty(), np.zeros((0, 4), np.float32)))
        self.set_gl_state("translucent", depth_test=True, cull_face=False)
        self.unfreeze()
        self._driver = driver
        self._owner = owner
        self.freeze()

    def draw(self) -> None:
        self._driver.before_draw()
        super().draw()

    def mirror_for(self, parent: scene.Node, view: Any) -> LodMesh:
        """This mesh's counterpart under `parent` in another view (see `render.mirror`)."""
        copies = view.lod_copies
        copy = copies.get(id(self._owner))
        if copy is None or copy.parent is not parent:
            copy = self._owner.copy_under(parent)
            copies[id(self._owner)] = copy
        mine = copy.visuals[self._owner.visuals.index(self)]
        own = {id(f) for f in (self._opacity_filter, self._picking_filter,
                               *self._clippers.values())}
        for f in self._vshare.filters:  # the layer's opacity follows into the copy
            if id(f) not in own and f not in mine._vshare.filters:
                if getattr(f, "per_visual", False):  # looks: bound to one visual's buffers
                    f.copy_to(mine)
                else:
                    mine.attach(f)
        return mine

    def close_mirror(self) -> None:
        self._owner.close()


class LodDriver:
    """Keeps a level-of-detail choice in step with the camera of the view holding `node`.

    `compute(view)` runs off the GUI thread and returns a result, or None when nothing changed;
    `apply(result)` runs on the GUI thread. Results of older views never overwrite newer ones.
    """

    def __init__(self, node: scene.Node, compute: Callable[[View], Any],
                 apply: Callable[[Any], None], settings: LodSettings | None = None) -> None:
        self.node = node
        self._compute = compute
        self._apply = apply
        self.settings = settings or SETTINGS
        self._last: np.ndarray | None = None
        self._wanted: tuple[int, View] | None = None
        self._future: Future | None = None
        self._timer = None
        self._seq = 0
        self._applied_seq = -1
        self._closed = False
        self.updates = 0  # results applied
        self.background_updates = 0  # of which computed on the worker thread
        self.compute_ms = 0.0  # the last job's selection and merging (worker thread)
        self.apply_ms = 0.0  # the last swap into the visuals (GUI thread; GL upload at draw)

    @property
    def idle(self) -> bool:
        """No job running or waiting."""
        return self._future is None and self._wanted is None

    def _sync(self) -> bool:
        if self.settings.sync is not None:
            return self.settings.sync
        canvas = self.node.canvas
        return canvas is None or canvas.app.backend_name.lower() == "egl"

    def before_draw(self, now: bool = False) -> None:
        """Called as a pooled visual draws: notice a changed view and bring the detail up to
        date, synchronously (no event loop, or `now`) or through the worker."""
        if self._closed:
            return
        found = view_matrix(self.node)
        if found is None:
            return
        matrix, size = found
        if not now and self._last is not None and np.array_equal(matrix, self._last):
            return
        self._last = matrix
        try:
            view = View.from_matrix(matrix, size)
        except np.linalg.LinAlgError:  # an orthographic camera (fov 0): keep the last choice
            return
        self._seq += 1
        if now or self._sync():
            self._wanted = None
            self._finish(self._seq, self._timed_compute(view))
            return
        self._wanted = (self._seq, view)
        self._kick()

    def update_now(self) -> None:
        """Compute for the current view on this thread (tests, scripts, snapshots)."""
        self.before_draw(now=True)

    def _timed_compute(self, view: View) -> Any:
        start = time.perf_counter()
        result = self._compute(view)
        self.compute_ms = (time.perf_counter() - start) * 1000.0
        return result

    def _kick(self) -> None:
        if self._future is not None or self._wanted is None:
            return
        seq, view = self._wanted
        self._wanted = None
        future = _worker().submit(self._timed_compute, view)
        future.seq = seq  # type: ignore[attr-defined]
        self._future = future
        if self._timer is None:
            from vispy import app

            self._timer = app.Timer(interval=0.03, connect=self._poll,
                                    app=self.node.canvas.app)
        self._timer.start()

    def _poll(self, event: object = None) -> None:
        future = self._future
        if self.node.canvas is None:  # the canvas went away with a job in flight
            self.close()
            return
        if future is None or not future.done():
            return
        self._future = None
        try:
            self._finish(future.seq, future.result())  # type: ignore[attr-defined]
            self.background_updates += 1
        except Exception:  # a failed update keeps the last good picture
            log.exception("level-of-detail update failed")
        if self._wanted is not None:
            self._kick()
        elif self._timer is not None:
            self._timer.stop()

    def _finish(self, seq: int, result: Any) -> None:
        if self._closed or seq < self._applied_seq:
            return
        self._applied_seq = seq
        self.updates += 1
        if result is not None:
            start = time.perf_counter()
            self._apply(result)
            self.apply_ms = (time.perf_counter() - start) * 1000.0
            self.node.update()

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.stop()
        if self._future is not None:
            self._future.cancel()


class TerrainLod:
    """A terrain drawn from its pyramid: the chosen chunks merged into one pooled mesh."""

    def __init__(self, pyramid: TerrainPyramid, parent: scene.Node,
                 settings: LodSettings | None = None) -> None:
        self.pyramid = pyramid
        self.settings = settings or SETTINGS
        self.parent = parent
        self.driver = LodDriver(parent, self._compute, self._apply, self.settings)
        self.visual = LodMesh(self.driver, parent, self)
        self.visuals = [self.visual]
        self.n_faces = 0
        self.keys = np.zeros((0, 3), np.int64)

    def copy_under(self, parent: scene.Node) -> TerrainLod:
        """The same terrain for another view: shared chunk cache, own choice of chunks."""
        return TerrainLod(self.pyramid, parent, self.settings)

    def _compute(self, view: View):
        s = self.settings
        chosen = select_chunks(self.pyramid, view, s.terrain_tolerance_px, s.terrain_budget)
        if np.array_equal(chosen.keys, self.keys):
            return None
        parts = [self.pyramid.chunk_mesh(*key) for key in chosen.keys]
        mesh = MeshArrays.concatenate(parts)
        shade_z = (np.concatenate([p.surface_z for p in parts if len(p.vertices)])
                   if len(mesh.vertices) else np.zeros(0, np.float32))
        rgba = colors.rgba(colors.elevation_colors(shade_z), colors.lambert(mesh.normals))
        return chosen.keys, mesh_data(mesh, rgba), mesh.n_faces

    def _apply(self, result) -> None:
        self.keys, md, self.n_faces = result
        self.visual.set_data(meshdata=md)

    def close(self) -> None:
        self.driver.close()


class BuildingsLod:
    """Building tiles drawn by distance: near ones in full, far ones as their largest boxes,
    merged into two pooled meshes. `colorize(mesh)` gives a merged mesh's vertex colours."""

    def __init__(self, tiles: list[Tile], parent: scene.Node,
                 colorize: Callable[[MeshArrays], np.ndarray],
                 settings: LodSettings | None = None, index: TileIndex | None = None) -> None:
        self.tiles = tiles
        self.index = index or TileIndex.from_tiles(tiles)
        self.colorize = colorize
        self.settings = settings or SETTINGS
        self.parent = parent
        self.driver = LodDriver(parent, self._compute, self._apply, self.settings)
        self.full_visual = LodMesh(self.driver, parent, self)
        self.box_visual = LodMesh(self.driver, parent, self)
        self.visuals = [self.full_visual, self.box_visual]
        self.full = np.zeros(0, np.int64)
        self.boxes = np.zeros((0, 2), np.int64)
        self.full_faces = 0
        self.box_faces = 0

    @property
    def n_faces(self) -> int:
        return self.full_faces + self.box_faces

    def copy_under(self, parent: scene.Node) -> BuildingsLod:
        """The same tiles for another view (shared meshes and index, own choice of tiles)."""
        return BuildingsLod(self.tiles, parent, self.colorize, self.settings, index=self.index)

    def _compute(self, view: View):
        s = self.settings
        chosen = select_tiles(self.index, view, s.buildings_budget, s.buildings_tolerance_px,
                              s.building_min_px)
        out = {}
        if not np.array_equal(chosen.full, self.full):
            mesh = MeshArrays.concatenate([self.tiles[i].mesh for i in chosen.full])
            out["full"] = (chosen.full, mesh_data(mesh, self.colorize(mesh)), mesh.n_faces)
        if not np.array_equal(chosen.boxes, self.boxes):
            mesh = MeshArrays.concatenate([self.tiles[t].boxes.prefix(n)  # type: ignore[union-attr]
                                           for t, n in chosen.boxes])
            out["boxes"] = (chosen.boxes, mesh_data(mesh, self.colorize(mesh)), mesh.n_faces)
        return out or None

    def _apply(self, result: dict) -> None:
        if "full" in result:
            self.full, md, self.full_faces = result["full"]
            self.full_visual.set_data(meshdata=md)
        if "boxes" in result:
            self.boxes, md, self.box_faces = result["boxes"]
            self.box_visual.set_data(meshdata=md)

    def close(self) -> None:
        self.driver.close()
