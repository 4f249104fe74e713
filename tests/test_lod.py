"""Level of detail without a display: the terrain pyramid and its per-view selection, building
boxes and the per-view choice of tiles."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from hktwin.geo.extrude import WALL_SKIRT_M
from hktwin.geo.lod import BOX_FACES, TileIndex, oriented_boxes, select_tiles
from hktwin.geo.pyramid import TerrainPyramid, View, halve, select_chunks
from hktwin.geo.terrain import Terrain
from hktwin.geo.tiles import load_tiles, mesh_building_tiles, save_tiles
from tests_helpers import make_buildings

CELL = 10.0


def relief(rows: int = 256, cols: int = 384, seed: int = 1) -> Terrain:
    """Hills and valleys with metre-scale roughness, sea (-10 m) along the south edge."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:rows, 0:cols].astype(np.float64)
    z = (120 * np.sin(c / 37.0) * np.cos(r / 23.0) + 150 * np.exp(-((c - cols / 2) ** 2
         + (r - rows / 3) ** 2) / (2 * 40.0**2)) + 140 + rng.normal(0, 1.5, (rows, cols)))
    z = z * np.clip((rows * 0.8 - r) / 30.0, 0.0, 1.0)  # a beach, not a cliff
    z[r > rows * 0.8] = -10.0
    return Terrain(z.astype(np.float32), origin_x=0.0, origin_y=rows * CELL, cell_size=CELL)


@pytest.fixture(scope="module")
def pyramid() -> TerrainPyramid:
    return TerrainPyramid(relief(), chunk=16)


def grid_vertices(p: TerrainPyramid, level: int, row: int, col: int) -> np.ndarray:
    """The chunk's surface vertices (skirt vertices follow them)."""
    n = p.chunk
    rows, cols = p.levels[level].shape
    nr, nc = min(n, rows - row * n), min(n, cols - col * n)
    return p.chunk_mesh(level, row, col).vertices[: (nr + 1) * (nc + 1)].astype(np.float64)


def all_keys(p: TerrainPyramid):
    for level in range(p.n_levels):
        rows, cols = p.grid_shape(level)
        for r in range(rows):
            for c in range(cols):
                yield level, r, c


def test_halve_averages_blocks_and_ignores_nodata():
    a = np.arange(15, dtype=np.float32).reshape(3, 5)
    a[0, 0] = np.nan
    h = halve(a)
    assert h.shape == (2, 3)
    assert h[0, 0] == pytest.approx(np.mean([1, 5, 6]))
    assert h[1, 2] == pytest.approx(14.0)  # the odd corner cell averages with itself


def test_levels_halve_until_one_chunk(pyramid):
    assert [lv.shape for lv in pyramid.levels] == [(256, 384), (128, 192), (64, 96), (32, 48),
                                                   (16, 24), (8, 12)]
    assert pyramid.grid_shape(pyramid.n_levels - 1) == (1, 1)


def test_chunk_meshes_match_the_terrain_within_their_level_error(pyramid):
    t = pyramid.terrain
    worst = [0.0] * pyramid.n_levels
    for level, r, c in all_keys(pyramid):
        v = grid_vertices(pyramid, level, r, c)
        off = np.abs(t.height_at(v[:, 0], v[:, 1]) - v[:, 2])
        assert np.nanmax(off) <= pyramid.error[level][r, c] + 1e-3
        worst[level] = max(worst[level], float(np.nanmax(off)))
    assert worst[0] < 1e-3  # the finest level is the source itself
    assert worst[-1] > worst[1] > 0  # coarser levels do stray, and say so


def test_chunks_cover_their_footprint_and_skirts_hang_below_the_edges(pyramid):
    for level, r, c in [(0, 3, 5), (2, 1, 2), (pyramid.n_levels - 1, 0, 0)]:
        mesh = pyramid.chunk_mesh(level, r, c)
        lo, hi = pyramid.chunk_boxes(level, np.array([r]), np.array([c]))
        assert mesh.vertices[:, :2].min(axis=0) == pytest.approx(lo[0, :2])
        assert mesh.vertices[:, :2].max(axis=0) == pytest.approx(hi[0, :2])
        surface = grid_vertices(pyramid, level, r, c)
        skirt = mesh.vertices[len(surface):]
        rows, cols = (np.ptp(surface[:, [1, 0]], axis=0) / pyramid.cell_size(level)).round()
        assert len(skirt) == 2 * (rows + 1) + 2 * (cols + 1)  # the posts of four edges again
        assert skirt[:, 2].min() >= lo[0, 2] - 1e-3
        assert skirt[:, 2].max() < surface[:, 2].max()
        assert np.isfinite(mesh.normals).all() and mesh.faces.max() < len(mesh.vertices)


