"""Bad input: one line naming the file, the problem and the fix; the pack untouched; no
temporary folder left beside it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest
from geo_import_helpers import box_row, footprints_gdf, siblings, tree_state, write_dtm

from hktwin.core.errors import DataError
from hktwin.geo.importers.common import Cancelled
from hktwin.geo.pack_writer import import_files


def _truncated_tif(tmp_path):
    path = write_dtm(tmp_path / "truncated.tif")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path, "truncated"


def _corrupt_tif(tmp_path):
    path = tmp_path / "corrupt.tif"
    path.write_bytes(b"II*\x00" + np.random.default_rng(0).bytes(5000))
    return path, "corrupt"


def _no_geometry(tmp_path):
    path = tmp_path / "nogeom.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"a": 1}, "geometry": None}] * 3}))
    return path, "no usable geometry"


def _unknown_crs(tmp_path):
    gdf = footprints_gdf({"Storeys": [3]}, box_row(1), crs=None)
    with pytest.warns(UserWarning):
        gdf.to_file(tmp_path / "nocrs.gpkg")
    return tmp_path / "nocrs.gpkg", "no coordinate reference system"


def _empty(tmp_path):
    path = tmp_path / "empty.gpkg"
    path.write_bytes(b"")
    return path, "empty"


def _height_text(tmp_path):
    gdf = footprints_gdf({"TopHeight": ["40", "tall"], "BaseHeight": [1.0, 2.0]}, box_row(2))
    gdf.to_file(tmp_path / "heights.gpkg")
    return tmp_path / "heights.gpkg", "holds text"


def _not_data(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("meeting notes, not map data\n")
    return path, "not a vector or raster format"


CASES = [_truncated_tif, _corrupt_tif, _no_geometry, _unknown_crs, _empty, _height_text,
         _not_data]


@pytest.mark.parametrize("make", CASES, ids=[c.__name__.strip("_") for c in CASES])
def test_bad_input_leaves_the_pack_untouched(make, island_pack, tmp_path):
    path, fragment = make(tmp_path)
    before, beside = tree_state(island_pack), siblings(island_pack)
    with pytest.raises(DataError) as err:
        import_files([path], island_pack)
    text = str(err.value)
    assert "\n" not in text and text.startswith(str(path)) and fragment in text
    assert ". Fix: " in text
    assert tree_state(island_pack) == before
    assert siblings(island_pack) == beside


def test_a_good_file_with_a_bad_one_imports_nothing(island_pack, tmp_path):
    gdf = footprints_gdf({"Storeys": [3]}, box_row(1))
    gdf.to_file(tmp_path / "good.gpkg")
    bad, _ = _corrupt_tif(tmp_path)
    before, beside = tree_state(island_pack), siblings(island_pack)
    with pytest.raises(DataError, match=r"corrupt\.tif"):
        import_files([tmp_path / "good.gpkg", bad], island_pack, as_kind=None)
    assert tree_state(island_pack) == before and siblings(island_pack) == beside


def test_a_cancelled_import_leaves_the_pack_untouched(island_pack, tmp_path, island_dtm):
    cancel = threading.Event()

    def progress(fraction, message):
        if fraction > 0.1:
            cancel.set()

    before, beside = tree_state(island_pack), siblings(island_pack)
    with pytest.raises(Cancelled):
        import_files([island_dtm], island_pack, progress=progress, cancel=cancel)
    assert tree_state(island_pack) == before and siblings(island_pack) == beside


def test_a_pack_without_terrain_is_refused(tmp_path):
    gdf = footprints_gdf({"Storeys": [3]}, box_row(1))
    gdf.to_file(tmp_path / "b.gpkg")
    with pytest.raises(DataError, match=r"exactly one terrain.*Fix: import a DTM"):
        import_files([tmp_path / "b.gpkg"], tmp_path / "new-pack")
    assert not (tmp_path / "new-pack").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".new-pack")]


def test_a_folder_that_is_not_a_pack_is_refused(tmp_path, island_dtm):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.docx").write_text("precious")
    with pytest.raises(DataError, match=r"not empty and holds no manifest\.json"):
        import_files([island_dtm], folder)
    assert [p.name for p in folder.iterdir()] == ["thesis.docx"]


def test_the_cli_prints_one_line_and_exits_2(island_pack, tmp_path):
    path, _ = _corrupt_tif(tmp_path)
    result = subprocess.run([sys.executable, "-m", "hktwin", "data", "import", str(path),
                             "--pack", str(island_pack)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("hktwin: error:")]
    assert len(errors) == 1 and "corrupt.tif" in errors[0] and "Fix:" in errors[0]
    assert "Traceback" not in result.stderr
