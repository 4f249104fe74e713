"""Visual adapters for the built-in layer types: terrain, sea, lines, buildings."""

from __future__ import annotations

import numpy as np
from vispy import scene
from vispy.visuals.filters import Alpha

from hktwin.geo.extrude import extrude_footprints
from hktwin.geo.mesh import MeshArrays
from hktwin.model.layers import BuildingsLayer, LinesLayer, SeaLayer, TerrainLayer
from hktwin.render import colors, shading  # shading, sky: the looks (sky, haze, facades, water)
from hktwin.render.adapters import VisualAdapter, register_adapter
from hktwin.render.lod_visuals import BuildingsLod, TerrainLod
from hktwin.render.sky import add_sky


def _mesh_visual(mesh: MeshArrays, vertex_colors: np.ndarray, parent: scene.Node) -> scene.Mesh:
    visual = scene.visuals.Mesh(
        vertices=mesh.vertices, faces=mesh.faces, vertex_colors=vertex_colors, parent=parent
    )
    visual.set_gl_state("translucent", depth_test=True, cull_face=False)
    return visual


class MeshAdapter(VisualAdapter):
    """Shared opacity handling for adapters drawing meshes: one Alpha filter per visual."""

    def __init__(self, layer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        self._alpha_filters: list[Alpha] = []
        self._face_count = 0

    def _add_mesh(self, mesh: MeshArrays, vertex_colors: np.ndarray) -> scene.Mesh:
        visual = _mesh_visual(mesh, vertex_colors, self.node)
        alpha = Alpha(self.layer.opacity)
        visual.attach(alpha)
        self._alpha_filters.append(alpha)
        self._face_count += mesh.n_faces
        return visual

    def _on_opacity_change(self, opacity: float) -> None:
        for f in self._alpha_filters:
            f.alpha = opacity
        self.node.update()

    @property
    def n_faces(self) -> int:
        return self._face_count


class TerrainAdapter(MeshAdapter):
    """The terrain mesh, or with a pyramid the chunks its view needs (`lod`), in one mesh."""

    def __init__(self, layer: TerrainLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        self.lod: TerrainLod | None = None
        self.sky = add_sky(parent, context)  # looks: the sky behind the city, drawn first
        if layer.pyramid is not None:
            self.lod = TerrainLod(layer.pyramid, self.node)
            shading.attach_look(self.lod.visual, "terrain", context)  # looks
            _attach_alpha(self, self.lod.visual)
            return
        mesh = layer.mesh
        shade = colors.lambert(mesh.normals)
        visual = self._add_mesh(mesh, colors.rgba(colors.elevation_colors(mesh.vertices[:, 2]),
                                                  shade))
        shading.attach_look(visual, "terrain", context)  # looks

    @property
    def n_faces(self) -> int:
        return self.lod.n_faces if self.lod is not None else self._face_count

    def close(self) -> None:
        if self.lod is not None:
            self.lod.close()
        if self.sky is not None:  # looks
            self.sky.parent = None
        super().close()


def _attach_alpha(adapter: MeshAdapter, visual: scene.Mesh) -> None:
    """Follow the layer's opacity on a visual the adapter did not make with `_add_mesh`."""
    alpha = Alpha(adapter.layer.opacity)
    visual.attach(alpha)
    adapter._alpha_filters.append(alpha)


class SeaAdapter(MeshAdapter):
    def __init__(self, layer: SeaLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        xmin, ymin, xmax, ymax = layer.bounds
        pad = max(xmax - xmin, ymax - ymin)  # reach past the data so the horizon is sea
        z = layer.level
        quad = MeshArrays(
            np.array([[xmin - pad, ymin - pad, z], [xmax + pad, ymin - pad, z],
                      [xmax + pad, ymax + pad, z], [xmin - pad, ymax + pad, z]], np.float32),
            np.array([[0, 1, 2], [0, 2, 3]], np.uint32),
            np.tile(np.array([0, 0, 1], np.float32), (4, 1)),
            np.full(2, -1, np.int64),
        )
        visual = self._add_mesh(quad, colors.rgba(np.tile(np.array(layer.color), (4, 1))))
        shading.attach_look(visual, "water", context)  # looks: waves, fresnel, glint, haze


class LinesAdapter(VisualAdapter):
    def __init__(self, layer: LinesLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        self.visual = scene.visuals.Line(
            pos=layer.segments.reshape(-1, 3), connect="segments", color=self._color(),
            width=layer.width, method="gl", antialias=False, parent=self.node,
        )
        self.visual.set_gl_state("translucent", depth_test=True)
        layer.events.color.connect(self._restyle)
        layer.events.width.connect(self._restyle)

    def _color(self) -> tuple[float, float, float, float]:
        return (*self.layer.color, self.layer.opacity)

    def _restyle(self, *_: object) -> None:
        self.visual.set_data(color=self._color(), width=self.layer.width)

    def _on_opacity_change(self, opacity: float) -> None:
        self._restyle()

    def close(self) -> None:
        self.layer.events.disconnect(self._restyle)
        super().close()


class BuildingsAdapter(MeshAdapter):
    """One vispy Mesh per tile, coloured by kind and lit; the selection drawn as a halo mesh.

    With `layer.lod`, two pooled meshes instead: near tiles in full, far ones as boxes (`lod`).
    """

    def __init__(self, layer: BuildingsLayer, parent, context=None) -> None:
        super().__init__(layer, parent, context)
        # Kinds are coded once per building, so each tile colours its faces with integer lookups.
        names, self._kind_code = np.unique(np.asarray(layer.buildings.kinds, dtype=str),
                                           return_inverse=True)
        self._palette = np.array([colors.BUILDING_COLORS.get(k, colors.DEFAULT_BUILDING)
                                  for k in names]).reshape(-1, 3)
        self.lod: BuildingsLod | None = None
        if layer.lod:
            self.lod = BuildingsLod(layer.tiles, self.node, self._tile_colors)
            self.tile_visuals = [self.lod.full_visual, self.lod.box_visual]
            for visual in self.tile_visuals:
                _attach_alpha(self, visual)
        else:
            self.tile_visuals = [self._add_mesh(t.mesh, self._tile_colors(t.mesh))
                                 for t in layer.tiles]
        for visual in self.tile_visuals:  # looks: windows, roof tone, haze
            shading.attach_look(visual, "buildings", context)
        self.selection_visual: scene.Mesh | None = None
        layer.events.selected.connect(self._on_selected_change)
        self._on_selected_change(layer.selected)

    def _tile_colors(self, mesh: MeshArrays) -> np.ndarray:
        rows = np.searchsorted(self.layer.buildings.ids, mesh.face_owner)
        face_rgb = self._palette[self._kind_code[rows]]
        vertex_rgb = np.empty((len(mesh.vertices), 3))
        vertex_rgb[mesh.faces.ravel()] = np.repeat(face_rgb, 3, axis=0)
        roof = mesh.normals[:, 2] > 0.5
        vertex_rgb[roof] *= 0.92  # roofs a shade darker than sunlit walls, as seen from above
        # looks: each building a little lighter or darker; its seed and each wall's direction
        # in the alpha, which the facade shader reads (render.shading) and sets back to opaque
        seed = shading.building_seeds(mesh.face_owner)
        vertex_seed = np.empty(len(mesh.vertices))
        vertex_seed[mesh.faces.ravel()] = np.repeat(seed, 3)
        vertex_rgb *= (0.93 + 0.14 * vertex_seed)[:, None]
        out = colors.rgba(vertex_rgb, colors.lambert(mesh.normals))
        if shading.ENABLED:
            out[:, 3] = shading.look_alpha(vertex_seed, mesh.normals)
        return out

    def _on_selected_change(self, building_id: int | None) -> None:
        if self.selection_visual is not None:
            self.selection_visual.parent = None
            self.selection_visual = None
        if building_id is None or self.layer.buildings is None:
            return
        b = self.layer.buildings
        row = b.row_of(building_id)
        origin = self.context.origin if self.context is not None else (0.0, 0.0)
        mesh = extrude_footprints(b.footprints[row : row + 1], b.base[row : row + 1],
                                  b.height[row : row + 1] + 1.0, b.ids[row : row + 1],
                                  origin=origin, scale=1.04)
        color = colors.rgba(np.tile(np.array(colors.HIGHLIGHT), (len(mesh.vertices), 1)),
                            colors.lambert(mesh.normals))
        self.selection_visual = _mesh_visual(mesh, color, self.node)
        self.selection_visual.order = self.node.order

    @property
    def n_faces(self) -> int:
        return self.lod.n_faces if self.lod is not None else self._face_count

    def close(self) -> None:
        self.layer.events.disconnect(self._on_selected_change)
        if self.lod is not None:
            self.lod.close()
        super().close()


register_adapter(TerrainLayer, TerrainAdapter)
register_adapter(SeaLayer, SeaAdapter)
register_adapter(LinesLayer, LinesAdapter)
register_adapter(BuildingsLayer, BuildingsAdapter)