def test_chunk_face_bound_holds_and_sea_chunks_are_empty(pyramid):
    for level, r, c in all_keys(pyramid):
        assert pyramid.chunk_mesh(level, r, c).n_faces <= pyramid.faces[level][r, c]
    rows, _ = pyramid.grid_shape(0)
    assert pyramid.chunk_mesh(0, rows - 1, 0).n_faces == 0  # wholly under the sea
    assert pyramid.faces[0][rows - 1, 0] == 0


def test_odd_sized_terrain_with_nodata_meshes_cleanly():
    t = relief(101, 77)
    t.heights[40:50, 10:30] = np.nan
    p = TerrainPyramid(t, chunk=16)
    for level, r, c in all_keys(p):
        mesh = p.chunk_mesh(level, r, c)
        assert np.isfinite(mesh.vertices).all() and np.isfinite(mesh.normals).all()
        if mesh.n_faces:
            assert mesh.faces.max() < len(mesh.vertices)
        _, ymin, xmax, _ = t.bounds
        assert (mesh.vertices[:, 0] <= xmax + 1e-3).all()
        assert (mesh.vertices[:, 1] >= ymin - 1e-3).all()


def test_view_from_a_camera_recovers_eye_and_projects_the_target_to_the_centre():
    view = View.look((100.0, -500.0, 300.0), (100.0, 500.0, 0.0), fov=45.0, size=(800, 600))
    assert view.eye == pytest.approx([100.0, -500.0, 300.0])
    p = np.array([100.0, 500.0, 0.0, 1.0]) @ view.matrix
    assert p[:2] / p[3] == pytest.approx([400.0, 300.0])
    assert view.px_per_m == pytest.approx(300.0 / np.tan(np.radians(22.5)))
    ahead = view.boxes_visible(np.array([[90.0, 490.0, -1.0]]), np.array([[110.0, 510.0, 1.0]]))
    behind = view.boxes_visible(np.array([[90.0, -900.0, -1.0]]),
                                np.array([[110.0, -800.0, 1.0]]))
    assert ahead.all() and not behind.any()


def covered_base_chunks(p: TerrainPyramid, keys: np.ndarray) -> np.ndarray:
    """How many selected chunks cover each level-0 chunk."""
    count = np.zeros(p.grid_shape(0), np.int64)
    for level, r, c in keys:
        s = 2**level
        count[r * s : (r + 1) * s, c * s : (c + 1) * s] += 1
    return count


def test_selection_respects_the_budget_and_never_overlaps(pyramid):
    t = pyramid.terrain
    xmin, ymin, xmax, ymax = t.bounds
    centre = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2, 0.0])
    view = View.look(centre + np.array([0, -2500, 2500]), centre, size=(800, 600))
    free = select_chunks(pyramid, view, tolerance_px=0.5, budget=10**9)
    budget = free.faces // 4
    tight = select_chunks(pyramid, view, tolerance_px=0.5, budget=budget)
    drawn = sum(pyramid.chunk_mesh(*k).n_faces for k in tight.keys)
    assert drawn <= tight.faces <= budget and tight.tolerance_px > 0.5
    assert covered_base_chunks(pyramid, tight.keys).max() == 1
    assert covered_base_chunks(pyramid, free.keys).max() == 1


def test_selection_culls_chunks_behind_the_camera_and_refines_near_ones(pyramid):
    t = pyramid.terrain
    xmin, ymin, _, ymax = t.bounds
    eye = np.array([xmin + 800.0, (ymin + ymax) / 2 + 300, 300.0])  # low, looking east
    view = View.look(eye, eye + np.array([1000.0, 0.0, -150.0]), size=(800, 600))
    sel = select_chunks(pyramid, view, tolerance_px=6.0, budget=10**9)
    lo, hi = _boxes(pyramid, sel.keys)
    assert len(sel.keys) and (hi[:, 0] > eye[0] - 1.0).all()  # nothing wholly behind the eye
    near = np.linalg.norm((lo + hi)[:, :2] / 2 - eye[:2], axis=1)
    levels = sel.keys[:, 0]
    assert levels[near.argmin()] == 0
    far = near > np.median(near)
    assert levels[far].mean() > levels[~far].mean() + 0.5


def _boxes(p: TerrainPyramid, keys: np.ndarray):
    parts = [p.chunk_boxes(int(k[0]), np.array([k[1]]), np.array([k[2]])) for k in keys]
    return np.concatenate([a for a, _ in parts]), np.concatenate([b for _, b in parts])


