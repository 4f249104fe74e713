"""Line of sight: the fast radial-sweep viewshed against an exact segment-versus-mesh test."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from hktwin.analysis.los import (
    Grid,
    build_dsm,
    build_surface,
    city_mesh,
    exact_visible,
    los_resolution,
    roofs_on_grid,
    surface_window_for,
    viewshed,
    viewshed_numpy,
)
from hktwin.geo.buildings import Buildings
from hktwin.geo.terrain import Terrain, read_terrain


def make_buildings(footprints, base, height) -> Buildings:
    n = len(footprints)
    centroids = shapely.centroid(footprints)
    return Buildings(
        ids=np.arange(1, n + 1, dtype=np.int64), names=np.array([""] * n, object),
        kinds=np.array(["test"] * n, object), base=np.asarray(base, np.float32),
        height=np.asarray(height, np.float32), footprints=np.asarray(footprints),
        centroid_x=shapely.get_x(centroids), centroid_y=shapely.get_y(centroids))


def flat_terrain(x0=830_000.0, y0=820_000.0, size=2000.0, cell=10.0, z=5.0) -> Terrain:
    n = int(size / cell)
    return Terrain(np.full((n, n), z, np.float32), x0, y0, cell)


# --- Grid and surface ---------------------------------------------------------------------------


def test_grid_windows_share_the_lattice():
    grid = Grid.over((1000.0, 2000.0, 1100.0, 2050.0), 5.0)
    assert grid.shape == (10, 20)
    assert grid.bounds == (1000.0, 2000.0, 1100.0, 2050.0)
    box = grid.covering(1012.0, 2011.0, 1013.0, 2012.0)
    assert (box.row0, box.col0, box.rows, box.cols) == (7, 2, 1, 1)
    assert box.bounds == (1010.0, 2010.0, 1015.0, 2015.0)
    outside = grid.covering(990.0, 2040.0, 995.0, 2060.0, margin=1)
    assert outside.col0 < 0 and outside.row0 < 0
    assert grid.union(outside).contains(grid)
    assert los_resolution(5.0) == 1.0 and los_resolution(0.5) == 0.5


def test_roofs_rasterised_highest_wins_and_mask_is_exact():
    grid = Grid.over((0.0, 0.0, 100.0, 100.0), 5.0)
    low = shapely.box(10, 10, 60, 60)
    high = shapely.box(40, 40, 80, 80)
    roofs = roofs_on_grid(make_buildings([high, low], [0, 0], [50, 20]), grid)
    assert np.nanmax(roofs) == 50.0
    assert roofs[19 - 10, 10] == 50.0  # x 52.5, y 52.5: inside both, the higher roof
    assert roofs[19 - 3, 3] == 20.0  # x 17.5, y 17.5: the low building only
    assert np.isfinite(roofs).sum() == 10 * 10 + 8 * 8 - 4 * 4


def test_surface_windows_are_views_with_the_same_values():
    rng = np.random.default_rng(0)
    terrain = Terrain(rng.uniform(0, 50, (200, 200)).astype(np.float32), 830_000.0, 820_000.0,
                      10.0)
    grid = Grid.over((830_100.0, 819_000.0, 830_600.0, 819_500.0), 5.0)
    towers = make_buildings([shapely.box(830_200, 819_200, 830_260, 819_240)], [20.0], [30.0])
    surface = build_surface(terrain, towers, grid)
    dsm = build_dsm(terrain, towers, grid)
    part = grid.window(10, 20, 30, 40)
    assert np.array_equal(surface.window(part).ground, build_surface(terrain, towers, part).ground)
    assert np.array_equal(dsm.window(part).top, build_dsm(terrain, towers, part).top)
    assert surface.building.sum() == 12 * 8
    assert np.all(dsm.top[surface.building] == 50.0)
    # The separable interpolation is Terrain.height_at's bilinear one.
    xs, ys = grid.centres()
    expected = terrain.height_at(xs[None, :], ys[:, None])
    assert np.allclose(surface.ground, expected, atol=1e-4)
    with pytest.raises(ValueError, match="outside"):
        surface.window(grid.window(-1, 0, 5, 5))


# --- The viewshed on simple scenes ----------------------------------------------------------


def test_wall_casts_a_shadow_and_open_ground_is_visible():
    terrain = flat_terrain()
    x0, y0 = 830_500.0, 819_500.0
    wall = shapely.box(x0 + 100, y0 - 50, x0 + 110, y0 + 50)
    buildings = make_buildings([wall], [5.0], [40.0])
    grid = Grid.over((x0 - 300, y0 - 300, x0 + 300, y0 + 300), 5.0)
    surface = build_surface(terrain, buildings, grid)
    dsm = build_dsm(terrain, buildings, grid)
    eye = surface.street + 1.5
    seen = viewshed(dsm, x0, y0, 15.0, grid, eye, reach_m=500.0)
    xs, ys = grid.centres()
    gx, gy = np.meshgrid(xs - x0, ys - y0)
    behind = (gx > 130) & (np.abs(gy) < gx * 40 / 130)  # well inside the wall's shadow
    front = (gx < 90) & ~surface.building
    assert not seen[behind].any()
    assert seen[front].all()
    # A transmitter above the wall's top sees far behind it.
    high = viewshed(dsm, x0, y0, 200.0, grid, eye, reach_m=500.0)
    assert high[(gx > 250) & (np.abs(gy) < 10)].all()


def test_viewshed_is_the_same_whatever_the_window():
    """A tile's answer may not depend on how the grid was tiled (the engine relies on it)."""
    rng = np.random.default_rng(3)
    terrain = flat_terrain()
    xs = rng.uniform(830_100, 831_900, 120)
    ys = rng.uniform(818_100, 819_900, 120)
    boxes = shapely.box(xs - 8, ys - 8, xs + 8, ys + 8)
    buildings = make_buildings(boxes, np.full(120, 5.0), rng.uniform(10, 60, 120))
    grid = Grid.over((830_400.0, 818_400.0, 831_600.0, 819_600.0), 5.0)
    eye = build_surface(terrain, buildings, grid).street + 1.5
    dsm = build_dsm(terrain, buildings, grid.covering(*grid.bounds, margin=2))
    tx = (830_700.0, 819_300.0, 20.0)
    whole = viewshed(dsm, *tx, grid, eye, reach_m=1000.0, clear_m=5.0)
    assert 0.05 < whole.mean() < 0.95
    for r0, c0, n in [(0, 0, 40), (100, 150, 90), (200, 30, 40), (35, 47, 13)]:
        part = grid.window(r0, c0, n, n)
        window = surface_window_for(grid, part, tx[0], tx[1])
        small = build_dsm(terrain, buildings, window)
        got = viewshed(small, *tx, part, eye[r0:r0 + n, c0:c0 + n], reach_m=1000.0, clear_m=5.0)
        assert np.array_equal(got, whole[r0:r0 + n, c0:c0 + n])


