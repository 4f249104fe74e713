"""The clock, live layers joined to the TD link table, and the binding that shows a feed's values
at the clock's time — on the real Traffic Speed Map snapshots."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from hktwin.feeds.sources import get_source
from hktwin.feeds.store import FeedStore
from hktwin.geo import open_pack
from hktwin.model.clock import HKT, Clock
from hktwin.model.live import FeedBinding, live_layers_for, recorded_range
from hktwin.model.live_layers import TrafficLayer

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=HKT)


def test_clock_plays_at_its_speed_and_stops_at_the_end():
    clock = Clock(time=T0, speed=60.0, start=T0, end=T0 + timedelta(hours=1))
    clock.advance(10.0)
    assert clock.time == T0  # paused
    clock.playing = True
    clock.advance(10.0)
    assert clock.time == T0 + timedelta(minutes=10)
    clock.speed = 3600.0
    clock.advance(10.0)
    assert clock.time == T0 + timedelta(hours=1) and not clock.playing
    clock.seek(T0 - timedelta(days=1))
    assert clock.time == T0 and clock.fraction == 0.0
    assert clock.time_at(0.5) == T0 + timedelta(minutes=30)
    clock.go_live(now=T0 + timedelta(days=2))
    assert clock.live and clock.time == T0 + timedelta(days=2)


@pytest.fixture(scope="module")
def real_traffic(real_data, tmp_path_factory):
    """The demo city with TD's real link table, and a store holding the 14 real snapshots."""
    city = open_pack()
    city.feeds = {"links": real_data / "td" / "tsm_link_and_node_info_v2.csv"}
    store = FeedStore(tmp_path_factory.mktemp("store") / "feeds.sqlite")
    parse = get_source("td-speedmap").parse
    snapshots = sorted((real_data / "td").glob("*-speedmap.xml"))
    for path in snapshots:
        store.add(parse(path.read_bytes()))
    layers = live_layers_for(city)
    return city, store, layers, snapshots


def test_traffic_links_are_joined_from_the_td_table(real_traffic):
    city, _, layers, _ = real_traffic
    traffic = next(la for la in layers if isinstance(la, TrafficLayer))
    assert len(traffic.keys) == 617
    assert traffic.segment_link.max() == 616 and len(np.unique(traffic.segment_link)) == 617
    # Draped: every segment sits on the ground or the sea surface, a few metres up.
    xy = traffic.segments[:, 0, :2].astype(float) + city.origin
    ground = np.fmax(np.nan_to_num(city.terrain.height_at(xy[:, 0], xy[:, 1]), nan=0.5), 0.5)
    assert np.allclose(traffic.segments[:, 0, 2], ground + 6.0, atol=1.0)


def test_binding_shows_the_speeds_of_the_snapshot_at_the_clock(real_traffic):
    _, store, layers, snapshots = real_traffic
    traffic = next(la for la in layers if isinstance(la, TrafficLayer))
    parse = get_source("td-speedmap").parse
    start, end = recorded_range(store, [traffic])
    clock = Clock(time=start, start=start, end=end)
    binding = FeedBinding(store, clock, [traffic])
    expected = {r.key: r.value for r in parse(snapshots[0].read_bytes())}
    shown = {k: v for k, v in zip(traffic.keys, traffic.values, strict=True) if np.isfinite(v)}
    assert shown == pytest.approx(expected) and len(shown) == 607
    assert (traffic.saturation[np.isfinite(traffic.values)] >= 0).all()
    first = traffic.values.copy()
    clock.seek(end)
    last = {r.key: r.value for r in parse(snapshots[-1].read_bytes())}
    shown = {k: v for k, v in zip(traffic.keys, traffic.values, strict=True) if np.isfinite(v)}
    assert shown == pytest.approx(last)
    assert (np.nan_to_num(first) != np.nan_to_num(traffic.values)).sum() > 50  # roads changed
    binding.close()


def test_traffic_colours_follow_speed_over_limit():
    from hktwin.render.live_visuals import NO_DATA, TRAFFIC, traffic_colors

    layer = TrafficLayer("t", keys=np.array(["a", "b", "c", "d"], dtype=object),
                         values=np.array([45, 30, 10, np.nan], np.float32),
                         limits=np.full(4, 50.0, np.float32),
                         saturation=np.array([2, 1, 0, -1], np.int8))
    rgb = traffic_colors(layer)
    assert np.allclose(rgb[:3], TRAFFIC[[0, 1, 2]]) and np.allclose(rgb[3], NO_DATA)
    layer.color_by = "saturation"
    assert np.allclose(traffic_colors(layer)[:3], TRAFFIC[[2, 1, 0]])