# -- buildings -----------------------------------------------------------------------------------
def test_boxes_contain_their_buildings_and_come_largest_first():
    rng = np.random.default_rng(3)
    n = 300
    x, y = rng.uniform(0, 3000, n), rng.uniform(0, 3000, n)
    angle = rng.uniform(0, np.pi, n)
    shapes = [shapely.affinity.rotate(shapely.Polygon([(0, 0), (30, 0), (30, 12), (12, 12),
                                                       (12, 25), (0, 25)]), a, use_radians=True)
              for a in angle]
    footprints = np.array([shapely.affinity.translate(s, xi, yi)
                           for s, xi, yi in zip(shapes, x, y, strict=True)])
    base = rng.uniform(0, 50, n)
    height = rng.uniform(5, 200, n)
    ids = np.arange(10, 10 + n)
    boxes = oriented_boxes(footprints, base, height, ids, origin=(1000.0, 1000.0))
    assert len(boxes) == n and (np.diff(boxes.size) <= 0).all()
    row = np.searchsorted(ids, boxes.owner)
    rings = shapely.polygons(boxes.corners.astype(np.float64) + 1000.0)
    assert shapely.contains(shapely.buffer(rings, 1e-3), footprints[row]).all()
    assert boxes.z[:, 0] == pytest.approx(base[row] - WALL_SKIRT_M, abs=1e-3)
    assert boxes.z[:, 1] == pytest.approx(base[row] + height[row], abs=1e-3)
    assert 0 < boxes.error < 25
    mesh = boxes.mesh
    assert mesh.n_faces == BOX_FACES * n and (mesh.face_owner[::BOX_FACES] == boxes.owner).all()
    roof = mesh.normals[:, 2] > 0.5
    assert np.allclose(mesh.vertices[roof, 2], np.repeat(boxes.z[:, 1], 4), atol=1e-3)
    centre = np.repeat(boxes.corners.mean(axis=1), 20, axis=0)
    walls = ~roof
    outward = ((mesh.vertices[walls, :2] - centre[walls]) * mesh.normals[walls, :2]).sum(axis=1)
    assert (outward > 0).all()
    top = boxes.prefix(7)
    assert top.n_faces == 70 and np.shares_memory(top.vertices, mesh.vertices)


def city_tiles(n: int = 4000, extent: float = 12000.0):
    buildings = make_buildings(n, extent=extent)
    return buildings, mesh_building_tiles(buildings, (0.0, 0.0), tile_size=6000.0,
                                          max_per_tile=200, boxes=True)


def test_crowded_tiles_split_as_a_quadtree_and_cache_with_their_boxes(tmp_path):
    buildings, tiles = city_tiles()
    assert max(len(t.boxes) for t in tiles) <= 200 and {t.level for t in tiles} == {2}
    owners = np.concatenate([t.mesh.face_owner for t in tiles])
    assert np.array_equal(np.unique(owners), buildings.ids)
    save_tiles(tmp_path / "t.npz", tiles)
    again = load_tiles(tmp_path / "t.npz")
    assert [(t.key, t.level) for t in again] == [(t.key, t.level) for t in tiles]
    for a, b in zip(again, tiles, strict=True):
        assert np.array_equal(a.boxes.corners, b.boxes.corners) and a.boxes.error == b.boxes.error
        assert np.array_equal(a.boxes.mesh.vertices, b.boxes.mesh.vertices)


def test_near_tiles_full_far_tiles_boxes_and_tiles_behind_culled():
    _, tiles = city_tiles()
    index = TileIndex.from_tiles(tiles)
    eye = np.array([200.0, 6000.0, 40.0])
    view = View.look(eye, eye + np.array([1000.0, 0.0, -30.0]), size=(800, 600))
    # boxes of rectangles stray by nothing, so make the full mesh worth it near the eye
    index.error[:] = 5.0
    sel = select_tiles(index, view, budget=10**9, tolerance_px=2.0, min_px=2.0)
    centre = (index.lo + index.hi) / 2
    distance = np.linalg.norm(centre[:, :2] - eye[:2], axis=1)
    assert len(sel.full) and len(sel.boxes)
    assert distance[sel.full].max() < distance[sel.boxes[:, 0]].max()
    boxed, count = sel.boxes[:, 0], sel.boxes[:, 1]
    far = boxed[distance[boxed].argmax()]
    assert count[boxed == far][0] < index.n_boxes[far]  # far away, small boxes are dropped
    drawn = set(sel.full.tolist()) | set(boxed.tolist())
    assert not drawn & set(np.flatnonzero(index.hi[:, 0] < eye[0]).tolist())  # behind: culled
    assert sel.faces == index.full_faces[sel.full].sum() + BOX_FACES * count.sum()


def test_tile_selection_fits_the_budget_by_coarsening():
    _, tiles = city_tiles()
    index = TileIndex.from_tiles(tiles)
    index.error[:] = 5.0
    view = View.look((6000.0, -3000.0, 4000.0), (6000.0, 6000.0, 0.0), size=(800, 600))
    free = select_tiles(index, view, budget=10**9, tolerance_px=0.5, min_px=0.1)
    tight = select_tiles(index, view, budget=free.faces // 5, tolerance_px=0.5, min_px=0.1)
    assert tight.faces <= free.faces // 5 and tight.quality < 1.0
    assert len(tight.boxes) and tight.boxes[:, 1].sum() > 0
