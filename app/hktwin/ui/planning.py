"""The planning panel: the scenario's sites, placing tools, evaluation controls and the metrics
table, over the session's `Planning` (`hktwin.session.planning`), which owns the scenario, its
undo stack, the evaluations and the results. Nothing here computes or keeps state of its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from hktwin.model.analysis_layers import SCALES
from hktwin.model.scenario import Scenario
from hktwin.session.planning import RESOLUTIONS, Planning
from hktwin.ui.site_editor import QtSiteEditor

PLACE_KINDS = (("cell", "Small cell"), ("anchor", "AR anchor"), ("sensor", "Sensor"))


class QtPlanningPanel(QWidget):
    """Sites, placing tools, evaluation controls and the metrics table."""

    def __init__(self, controller: Planning, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        layout = QVBoxLayout(self)
        place_row = QHBoxLayout()
        self.place_buttons = QButtonGroup(self)
        self.place_buttons.setExclusive(False)
        for kind, label in PLACE_KINDS:
            button = QPushButton(f"Place {label.lower()}")
            button.setCheckable(True)
            button.setObjectName(f"place_{kind}")
            button.toggled.connect(lambda on, k=kind: self._on_place(k, on))
            self.place_buttons.addButton(button)
            place_row.addWidget(button)
        layout.addLayout(place_row)
        self.sites = QListWidget()
        self.sites.setObjectName("siteList")
        layout.addWidget(self.sites, 1)
        self.delete = QPushButton("Delete site")
        layout.addWidget(self.delete)
        self.editor = QtSiteEditor(controller.scenario, controller.editor)
        layout.addWidget(self.editor)
        eval_row = QHBoxLayout()
        self.resolution = QComboBox()
        for r in RESOLUTIONS:
            self.resolution.addItem(f"{r:g} m grid", r)
        self.resolution.setCurrentIndex(RESOLUTIONS.index(controller.resolution_m))
        self.evaluate = QPushButton("Evaluate coverage")
        self.evaluate.setObjectName("evaluateButton")
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        self.compare = QPushButton("Compare last two")
        for w in (self.resolution, self.evaluate, self.cancel, self.compare):
            eval_row.addWidget(w)
        layout.addLayout(eval_row)
        self.legend = QLabel()
        self.legend.setObjectName("coverageLegend")
        layout.addWidget(self.legend)
        self.metrics = QTableWidget(0, 2)
        self.metrics.setObjectName("metricsTable")
        self.metrics.setHorizontalHeaderLabels(["Metric", "Value"])
        self.metrics.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.metrics, 1)

        self.sites.currentRowChanged.connect(self._on_row)
        self.delete.clicked.connect(self.delete_selected)
        self.resolution.currentIndexChanged.connect(
            lambda i: setattr(controller, "resolution_m", float(self.resolution.itemData(i))))
        self.evaluate.clicked.connect(controller.evaluate)
        self.cancel.clicked.connect(controller.cancel)
        self.compare.clicked.connect(self._compare)
        controller.busy.connect(self._on_busy)
        controller.evaluated.connect(self.show_metrics)
        controller.scenario_changed.connect(self.bind)
        self.bind(controller.scenario)
        self.legend.setText(_legend_html("rsrp"))

    def bind(self, scenario: Scenario) -> None:
        scenario.changed.connect(self.refresh)
        scenario.events.selected.connect(self.refresh)
        self.editor.set_scenario(scenario, self.controller.editor)
        self.refresh()

    def refresh(self, *_: object) -> None:
        scenario = self.controller.scenario
        self.sites.blockSignals(True)
        self.sites.clear()
        ids = []
        for record in scenario.sites():
            kind = scenario.kind_of(record.id)
            self.sites.addItem(f"{record.id} · {kind} · {record.x:,.0f} E {record.y:,.0f} N"
                               f" · {record.ground_m + record.height_m:.0f} m")
            ids.append(record.id)
        if scenario.selected in ids:
            self.sites.setCurrentRow(ids.index(scenario.selected))
        self.sites.blockSignals(False)
        self._ids = ids
        self.delete.setEnabled(scenario.selected is not None)

    def _on_row(self, row: int) -> None:
        if 0 <= row < len(self._ids):
            self.controller.editor.select(self._ids[row])

    def _on_place(self, kind: str, on: bool) -> None:
        if on:
            for button in self.place_buttons.buttons():
                if button.objectName() != f"place_{kind}":
                    button.setChecked(False)
            self.controller.place_kind = kind
        elif self.controller.place_kind == kind:
            self.controller.place_kind = None

    def stop_placing(self) -> None:
        for button in self.place_buttons.buttons():
            button.setChecked(False)

    def delete_selected(self) -> None:
        self.controller.delete_selected()

    def _on_busy(self, busy: bool) -> None:
        self.evaluate.setEnabled(not busy)
        self.cancel.setEnabled(busy)

    def show_metrics(self, evaluation) -> None:
        self.fill_table(flatten_metrics(evaluation.metrics))

    def _compare(self) -> None:
        comparison = self.controller.compare_last_two()
        if comparison is not None:
            rows = [(f"Δ {k}", v) for k, v in comparison["summary"].items()]
            for row in comparison["table"]:
                rows.append((f"Δ {row.get('metric', '?')}", row.get("delta")))
            self.fill_table(rows)
            self.legend.setText(_legend_html("difference"))

    def fill_table(self, rows: list[tuple[str, Any]]) -> None:
        self.metrics.setRowCount(len(rows))
        for i, (name, value) in enumerate(rows):
            self.metrics.setItem(i, 0, QTableWidgetItem(name))
            self.metrics.setItem(i, 1, QTableWidgetItem(_fmt(value)))


def flatten_metrics(metrics: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested metric dicts and lists as (dotted name, value) rows."""
    rows: list[tuple[str, Any]] = []
    if isinstance(metrics, dict):
        for key, value in metrics.items():
            rows += flatten_metrics(value, f"{prefix}{key}.")
    elif isinstance(metrics, list | tuple) and metrics and isinstance(metrics[0], dict):
        for i, value in enumerate(metrics):
            rows += flatten_metrics(value, f"{prefix}{i + 1}.")
    else:
        rows.append((prefix.rstrip("."), metrics))
    return rows


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return "-" if value is None else str(value)


def _legend_html(scale: str) -> str:
    vmin, vmax, unit = SCALES[scale]
    from hktwin.analysis.colormap import ramp_rgba

    ramp = "difference" if scale == "difference" else "rsrp"
    stops = ramp_rgba(np.linspace(vmin, vmax, 7), vmin, vmax, ramp)
    cells = "".join(
        f'<td style="background-color:#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}">'
        f"&nbsp;&nbsp;&nbsp;</td>" for r, g, b, _ in stops)
    return (f"<table cellspacing=0><tr><td>{vmin:g}&nbsp;</td>{cells}<td>&nbsp;{vmax:g} {unit}"
            f"</td></tr></table>")
