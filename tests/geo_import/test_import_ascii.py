"""The ESRI ASCII grid of the Lands Department's territory DTM, read in bounded blocks."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import rasterio
from geo_import_helpers import write_asc

from hktwin.core.errors import DataError
from hktwin.geo.importers.ascii_grid import AsciiGridReader
from hktwin.geo.pack import open_pack
from hktwin.geo.pack_writer import import_files

WEST, SOUTH, CELL = 832_000.0, 815_000.0, 5.0


def _grid(rows=37, cols=23, seed=1):
    rng = np.random.default_rng(seed)
    heights = np.round(rng.uniform(-5, 500, (rows, cols)), 2).astype(np.float32)
    heights[3, 4] = heights[rows - 1, 0] = -9999.0
    return heights


class SpyStream(io.BytesIO):
    """A stream that records how many bytes each read asks for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asks: list[int] = []

    def read(self, n=-1):
        self.asks.append(n)
        return super().read(n)


def test_blocks_are_bounded_and_the_values_exact(tmp_path):
    heights = _grid()
    path = write_asc(tmp_path / "g.asc", heights, WEST, SOUTH, CELL)
    stream = SpyStream(path.read_bytes())
    reader = AsciiGridReader(stream, path, chunk_bytes=300)
    blocks = list(reader.blocks(rows=5))
    assert max(len(b) for _, b in blocks) <= 5
    assert [r for r, _ in blocks] == list(range(0, 37, 5))
    assert all(0 < n <= 300 for n in stream.asks)  # never "read it all" (-1) or more
    got = np.concatenate([b for _, b in blocks])
    want = np.where(heights == -9999.0, np.nan, heights)
    np.testing.assert_array_equal(got, want)
    assert reader.header.transform.c == WEST and reader.header.transform.f == SOUTH + 37 * CELL


def test_cell_centre_header_and_values_wrapped_over_lines(tmp_path):
    heights = _grid(6, 8)
    path = write_asc(tmp_path / "c.asc", heights, WEST, SOUTH, CELL, center=True)
    text = path.read_text().split("\n")
    # Wrap the data arbitrarily: the format counts values, not lines.
    values = " ".join(text[6:]).split()
    path.write_text("\n".join(text[:6]) + "\n" + "\n".join(
        " ".join(values[i:i + 5]) for i in range(0, len(values), 5)) + "\n")
    with path.open("rb") as f:
        reader = AsciiGridReader(f, path, chunk_bytes=64)
        got = np.concatenate([b for _, b in reader.blocks(rows=4)])
    assert reader.header.west == WEST
    np.testing.assert_array_equal(got, np.where(heights == -9999.0, np.nan, heights))


def test_truncated_grid_says_how_many_rows_arrived(tmp_path):
    path = write_asc(tmp_path / "t.asc", _grid(), WEST, SOUTH, CELL)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with path.open("rb") as f, pytest.raises(DataError, match=r"ends after \d+ of 37 rows"):
        list(AsciiGridReader(f, path).blocks(rows=8))


def test_a_word_among_the_heights_is_named(tmp_path):
    path = write_asc(tmp_path / "w.asc", _grid(), WEST, SOUTH, CELL)
    path.write_text(path.read_text().replace("\n", "\nbanana ", 9).replace("banana ", "", 8))
    with path.open("rb") as f, pytest.raises(DataError, match=r"'banana'.*not a number"):
        list(AsciiGridReader(f, path).blocks(rows=8))


def test_import_needs_a_crs_and_takes_it_from_crs_or_prj(tmp_path):
    heights = _grid()
    path = write_asc(tmp_path / "dtm.asc", heights, WEST, SOUTH, CELL)
    pack = tmp_path / "pack"
    with pytest.raises(DataError) as err:
        import_files([path], pack)
    assert "declares no coordinate reference system" in str(err.value)
    assert "--crs EPSG:2326" in str(err.value)
    assert not pack.exists()
    import_files([path], pack, crs="EPSG:2326")
    _check_pack(pack, heights)
    write_asc(tmp_path / "dtm.asc", heights, WEST, SOUTH, CELL, prj=True)
    import_files([path], tmp_path / "pack2")
    _check_pack(tmp_path / "pack2", heights)


def test_a_zipped_grid_is_streamed_out_of_the_archive(tmp_path):
    heights = _grid(64, 40)
    asc = write_asc(tmp_path / "Whole_HK_DTM_5m.asc", heights, WEST, SOUTH, CELL)
    archive = tmp_path / "Whole_HK_DTM_5m.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(asc, asc.name)
    report = import_files([archive], tmp_path / "pack", crs="EPSG:2326")
    assert report.layers[0].kind == "terrain"
    _check_pack(tmp_path / "pack", heights)


def _check_pack(pack, heights):
    city = open_pack(pack)
    t = city.terrain
    assert (t.origin_x, t.origin_y, t.cell_size) == (WEST, SOUTH + len(heights) * CELL, CELL)
    np.testing.assert_array_equal(t.heights, np.where(heights == -9999.0, np.nan, heights))
    with rasterio.open(pack / "terrain.tif") as ds:
        assert ds.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert ds.profile["blockxsize"] == 512 and ds.profile["compress"] == "deflate"
        assert ds.tags(ns="IMAGE_STRUCTURE")["PREDICTOR"] == "3"
        assert np.isnan(ds.nodata) and ds.dtypes[0] == "float32"


def test_a_grid_in_another_crs_is_staged_then_warped(tmp_path):
    from pyproj import CRS, Transformer

    # A 10 m grid in UTM zone 50N over Central, heights rising 1 m per 10 m eastwards.
    west, south, cell, rows, cols = 206_000.0, 2_466_000.0, 10.0, 80, 120
    heights = np.tile((np.arange(cols) + 0.5).astype(np.float32), (rows, 1))
    path = write_asc(tmp_path / "utm.asc", heights, west, south, cell)
    path.with_suffix(".prj").write_text(CRS.from_epsg(32650).to_wkt("WKT1_ESRI"))
    import_files([path], tmp_path / "pack")
    terrain = open_pack(tmp_path / "pack").terrain
    x_utm, y_utm = west + 600.0, south + 400.0  # 60 cells east: height 60
    x, y = Transformer.from_crs(32650, 2326, always_xy=True).transform(x_utm, y_utm)
    assert terrain.height_at([x], [y])[0] == pytest.approx(60.0, abs=1.0)
    assert not list((tmp_path / "pack").glob(".*"))  # staging files are gone
