"""Past the last reading, the replay shows the demo model's forecast on the traffic layer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from hktwin.ai import traffic
from hktwin.ai.demo import demo_history, demo_model_dir
from hktwin.core.errors import DataError

INCIDENT_LINK = 7


@pytest.fixture(scope="module")
def store_and_history(tmp_path_factory):
    from hktwin.feeds.base import Observation
    from hktwin.feeds.store import FeedStore

    try:
        traffic.load(demo_model_dir())
    except DataError as exc:
        pytest.skip(f"the shipped demo model does not load here ({exc})")
    history, _ = demo_history()
    recent = history.window(int(history.times[-1]) - 3 * 3600, int(history.times[-1]))
    recent.speed[15:23, INCIDENT_LINK] *= 0.2  # an injected incident: 40 minutes at a fifth
    store = FeedStore(tmp_path_factory.mktemp("store") / "feeds.sqlite")
    for i, t in enumerate(recent.times):
        when = datetime.fromtimestamp(int(t), UTC)
        store.add([Observation("td-speedmap", k, when,
                               None if np.isnan(recent.speed[i, j]) else float(recent.speed[i, j]),
                               "km/h") for j, k in enumerate(recent.link_ids)])
    return store, recent


def test_time_bar_runs_into_the_forecast(store_and_history):
    from hktwin.model.clock import Clock
    from hktwin.model.live_layers import TrafficLayer
    from hktwin.session.feeds import FeedService

    store, recent = store_and_history
    n = len(recent.link_ids)
    layer = TrafficLayer("Traffic", source="td-speedmap",
                         keys=np.array(recent.link_ids, dtype=object),
                         limits=np.full(n, 80.0, np.float32),
                         values=np.full(n, np.nan, np.float32),
                         saturation=np.full(n, -1, np.int8))
    clock = Clock(datetime.now(UTC))
    service = FeedService(clock)
    service.bind(store, [layer])
    last = datetime.fromtimestamp(int(recent.times[-1]), UTC)
    assert clock.forecast_from == last
    assert clock.end == last + timedelta(hours=1)
    clock.seek(last - timedelta(minutes=10))
    assert not layer.forecast
    j = 5
    assert layer.values[j] == pytest.approx(recent.speed[-3, j])
    clock.seek(last + timedelta(minutes=30))
    assert layer.forecast
    assert np.isfinite(layer.band).mean() > 0.95 and np.nanmin(layer.band) >= 0
    expected = traffic.forecast(traffic.load(demo_model_dir()), recent)
    assert layer.values[j] == pytest.approx(expected.p50[1, j], rel=1e-5)
    assert layer.describe(j)["forecast"] is True
    clock.seek(last)
    assert not layer.forecast
    # the incident layer's data arrives from a background scan
    import time

    forecaster = service.binding.forecaster
    deadline = time.monotonic() + 120
    while forecaster.incidents_at(last) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    hit = datetime.fromtimestamp(int(recent.times[15]), UTC)
    clock.seek(hit + timedelta(minutes=25))
    assert layer.incident[INCIDENT_LINK]
    assert "incident" in layer.describe(INCIDENT_LINK)
    clock.seek(hit - timedelta(minutes=10))
    assert not layer.incident[INCIDENT_LINK]
    service.close()
