"""issue 11: the time bar plays past the last reading into the forecast; forecast links are
drawn dashed and faded by their band's width."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from gui_helpers import render

from hktwin.model.camera import CameraPose


def test_time_bar_plays_into_the_forecast(qtbot, window, load, tmp_path):
    load(window)
    clock = window.twin.clock
    traffic = window.twin.layers.get("Traffic")
    if clock.forecast_from is None:
        pytest.skip("no traffic forecast model loads here (see hktwin.ai.demo)")
    assert clock.end == clock.forecast_from + timedelta(hours=1)
    for layer in window.twin.layers:  # the links alone on the ground (plugins draw over roads)
        layer.visible = layer.name in ("Terrain", "Sea", "Traffic")
    window.twin.camera = CameraPose((835_500.0, 818_500.0, 0.0), 5000.0, 10.0, 70.0)
    adapter = next(a for a in window.canvas.city_scene.adapters.values() if a.layer is traffic)
    clock.seek(clock.forecast_from)
    qtbot.wait(50)
    observed = np.asarray(adapter.visual.color).copy()
    assert not traffic.forecast and "FORECAST" not in window.time_bar.label.text()
    clock.seek(clock.forecast_from + timedelta(minutes=30))
    qtbot.wait(50)
    assert traffic.forecast and window.time_bar.label.text().endswith("FORECAST")
    assert np.isfinite(traffic.band).mean() > 0.9
    ahead = np.asarray(adapter.visual.color)
    # dashed: every other segment of the forecast nearly transparent; the rest paler
    assert (ahead[:, 3] < 0.5 * observed[:, 3]).mean() == pytest.approx(0.5, abs=0.05)
    solid = ahead[:, 3] >= 0.5 * observed[:, 3]
    assert (ahead[solid, :3].mean(axis=1) > observed[solid, :3].mean(axis=1)).mean() > 0.9
    render(window)  # draws without error


def test_link_chart_shows_the_forecast_and_its_band(qtbot, window, load):
    load(window)
    clock = window.twin.clock
    if clock.forecast_from is None:
        pytest.skip("no traffic forecast model loads here (see hktwin.ai.demo)")
    traffic = window.twin.layers.get("Traffic")
    key = str(traffic.keys[10])
    window.history.show_series(window.session.feeds.store, "td-speedmap", key, "a link", "km/h")
    x, _ = window.history.curve.getData()
    fx, fy = window.history.forecast_curve.getData()
    assert len(fx) == 4 and fx[0] == pytest.approx(np.nanmax(x), abs=0.1)  # after the line
    _, lo = window.history._band_low.getData()
    _, hi = window.history._band_high.getData()
    assert np.all(lo <= fy + 1e-9) and np.all(fy <= hi + 1e-9) and hi[-1] > lo[-1]


def test_the_incidents_dock_lists_the_scan_and_goes_to_an_incident(qtbot, window, load):
    """The built-in plugin's Incidents dock fills from the forecaster's scan of the recorded day;
    a click moves the clock to the incident and selects its link."""
    from hktwin.ui.incident_list import IncidentList

    load(window)
    forecaster = getattr(window.session.feeds.binding, "forecaster", None)
    if forecaster is None:
        pytest.skip("no traffic forecast model loads here (see hktwin.ai.demo)")
    dock = next(d for d in window.docks.values() if isinstance(d.widget(), IncidentList))
    panel = dock.widget()
    qtbot.waitUntil(lambda: forecaster.incidents() is not None, timeout=90_000)
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=5000)
    found = forecaster.incidents()
    assert panel.table.rowCount() == len(found)  # the recorded day has incidents (issue 11)
    traffic = window.twin.layers.get("Traffic")
    first = found[0]
    names = dict(zip([str(k) for k in traffic.keys], traffic.names, strict=False))
    assert panel.table.item(0, 4).text() == str(names.get(first.link_id, f"Link {first.link_id}"))
    panel.table.cellClicked.emit(0, 1)
    assert int(window.twin.clock.time.timestamp()) == first.start
    selection = window.twin.selection
    assert selection is not None and selection.kind == "live" and selection.key == first.link_id
    assert panel.table.item(0, 0).font().bold()  # under way at the clock's time
