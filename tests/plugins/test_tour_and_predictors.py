"""Tour step kinds and predictors are plugin contributions the app consults: a plugin's step
runs when a tour names it (a skip is a skip, a crash disables only that plugin), and the live
binding asks the predictors for a forecaster (the built-in one is the demo traffic model)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from plugin_test_helpers import write_plugin

import hktwin.plugins as hp

STEPS = """
    [plugin]
    name = "steps"
    api = "1.0"

    [[tour]]
    name = "tint"
    run = "hkt_test_steps.steps:tint"

    [[tour]]
    name = "crash"
    run = "hkt_test_steps.steps:crash"

    [[predictors]]
    name = "flat"
    predictor = "hkt_test_steps.steps:flat"
    sources = ["aqhi"]
"""
CODE = {"steps.py": """
    import hktwin.plugins as hp

    def tint(session, params):
        if "colour" not in params:
            raise hp.StepSkipped("no colour given")
        session.tinted = params["colour"]
        def undo():
            session.tinted = None
        return undo

    def crash(session, params):
        raise RuntimeError("a deliberately broken step")

    class Flat:
        source = "aqhi"
        horizon_s = 3600
        def values_at(self, origin, when):
            return {}

    def flat(store_path, source, keys):
        return Flat() if "Central" in keys else None
"""}


class FakeSession:
    tinted = None


def test_a_plugin_step_runs_skips_and_a_crash_disables_only_that_plugin(site, fresh):
    write_plugin(site, "steps", STEPS, CODE)
    reg = fresh()
    assert {"tint", "crash"} <= set(hp.tour_step_names())
    assert hp.tour_step("no-such-step") is None
    session = FakeSession()
    undo = hp.tour_step("tint")(session, {"colour": "red"})
    assert session.tinted == "red"
    undo()
    assert session.tinted is None
    with pytest.raises(hp.StepSkipped, match="no colour"):
        hp.tour_step("tint")(session, {})
    assert reg.plugin("steps").active  # a skipped step is not a failure
    with pytest.raises(hp.PluginError, match="deliberately broken"):
        hp.tour_step("crash")(session, {})
    assert not reg.plugin("steps").active
    assert reg.plugin("builtin").active
    assert "tint" not in hp.tour_step_names()
    with pytest.raises(hp.PluginError, match="deliberately broken"):  # the tour skips it
        hp.tour_step("tint")(session, {"colour": "red"})


def test_predictors_are_asked_by_source_and_keys(site, fresh):
    write_plugin(site, "steps", STEPS, CODE)
    fresh()
    found = hp.forecaster_for(None, "aqhi", ["Central", "Mong Kok"])
    assert type(found).__name__ == "Flat"
    assert hp.forecaster_for(None, "aqhi", ["Tung Chung"]) is None  # it declined
    assert hp.forecaster_for(None, "hko-rhrread", ["Central"]) is None  # not its source


def test_the_demo_traffic_model_is_the_builtin_predictor(tmp_path):
    """The built-in predictor answers for the demo city's TD links and declines other keys."""
    from hktwin.ai.demo import demo_model_dir
    from hktwin.ai.traffic import load

    try:
        model = load(demo_model_dir())
    except Exception as exc:  # another scikit-learn than the shipped model's
        pytest.skip(f"the shipped demo model does not load here: {exc}")
    c = hp.contribution("predictors", "traffic-demo")
    assert c.plugin == "builtin"
    links = [str(k) for k in model.link_ids[:50]]
    found = hp.forecaster_for(tmp_path / "store.sqlite", "td-speedmap", links)
    assert found is not None and found.source == "td-speedmap"
    assert found.horizon_s == max(model.horizons) * 60
    assert hp.forecaster_for(tmp_path / "store.sqlite", "td-speedmap", ["no-such-link"]) is None


def test_a_binding_shows_a_plugin_forecast_on_its_source_layers(tmp_path):
    """FeedBinding paints a forecaster's values on the layers of the forecaster's source (not
    only on traffic layers) once the clock is past the last reading."""
    from hktwin.feeds.store import FeedStore
    from hktwin.model.clock import Clock
    from hktwin.model.live import FeedBinding
    from hktwin.model.live_layers import LiveLayer

    last = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    class Ahead:
        source = "aqhi"
        horizon_s = 3600

        def values_at(self, origin, when):
            return {"Central": type("V", (), {"p10": 3.0, "p50": 4.0, "p90": 6.0})()}

    layer = LiveLayer("Air quality", source="aqhi", keys=np.array(["Central", "Tung Chung"],
                                                                   object))
    clock = Clock(time=last)
    clock.forecast_from = last
    clock.set_range(last, datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    binding = FeedBinding(FeedStore(tmp_path / "store.sqlite"), clock, [layer], Ahead())
    clock.seek(datetime(2026, 3, 2, 8, 30, tzinfo=UTC))
    assert layer.values[0] == pytest.approx(4.0) and np.isnan(layer.values[1])
    binding.close()
