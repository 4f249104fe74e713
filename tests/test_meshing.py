import numpy as np
import pytest
import shapely

from hktwin.geo.extrude import WALL_SKIRT_M, extrude_footprints
from hktwin.geo.mesh import MeshArrays
from hktwin.geo.raycast import intersect_ray_heightfield, intersect_ray_triangles, ray_hits_box
from hktwin.geo.tiles import load_tiles, mesh_building_tiles, save_tiles
from tests_helpers import make_buildings


def triangle_areas(mesh: MeshArrays) -> np.ndarray:
    v = mesh.vertices[mesh.faces].astype(np.float64)
    return 0.5 * np.linalg.norm(np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]), axis=1)


def test_box_extrusion_has_walls_roof_and_outward_normals():
    box = shapely.box(10, 20, 40, 60)  # 30 x 40 m
    mesh = extrude_footprints(np.array([box]), [5.0], [100.0], [42], origin=(10.0, 20.0))
    assert mesh.n_faces == 4 * 2 + 2
    assert (mesh.face_owner == 42).all()
    z = mesh.vertices[:, 2]
    assert z.max() == pytest.approx(105.0) and z.min() == pytest.approx(5.0 - WALL_SKIRT_M)
    roof = mesh.normals[:, 2] > 0.5
    roof_faces = roof[mesh.faces].all(axis=1)
    assert triangle_areas(mesh)[roof_faces].sum() == pytest.approx(30 * 40)
    # Each wall normal points away from the footprint's centre.
    walls = ~roof
    centre = np.array([15.0, 20.0])
    outward = (mesh.vertices[walls, :2] - centre) * mesh.normals[walls, :2]
    assert (outward.sum(axis=1) > 0).all()


def test_concave_and_clockwise_footprints_triangulate_exactly():
    l_shape = shapely.Polygon([(0, 0), (0, 30), (10, 30), (10, 10), (30, 10), (30, 0)])  # CW
    mesh = extrude_footprints(np.array([l_shape]), [0.0], [10.0], [1])
    roof_faces = (mesh.normals[:, 2] > 0.5)[mesh.faces].all(axis=1)
    assert triangle_areas(mesh)[roof_faces].sum() == pytest.approx(l_shape.area)
    v = mesh.vertices[mesh.faces[roof_faces]]
    up = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])[:, 2]
    assert (up > 0).all()
    assert mesh.n_faces == 6 * 2 + 4


def test_multipolygons_keep_their_owner():
    two = shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10)])
    mesh = extrude_footprints(np.array([two, shapely.box(50, 0, 60, 10)]), [0, 0], [5, 5], [7, 9])
    assert np.bincount(mesh.face_owner)[[7, 9]].tolist() == [20, 10]


def test_tiles_group_buildings_and_round_trip_through_the_cache(tmp_path):
    buildings = make_buildings(200, extent=9000.0)
    tiles = mesh_building_tiles(buildings, origin=(0.0, 0.0), tile_size=3000.0)
    assert 4 <= len(tiles) <= 9
    owners = np.concatenate([np.unique(t.mesh.face_owner) for t in tiles])
    assert sorted(owners.tolist()) == sorted(buildings.ids.tolist())  # each building in one tile
    path = tmp_path / "tiles.npz"
    save_tiles(path, tiles)
    again = load_tiles(path)
    assert [t.key for t in again] == [t.key for t in tiles]
    for a, b in zip(again, tiles, strict=True):
        assert np.array_equal(a.mesh.faces, b.mesh.faces)
        assert np.array_equal(a.mesh.vertices, b.mesh.vertices)


def test_corrupt_cache_is_detected(tmp_path):
    tiles = mesh_building_tiles(make_buildings(20), origin=(0.0, 0.0))
    path = tmp_path / "tiles.npz"
    save_tiles(path, tiles)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        load_tiles(path)


def test_ray_triangle_hits_nearest_face_of_a_tower():
    mesh = extrude_footprints(np.array([shapely.box(0, 0, 10, 10)]), [0.0], [50.0], [3])
    t, face = intersect_ray_triangles(np.array([5.0, 5.0, 500.0]), np.array([0.0, 0.0, -1.0]),
                                      mesh.vertices, mesh.faces)
    assert t == pytest.approx(450.0) and mesh.normals[mesh.faces[face][0], 2] == 1.0
    t, face = intersect_ray_triangles(np.array([-100.0, 5.0, 20.0]), np.array([1.0, 0.0, 0.0]),
                                      mesh.vertices, mesh.faces)
    assert t == pytest.approx(100.0)
    assert intersect_ray_triangles(np.array([50.0, 50.0, 500.0]), np.array([0.0, 0.0, -1.0]),
                                   mesh.vertices, mesh.faces) == (np.inf, -1)


def test_ray_box_test():
    lo, hi = np.zeros(3), np.ones(3)
    assert ray_hits_box(np.array([-1.0, 0.5, 0.5]), np.array([1.0, 0.0, 0.0]), lo, hi)
    assert not ray_hits_box(np.array([-1.0, 2.0, 0.5]), np.array([1.0, 0.0, 0.0]), lo, hi)
    assert not ray_hits_box(np.array([2.0, 0.5, 0.5]), np.array([1.0, 0.0, 0.0]), lo, hi)


def test_ray_meets_heightfield_where_the_ground_is():
    from test_terrain import plane

    terrain = plane()
    origin = np.array([830_250.0, 819_800.0, 500.0])
    t = intersect_ray_heightfield(origin, np.array([0.0, 0.0, -1.0]), terrain)
    assert 500.0 - t == pytest.approx(float(terrain.height_at(830_250.0, 819_800.0)), abs=0.01)
    assert np.isnan(intersect_ray_heightfield(origin, np.array([0.0, 0.0, 1.0]), terrain))
