"""Physically impossible values are refused or masked at import and read, naming file, field and
value (limits in hktwin.core.limits, documented in docs/reliability.md)."""

from __future__ import annotations

import numpy as np
import pytest

from hktwin.core.errors import DataError
from hktwin.core.limits import BUILDING_HEIGHT_M, TERRAIN_M
from hktwin.geo.pack import open_pack
from hktwin.geo.pack_writer import import_files
from packs import CELL, ROWS, X0, Y0, tiny_heights

NORTH = Y0 + ROWS * CELL


def write_raster(path, heights, crs="EPSG:2326", transform=None, nodata=None):
    import rasterio
    from affine import Affine

    with rasterio.open(path, "w", driver="GTiff", width=heights.shape[1],
                       height=heights.shape[0], count=1, dtype="float32", crs=crs,
                       nodata=nodata,
                       transform=transform or Affine(CELL, 0, X0, 0, -CELL, NORTH)) as dst:
        dst.write(heights.astype(np.float32), 1)
    return path


@pytest.mark.parametrize("fake", [np.inf, -np.inf, 3.4028235e38, -9999.0])
def test_terrain_nodata_in_disguise_is_masked_and_said(tmp_path, fake):
    heights = tiny_heights()
    heights[5:8, 5:9] = fake
    src = write_raster(tmp_path / "dtm.tif", heights)
    report = import_files([src], tmp_path / "pack")
    terrain = open_pack(tmp_path / "pack").terrain
    assert np.isnan(terrain.heights[5:8, 5:9]).all()
    finite = terrain.heights[np.isfinite(terrain.heights)]
    assert TERRAIN_M[0] <= finite.min() and finite.max() <= TERRAIN_M[1]
    assert any("12 cell(s)" in w and "dtm.tif [height]" in w for w in report.warnings)


@pytest.mark.parametrize("value", [5000.0, -400.0])
def test_terrain_outside_the_limits_is_refused_naming_the_value(tmp_path, value):
    heights = tiny_heights()
    heights[40, 17] = value
    src = write_raster(tmp_path / "dtm.tif", heights)
    with pytest.raises(DataError) as err:
        import_files([src], tmp_path / "pack")
    text = str(err.value)
    assert "dtm.tif [height]" in text and f"{value:g} m" in text and "row 40, column 17" in text
    assert not (tmp_path / "pack").exists()


def test_a_geotiff_labelled_wgs84_holding_metres_is_one_line(tmp_path):
    src = write_raster(tmp_path / "dtm.tif", tiny_heights(), crs="EPSG:4326")
    with pytest.raises(DataError) as err:
        import_files([src], tmp_path / "pack")
    text = str(err.value)
    assert "[crs]" in text and "not longitude/latitude" in text and "HK1980 Grid" in text
    assert "report this as a bug" not in text


def test_reading_a_pack_masks_infinite_terrain(tiny_pack, tmp_path):
    import shutil

    import rasterio

    pack = shutil.copytree(tiny_pack, tmp_path / "pack")
    with rasterio.open(pack / "terrain.tif", "r+") as ds:
        data = ds.read(1)
        data[:3, :3] = np.inf
        data[3, 3] = 3.4028235e38
        ds.write(data, 1)
    terrain = open_pack(pack).terrain
    assert np.isnan(terrain.heights[:3, :3]).all() and np.isnan(terrain.heights[3, 3])


# --- buildings ------------------------------------------------------------------------------


def footprints(tmp_path, heights, field="height"):
    import geopandas as gpd
    import shapely

    n = len(heights)
    xs = X0 + 500 + 40.0 * np.arange(n)
    frame = gpd.GeoDataFrame({"BUILDINGID": np.arange(1, n + 1), field: heights},
                             geometry=list(shapely.box(xs, Y0 + 1500, xs + 20, Y0 + 1520)),
                             crs="EPSG:2326")
    path = tmp_path / "bldg.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


def test_building_heights_beyond_1000_m_and_negative_are_named(tmp_path, island_dtm):
    src = footprints(tmp_path, [30.0, 1e9, -12.5, 45.0])
    report = import_files([island_dtm, src], tmp_path / "pack", height_field="height")
    text = " | ".join(report.warnings)
    assert "bldg.gpkg [height]" in text
    assert "negative height" in text and "-12.5" in text
    assert "taller than 1000 m" in text and "1e+09" in text
    b = open_pack(tmp_path / "pack").buildings
    assert b.height.max() <= BUILDING_HEIGHT_M[1] and b.height.min() > 0
    assert sorted(np.round(b.height, 1)) == [10.0, 10.0, 30.0, 45.0]  # the two: default height


def test_a_pack_with_impossible_building_heights_is_refused(tiny_pack, tmp_path):
    import shutil

    import geopandas as gpd

    pack = shutil.copytree(tiny_pack, tmp_path / "pack")
    path = next(pack.glob("buildings*"))
    frame = gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)
    frame.loc[frame.index[2], "height"] = 1e9
    frame.to_parquet(path) if path.suffix == ".parquet" else frame.to_file(path)
    with pytest.raises(DataError) as err:
        open_pack(pack)
    assert "[height]" in str(err.value) and "1e+09" in str(err.value)


@pytest.fixture
def island_dtm(tmp_path):
    return write_raster(tmp_path / "dtm.tif", tiny_heights())
