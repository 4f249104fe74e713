"""The street pose (no GL) and picking asked of the layers through the picker registry."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from hktwin.model.camera import StreetPose, street_pose_at
from hktwin.model.layers import Layer, SeaLayer


def test_street_pose_clamps_pitch_and_wraps_heading():
    pose = StreetPose(0.0, 0.0, heading=-90.0, pitch=85.0)
    assert pose.heading == 270.0 and pose.pitch == 60.0
    assert StreetPose(0.0, 0.0, pitch=-80.0).pitch == -30.0


def test_street_pose_looks_along_its_heading_and_pitch():
    east_up = StreetPose(0.0, 0.0, heading=90.0, pitch=30.0)
    fx, fy, fz = east_up.forward()
    assert fx == pytest.approx(math.cos(math.radians(30))) and abs(fy) < 1e-12
    assert fz == pytest.approx(0.5)
    walked = StreetPose(100.0, 200.0, heading=90.0).walked(forward=10.0, right=2.0)
    assert (walked.x, walked.y) == pytest.approx((110.0, 198.0))  # right of east is south


def test_vertical_field_of_view_follows_the_picture_shape():
    pose = StreetPose(0.0, 0.0, hfov=90.0)
    assert pose.vfov(1.0) == pytest.approx(90.0)
    assert pose.vfov(2.0) == pytest.approx(math.degrees(2 * math.atan(0.5)))
    assert pose.vfov(0.5) > 90.0  # portrait: taller than wide


def test_street_pose_stands_on_the_terrain(tiny_pack):
    from hktwin.geo.pack import open_pack
    from packs import X0, Y0

    terrain = open_pack(tiny_pack).terrain
    pose = street_pose_at(X0 + 2600.0, Y0 + 1000.0, terrain=terrain)  # the hill's summit
    assert pose.ground == pytest.approx(float(terrain.height_at(X0 + 2600.0, Y0 + 1000.0)))
    assert pose.eye()[2] == pytest.approx(pose.ground + 1.6)
    at_sea = street_pose_at(X0 + 1000.0, Y0 + 2900.0, terrain=terrain)
    assert at_sea.ground == 0.0  # on the sea surface, not the seabed


def _ray(origin, direction, offset=(0.0, 0.0)):
    from hktwin.render.picking import PickRay

    d = np.asarray(direction, float)
    return PickRay(np.asarray(origin, float), d / np.linalg.norm(d), (0.0, 0.0),
                   lambda p: np.asarray(p)[:, :2], offset)


@dataclass(eq=False)
class PylonLayer(Layer):
    """A layer type a plugin might add: vertical poles."""

    xy: tuple[float, float] = (0.0, 0.0)


def test_a_new_layer_type_is_picked_through_its_registered_picker():
    from hktwin.render.picking import Hit, pick_layers, register_picker

    def pick_pylon(layer, ray):
        t = (layer.xy[0] - ray.origin[0]) / ray.direction[0]
        return Hit(layer, "pylon", "P1", float(t), ray.at(t)) if t > 0 else None

    register_picker(PylonLayer, pick_pylon)
    pylon = PylonLayer(name="Pylons", xy=(50.0, 0.0))
    sea = SeaLayer(name="Sea", bounds=(-1e3, -1e3, 1e3, 1e3), level=0.0)
    # Level ray from 10 m up: the pylon 50 m away; a ray down: the sea first.
    hits = pick_layers([sea, pylon], _ray((0, 0, 10), (1, 0, 0)))
    assert [(h.kind, h.item) for h in hits] == [("pylon", "P1")]
    hits = pick_layers([sea, pylon], _ray((0, 0, 10), (1, 0, -1)))
    assert [h.kind for h in hits] == ["sea", "pylon"]
    assert hits[0].distance == pytest.approx(10 * math.sqrt(2))
    pylon.visible = False
    assert [h.kind for h in pick_layers([sea, pylon], _ray((0, 0, 10), (1, 0, 0)))] == []


def test_a_failing_picker_does_not_stop_the_others(caplog):
    from hktwin.render.picking import pick_layers, register_picker

    @dataclass(eq=False)
    class BrokenLayer(Layer):
        pass

    def broken(layer, ray):
        raise RuntimeError("plugin bug")

    register_picker(BrokenLayer, broken)
    sea = SeaLayer(name="Sea", bounds=(-1e3, -1e3, 1e3, 1e3))
    hits = pick_layers([BrokenLayer(name="Broken"), sea], _ray((0, 0, 10), (0, 0, -1)))
    assert [h.kind for h in hits] == ["sea"]
    assert "Broken" in caplog.text


def test_buildings_and_terrain_answer_rays(tiny_pack):
    from hktwin.model.loading import load_city
    from hktwin.render.picking import pick_layers
    from packs import X0, Y0

    loaded = load_city(tiny_pack, cache=False)
    ox, oy = loaded.city.origin
    layers = loaded.layers
    b = loaded.city.buildings
    row = 0
    target = np.array([b.centroid_x[row] - ox, b.centroid_y[row] - oy, 10.0])
    origin = target + np.array([0.0, -300.0, 0.0])  # south of the tower, looking north
    hits = pick_layers(layers, _ray(origin, target - origin, (ox, oy)))
    assert hits[0].kind == "building" and hits[0].item == b.ids[row]
    assert hits[0].distance == pytest.approx(300.0 - 15.0, abs=0.5)  # its south face
    down = pick_layers(layers, _ray((X0 + 2600 - ox, Y0 + 1000 - oy, 1000.0), (0, 0, -1), (ox, oy)))
    assert down[0].kind == "ground" and down[0].point[2] == pytest.approx(400.0, abs=5.0)
