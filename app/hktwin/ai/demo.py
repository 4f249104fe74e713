"""The demo's SIMULATED history and its shipped traffic model (or one trained at first use).

The shipped model (`resources/demo_model/traffic`) is stored with the scikit-learn version that
trained it; scikit-learn objects do not load across versions, so when the installed version
differs the demo model is retrained once (about a minute) into the user cache and reused.
"""

from __future__ import annotations

import logging
from pathlib import Path

from hktwin.ai.graph import LinkGraph, from_td_links
from hktwin.ai.history import SpeedHistory
from hktwin.core.errors import DataError
from hktwin.core.progress import Progress

log = logging.getLogger(__name__)

DEMO_COMMAND = "hktwin ai train traffic --out resources/demo_model/traffic"


def demo_model_dir() -> Path:
    from hktwin.core.paths import resources_dir

    return resources_dir() / "demo_model" / "traffic"


def demo_history() -> tuple[SpeedHistory, LinkGraph]:
    """The SIMULATED five weeks and the demo link table's road graph."""
    from hktwin.ai.simulate import demo_simulation

    sim = demo_simulation()
    return sim.history, from_td_links(sim.links_csv, sim.history.link_ids)


def demo_model(progress: Progress | None = None):
    """The shipped demo model, or the one trained into the cache when it cannot be loaded."""
    import sklearn

    from hktwin.ai import traffic
    from hktwin.core.paths import cache_dir

    try:
        return traffic.load(demo_model_dir())
    except DataError as exc:
        log.info("shipped demo model not usable (%s); using the cached one", exc)
    cached = cache_dir() / "ai" / f"demo-traffic-sklearn-{sklearn.__version__}"
    try:
        return traffic.load(cached)
    except DataError:
        pass
    from hktwin.ai.card import traffic_card

    history, graph = demo_history()
    model = traffic.fit(history, graph, progress=progress)
    traffic.save(model, cached, traffic_card(model, None, title="Traffic speed forecast (demo, "
                                                                "trained at first use)"))
    return model
