"""What a live traffic layer needs to show the forecast past "now", without Qt.

`TrafficForecaster.values_at(origin, when)` gives, for a time `when` up to an hour after the
last reading at or before `origin`, each link's forecast median and band, interpolated between
the horizons (0 minutes is the reading itself, then 15, 30, 60), in the same {key: value} shape
the feed store's `values_at` has, so a layer can show forecast and observation alike; and
`incident_links(origin)` the links flagged as unusual congestion at `origin`. Forecasts are
cached per origin, so scrubbing through the forecast hour costs one forecast.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from hktwin.ai.history import SpeedHistory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForecastValue:
    p10: float
    p50: float
    p90: float
    lead_min: float  # minutes after the last reading

    @property
    def band(self) -> float:
        """Width of the 80 % band (the history's units)."""
        return self.p90 - self.p10


class TrafficForecaster:
    """Forecasts of one model from one source of history (a store path or a history)."""

    def __init__(self, model, history: SpeedHistory | None = None, store_path=None,
                 source: str | None = None) -> None:
        if (history is None) == (store_path is None):
            raise ValueError("give either a history or a store path")
        self.model = model
        self.history = history
        self.store_path = store_path
        self.source = source
        self._cache: dict[int, object] = {}
        self._scan: dict[int, list[str]] = {}
        self._range_scan = None  # incidents.IncidentScan of a whole range, made in a thread

    @property
    def horizon_s(self) -> int:
        return max(self.model.horizons) * 60

    def _recent(self, origin: int, extra_s: int = 0) -> SpeedHistory:
        from hktwin.ai.traffic import lookback_s

        span = lookback_s(self.model.step_s) + extra_s
        if self.history is not None:
            return self.history.window(origin - span, origin)
        from datetime import UTC

        from hktwin.ai.history import read_store

        return read_store(self.store_path, self.source,
                          datetime.fromtimestamp(origin - span, UTC),
                          datetime.fromtimestamp(origin, UTC))

    def forecast(self, origin: datetime | int):
        """The `traffic.Forecast` from the last reading at or before `origin` (cached)."""
        from hktwin.ai.traffic import forecast

        t = int(origin.timestamp()) if isinstance(origin, datetime) else int(origin)
        key = t - t % self.model.step_s
        if key not in self._cache:
            if len(self._cache) > 32:
                self._cache.clear()
            self._cache[key] = forecast(self.model, self._recent(t), t)
        return self._cache[key]

    def values_at(self, origin: datetime | int, when: datetime | int
                  ) -> dict[str, ForecastValue]:
        """Each link's forecast at `when` (after `origin`, within the longest horizon)."""
        fc = self.forecast(origin)
        t = int(when.timestamp()) if isinstance(when, datetime) else int(when)
        lead = (t - fc.at) / 60.0
        if lead < 0 or lead > max(fc.horizons_min):
            return {}
        xs = np.array([0.0, *fc.horizons_min])
        out = {}
        for j, key in enumerate(fc.link_ids):
            now = fc.observed[j]
            if not np.isfinite(now) or not np.isfinite(fc.p50[:, j]).all():
                continue
            p = [float(np.interp(lead, xs, np.r_[now, q[:, j]])) for q in (fc.p10, fc.p50,
                                                                           fc.p90)]
            out[key] = ForecastValue(p[0], p[1], p[2], lead)
        return out

    def start_incident_scan(self, start: datetime, end: datetime) -> threading.Thread:
        """Scan [start, end] for incidents on a background thread (seconds for a day); until it
        is done `incidents_at` answers None."""
        def work() -> None:
            from hktwin.ai.incidents import scan

            try:
                t0, t1 = int(start.timestamp()), int(end.timestamp())
                history = self._recent(t1, t1 - t0 + 3600)
                self._range_scan = scan(self.model, history, t0, t1)
            except Exception:  # a failing scan leaves the layer without incidents
                log.exception("incident scan failed")

        thread = threading.Thread(target=work, name="hktwin-incidents", daemon=True)
        thread.start()
        return thread

    def incidents_at(self, when: datetime | int) -> list[str] | None:
        """Links flagged as unusual congestion at `when`, from the range scan (None: not yet)."""
        result = self._range_scan
        if result is None:
            return None
        t = int(when.timestamp()) if isinstance(when, datetime) else int(when)
        return result.active(t)

    def incidents(self) -> list | None:
        """The incidents (`ai.incidents.Incident`) of the scanned range, oldest first (None:
        the scan has not finished)."""
        result = self._range_scan
        return None if result is None else sorted(result.incidents, key=lambda i: i.start)

    def incident_links(self, origin: datetime | int) -> list[str]:
        """Links flagged as unusual congestion at `origin` (looking back two hours)."""
        from hktwin.ai.incidents import scan

        t = int(origin.timestamp()) if isinstance(origin, datetime) else int(origin)
        key = t - t % self.model.step_s
        if key not in self._scan:
            recent = self._recent(t, 2 * 3600)
            self._scan[key] = scan(self.model, recent, t - 2 * 3600, t).active(t)
        return self._scan[key]


def demo_forecaster(store_path, source: str, keys: list[str]) -> TrafficForecaster | None:
    """The built-in predictor (`hktwin-plugin.toml [[predictors]]`): the shipped demo traffic
    model, when it covers at least half of the layer's links (the demo city); never trains
    (that would block), never raises."""
    try:
        from hktwin.ai import traffic as ai_traffic
        from hktwin.ai.demo import demo_model_dir

        model = ai_traffic.load(demo_model_dir())
    except Exception as exc:  # no model, another scikit-learn: replay without a forecast
        log.info("no traffic forecast: %s", exc)
        return None
    wanted = {str(k) for k in keys}
    if len(wanted & set(model.link_ids)) < 0.5 * max(1, len(wanted)):
        return None
    return TrafficForecaster(model, store_path=store_path, source=source)
