"""The recorded day plays back in the window: the clock runs, the traffic colours change on the
roads, and a clicked link shows its history."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from gui_helpers import render

from hktwin.model.camera import CameraPose
from hktwin.model.clock import HKT
from hktwin.render.live_visuals import traffic_colors


def test_a_recorded_hour_plays_with_traffic_colours_changing(qtbot, window, load):
    load(window)
    clock = window.twin.clock
    traffic = window.twin.layers.get("Traffic")
    assert clock.start is not None and clock.end - clock.start >= timedelta(hours=23)
    assert clock.time.astimezone(HKT).hour == 8  # opens on the morning rush hour
    window.twin.camera = CameraPose((835_500.0, 818_500.0, 0.0), 9000.0, 10.0, 45.0)
    clock.seek(clock.start + timedelta(hours=6, minutes=30))
    start_colors = traffic_colors(traffic).copy()
    start_image = render(window)
    start_time = clock.time
    window.time_bar.speed.setCurrentIndex(window.time_bar.speed.findData(3600.0))
    window.time_bar.play.click()
    assert clock.playing
    qtbot.waitUntil(lambda: clock.time - start_time >= timedelta(hours=1), timeout=10_000)
    window.time_bar.play.click()
    assert not clock.playing
    changed = np.abs(traffic_colors(traffic) - start_colors).sum(axis=1) > 0.1
    assert changed.sum() >= 10, "the morning rush should change the colour of many links"
    image = render(window)
    diff = np.abs(image[..., :3].astype(int) - start_image[..., :3].astype(int)).sum(axis=-1)
    assert (diff > 60).sum() > 200, "the picture shows the change"
    assert window.time_bar.label.text().startswith(clock.time.astimezone(HKT).strftime(
        "%Y-%m-%d %H:%M"))


def test_clicking_a_link_charts_its_day(qtbot, window, load):
    load(window)
    traffic = window.twin.layers.get("Traffic")
    window.twin.camera = CameraPose((835_500.0, 818_500.0, 0.0), 9000.0, 10.0, 45.0)
    scene = window.canvas.city_scene
    ends = scene._project_scene(traffic.segments[:, 0])
    w, h = window.canvas.size
    on_screen = np.flatnonzero((ends[:, 0] > 50) & (ends[:, 0] < w - 50) & (ends[:, 1] > 50)
                               & (ends[:, 1] < h - 50))
    seg = on_screen[len(on_screen) // 2]
    xy = (traffic.segments[seg, 0] + traffic.segments[seg, 1]) / 2
    window.pick_at(tuple(scene._project_scene(xy[None, :])[0]))
    selection = window.twin.selection
    assert selection is not None and selection["source"] == "td-speedmap"
    assert selection["key"] == traffic.keys[traffic.segment_link[seg]]
    assert window.inspector.values["value"].text().endswith("km/h")
    x, y = window.history.curve.getData()
    assert len(x) >= 24 * 12 - 1 and np.nanmax(y) > np.nanmin(y)


def test_clearing_the_selection_empties_the_history_chart(qtbot, window, load):
    load(window)
    traffic = window.twin.layers.get("Traffic")
    store = window.session.feeds.store
    window.session.select_live(traffic, 0)
    window.history.show_series(store, traffic.source, traffic.keys[0], "link", "km/h")
    assert len(window.history.curve.getData()[0]) > 0
    window.session.clear_selection()
    x, _ = window.history.curve.getData()
    assert x is None or len(x) == 0
