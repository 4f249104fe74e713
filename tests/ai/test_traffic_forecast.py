"""The traffic forecast end to end on SIMULATED history: train, save, load, predict, backtest."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from ai_helpers import subset

from hktwin.ai import traffic
from hktwin.ai.graph import empty_graph
from hktwin.ai.history import SpeedHistory


def test_backtest_never_lets_training_see_test_rows(small, small_backtest):
    history, _ = small
    result, seen = small_backtest
    assert len(seen) == 1
    train = seen[0]
    test_start = traffic.test_start_of(history, 0.2)
    assert train.times.max() < test_start
    n = train.n_times
    np.testing.assert_array_equal(train.speed, history.speed[:n])
    assert result["test_rows"] > 0


def test_changing_test_rows_does_not_change_the_fitted_model(small):
    history, graph = small
    history = subset(history, 12)
    graph = graph.reindex(history.link_ids)
    test_start = traffic.test_start_of(history, 0.2)
    first = history.index_of(test_start)
    spoiled = history.speed.copy()
    spoiled[first:] = np.random.default_rng(1).uniform(1, 300, spoiled[first:].shape)
    models = []

    def fit(train, g, **kw):
        kw["max_rows"] = 6_000
        models.append(traffic.fit(train, g, **kw))
        return models[-1]

    a = traffic.backtest(history, graph, fit_fn=fit)
    b = traffic.backtest(replace(history, speed=spoiled.astype(np.float32)), graph, fit_fn=fit)
    probe = traffic.forecast(models[0], history, int(history.times[first // 2]))
    again = traffic.forecast(models[1], history, int(history.times[first // 2]))
    np.testing.assert_array_equal(probe.p50, again.p50)
    np.testing.assert_array_equal(models[0].offsets[30], models[1].offsets[30])
    # ...while the scores do see the spoiled test rows
    assert a["horizons"][1]["persistence"]["mae"] != b["horizons"][1]["persistence"]["mae"]


def test_model_beats_persistence_at_30_minutes_on_simulated_history(small_backtest):
    result, _ = small_backtest
    h30 = next(h for h in result["horizons"] if h["minutes"] == 30)
    assert h30["model"]["mae"] < h30["persistence"]["mae"]
    assert h30["model"]["mae"] < h30["historical_mean"]["mae"]


def test_backtest_json_shape(small_backtest):
    result, _ = small_backtest
    doc = traffic.public(result)
    assert list(doc) == ["horizons", "links", "test_rows"]
    assert [h["minutes"] for h in doc["horizons"]] == [15, 30, 60]
    for h in doc["horizons"]:
        assert set(h["model"]) == {"mae", "rmse", "coverage80"}
        assert set(h["persistence"]) == set(h["historical_mean"]) == {"mae", "rmse"}
        assert 0.0 <= h["model"]["coverage80"] <= 1.0
        assert h["model"]["rmse"] >= h["model"]["mae"]


def test_persistence_score_matches_an_independent_computation(small, small_backtest):
    """The persistence baseline, recomputed here from the raw readings, on the rows where the
    link had a reading at the origin and at the target (no carry-forward, so rows with a gap at
    the origin are the only difference and there are few)."""
    history, _ = small
    result, _ = small_backtest
    test_start = traffic.test_start_of(history, 0.2)
    first = int(np.searchsorted(history.times, test_start))
    h = 3  # 15 minutes of 5-minute readings
    now = history.speed[first:-h]
    later = history.speed[first + h:]
    ok = np.isfinite(now) & np.isfinite(later)
    mae = float(np.mean(np.abs(now[ok] - later[ok])))
    reported = result["horizons"][0]["persistence"]["mae"]
    assert reported == pytest.approx(mae, rel=0.02)


def test_train_save_load_predict_round_trip(small, tmp_path):
    history, graph = small
    model = traffic.fit(history.before(int(history.times[2000])), graph, max_rows=6_000)
    traffic.save(model, tmp_path / "m", card="# card\n")
    loaded = traffic.load(tmp_path / "m")
    at = int(history.times[2500])
    a = traffic.forecast(model, history, at)
    b = traffic.forecast(loaded, history, at)
    np.testing.assert_array_equal(a.p50, b.p50)
    np.testing.assert_array_equal(a.p10, b.p10)
    assert np.all(a.p10[np.isfinite(a.p10)] <= a.p50[np.isfinite(a.p10)])
    assert np.all(a.p50[np.isfinite(a.p50)] <= a.p90[np.isfinite(a.p50)])
    doc = a.to_json()
    assert doc["horizons"] == [15, 30, 60]
    assert doc["links"][0]["link_id"] == history.link_ids[0]
    assert (tmp_path / "m" / "MODEL_CARD.md").read_text().startswith("# card")


def test_forecast_is_unit_agnostic(small):
    """Speeds in mph instead of km/h give the same forecast in mph: the model sees ratios."""
    history, graph = small
    train = history.before(int(history.times[2000]))
    mph = replace(train, speed=(train.speed * np.float32(0.621371)), unit="mph")
    km = traffic.fit(train, graph, max_rows=6_000)
    mi = traffic.fit(mph, graph, max_rows=6_000)
    at = int(history.times[2500])
    a = traffic.forecast(km, history, at)
    b = traffic.forecast(mi, replace(history, speed=history.speed * np.float32(0.621371)), at)
    ok = np.isfinite(a.p50)
    rel = np.abs(b.p50[ok] / (a.p50[ok] * 0.621371) - 1)
    # Not bit-identical: float32 ratios differ in the last digit, which moves a few histogram
    # bin edges of the gradient boosting; the forecasts agree to a per cent on average.
    assert rel.mean() < 0.02 and rel.max() < 0.1


def test_other_interval_and_no_graph(small):
    """10-minute readings with gaps and no road graph: the interval is inferred and it runs."""
    history, _ = small
    ten = replace(history, times=history.times[::2].copy(), step_s=600,
                  speed=history.speed[::2].copy())
    ten.speed[np.random.default_rng(2).random(ten.speed.shape) < 0.05] = np.nan
    result = traffic.backtest(ten, empty_graph(ten.link_ids), max_rows=9_000)
    h30 = result["horizons"][1]
    assert h30["model"]["mae"] is not None and result["test_rows"] > 0
    assert result["model_info"]["graph_edges"] == 0


def test_model_refuses_history_of_another_interval(small):
    history, graph = small
    model = traffic.fit(history.before(int(history.times[1500])), graph, max_rows=3_000)
    other = SpeedHistory(history.times[::3].copy(), 900, history.link_ids,
                         history.speed[::3].copy())
    from hktwin.core.errors import DataError

    with pytest.raises(DataError, match="retrain"):
        traffic.forecast(model, other)
