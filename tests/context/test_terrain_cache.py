"""A large terrain is memory-mapped from the cache on the next open (levels and chunk statistics
too), gives the same heights and pyramid as a fresh read, and a damaged entry is rebuilt."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hktwin.geo import pack as pack_mod
from hktwin.model.loading import load_city


@pytest.fixture()
def small_threshold(monkeypatch):
    monkeypatch.setattr(pack_mod, "TERRAIN_CACHE_CELLS", 1000)  # the tiny pack counts as large


def _open(pack, cache):
    return load_city(pack, cache=cache, lod=True, plugin_layers=False)


def test_second_open_maps_the_terrain_and_pyramid(tiny_pack, tmp_path, small_threshold):
    first = _open(tiny_pack, tmp_path)
    assert not isinstance(first.city.terrain.heights, np.memmap)
    second = _open(tiny_pack, tmp_path)
    h = second.city.terrain.heights
    assert isinstance(h, np.memmap) and not h.flags.writeable
    np.testing.assert_array_equal(np.asarray(h), first.city.terrain.heights)
    p1, p2 = first.layers[0].pyramid, second.layers[0].pyramid
    assert p1.n_levels == p2.n_levels > 1
    assert isinstance(p2.levels[1], np.memmap)
    for k in range(p1.n_levels):
        np.testing.assert_array_equal(np.asarray(p2.levels[k]), p1.levels[k])
        for name in ("zmin", "zmax", "error", "skirt", "faces"):
            np.testing.assert_array_equal(getattr(p2, name)[k], getattr(p1, name)[k])


def test_a_damaged_cache_is_rebuilt(tiny_pack, tmp_path, small_threshold):
    first = _open(tiny_pack, tmp_path)
    for npy in (tmp_path / "terrain").rglob("heights.npy"):
        npy.write_bytes(npy.read_bytes()[:200])  # truncated
    for stats in (tmp_path / "terrain").rglob("stats.npz"):
        stats.write_bytes(b"not a zip")
    again = _open(tiny_pack, tmp_path)
    np.testing.assert_array_equal(np.asarray(again.city.terrain.heights),
                                  first.city.terrain.heights)
    third = _open(tiny_pack, tmp_path)  # the rebuilt entry is used
    assert isinstance(third.city.terrain.heights, np.memmap)


def test_a_changed_terrain_file_is_read_again(tiny_pack, tmp_path, small_threshold):
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(tiny_pack, pack)
    _open(pack, tmp_path / "cache")
    import rasterio

    with rasterio.open(pack / "terrain.tif", "r+") as dst:
        data = dst.read(1)
        dst.write(data + 5.0, 1)
    changed = _open(pack, tmp_path / "cache")
    np.testing.assert_allclose(np.asarray(changed.city.terrain.heights), data + 5.0)
    assert json.loads((pack / "manifest.json").read_text())["name"]


def _same_buildings(a, b) -> None:
    import shapely

    for name in ("ids", "names", "kinds", "base", "height", "centroid_x", "centroid_y"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert shapely.equals_exact(a.footprints, b.footprints, 0.0).all()
    assert (shapely.get_coordinates(a.footprints) == shapely.get_coordinates(b.footprints)).all()
    assert a.source == b.source


@pytest.mark.parametrize("multi", [False, True])
def test_buildings_table_cache(tmp_path, monkeypatch, multi):
    import geopandas as gpd
    import shapely

    from hktwin.geo import tiles
    from hktwin.geo.buildings import read_buildings

    monkeypatch.setattr(tiles, "BUILDINGS_CACHE_BYTES", 0)
    shapes = [shapely.box(i * 50, 0, i * 50 + 20, 30) for i in range(5)]
    if multi:
        shapes[2] = shapely.MultiPolygon([shapely.box(100, 0, 110, 10),
                                          shapely.box(112, 0, 120, 10)])
    shapes[1] = shapely.Polygon(shapes[1].exterior.coords[::-1])  # clockwise: read orients it
    path = tmp_path / "b.parquet"
    gpd.GeoDataFrame({"building_id": [5, 3, 1, 4, 2], "name": ["a", "", "c", "d", "e"],
                      "base": [1.0] * 5, "height": [10.0, 20, 30, 40, 50]}, geometry=shapes,
                     crs="EPSG:2326").to_parquet(path)
    fresh = read_buildings(path)
    first = tiles.cached_buildings(path, tmp_path / "cache", read_buildings)
    calls = []
    second = tiles.cached_buildings(path, tmp_path / "cache",
                                    lambda p: calls.append(p) or read_buildings(p))
    assert calls == []  # from the cache
    _same_buildings(fresh, first)
    _same_buildings(fresh, second)
    entry = next((tmp_path / "cache" / "buildings").glob("*.npz"))
    entry.write_bytes(entry.read_bytes()[:50])
    third = tiles.cached_buildings(path, tmp_path / "cache",
                                   lambda p: calls.append(p) or read_buildings(p))
    assert calls == [path]  # damaged: read again
    _same_buildings(fresh, third)
