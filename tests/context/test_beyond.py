"""The land beyond the boundary (Shenzhen, from the demo builder's GSHHG shorelines) is drawn
flat and muted to the horizon with the boundary line, instead of the grid's straight cut."""

from __future__ import annotations

import numpy as np
import pytest

from hktwin.geo.pack import open_pack
from hktwin.model.context_layers import FillLayer, fill_mesh
from hktwin.model.loading import BEYOND_COLOR, load_city


@pytest.fixture(scope="module")
def demo():
    return load_city(None, cache=False, plugin_layers=False)


def test_land_beyond_the_grid_reaches_far_north(demo):
    city = demo.city
    fill = next(la for la in demo.layers if la.name == "Land beyond the boundary")
    assert isinstance(fill, FillLayer) and fill.mesh.n_faces > 1000
    v = fill.mesh.vertices.astype(np.float64) + np.array([*city.origin, 0.0])
    x0, y0, x1, y1 = city.terrain.bounds
    centres = v[fill.mesh.faces].mean(axis=1)
    inside = ((centres[:, 0] > x0 + 1) & (centres[:, 0] < x1 - 1)
              & (centres[:, 1] > y0 + 1) & (centres[:, 1] < y1 - 1))
    assert not inside.any()  # the terrain draws the land inside its grid
    assert v[:, 1].max() > y1 + 50_000  # Shenzhen and beyond, tens of km past the grid
    # Where the grid's top row is land, the land goes on just north of it (no straight cut).
    import shapely

    t = city.terrain
    xs, _ = t.cell_centres()
    land = t.heights[0] > 1.0
    assert land.sum() > 100
    beyond = shapely.union_all(np.asarray(city.vectors["beyond"].geometry))
    north = shapely.contains_xy(beyond, xs[land], np.full(land.sum(), y1 + 200.0))
    assert north.mean() > 0.8
    np.testing.assert_allclose(fill.colors[0], BEYOND_COLOR)


def test_the_boundary_line_runs_along_the_shenzhen_river(demo):
    from hktwin.geo.crs import from_wgs84

    line = next(la for la in demo.layers if la.name == "Boundary")
    pts = line.segments.reshape(-1, 3).astype(np.float64) + np.array([*demo.city.origin, 0.0])
    # Lo Wu (114.11, 22.53) lies on the river: the line passes within a kilometre of it.
    lx, ly = from_wgs84(114.113, 22.530)
    assert np.hypot(pts[:, 0] - lx, pts[:, 1] - ly).min() < 1000.0


def test_context_layers_are_drawn_not_analysed():
    city = open_pack(None)
    assert city.vector_kinds.get("beyond") == "context"
    assert city.vector_kinds.get("boundary") == "context"


def test_fill_mesh_keeps_holes():
    import shapely

    ring = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(4, 4), (6, 4), (6, 6),
                                                                   (4, 6)]])
    mesh, owner = fill_mesh(np.array([ring]), (0.0, 0.0), 2.0)
    tri = mesh.vertices[mesh.faces]
    a, b = tri[:, 1, :2] - tri[:, 0, :2], tri[:, 2, :2] - tri[:, 0, :2]
    area = 0.5 * np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
    assert area.sum() == pytest.approx(96.0)
    assert (mesh.vertices[:, 2] == 2.0).all() and (owner == 0).all()


def test_the_sea_reaches_past_the_land_beyond(demo):
    import shapely

    sea = next(la for la in demo.layers if la.kind == "sea")
    ox, oy = demo.city.origin
    bx0, by0, bx1, by1 = shapely.total_bounds(np.asarray(demo.city.vectors["beyond"].geometry))
    x0, y0, x1, y1 = sea.bounds
    assert x0 + ox <= bx0 and x1 + ox >= bx1 and y0 + oy <= by0 and y1 + oy >= by1
