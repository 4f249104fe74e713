"""CRTN against values worked by hand from the formulas (the arithmetic is in each comment)."""

from __future__ import annotations

import numpy as np
import pytest
from hktwin_noise import crtn
from hktwin_noise.layer import build_noise_layer, street_cells


def test_basic_level_and_speed_heavy_correction_by_hand():
    # Q = 10,000: 29.1 + 10 log10(10^4) = 29.1 + 40 = 69.1
    assert crtn.basic_level(10_000) == pytest.approx(69.1)
    # V = 50, p = 20: 50 + 40 + 500/50 = 100 -> 33 * 2 = 66; 1 + 5*20/50 = 3 -> 10 log10 3 =
    # 4.7712; 66 + 4.7712 - 68.8 = 1.9712
    assert crtn.speed_heavy_correction(50, 20) == pytest.approx(1.9712, abs=1e-4)
    # together: 69.1 + 1.9712 = 71.0712, over EPD's 70 dB(A)
    assert crtn.link_l10(np.array([10_000.0]), np.array([50.0]), np.array([20.0]))[0] == \
        pytest.approx(71.0712, abs=1e-4)
    # Q = 1,000, V = 100, p = 0: 59.1 + 33 log10(145) - 68.8 = 59.1 + 71.3251 - 68.8 = 61.6251
    assert crtn.link_l10(np.array([1000.0]), np.array([100.0]), np.array([0.0]))[0] == \
        pytest.approx(61.6251, abs=1e-3)
    # hourly flow: 42.2 + 10 log10(1,000) = 72.2
    assert crtn.basic_level(1000, period="1h") == pytest.approx(72.2)


def test_speed_below_crtn_range_is_taken_at_20_kmh():
    assert crtn.speed_heavy_correction(5, 10) == pytest.approx(crtn.speed_heavy_correction(20, 10))


def test_distance_correction_by_hand():
    # d = 10 m, h = 0: d' = 13.5, no correction (the reference distance)
    assert crtn.distance_correction(10.0, 0.0) == pytest.approx(0.0)
    # d = 26.5, h = 0: d' = 30 -> -10 log10(30/13.5) = -10 * 0.346787 = -3.46787
    assert crtn.distance_correction(26.5, 0.0) == pytest.approx(-3.46787, abs=1e-4)
    # d = 2 is taken as 4; h = 1: d' = sqrt(7.5^2 + 1) = 7.5664 -> +2.5143
    assert crtn.distance_correction(2.0, 1.0) == pytest.approx(2.5143, abs=1e-3)


def test_two_equal_roads_add_three_decibels():
    # 10 log10(2 * 10^6) = 63.0103
    out = crtn.combine(np.array([60.0, 60.0, 50.0]), np.array([0, 0, 1]), 2)
    assert out == pytest.approx([63.0103, 50.0], abs=1e-4)


def test_flows_come_from_the_road_type_when_there_is_no_count():
    q, p = crtn.assumed_flows(np.array(["MAJOR ROUTE", "urban road", "lane"], object))
    assert q.tolist() == [crtn.ROAD_TYPE_FLOWS["MAJOR ROUTE"][0],
                          crtn.ROAD_TYPE_FLOWS["URBAN ROAD"][0], crtn.OTHER_ROAD_FLOW[0]]
    assert p[0] == crtn.ROAD_TYPE_FLOWS["MAJOR ROUTE"][1]


def one_link_layer(limit: float = 50.0):
    links = {"id": np.array(["L1"], object), "a": np.array([[1000.0, 5000.0]]),
             "b": np.array([[2000.0, 5000.0]]), "road_type": np.array(["URBAN ROAD"], object)}
    return build_noise_layer(links, {"L1": limit}, origin=(0.0, 0.0))


