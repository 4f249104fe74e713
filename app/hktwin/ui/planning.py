"""The planning panel: the scenario's sites, placing tools, evaluation controls, the metrics
table and the AR anchors' stability table (the newest evaluation's `stability` metrics under the
chosen error model; choosing a row selects the anchor), over the session's `Planning`
(`hktwin.session.planning`), which owns the scenario, its undo stack, the evaluations and the
results. Nothing here computes: the stability is scored in the evaluation task.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
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

from hktwin.analysis.ar.localisation import EVALUATED_MODELS, POOR_STABILITY, get_error_model
from hktwin.model.analysis_layers import SCALES
from hktwin.model.scenario import Scenario
from hktwin.session.planning import RESOLUTIONS, Planning
from hktwin.ui.site_editor import QtSiteEditor

PLACE_KINDS = (("cell", "Small cell"), ("anchor", "AR anchor"), ("sensor", "Sensor"))
#: The stability table's columns: header, key of the row (`AnchorStability.row()`).
STABILITY_COLUMNS = (("Anchor", "name"), ("Surface", "surface"), ("Stability", "stability"),
                     ("Drift (m)", "drift"), ("Swallowed", "swallowed_share"),
                     ("Off surface", "off_surface_share"))
#: The stability table grows to show this many anchors before it scrolls.
STABILITY_ROWS_SHOWN = 5
#: Background of a poor (< 50 %) stability row.
POOR_RGB = "#f6c9c2"


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
        self._show_resolution(controller.resolution_m)
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
        stability_row = QHBoxLayout()
        stability_row.addWidget(QLabel("AR anchor stability under"))
        self.stability_model = QComboBox()
        self.stability_model.setObjectName("stabilityModel")
        for name in EVALUATED_MODELS:
            self.stability_model.addItem(get_error_model(name).label, name)
        stability_row.addWidget(self.stability_model, 1)
        layout.addLayout(stability_row)
        self.stability = QTableWidget(0, len(STABILITY_COLUMNS))
        self.stability.setObjectName("stabilityTable")
        self.stability.setHorizontalHeaderLabels([h for h, _ in STABILITY_COLUMNS])
        self.stability.horizontalHeader().setStretchLastSection(True)
        self.stability.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.stability.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.stability.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.stability.setToolTip(
            "Share of sampled positioning errors under which a phone still puts the anchor on "
            "its facade or square (not swallowed by a building); red: under "
            f"{POOR_STABILITY:.0%}. Computed by Evaluate coverage.")
        self.stability.horizontalHeaderItem(3).setToolTip(
            "How far a phone moves the anchor: median / 95th percentile (m)")
        self.stability.verticalHeader().setVisible(False)
        layout.addWidget(self.stability)
        self._fit_stability()
        self._stability: dict | None = None
        self._stability_ids: list[str] = []

        self.sites.currentRowChanged.connect(self._on_row)
        self.delete.clicked.connect(self.delete_selected)
        self.resolution.currentIndexChanged.connect(
            lambda i: setattr(controller, "resolution_m", float(self.resolution.itemData(i))))
        controller.resolution_changed.connect(self._show_resolution)
        self.evaluate.clicked.connect(controller.evaluate)
        self.cancel.clicked.connect(controller.cancel)
        self.compare.clicked.connect(self._compare)
        controller.busy.connect(self._on_busy)
        controller.evaluated.connect(self.show_metrics)
        self.stability_model.currentIndexChanged.connect(lambda _=0: self.fill_stability())
        self.stability.itemSelectionChanged.connect(self._on_stability_row)
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
        self._follow_selection(scenario.selected)

    def _follow_selection(self, site_id: str | None) -> None:
        """The stability table highlights the selected anchor (picked anywhere)."""
        ids = getattr(self, "_stability_ids", [])
        self.stability.blockSignals(True)
        if site_id in ids:
            self.stability.selectRow(ids.index(site_id))
        else:
            self.stability.clearSelection()
        self.stability.blockSignals(False)

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

    def _show_resolution(self, value: float) -> None:
        """The grid box follows the controller, whoever set it (a grid not offered is added)."""
        i = self.resolution.findData(float(value))
        if i < 0:
            self.resolution.addItem(f"{value:g} m grid", float(value))
            i = self.resolution.count() - 1
        if i != self.resolution.currentIndex():
            self.resolution.setCurrentIndex(i)

    def delete_selected(self) -> None:
        self.controller.delete_selected()

    def _on_busy(self, busy: bool) -> None:
        self.evaluate.setEnabled(not busy)
        self.cancel.setEnabled(busy)

    def show_metrics(self, evaluation) -> None:
        metrics = dict(evaluation.metrics)
        self._stability = metrics.pop("stability", None)
        self.fill_table(flatten_metrics(metrics))
        self.fill_stability()

    def fill_stability(self) -> None:
        """The newest evaluation's stability rows under the chosen error model, poor ones red."""
        model = self.stability_model.currentData()
        rows = [r for r in (self._stability or {}).get("rows", [])
                if r.get("error_model") == model]
        poor = float((self._stability or {}).get("poor_below", POOR_STABILITY))
        self.stability.blockSignals(True)
        self.stability.clearSelection()
        self.stability.setRowCount(len(rows))
        self._stability_ids = [r["id"] for r in rows]
        for i, row in enumerate(rows):
            low = row["stability"] < poor
            for j, (_, key) in enumerate(STABILITY_COLUMNS):
                item = QTableWidgetItem(_stability_text(key, row))
                if key != "name":
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if low:
                    item.setBackground(QColor(POOR_RGB))
                    item.setToolTip(f"Poor: under {poor:.0%} of placements stay on target")
                self.stability.setItem(i, j, item)
        self.stability.resizeColumnsToContents()
        self.stability.blockSignals(False)
        self._fit_stability()
        self._follow_selection(self.controller.scenario.selected)

    def _fit_stability(self) -> None:
        """As tall as its rows (up to `STABILITY_ROWS_SHOWN`), so the metrics keep the room."""
        t = self.stability
        shown = min(max(t.rowCount(), 1), STABILITY_ROWS_SHOWN)
        row_h = t.verticalHeader().defaultSectionSize()
        t.setFixedHeight(t.horizontalHeader().height() + shown * row_h
                         + t.horizontalScrollBar().sizeHint().height() + 2 * t.frameWidth())

    def _on_stability_row(self) -> None:
        rows = {i.row() for i in self.stability.selectedIndexes()}
        if len(rows) == 1 and (row := rows.pop()) < len(self._stability_ids):
            self.controller.editor.select(self._stability_ids[row])

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


def _stability_text(key: str, row: dict) -> str:
    if key == "name":
        return f"{row['name']} ({row['id']})" if row.get("name") else str(row["id"])
    if key == "drift":
        return f"{row['drift_median_m']:.1f} / {row['drift_r95_m']:.1f}"
    if key == "surface":
        return str(row["surface"])
    return f"{row[key]:.0%}"


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
