import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hktwin.core.errors import DataError
from hktwin.geo.terrain import Terrain, read_terrain
from hktwin.geo.terrain_mesh import choose_step, terrain_mesh


def plane(rows=40, cols=50, cell=10.0, x0=830_000.0, y0=820_000.0) -> Terrain:
    """Heights = 0.01 * easting offset + 0.02 * northing offset: bilinear is exact on it."""
    xs = x0 + (np.arange(cols) + 0.5) * cell
    ys = y0 - (np.arange(rows) + 0.5) * cell
    gx, gy = np.meshgrid(xs, ys)
    return Terrain((0.01 * (gx - x0) + 0.02 * (gy - y0 + rows * cell)).astype(np.float32),
                   x0, y0, cell)


def test_height_at_is_exact_on_a_plane_and_nan_outside():
    t = plane()
    rng = np.random.default_rng(1)
    x = rng.uniform(830_005, 830_495, 200)
    y = rng.uniform(819_605, 819_995, 200)
    expected = 0.01 * (x - 830_000) + 0.02 * (y - 819_600)
    assert np.allclose(t.height_at(x, y), expected, atol=1e-3)
    assert np.isnan(t.height_at([829_000.0], [819_700.0])).all()


def test_height_at_keeps_scalar_and_array_shapes():
    t = plane()
    assert t.height_at(830_100.0, 819_700.0).shape == ()
    assert t.height_at(np.full((3, 4), 830_100.0), np.full((3, 4), 819_700.0)).shape == (3, 4)


def write_tif(path, data, crs="EPSG:2326", nodata=None):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype="float32", crs=crs, nodata=nodata,
                       transform=from_origin(830_000, 820_000, 5, 5)) as dst:
        dst.write(data.astype(np.float32), 1)


def test_read_terrain_round_trip_with_nodata(tmp_path):
    data = np.arange(20, dtype=np.float32).reshape(4, 5)
    data[0, 0] = -9999
    write_tif(tmp_path / "t.tif", data, nodata=-9999)
    t = read_terrain(tmp_path / "t.tif")
    assert t.cell_size == 5 and t.origin_x == 830_000 and t.origin_y == 820_000
    assert np.isnan(t.heights[0, 0]) and t.heights[3, 4] == 19


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: None, "not found"),
        (lambda p: p.write_bytes(b"II*\x00garbage" * 10), "cannot read"),
        (lambda p: write_tif(p, np.zeros((3, 3)), crs=None), "no CRS"),
        (lambda p: write_tif(p, np.zeros((3, 3)), crs="EPSG:4326"), "not EPSG:2326"),
    ],
    ids=["missing", "corrupt", "no-crs", "wrong-crs"],
)
def test_read_terrain_rejects_bad_files_with_the_file_name(tmp_path, make, fragment):
    path = tmp_path / "dtm.tif"
    make(path)
    with pytest.raises(DataError) as info:
        read_terrain(path)
    assert fragment in str(info.value) and "dtm.tif" in str(info.value)


def test_truncated_geotiff_is_reported(tmp_path):
    path = tmp_path / "whole.tif"
    write_tif(path, np.random.default_rng(0).random((300, 300)))
    cut = tmp_path / "cut.tif"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DataError, match=r"cut\.tif"):
        read_terrain(cut)


def test_terrain_mesh_drops_sea_only_triangles_and_normals_face_up():
    t = plane()
    heights = t.heights.copy()
    heights[:, :25] = -10.0  # western half is sea
    t = Terrain(heights, t.origin_x, t.origin_y, t.cell_size)
    mesh = terrain_mesh(t, origin=(830_000.0, 819_600.0))
    full = 2 * 39 * 49
    assert 0 < mesh.n_faces < full
    kept_z = mesh.vertices[mesh.faces][:, :, 2]
    assert (kept_z.max(axis=1) > 0.05).all()
    assert (mesh.normals[:, 2] > 0).all()
    v = mesh.vertices[mesh.faces]
    up = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])[:, 2]
    assert (up > 0).all(), "triangles must wind counter-clockwise seen from above"


def test_choose_step_bounds_the_vertex_count():
    t = plane(rows=1000, cols=1200)
    step = choose_step(t, 100_000)
    assert (1000 // step) * (1200 // step) <= 100_000
    assert (1000 // (step - 1)) * (1200 // (step - 1)) > 100_000
