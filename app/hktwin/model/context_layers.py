"""Layers that show data in its context: filled polygons (the land beyond the boundary, census
choropleths) and labelled points (stations). Drawn by `render.context_visuals`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from psygnal import evented

from hktwin.geo.mesh import MeshArrays
from hktwin.model.layers import Layer


@evented
@dataclass(eq=False)
class FillLayer(Layer):
    """Polygons filled flat at a height (or a grid draped on the ground), one RGB or RGBA colour
    per vertex (`colors`, (n, 3) or (n, 4)), unlit.

    `legend` is (label, rgb) rows for a choropleth's key; empty for a plain fill.
    """

    mesh: MeshArrays = field(default_factory=MeshArrays.empty, repr=False)
    colors: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32),
                               repr=False)
    legend: list[tuple[str, tuple[float, float, float]]] = field(default_factory=list)
    kind: ClassVar[str] = "fill"

    @property
    def summary(self) -> str:
        """The legend in one line for a choropleth (the layer panel's tooltip), else a count."""
        if self.legend:
            return f"{len(self.legend)} classes: " + ", ".join(row[0] for row in self.legend)
        return f"{self.mesh.n_faces:,} filled triangles"


@evented
@dataclass(eq=False)
class PointsLayer(Layer):
    """Points (n, 3) in scene coordinates drawn as glyphs, each with a label."""

    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32), repr=False)
    labels: list[str] = field(default_factory=list)
    color: tuple[float, float, float] = (0.95, 0.35, 0.25)
    size: float = 9.0
    kind: ClassVar[str] = "points"

    @property
    def summary(self) -> str:
        return f"{len(self.points):,} points"


def fill_mesh(polygons: np.ndarray, origin: tuple[float, float], z: float | np.ndarray = 0.0,
              values: np.ndarray | None = None) -> tuple[MeshArrays, np.ndarray]:
    """Triangles filling (Multi)Polygons (constrained Delaunay, holes kept) at height `z`
    (one per polygon or one for all); returns the mesh and each vertex's polygon index."""
    import shapely

    if len(polygons) == 0:
        return MeshArrays.empty(), np.zeros(0, np.int64)
    tris = shapely.constrained_delaunay_triangles(np.asarray(polygons, dtype=object))
    parts, owner = shapely.get_parts(tris, return_index=True)
    coords = shapely.get_coordinates(shapely.get_exterior_ring(parts))
    coords = coords.reshape(len(parts), 4, 2)[:, :3]  # closed rings: drop the repeat
    owner = np.repeat(owner, 3)
    zs = np.broadcast_to(np.asarray(z, np.float32), (len(polygons),))[owner] \
        if np.ndim(z) else np.full(len(owner), z, np.float32)
    vertices = np.column_stack([coords.reshape(-1, 2) - np.asarray(origin), zs]).astype(
        np.float32)
    faces = np.arange(len(vertices), dtype=np.uint32).reshape(-1, 3)
    normals = np.tile(np.array([0, 0, 1], np.float32), (len(vertices), 1))
    mesh = MeshArrays(vertices, faces, normals, np.full(len(faces), -1, np.int64))
    return mesh, owner


#: Five classes from pale yellow to dark red (ColorBrewer YlOrRd), for densities.
RAMP = np.array([(1.00, 0.93, 0.63), (0.99, 0.70, 0.30), (0.99, 0.45, 0.20),
                 (0.89, 0.10, 0.11), (0.60, 0.00, 0.15)], np.float32)


def classify(values: np.ndarray) -> tuple[np.ndarray, list[tuple[str, tuple[float, ...]]]]:
    """Quantile classes (0..4, -1 for NaN or <= 0) of `values` and the legend rows."""
    v = np.asarray(values, np.float64)
    ok = np.isfinite(v) & (v > 0)
    classes = np.full(len(v), -1, np.int64)
    if not ok.any():
        return classes, []
    distinct = np.unique(v[ok])
    if len(distinct) <= len(RAMP):  # few values: one class each, spread over the ramp
        rank = np.searchsorted(distinct, v[ok])
        spread = np.round(np.linspace(0, len(RAMP) - 1, len(distinct))).astype(np.int64) \
            if len(distinct) > 1 else np.array([len(RAMP) // 2])
        classes[ok] = spread[rank]
        legend = [(f"{d:,.0f}", tuple(float(c) for c in RAMP[spread[i]]))
                  for i, d in enumerate(distinct)]
        return classes, legend
    edges = np.unique(np.quantile(v[ok], np.linspace(0, 1, len(RAMP) + 1)))
    classes[ok] = np.clip(np.searchsorted(edges, v[ok], side="right") - 1, 0, len(edges) - 2)
    legend = [(f"{edges[i]:,.0f} - {edges[i + 1]:,.0f}", tuple(float(c) for c in RAMP[i]))
              for i in range(len(edges) - 1)]
    return classes, legend


def classes_of(values: np.ndarray, sample: np.ndarray) -> tuple[np.ndarray, list]:
    """Classes of `values` by the classes `classify` gives `sample` (a raster's cells, say)."""
    base, legend = classify(sample)
    v = np.asarray(values, np.float64)
    out = np.full(len(v), -1, np.int64)
    s = np.asarray(sample, np.float64)
    ok_s = np.isfinite(s) & (s > 0)
    if not legend:
        return out, legend
    # Each class's lowest sample value is its lower edge; a value takes the highest edge below.
    lowest = np.full(len(RAMP), np.inf)
    np.minimum.at(lowest, base[ok_s], s[ok_s])
    ids = np.flatnonzero(np.isfinite(lowest))
    edges = lowest[ids]
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(v) & (v > 0)
    idx = np.clip(np.searchsorted(edges, v[ok], side="right") - 1, 0, len(edges) - 1)
    out[ok] = ids[idx]
    return out, legend
