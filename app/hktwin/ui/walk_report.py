"""The walk report dock: along the walk, where each anchor was visible and where coverage fell
short of its requirement, as a chart against distance walked and a table (with CSV export).

The report is `analysis.ar.walk.evaluate_walk` over the session's walk
(`session.walks.evaluate_session_walk`), run as the session task "walk" (progress in the dock,
cancellable), again whenever the walk changes or a coverage evaluation finishes. Without a
coverage evaluation the coverage columns say "not evaluated".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hktwin.core.errors import Cancelled, HKTwinError

WALK_TASK = "walk"
DEBOUNCE_MS = 400
HEADERS = ("Anchor", "Seen", "Seen from–to (m)", "Coverage short (m)")
NOT_EVALUATED = "not evaluated"


def spans_text(spans: list[tuple[float, float]] | None) -> str:
    if spans is None:
        return NOT_EVALUATED
    return ", ".join(f"{a:.0f}–{b:.0f}" for a, b in spans) if spans else "none"


def table_cells(rows: list[dict]) -> list[list[str]]:
    """The table's text, one list per anchor (what a test compares with `WalkReport.table()`)."""
    return [[r["name"] or r["id"], f"{r['seen_share']:.0%}", spans_text(r["seen_m"]),
             spans_text(r["below_requirement_m"])] for r in rows]