def test_a_street_cell_hears_the_link_with_the_distance_correction():
    layer = one_link_layer(limit=50.0)
    q, _ = crtn.ROAD_TYPE_FLOWS["URBAN ROAD"]  # 20,000 vehicles, 20 % heavy
    # 29.1 + 10 log10(20,000) = 72.1103; speed 50, p 20: +1.9712 -> 74.0815 at 10 m
    assert layer.link_l10[0] == pytest.approx(29.1 + 10 * np.log10(q) + 1.9712, abs=1e-3)
    assert layer.link_l10[0] == pytest.approx(74.0815, abs=1e-3)
    # the cell whose centre is 62.5 m north of the middle of the link: d = 62.5 - 3.5 = 59,
    # h = 1: d' = sqrt(62.5^2 + 1) = 62.508 -> -10 log10(62.508 / 13.5) = -6.6558
    i = np.flatnonzero(np.all(np.isclose(layer.cell_xy, [1512.5, 5062.5]), axis=1))
    assert len(i) == 1
    assert layer.cell_l10[i[0]] == pytest.approx(74.0815 - 6.6558, abs=1e-3)
    assert layer.link_l10[0] > layer.threshold and len(layer.exceeding_links()) == 1
    assert "estimated from the road type" in layer.legend


def test_live_speeds_change_the_levels_and_say_so():
    layer = one_link_layer(limit=50.0)
    before = layer.cell_l10.copy()
    layer.set_speeds({"L1": 20.0})
    # V = 20, p = 20: 20 + 40 + 25 = 85 -> 33 log10 85 = 63.6704; 1 + 5 = 6 -> 7.7815;
    # -68.8 -> 2.6519 (slower but more heavy-vehicle weight: louder than 1.9712 at 50 km/h)
    assert layer.link_l10[0] == pytest.approx(72.1103 + 2.6519, abs=1e-3)
    assert np.all(layer.cell_l10 > before)
    assert "live speeds on 1 links" in layer.legend


def test_street_cells_cover_the_band_and_no_more():
    cells = street_cells(np.array([[0.0, 0.0]]), np.array([[500.0, 0.0]]), cell=25.0, band=75.0)
    assert np.abs(cells[:, 1]).max() <= 75.0 + 25.0
    assert cells[:, 0].min() >= -100.0 and cells[:, 0].max() <= 600.0


def test_a_picked_street_cell_describes_its_level_and_loudest_link():
    from types import SimpleNamespace

    from hktwin_noise.layer import pick

    layer = one_link_layer(limit=50.0)
    i = int(np.flatnonzero(np.all(np.isclose(layer.cell_xy, [1512.5, 5062.5]), axis=1))[0])
    ray = SimpleNamespace(pixel=(1512.5, 5062.5 + 4.0), project=lambda p: np.asarray(p)[:, :2],
                          origin=np.array([1512.5, 5062.5, 500.0]))
    hit = pick(layer, ray)
    assert hit.item == i and hit.screen_px == pytest.approx(4.0)
    info = layer.describe(i)
    assert info["value"] == pytest.approx(round(74.0815 - 6.6558, 1))
    assert info["key"] == "L1" and info["exceeds"] == (info["value"] > 70)


def test_the_drawn_layer_follows_the_live_traffic_speeds():
    from hktwin_noise.visual import NoiseAdapter
    from vispy import scene

    import hktwin.plugins as hp
    from hktwin.model.live_layers import TrafficLayer

    layer = one_link_layer(limit=50.0)
    twin = hp.Twin()
    adapter = NoiseAdapter(layer, scene.Node(), twin)
    before = layer.link_l10[0]
    traffic = TrafficLayer("Traffic", source="td-speed", keys=np.array(["L1"], object),
                           values=np.array([np.nan], np.float32))
    twin.layers.append(traffic)  # live layers join after the city
    traffic.values = np.array([20.0], np.float32)
    assert layer.live_speed[0] and layer.speed_kmh[0] == 20.0
    assert layer.link_l10[0] == pytest.approx(before - 1.9712 + 2.6519, abs=1e-3)
    adapter.close()
    traffic.values = np.array([80.0], np.float32)
    assert layer.speed_kmh[0] == 20.0  # closed: no longer following
