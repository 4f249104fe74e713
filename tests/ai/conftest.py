"""Small SIMULATED histories for the forecast tests (a subset of the demo simulator's links)."""

from __future__ import annotations

import pytest
from ai_helpers import subset

from hktwin.ai.graph import from_td_links
from hktwin.ai.simulate import simulate


@pytest.fixture(scope="session")
def sim21():
    """Three simulated weeks of all 412 demo links (the simulator is seeded)."""
    return simulate(days=21)


@pytest.fixture(scope="session")
def small(sim21):
    """(history, graph): 40 links, three weeks."""
    history = subset(sim21.history, 40)
    return history, from_td_links(sim21.links_csv, history.link_ids)


@pytest.fixture(scope="session")
def small_backtest(small):
    """The backtest of a model trained on the first 80 % of `small`, recording what fit saw."""
    from hktwin.ai import traffic

    seen = []

    def recording_fit(train, graph, **kw):
        seen.append(train)
        kw["max_rows"] = 20_000
        return traffic.fit(train, graph, **kw)

    history, graph = small
    result = traffic.backtest(history, graph, test_fraction=0.2, fit_fn=recording_fit)
    return result, seen