def test_compiled_sweep_reads_the_same_samples_as_the_numpy_sweep():
    """The numba kernel reorders the work, not the arithmetic: answers are identical, with the
    transmitter inside the window (full circle of rays) and outside it (a sector)."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(5)
    terrain = Terrain(rng.uniform(0, 4, (200, 200)).astype(np.float32), 830_000.0, 820_000.0,
                      10.0)
    xs = rng.uniform(830_100, 831_900, 150)
    ys = rng.uniform(818_100, 819_900, 150)
    buildings = make_buildings(shapely.box(xs - 9, ys - 6, xs + 9, ys + 6), np.full(150, 15.0),
                               rng.uniform(10, 40, 150))
    grid = Grid.over((830_300.0, 818_300.0, 831_700.0, 819_700.0), 4.0)
    eye = build_surface(terrain, buildings, grid).street + 1.5
    lattice = Grid(grid.x0, grid.y0, 1.0, 0, 0, 1, 1)
    dsm = build_dsm(terrain, buildings, lattice.covering(*grid.bounds, margin=300))
    part = grid.window(200, 250, 100, 80)
    for tx, targets, z_eye in [((830_900.0, 819_000.0, 25.0), grid, eye),
                               ((830_450.0, 818_500.0, 60.0), part, eye[200:300, 250:330])]:
        for clear in (0.0, 5.0):
            fast = viewshed(dsm, *tx, targets, z_eye, reach_m=900.0, clear_m=clear)
            ref = viewshed_numpy(dsm, *tx, targets, z_eye, reach_m=900.0, clear_m=clear)
            assert 0.02 < ref.mean() < 0.98
            assert np.array_equal(fast, ref)


# --- Fast against exact ------------------------------------------------------------------------


def _agreement(terrain, buildings, eval_res, n_tx, per_tx, seed, tx_height=(3.0, 30.0),
               radius=700.0):
    """Share of random pairs (a transmitter 3-30 m above a street cell, an eye 1.5 m above
    another street cell within `radius`) where the fast viewshed and the exact mesh agree."""
    rng = np.random.default_rng(seed)
    grid = Grid.over(terrain.bounds, eval_res)
    grid = grid.window(4, 4, grid.rows - 8, grid.cols - 8)  # keep off the raster edge
    targets = build_surface(terrain, buildings, grid)
    lattice = Grid(grid.x0, grid.y0, los_resolution(eval_res), 0, 0, 1, 1)
    dsm = build_dsm(terrain, buildings, lattice.covering(*grid.bounds, margin=2))
    street = ~targets.building & np.isfinite(targets.ground)
    eye = targets.street + 1.5
    xs, ys = grid.centres()
    xmin, ymin, xmax, ymax = grid.bounds
    origin = (round((xmin + xmax) / 2), round((ymin + ymax) / 2))
    mesh = city_mesh(terrain, buildings, origin)
    fast, a, b = [], [], []
    for _ in range(n_tx):
        r, c = divmod(int(rng.choice(np.flatnonzero(street))), grid.cols)
        tx = (xs[c], ys[r], float(targets.street[r, c]) + rng.uniform(*tx_height))
        near = grid.covering(tx[0] - radius, tx[1] - radius, tx[0] + radius, tx[1] + radius)
        r0, c0 = max(near.row0, 0), max(near.col0, 0)
        near = grid.window(r0, c0, min(near.row0 + near.rows, grid.rows) - r0,
                           min(near.col0 + near.cols, grid.cols) - c0)
        rows, cols = slice(r0, r0 + near.rows), slice(c0, c0 + near.cols)
        seen = viewshed(dsm, *tx, near, eye[rows, cols], reach_m=radius, clear_m=2.0)
        nx, ny = near.centres()
        ok = street[rows, cols] & (np.hypot(nx[None, :] - tx[0], ny[:, None] - tx[1]) < radius)
        pr, pc = np.divmod(rng.choice(np.flatnonzero(ok), per_tx, replace=False), near.cols)
        fast.append(seen[pr, pc])
        a.append(np.tile(tx, (per_tx, 1)))
        b.append(np.column_stack([nx[pc], ny[pr], eye[rows, cols][pr, pc]]))
    fast = np.concatenate(fast)
    exact = exact_visible(mesh, origin, np.concatenate(a), np.concatenate(b))
    return float((fast == exact).mean()), float(exact.mean())


@pytest.fixture(scope="module")
def real_crop(real_data):
    """A 1.5 km square of the real 5 m DTM of northern Hong Kong Island (Central to the
    Mid-Levels, 0-320 m) with 250 synthetic towers standing on it."""
    dtm = read_terrain(real_data / "dtm" / "hk-island-north-5m.tif")
    r0, c0, n = 350, 300, 300
    heights = np.ascontiguousarray(dtm.heights[r0:r0 + n, c0:c0 + n])
    terrain = Terrain(heights, dtm.origin_x + c0 * 5.0, dtm.origin_y - r0 * 5.0, 5.0)
    rng = np.random.default_rng(1)
    xmin, ymin, xmax, ymax = terrain.bounds
    nb = 250
    bx, by = rng.uniform(xmin + 50, xmax - 50, nb), rng.uniform(ymin + 50, ymax - 50, nb)
    w, d = rng.uniform(10, 35, nb), rng.uniform(10, 35, nb)
    corners = [terrain.height_at(bx + sx * w / 2, by + sy * d / 2)
               for sx in (-1, 1) for sy in (-1, 1)]
    base = np.nan_to_num(np.nanmin(np.stack(corners), axis=0))
    buildings = make_buildings(shapely.box(bx - w / 2, by - d / 2, bx + w / 2, by + d / 2),
                               base, rng.uniform(10, 80, nb))
    return terrain, buildings


def test_fast_agrees_with_exact_on_real_terrain(real_crop):
    terrain, buildings = real_crop
    agreement, los_share = _agreement(terrain, buildings, 5.0, n_tx=40, per_tx=50, seed=7)
    print(f"real DTM, 2000 pairs: agreement {agreement:.4f}, LoS share {los_share:.3f}")
    assert 0.05 < los_share < 0.95  # the sample holds both outcomes
    assert agreement >= 0.99


def test_fast_agrees_with_exact_on_the_demo_city():
    from hktwin.geo.pack import open_pack

    city = open_pack()
    t = city.terrain
    # 1.5 km around Central (50 m DTM cells), with the demo buildings standing there.
    c0 = int((833_150 - t.origin_x) // t.cell_size)
    r0 = int((t.origin_y - 817_050) // t.cell_size)
    terrain = Terrain(np.ascontiguousarray(t.heights[r0:r0 + 30, c0:c0 + 30]),
                      t.origin_x + c0 * t.cell_size, t.origin_y - r0 * t.cell_size, t.cell_size)
    xmin, ymin, xmax, ymax = terrain.bounds
    b = city.buildings
    keep = np.flatnonzero((b.centroid_x > xmin + 60) & (b.centroid_x < xmax - 60)
                          & (b.centroid_y > ymin + 60) & (b.centroid_y < ymax - 60))
    local = Buildings(b.ids[keep], b.names[keep], b.kinds[keep], b.base[keep], b.height[keep],
                      b.footprints[keep], b.centroid_x[keep], b.centroid_y[keep])
    agreement, los_share = _agreement(terrain, local, 5.0, n_tx=10, per_tx=50, seed=11,
                                      tx_height=(6.0, 15.0))
    print(f"demo city, 500 pairs: agreement {agreement:.4f}, LoS share {los_share:.3f}")
    assert 0.02 < los_share < 0.98
    assert agreement >= 0.99
