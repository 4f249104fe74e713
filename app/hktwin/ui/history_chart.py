"""A pyqtgraph chart of one link's or station's history, with the clock's time marked."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from hktwin.feeds.store import FeedStore
from hktwin.model.clock import HKT, Clock

HINT = "Click a road link or a station to chart its day"


class QtHistoryChart(QWidget):
    """Shows `store.history(source, key)` over the recorded range; follows the clock.

    The plot is made on first use: pyqtgraph costs the window's start-up ~0.14 s otherwise.
    """

    def __init__(self, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.store: FeedStore | None = None
        self.series: tuple[str, str] | None = None
        self.plot = self.curve = self.now_line = None
        self.hint = QLabel(HINT)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.hint)
        self._origin: datetime | None = None
        self._last_live_reload: datetime | None = None
        #: issue 11: returns the traffic forecaster (hktwin.ai.live) or None; set by the window
        self.forecaster_of = lambda: None
        self.forecast_curve = self.band_item = None
        clock.events.time.connect(self._on_time)

    def _ensure_plot(self) -> None:
        if self.plot is not None:
            return
        import pyqtgraph as pg

        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.setLabel("bottom", "hours (HKT)")
        self.curve = self.plot.plot([], [], pen=pg.mkPen((20, 90, 200), width=2))
        # issue 11: the forecast median (dashed) and its 80 % band after the last reading
        self.forecast_curve = self.plot.plot([], [], pen=pg.mkPen(
            (20, 90, 200), width=2, style=Qt.PenStyle.DashLine))
        edge = pg.mkPen((20, 90, 200, 90), width=1)  # a pen: FillBetweenItem reads its path
        self._band_low = self.plot.plot([], [], pen=edge)
        self._band_high = self.plot.plot([], [], pen=edge)
        self.band_item = pg.FillBetweenItem(self._band_low, self._band_high,
                                            brush=pg.mkBrush(20, 90, 200, 70))
        self.plot.addItem(self.band_item)
        self.now_line = pg.InfiniteLine(angle=90, pen=pg.mkPen((220, 80, 0), width=1.5))
        self.plot.addItem(self.now_line)
        self.hint.hide()
        self._layout.addWidget(self.plot)

    def _hours(self, when: datetime) -> float:
        return (when - self._origin) / timedelta(hours=1) if self._origin else 0.0

    def show_series(self, store: FeedStore, source: str, key: str, title: str,
                    unit: str = "") -> int:
        """Plot one key's history; returns the number of points."""
        self._ensure_plot()
        self.store, self.series = store, (source, key)
        day = self.clock.time.astimezone(HKT).replace(hour=0, minute=0, second=0, microsecond=0)
        self._origin = day
        self.plot.setTitle(title)
        self.plot.setLabel("left", unit)
        return self._reload()

    def _reload(self) -> int:
        if self.store is None or self.series is None:
            return 0
        rows = self.store.history(*self.series, start=self.clock.start, end=self.clock.end)
        x = np.array([self._hours(r.observed_at) for r in rows])
        y = np.array([np.nan if r.value is None else r.value for r in rows], dtype=float)
        self.curve.setData(x, y, connect="finite")
        self._show_forecast()
        self._on_time(self.clock.time)
        return len(rows)

    def _show_forecast(self) -> None:
        """issue 11: the forecast from the last reading (0, 15, 30, 60 min) with its band."""
        xs = ys = lo = hi = []
        forecaster, origin = self.forecaster_of(), self.clock.forecast_from
        if forecaster is not None and origin is not None and self.series is not None \
                and self.series[0] == forecaster.source:
            try:
                fc = forecaster.forecast(origin)
                j = fc.link_ids.index(self.series[1])
            except Exception:  # not a link of the model, or the forecast failed: none drawn
                j = None
            if j is not None and np.isfinite(fc.observed[j]):
                xs = [self._hours(origin + timedelta(minutes=m)) for m in (0, *fc.horizons_min)]
                ys = [fc.observed[j], *fc.p50[:, j]]
                lo = [fc.observed[j], *fc.p10[:, j]]
                hi = [fc.observed[j], *fc.p90[:, j]]
        self.forecast_curve.setData(xs, ys)
        self._band_low.setData(xs, lo)
        self._band_high.setData(xs, hi)

    def _on_time(self, when: datetime) -> None:
        if self.plot is None or self.series is None:
            return
        self.now_line.setPos(self._hours(when))
        if self.clock.live and (self._last_live_reload is None
                                or when - self._last_live_reload > timedelta(seconds=30)):
            self._last_live_reload = when
            self._reload()  # new observations arrive while live

    def clear(self) -> None:
        self.series = None
        self._origin = None
        if self.plot is not None:
            self.curve.setData([], [])
            for item in (self.forecast_curve, self._band_low, self._band_high):
                item.setData([], [])
            self.plot.setTitle(HINT)
