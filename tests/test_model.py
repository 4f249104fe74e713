import numpy as np
import pytest

from hktwin.model import camera as cam
from hktwin.model.camera import CameraPose, named_views
from hktwin.model.layers import BuildingsLayer, Layer, LayerList, TerrainLayer
from hktwin.model.loading import load_city
from hktwin.model.twin import Twin


def test_layer_events_fire_on_change_only():
    layer = Layer("roads")
    seen = []
    layer.events.visible.connect(seen.append)
    layer.visible = False
    layer.visible = False
    layer.visible = True
    assert seen == [False, True]


def test_opacity_is_clamped():
    assert Layer("x", opacity=3.0).opacity == 1.0


def test_layer_list_events_and_lookup():
    layers = LayerList()
    inserted = []
    layers.events.inserted.connect(lambda i, v: inserted.append((i, v.name)))
    layers.extend([Layer("a"), TerrainLayer("t"), Layer("b")])
    assert inserted == [(0, "a"), (1, "t"), (2, "b")]
    assert layers.get("t").kind == "terrain" and layers.get("zzz") is None
    assert [la.name for la in layers.of_type(TerrainLayer)] == ["t"]
    layers.move(0, 3)
    assert layers.names() == ["t", "b", "a"]


def test_named_views_look_at_hong_kong():
    views = named_views()
    assert set(views) == {"harbour", "kowloon", "island", "territory"}
    x, y, _ = views["harbour"].center
    assert 830_000 < x < 840_000 and 814_000 < y < 822_000  # Victoria Harbour in HK1980


def test_eye_stands_opposite_the_heading():
    pose = CameraPose((0.0, 0.0, 0.0), 1000.0, azimuth=0.0, elevation=0.0)
    assert pose.eye() == pytest.approx((0.0, -1000.0, 0.0))  # looking north from the south
    pose = CameraPose((0.0, 0.0, 0.0), 1000.0, azimuth=90.0, elevation=90.0)
    assert pose.eye() == pytest.approx((0.0, 0.0, 1000.0), abs=1e-9)


def test_interpolation_ends_on_its_poses_and_turns_the_short_way():
    a = CameraPose((0.0, 0.0, 0.0), 1000.0, 350.0, 30.0)
    b = CameraPose((5000.0, 0.0, 0.0), 4000.0, 10.0, 60.0)
    start = cam.interpolate(a, b, 0.0)
    assert start.center == a.center and start.distance == pytest.approx(a.distance)
    end = cam.interpolate(a, b, 1.0)
    assert end.center == pytest.approx(b.center) and end.distance == pytest.approx(4000.0)
    mid = cam.interpolate(a, b, 0.5)
    assert mid.azimuth == pytest.approx(0.0) or mid.azimuth == pytest.approx(360.0)
    assert mid.distance > 2000.0  # lifted mid-flight


def test_keyboard_moves():
    pose = CameraPose((0.0, 0.0, 0.0), 1000.0, azimuth=90.0, elevation=30.0)  # looking east
    assert cam.pan(pose, 0, 0.1).center == pytest.approx((100.0, 0.0, 0.0))
    assert cam.pan(pose, 0.1, 0).center == pytest.approx((0.0, -100.0, 0.0))  # right is south
    assert cam.zoom(pose, 0.5).distance == 500.0
    assert cam.orbit(pose, 280, 80).azimuth == pytest.approx(10.0)
    assert cam.orbit(pose, 0, 80).elevation == 89.9


def test_load_city_builds_layers_and_caches_meshes(tiny_pack, tmp_path):
    first = load_city(tiny_pack, cache=tmp_path)
    # The pack's own layers first; installed plugins' layers (sun, noise, ...) may follow.
    assert [la.name for la in first.layers][:4] == ["Terrain", "Sea", "Roads", "Buildings"]
    assert not first.meshes_from_cache
    second = load_city(tiny_pack, cache=tmp_path)
    assert second.meshes_from_cache
    a, b = first.layers[3], second.layers[3]
    assert isinstance(a, BuildingsLayer) and a.n_faces == b.n_faces == 36 * 10
    # corrupt the cache: the next load rebuilds it and still succeeds
    cached = next((tmp_path / "meshes").glob("*.npz"))
    cached.write_bytes(cached.read_bytes()[:100])
    third = load_city(tiny_pack, cache=tmp_path)
    assert not third.meshes_from_cache and third.layers[3].n_faces == a.n_faces


def test_load_reports_monotonic_progress(tiny_pack, tmp_path):
    seen = []
    load_city(tiny_pack, progress=lambda f, m: seen.append(f), cache=tmp_path)
    assert seen[-1] == 1.0 and np.all(np.diff(seen) >= -1e-9)


def test_twin_origin_follows_the_city(tiny_pack, tmp_path):
    twin = Twin()
    assert twin.origin == (0.0, 0.0)
    twin.city = load_city(tiny_pack, cache=tmp_path).city
    assert twin.origin == (834_000.0, 816_000.0)
