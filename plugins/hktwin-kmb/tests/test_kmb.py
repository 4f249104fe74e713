"""The KMB RouteETA parser on the saved document (published shape), its refusals, and the stops
layer built from the static stop tables."""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace

import numpy as np
import pytest
from hktwin_kmb.feed import NAME, make_source, parse
from hktwin_kmb.layer import SAMPLE_FILE, BusStopsLayer, data_file, inspector_rows, make_layers

import hktwin.plugins as hp


def test_the_saved_document_gives_one_row_per_stop_with_the_next_bus():
    rows = parse(data_file(SAMPLE_FILE))
    doc = json.loads(data_file(SAMPLE_FILE))
    assert len(rows) == len({(d["dir"], d["seq"]) for d in doc["data"]})
    first = next(r for r in rows if r.key == "1A/O/1")
    generated = datetime.fromisoformat(doc["generated_timestamp"])
    etas = sorted(datetime.fromisoformat(d["eta"]) for d in doc["data"]
                  if d["seq"] == 1 and d["eta"])
    assert first.value == pytest.approx((etas[0] - generated).total_seconds() / 60)
    assert first.attrs["etas"] == [t.isoformat() for t in etas]  # the null ETA is left out
    assert "Final Bus" in first.attrs["remarks"]
    assert first.observed_at.utcoffset().total_seconds() == 8 * 3600
    assert all(r.source == NAME and r.unit == "min" for r in rows)


@pytest.mark.parametrize("doc", [b"<html>rate limited</html>",
                                 json.dumps({"type": "StopList", "data": []}).encode(),
                                 json.dumps({"type": "RouteETA", "data": [{"route": "1A"}]}
                                            ).encode()])
def test_documents_of_another_shape_are_refused(doc):
    with pytest.raises(hp.FeedFormatError):
        parse(doc)


def test_the_source_polls_kmb_every_minute():
    source = make_source()
    assert isinstance(source, hp.FeedSource)
    assert source.url.startswith("https://data.etabus.gov.hk/v1/transport/kmb/route-eta/")
    assert source.interval_s == 60


def fake_city():
    terrain = SimpleNamespace(height_at=lambda x, y: np.full(np.shape(x), 5.0))
    return SimpleNamespace(bounds=(799400.0, 799000.0, 863500.0, 847900.0),
                           origin=(831000.0, 823000.0), terrain=terrain)


def test_the_layer_places_the_route_s_stops_in_kowloon_with_the_sample_arrivals():
    (layer,) = make_layers(fake_city())
    assert isinstance(layer, BusStopsLayer) and layer.sample
    assert len(layer.keys) == 12 and layer.names[0] == "STAR FERRY"
    east = layer.positions[:, 0] + 831000.0
    north = layer.positions[:, 1] + 823000.0
    # Tsim Sha Tsui to Sau Mau Ping: Kowloon, 834-842 km east, 815-823 km north
    assert np.all((east > 834_000) & (east < 842_500))
    assert np.all((north > 815_000) & (north < 823_500))
    assert np.all(np.diff(north[:6]) > 0)  # up Nathan Road, northwards
    assert np.isfinite(layer.values).all()
    assert inspector_rows(layer, 0)[2][1].count(":") >= 2  # at least two next buses
    assert "sample" in layer.summary


def test_a_click_near_a_stop_picks_it_and_the_inspector_shows_its_next_buses():
    (layer,) = make_layers(fake_city())
    # a camera looking straight down: screen pixels are scene metres / 10
    project = lambda pts: np.asarray(pts)[:, :2] / 10.0  # noqa: E731
    star_ferry = layer.positions[0] + np.array([0.0, 0.0, 40.0])
    ray = SimpleNamespace(pixel=(star_ferry[0] / 10 + 3, star_ferry[1] / 10 - 2), project=project,
                          origin=star_ferry + np.array([0.0, 0.0, 1000.0]))
    from hktwin_kmb.layer import pick

    hit = pick(layer, ray)
    assert hit.item == 0 and hit.kind == "station" and hit.screen_px == pytest.approx(13 ** 0.5)
    far = SimpleNamespace(pixel=(star_ferry[0] / 10 + 50, star_ferry[1] / 10), project=project,
                          origin=ray.origin)
    assert pick(layer, far) is None or pick(layer, far).item != 0
    info = layer.describe(0)
    assert info["name"] == "STAR FERRY" and info["Next buses"].count(":") >= 2


def test_the_sample_stays_until_the_feed_has_data_then_live_values_replace_it():
    (layer,) = make_layers(fake_city())
    before = layer.values.copy()
    layer.update({})  # a store with nothing from this source yet
    assert layer.sample and np.array_equal(layer.values, before, equal_nan=True)
    rows = parse(data_file(SAMPLE_FILE))
    first = rows[0]
    layer.update({first.key: (7.0, first.observed_at, first.attrs)})
    assert not layer.sample
    assert layer.values[list(layer.keys).index(first.key)] == 7.0
    assert np.isnan(layer.values).sum() == len(layer.keys) - 1
