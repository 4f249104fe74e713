import json

import numpy as np
import pytest

from hktwin.core.errors import DataError
from hktwin.geo import open_pack
from hktwin.geo.pack import read_manifest


def test_open_tiny_pack(tiny_pack):
    city = open_pack(tiny_pack)
    assert city.name == "Tiny test island" and city.approximate
    assert len(city.buildings) == 36 and set(city.vectors) == {"roads"}
    assert city.origin == (834_000.0, 816_000.0)
    # arrays in, arrays out
    h = city.terrain.height_at(np.array([834_600.0, 834_600.0]), np.array([816_000.0, 817_500.0]))
    assert h.shape == (2,) and h[0] > 300 and h[1] == pytest.approx(-10.0)


def test_vector_tables_convert_to_geodataframes_for_notebooks(tiny_pack):
    roads = open_pack(tiny_pack).vectors["roads"].to_geodataframe()
    assert roads.crs.to_epsg() == 2326 and list(roads["name"]) == ["Test Road"]


def manifest_copy(tiny_pack, tmp_path, **changes):
    folder = tmp_path / "pack"
    folder.mkdir()
    for f in tiny_pack.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    manifest = json.loads((tiny_pack / "manifest.json").read_text())
    manifest.update(changes)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"version": 99}, "update HK Twin"),
        ({"version": "one"}, "[version]"),
        ({"format": "something-else"}, "[format]"),
        ({"layers": {}}, "[layers]"),
        ({"layers": {"terrain": {"path": "terrain.tif", "kind": "Lidar!"}}}, "[layers.terrain]"),
        ({"layers": {"terrain": {"path": "terrain.tif", "kind": 7}}}, "[layers.terrain]"),
        # "lidar" could be a plugin's kind (read, or left out with a warning): still no terrain
        ({"layers": {"terrain": {"path": "terrain.tif", "kind": "lidar"}}}, "one terrain"),
        ({"layers": {"roads": {"path": "roads.parquet", "kind": "roads"}}}, "one terrain"),
    ],
)
def test_bad_manifests_are_refused_with_the_field(tiny_pack, tmp_path, changes, fragment):
    folder = manifest_copy(tiny_pack, tmp_path, **changes)
    with pytest.raises(DataError) as info:
        read_manifest(folder)
    assert fragment in str(info.value) and "manifest.json" in str(info.value)


def test_missing_and_unreadable_packs(tmp_path):
    with pytest.raises(DataError, match=r"data pack not found"):
        read_manifest(tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"no manifest\.json"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(DataError, match=r"not valid JSON"):
        read_manifest(tmp_path)


def test_a_broken_layer_file_names_the_file(tiny_pack, tmp_path):
    folder = manifest_copy(tiny_pack, tmp_path)
    (folder / "buildings.parquet").write_bytes(b"PAR1 truncated")
    with pytest.raises(DataError, match=r"buildings\.parquet"):
        open_pack(folder)
