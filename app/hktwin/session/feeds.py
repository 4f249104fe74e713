"""The feed service: the store the live layers read, the binding to the clock, the pollers, and
each source's state (live, stale, failing and why), evented. No Qt.

`state_changed` fires with a `feeds.poller.SourceState` whenever a poller reports, on the
polling thread; the window relays it to the GUI thread. `states` always holds the newest state
of every source, so a widget opened late, the CLI and tests read the same thing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from psygnal import Signal

from hktwin.model.clock import Clock
from hktwin.model.live import FeedBinding, recorded_range
from hktwin.model.live_layers import LiveLayer

if TYPE_CHECKING:
    from hktwin.feeds.poller import Poller, SourceState
    from hktwin.feeds.store import FeedStore

log = logging.getLogger(__name__)

#: Where the clock opens on a recording: its morning rush hour.
RECORDING_START_OFFSET = timedelta(hours=8)


def _forecaster(store, layers):
    """The first forecaster a predictor contribution offers for a bound live source (the
    built-in one: the demo traffic model on the demo city's links), else None."""
    from hktwin.plugins import forecaster_for

    for layer in layers:
        found = forecaster_for(store.path, layer.source, [str(k) for k in layer.keys])
        if found is not None:
            return found
    return None


class FeedService:
    """Recorded and live feeds for the open city's live layers."""

    state_changed = Signal(object)  # SourceState, on the polling thread

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.store: FeedStore | None = None
        self.binding: FeedBinding | None = None
        self.layers: list[LiveLayer] = []
        self.pollers: dict[str, Poller] = {}
        self.states: dict[str, SourceState] = {}

    def bind(self, store: FeedStore | None, layers: Iterable[LiveLayer]) -> None:
        """Show `layers` from `store` (the user's store when None), clock on the recording."""
        from hktwin.feeds.store import FeedStore, default_store_path

        self.close()
        self.store = store or FeedStore(default_store_path())
        self.layers = list(layers)
        start, end = recorded_range(self.store, self.layers)
        forecaster = _forecaster(self.store, self.layers) if end is not None else None
        self.clock.forecast_from = end if forecaster is not None else None
        # issue 11: the time bar runs past the last reading into the forecast hour.
        self.clock.set_range(start, end if forecaster is None else
                             end + timedelta(seconds=forecaster.horizon_s))
        if start is not None:
            self.clock.seek(min(start + RECORDING_START_OFFSET, end))
        self.binding = FeedBinding(self.store, self.clock, self.layers, forecaster)
        scan = getattr(forecaster, "start_incident_scan", None)
        if scan is not None:  # issue 11: the incident layer's data, off the GUI thread
            scan(start, end)

    def sources(self) -> list[str]:
        """The sources the bound live layers show."""
        return sorted({layer.source for layer in self.layers})

    def go_live(self, make_poller: Callable[..., Any] | None = None,
                interval_s: float | None = None) -> list[str]:
        """Poll every bound source into the store and follow the clock to now; the sources
        started (none when nothing is bound or polling already runs). With `interval_s` (the
        settings' feed polling interval) a source is polled that often, but never more often
        than it publishes (its own interval)."""
        if self.store is None or self.pollers:
            return []
        if make_poller is None:
            from hktwin.feeds.poller import Poller
            from hktwin.feeds.sources import get_source

            def make_poller(name: str, store, on_state):
                source = get_source(name)
                every = None if interval_s is None else max(float(interval_s),
                                                            source.interval_s)
                return Poller(source, store, on_state=on_state, interval_s=every)

        for name in self.sources():
            poller = make_poller(name, self.store, self._on_state)
            self.pollers[name] = poller
            poller.start()
        self.clock.set_range(self.clock.start, None)
        self.clock.forecast_from = None
        self.clock.go_live()
        return list(self.pollers)

    def stop(self) -> None:
        """Stop polling; each source's state becomes idle."""
        pollers, self.pollers = self.pollers, {}
        for poller in pollers.values():
            poller.stop(timeout_s=0.5)

    @property
    def live(self) -> bool:
        return bool(self.pollers)

    def state(self, source: str) -> SourceState | None:
        """The source's state now (a poller re-judges it against the clock: live goes stale
        by itself when nothing new arrives)."""
        poller = self.pollers.get(source)
        return poller.state if poller is not None else self.states.get(source)

    def _on_state(self, state: SourceState) -> None:
        self.states[state.source] = state
        self.state_changed.emit(state)

    def close(self) -> None:
        """Stop polling and unbind the layers (another city is opening, or the app closes)."""
        self.stop()
        if self.binding is not None:
            self.binding.close()
            self.binding = None
        self.layers = []