class QtWalkReport(QWidget):
    """Chart and table of the session's walk report."""

    def __init__(self, window: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.session = window.session
        self.walk = self.session.walk
        self.report: Any = None
        self._pending = False
        self.task = None

        self.summary = QLabel("")
        self.summary.setObjectName("walkReportSummary")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("walk %p%")
        self.progress.setFixedWidth(220)
        keep = self.progress.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # showing it never lays the window out again
        self.progress.setSizePolicy(keep)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.recompute_button = QPushButton("Recompute")
        self.recompute_button.clicked.connect(self.evaluate)
        self.export_button = QPushButton("Export CSV...")
        self.export_button.setObjectName("walkReportExport")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(lambda: self.export_csv())
        top = QHBoxLayout()
        top.addWidget(self.progress)
        top.addStretch(1)
        for b in (self.cancel_button, self.recompute_button, self.export_button):
            top.addWidget(b)

        import pyqtgraph as pg

        self.chart = pg.GraphicsLayoutWidget()
        self.chart.setBackground("w")
        self.chart.setMinimumHeight(260)
        self.rsrp_plot = self.chart.addPlot(row=0, col=0)
        self.rsrp_plot.setLabel("left", "RSRP (dBm)")
        self.rsrp_plot.showGrid(x=True, y=True, alpha=0.3)
        self.tput_plot = self.chart.addPlot(row=1, col=0)
        self.tput_plot.setLabel("left", "Mbit/s")
        self.tput_plot.showGrid(x=True, y=True, alpha=0.3)
        self.seen_plot = self.chart.addPlot(row=2, col=0)
        self.seen_plot.setLabel("bottom", "distance walked (m)")
        self.seen_plot.setLabel("left", "seen / short")
        for p in (self.tput_plot, self.seen_plot):
            p.setXLink(self.rsrp_plot)
        for p in (self.rsrp_plot, self.tput_plot, self.seen_plot):
            p.getAxis("left").setWidth(104)  # one left edge: distances line up down the chart
        for p in (self.rsrp_plot, self.tput_plot):
            p.getAxis("bottom").setStyle(showValues=False)  # the bottom plot says the metres
        self.chart.ci.layout.setRowStretchFactor(2, 2)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("walkReportTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(self.chart)
        body.addWidget(self.table)
        body.setStretchFactor(0, 1)
        body.setStretchFactor(1, 1)
        body.setSizes([520, 480])
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(top)
        layout.addWidget(body, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.evaluate)
        self._stale = False
        self._anchors: tuple = ()
        self._scenario = None
        self.walk.changed.connect(self._schedule)
        self.session.planning.evaluated.connect(self._schedule)
        self.session.planning.scenario_changed.connect(self._watch_scenario)
        self.session.tasks.progressed.connect(self._on_progress)
        self._watch_scenario(self.session.planning.scenario)
        self._schedule()

    # -- computing -----------------------------------------------------------------------------
    def _schedule(self, *_: object) -> None:
        self._debounce.start()

    def _watch_scenario(self, scenario: Any) -> None:
        if self._scenario is not None:
            self._scenario.changed.disconnect(self._on_scenario_edit)
        self._scenario = scenario
        self._anchors = tuple(scenario.anchors)
        scenario.changed.connect(self._on_scenario_edit)
        self._schedule()

    def _on_scenario_edit(self) -> None:
        anchors = tuple(self._scenario.anchors)  # cells moving: the next evaluation tells
        if anchors != self._anchors:
            self._anchors = anchors
            self._schedule()

    def showEvent(self, event: Any) -> None:  # a report hidden meanwhile is worked out now
        super().showEvent(event)
        if self._stale:
            self._schedule()

    def _device(self) -> tuple[str, str]:
        view = getattr(self.window, "ar_view", None)
        if view is None:
            return "generic-phone", "portrait"
        return (view.device.currentData(),
                "portrait" if view.portrait.isChecked() else "landscape")

    def evaluate(self) -> Any:
        """Work out the report of the current walk as the task "walk" (a running one is
        cancelled and this one follows it)."""
        from hktwin.session.walks import evaluate_session_walk, latest_coverage

        self._debounce.stop()
        if not self.isVisible():  # a closed dock works nothing out until it is shown again
            self._stale = True
            return None
        self._stale = False
        tasks = self.session.tasks
        if tasks.running(WALK_TASK):
            self._pending = True
            tasks.cancel(WALK_TASK)
            return None
        if not self.walk.walkable or self.session.twin.city is None:
            self._show(None)
            self.summary.setText("No walk: draw one in the AR street view (Draw walk) or open "
                                 "one (View > Open Walk...)")
            return None
        city, points = self.session.twin.city, self.walk.points
        anchors = list(self.session.planning.scenario.anchors)
        coverage = latest_coverage(self.session.planning)
        device, orientation = self._device()

        def work(progress, cancel):
            def step(fraction: float, message: str) -> None:
                if cancel.is_set():
                    raise Cancelled("walk report cancelled")
                progress(fraction, message)

            return evaluate_session_walk(city, points, anchors, coverage, device, orientation,
                                         progress=step)

        self.task = tasks.submit(WALK_TASK, work, on_done=self._on_done,
                                 on_failed=self._on_failed, on_cancelled=self._on_cancelled)
        if self.task is not None:
            self.progress.setValue(0)
            self.progress.show()
            self.cancel_button.setEnabled(True)
            self.summary.setText(f"Working out the walk ({len(points)} points, "
                                 f"{self.walk.length_m:.0f} m)...")
        return self.task

    def cancel(self) -> None:
        self._pending = False
        self.session.tasks.cancel(WALK_TASK)

    def _on_progress(self, task, fraction: float, message: str) -> None:
        value = int(fraction * 1000)
        if task.name == WALK_TASK and value - self.progress.value() >= 100:
            # 10% steps: QProgressBar repaints at once, which costs ~30 ms beside a GL canvas
            self.progress.setValue(value)

    def _ended(self) -> None:
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        if self._pending:
            self._pending = False
            QTimer.singleShot(0, self.evaluate)

    def _on_done(self, report: Any) -> None:
        self._ended()
        self._show(report)

    def _on_failed(self, message: str) -> None:
        self._ended()
        self.summary.setText(f"Walk report failed: {message}")

    def _on_cancelled(self) -> None:
        self._ended()
        if not self._pending:
            self.summary.setText("Walk report cancelled")

    # -- showing -------------------------------------------------------------------------------
    def _show(self, report: Any) -> None:
        self.report = report
        self.export_button.setEnabled(report is not None)
        for p in (self.rsrp_plot, self.tput_plot, self.seen_plot):
            p.clear()
        self.table.setRowCount(0)
        if report is None:
            return
        rows = report.table()
        cells = table_cells(rows)
        self.table.setRowCount(len(cells))
        for i, row in enumerate(cells):
            for j, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self._draw_chart(report, rows)
        n_seen = sum(1 for r in rows if r["seen_m"])
        short = sum(1 for r in rows if r["below_requirement_m"])
        d = report.path.distance_m
        self.summary.setText(
            f"Walk of {d[-1]:.0f} m ({report.path.duration_s / 60:.1f} min at 1.4 m/s): "
            f"{n_seen} of {len(rows)} anchors seen"
            + (f", coverage short for {short}" if report.evaluated
               else "; coverage not evaluated (run Evaluate in the Planning panel)"))

    def _draw_chart(self, report: Any, rows: list[dict]) -> None:
        import pyqtgraph as pg

        chart = report.chart()
        d = chart["distance_m"]
        if report.evaluated:
            rsrp = np.asarray(chart["rsrp_dbm"], np.float64)
            self.rsrp_plot.plot(d, rsrp, pen=pg.mkPen((20, 90, 200), width=2), connect="finite")
            tput = np.asarray(chart["throughput_mbps"], np.float64)
            self.tput_plot.plot(d, tput, pen=pg.mkPen((30, 140, 60), width=2), connect="finite")
            # where a seen anchor is short of its requirement: shaded red behind the curves
            short_any = (chart["seen"] & ~chart["meets"]).any(axis=1)
            for a, b in _runs(d, short_any):
                for plot in (self.rsrp_plot, self.tput_plot):
                    region = pg.LinearRegionItem((a, b), movable=False,
                                                 brush=pg.mkBrush(230, 60, 50, 50),
                                                 pen=pg.mkPen(None))
                    region.setZValue(-10)
                    plot.addItem(region)
        else:
            for plot in (self.rsrp_plot, self.tput_plot):
                text = pg.TextItem(f"coverage {NOT_EVALUATED}", color=(120, 120, 120),
                                   anchor=(0.5, 0.5))
                plot.addItem(text)
                text.setPos(float(d[-1]) / 2, 0.5)
                plot.setYRange(0, 1)
        anchors = {a.id: a for a in self.session.planning.scenario.anchors}
        palette = [(200, 80, 20), (120, 40, 160), (0, 130, 140), (160, 120, 0), (90, 90, 90)]
        for j, r in enumerate(rows):  # each anchor's throughput requirement as a dashed line
            need = getattr(anchors.get(r["id"]), "required_dl_mbps", None)
            if report.evaluated and need is not None:
                self.tput_plot.addItem(pg.InfiniteLine(
                    pos=need, angle=0, label=r["name"] or r["id"],
                    labelOpts={"position": 0.12 + (0.26 * j) % 0.78,
                               "color": palette[j % len(palette)]},
                    pen=pg.mkPen(palette[j % len(palette)], width=1.2,
                                 style=Qt.PenStyle.DashLine)))
        # one row of bars per anchor: blue where seen, red where seen and short of coverage
        ticks = []
        for j, r in enumerate(rows):
            name = r["name"] or r["id"]
            ticks.append((j, name if len(name) <= 14 else name[:13] + "…"))
            for spans, colour, half in ((r["seen_m"], (40, 110, 210), 0.36),
                                        (r["below_requirement_m"] or [], (220, 50, 40), 0.18)):
                if spans:
                    x0 = np.array([a for a, _ in spans], float)
                    x1 = np.array([max(b, a + 0.5) for a, b in spans], float)
                    self.seen_plot.addItem(pg.BarGraphItem(
                        x0=x0, x1=x1, y0=np.full(len(spans), j - half),
                        y1=np.full(len(spans), j + half), brush=pg.mkBrush(*colour),
                        pen=pg.mkPen(None)))
        self.seen_plot.getAxis("left").setTicks([ticks])
        self.seen_plot.setYRange(-0.6, max(len(rows), 1) - 0.4)
        self.rsrp_plot.setXRange(0, float(d[-1]))

    def export_csv(self, path: Path | None = None) -> Path | None:
        """Write the table as CSV (asks for a file when `path` is None)."""
        from hktwin.core.files import atomic_write_text
        from hktwin.session.walks import report_csv

        if self.report is None:
            return None
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, "Export the walk report",
                                                    "walk-report.csv", "CSV (*.csv)")
            if not chosen:
                return None
            path = Path(chosen)
        try:
            out = atomic_write_text(path, report_csv(self.report.table()))
        except (HKTwinError, OSError) as exc:
            self.window._show_status(f"Cannot export the walk report: {exc}")
            self.window._warn("Cannot export the walk report", str(exc))
            return None
        self.window._show_status(f"Saved {out}")
        return out

    def close_report(self) -> None:
        """Stop listening to the session (the dock is going; the session may stay)."""
        import contextlib

        with contextlib.suppress(RuntimeError):  # Qt may have deleted the timer already
            self._debounce.stop()
        self.walk.changed.disconnect(self._schedule)
        self.session.planning.evaluated.disconnect(self._schedule)
        self.session.planning.scenario_changed.disconnect(self._watch_scenario)
        if self._scenario is not None:
            self._scenario.changed.disconnect(self._on_scenario_edit)
        self.session.tasks.progressed.disconnect(self._on_progress)
        self.session.tasks.cancel(WALK_TASK)


def _runs(d: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    if not mask.any():
        return []
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    starts = np.flatnonzero(np.diff(m) == 1)
    ends = np.flatnonzero(np.diff(m) == -1) - 1
    return [(float(d[a]), float(d[b]) + 0.5) for a, b in zip(starts, ends, strict=True)]


def show_walk_report(window: Any) -> QtWalkReport:
    """Show the walk report dock (made on first use, below the overview)."""
    from hktwin.ui.walk_panel import walk_overlay

    walk_overlay(window)  # the walk it reports on is drawn on the map
    report = getattr(window, "walk_report", None)
    if report is None:
        dock = QDockWidget("Walk Report", window)
        dock.setObjectName("dockWalkReport")
        report = QtWalkReport(window, dock)
        dock.setWidget(report)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        time_dock = getattr(window, "docks", {}).get("Time")
        if time_dock is not None:  # the report takes most of the bottom row
            window.resizeDocks([time_dock, dock], [1, 3], Qt.Orientation.Horizontal)
        window.walk_report, window.walk_report_dock = report, dock
        dock.destroyed.connect(lambda *_: report.close_report())
    window.walk_report_dock.show()
    window.walk_report_dock.raise_()
    return report
