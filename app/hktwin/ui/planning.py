"""Planning in the window: the scenario's sites, placing and dragging them, evaluating coverage
in the background, the coverage layer, metrics, comparison and the report.

`PlanningController` owns the scenario, its undo stack and the evaluation jobs; `QtPlanningPanel`
is its widget. Nothing here computes coverage: `hktwin.analysis` does, on a worker thread.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
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

from hktwin.geo.drape import draped_grid
from hktwin.model.analysis_layers import SCALES, CoverageLayer, SitesLayer
from hktwin.model.history import ScenarioEditor, UndoStack
from hktwin.model.scenario import Scenario
from hktwin.model.twin import Twin
from hktwin.ui.site_editor import QtSiteEditor
from hktwin.ui.workers import Job

log = logging.getLogger(__name__)

PLACE_KINDS = (("cell", "Small cell"), ("anchor", "AR anchor"), ("sensor", "Sensor"))
RESOLUTIONS = (2.0, 5.0, 10.0, 20.0)
PREVIEW_RESOLUTION_M = 20.0
PREVIEW_RADIUS_M = 600.0
AUTOSAVE_MS = 30_000


def coverage_layer(name: str, twin: Twin, raster: np.ndarray, bounds, scale: str = "rsrp",
                   resolution_m: float = 5.0) -> CoverageLayer:
    """A coverage raster as a layer draped on the twin's terrain."""
    spacing = max(resolution_m * 4, 20.0)
    mesh, texcoords = draped_grid(tuple(bounds), twin.city.terrain, twin.origin, spacing)
    vmin, vmax, _ = SCALES[scale]
    return CoverageLayer(name, raster=np.asarray(raster, np.float32), bounds=tuple(bounds),
                         scale=scale, vmin=vmin, vmax=vmax, mesh=mesh, texcoords=texcoords,
                         opacity=0.75)


class PlanningController(QObject):
    """The scenario being edited and everything done with it in the window."""

    status = Signal(str)
    scenario_changed = Signal(object)  # a new Scenario replaced the old one
    evaluated = Signal(object)  # the CoverageResult
    progress = Signal(float, str)
    busy = Signal(bool)

    def __init__(self, twin: Twin, parent=None) -> None:
        super().__init__(parent)
        self.twin = twin
        self.scenario = Scenario()
        self.stack = UndoStack()
        self.editor = ScenarioEditor(self.scenario, self.stack)
        self.path: Path | None = None
        self.place_kind: str | None = None
        self.resolution_m = 5.0
        self.sites_layer = SitesLayer("Sites", scenario=self.scenario)
        self.results: list[tuple[str, Any]] = []  # (label, CoverageResult), newest last
        self.comparison = None  # the newest Comparison
        self.job: Job | None = None
        self.preview_job: Job | None = None
        self._preview_pending = False
        from hktwin.model.scenario_io import Autosaver

        self.autosaver = Autosaver(self.scenario)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

    # -- scenario files ----------------------------------------------------------------------
    def set_scenario(self, scenario: Scenario, path: Path | None) -> None:
        self.autosaver.close()
        self.scenario = scenario
        self.stack = UndoStack()
        self.editor = ScenarioEditor(scenario, self.stack)
        self.path = path
        from hktwin.model.scenario_io import Autosaver

        self.autosaver = Autosaver(scenario, path)
        self.scenario_changed.emit(scenario)
        layers = self.twin.layers
        if self.sites_layer in layers:
            layers.remove(self.sites_layer)
        self.sites_layer = SitesLayer("Sites", scenario=scenario)
        layers.append(self.sites_layer)

    def recover(self) -> Path | None:
        """Reopen an untitled scenario's autosave copy left by a crash; its path or None."""
        from hktwin.model.scenario_io import find_recovery, load_scenario

        copy = find_recovery(None)
        if copy is None:
            return None
        try:
            scenario = load_scenario(copy)
        except Exception as exc:  # a damaged copy must not stop the window from opening
            log.warning("could not recover %s: %s", copy, exc)
            return None
        self.set_scenario(scenario, None)
        self.autosaver.dirty = True  # keep the copy until the planner saves
        self.status.emit(f"Recovered unsaved scenario '{scenario.name}' from {copy}")
        return copy

    def open(self, path: Path) -> None:
        from hktwin.model.scenario_io import load_scenario

        self.set_scenario(load_scenario(path), path)  # refused files raise DataError
        self.status.emit(f"Opened {path.name}")

    def save(self, path: Path | None = None) -> Path:
        from hktwin.model.scenario_io import save_scenario

        target = Path(path or self.path)
        save_scenario(self.scenario, target)
        self.autosaver.saved(target)
        self.path = target
        self.stack.set_clean()
        self.status.emit(f"Saved {target.name}")
        return target

    def autosave(self) -> None:
        written = self.autosaver()  # never raises: a failure is logged and retried
        if written is not None:
            self.status.emit(f"Autosaved to {written}")

    # -- placing and moving ------------------------------------------------------------------
    def place_at(self, surface: tuple[float, float, float, str]) -> None:
        """Add a site of the current kind where the user clicked (snapped to a roof)."""
        x, y, z, where = surface
        fields: dict[str, Any] = {}
        if self.place_kind == "cell":
            fields = {"mounting": "rooftop", "height_m": 3.0} if where == "rooftop" else {
                "mounting": "lamppost", "height_m": 10.0}
        record = self.editor.place(self.place_kind, x, y, z, **fields)
        self.status.emit(f"Placed {record.id} on the {'roof' if where == 'rooftop' else 'ground'}"
                         f" at {z:.1f} m")

    def drag_to(self, site_id: str, surface: tuple[float, float, float, str]) -> None:
        x, y, z, where = surface
        record = self.scenario[site_id]
        fields = {}
        if hasattr(record, "mounting") and where == "rooftop" and record.mounting != "rooftop":
            fields["mounting"] = "rooftop"  # snapped onto a roof: same undo step as the move
        self.editor.move_site(site_id, x, y, z, merge=True, **fields)
        self.request_preview(site_id)

    def end_drag(self) -> None:
        self.editor.seal()

    # -- evaluation --------------------------------------------------------------------------
    def _settings(self, bounds, resolution_m: float):
        from hktwin.analysis.coverage import EvaluationSettings

        return EvaluationSettings(bounds=tuple(bounds), resolution_m=resolution_m)

    def evaluate(self) -> Job | None:
        """Evaluate the scenario in the background; the result becomes the coverage layer."""
        if self.job is not None and self.job.isRunning():
            return None
        if not self.scenario.cells:
            self.status.emit("Place at least one small cell first")
            return None
        area = self.scenario.evaluation_area()
        city, sites = self.twin.city, self.scenario.site_set()
        settings = self._settings(area, self.resolution_m)
        label = f"{self.scenario.name} ({len(self.results) + 1})"

        def work(progress, cancel):
            from hktwin.analysis.coverage import evaluate

            return evaluate(city, sites, settings, progress=progress, cancel=cancel)

        self.job = Job(work)
        self.job.progress.connect(self.progress)
        self.job.done.connect(lambda result: self._on_evaluated(label, result))
        self.job.failed.connect(lambda message: self._finish(f"Evaluation failed: {message}"))
        self.job.cancelled.connect(lambda: self._finish("Evaluation cancelled"))
        self.busy.emit(True)
        self.job.start()
        return self.job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _finish(self, message: str) -> None:
        self.busy.emit(False)
        self.status.emit(message)

    def _on_evaluated(self, label: str, result) -> None:
        self.results.append((label, result))
        self._show_raster("Coverage (RSRP)", result.rsrp_dbm, result.bounds, "rsrp",
                          result.resolution_m)
        self._remove_layer("Coverage preview")
        self.busy.emit(False)
        self.evaluated.emit(result)
        self.status.emit(f"Evaluated {label}")

    def _remove_layer(self, name: str) -> None:
        layer = self.twin.layers.get(name)
        if layer is not None:
            self.twin.layers.remove(layer)

    def _show_raster(self, name: str, raster, bounds, scale: str, resolution_m: float) -> None:
        layer = self.twin.layers.get(name)
        if isinstance(layer, CoverageLayer) and layer.bounds == tuple(bounds) and \
                layer.raster.shape == np.shape(raster):
            layer.raster = np.asarray(raster, np.float32)
            return
        if layer is not None:
            self.twin.layers.remove(layer)
        self.twin.layers.append(coverage_layer(name, self.twin, raster, bounds, scale,
                                               resolution_m))

    def request_preview(self, site_id: str) -> None:
        """A coarse coverage of the moved cell around it; the newest request wins."""
        record = self.scenario.get(site_id)
        if record is None or record not in self.scenario.cells:
            return
        if self.preview_job is not None and self.preview_job.isRunning():
            self._preview_pending = site_id
            return
        from hktwin.analysis.coverage import preview_settings
        from hktwin.analysis.sites import SiteSet

        settings = preview_settings(record.x, record.y, PREVIEW_RADIUS_M, PREVIEW_RESOLUTION_M)
        city, sites = self.twin.city, SiteSet(cells=(record,))

        def work(progress, cancel):
            from hktwin.analysis.coverage import evaluate

            return evaluate(city, sites, settings, cancel=cancel)

        self.preview_job = Job(work)
        self.preview_job.done.connect(self._on_preview)
        self.preview_job.start()

    def _on_preview(self, result) -> None:
        self._show_raster("Coverage preview", result.rsrp_dbm, result.bounds, "rsrp",
                          PREVIEW_RESOLUTION_M)
        if self._preview_pending:
            pending, self._preview_pending = self._preview_pending, False
            self.request_preview(pending)

    def compare_last_two(self) -> dict | None:
        """Difference map and metric deltas of the two newest evaluations (B minus A)."""
        if len(self.results) < 2:
            self.status.emit("Evaluate two versions first (evaluate, edit, evaluate again)")
            return None
        from hktwin.analysis.compare import compare

        (label_a, a), (label_b, b) = self.results[-2:]
        if a.grid != b.grid:  # compare on one grid: evaluate A again over B's
            self.status.emit("The two evaluations cover different areas; evaluate both over "
                             "the same area (set the scenario's area) to compare them")
            return None
        self.comparison = compare(a, b)
        self._show_raster("Difference (B - A)", self.comparison.rsrp_delta_db, b.bounds,
                          "difference", b.resolution_m)
        self.status.emit(f"Compared {label_b} with {label_a}")
        return {"a": label_a, "b": label_b, "summary": self.comparison.summary,
                "table": self.comparison.table}

    def export(self, folder: Path) -> dict[str, Path] | None:
        """Write the newest evaluation (and the comparison, if any) as files to share."""
        if not self.results:
            self.status.emit("Evaluate coverage before exporting a report")
            return None
        from hktwin.analysis.export import write_outputs
        from hktwin.analysis.report import write_comparison_report

        label, result = self.results[-1]
        written = write_outputs(folder, result, self.scenario.site_set(), title=label)
        if self.comparison is not None and self.comparison.b is result:
            written["comparison"] = write_comparison_report(folder / "comparison.html",
                                                            self.comparison)
        self.status.emit(f"Report written to {written['report']}")
        return written


class QtPlanningPanel(QWidget):
    """Sites, placing tools, evaluation controls and the metrics table."""

    def __init__(self, controller: PlanningController, parent: QWidget | None = None) -> None:
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
        selected = self.controller.scenario.selected
        if selected is not None:
            self.controller.editor.remove_site(selected)

    def _on_busy(self, busy: bool) -> None:
        self.evaluate.setEnabled(not busy)
        self.cancel.setEnabled(busy)

    def show_metrics(self, result) -> None:
        self.fill_table(flatten_metrics(result.metrics))

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
    from hktwin.render.colors import ramp_rgba

    ramp = "difference" if scale == "difference" else "rsrp"
    stops = ramp_rgba(np.linspace(vmin, vmax, 7), vmin, vmax, ramp)
    cells = "".join(
        f'<td style="background-color:#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}">'
        f"&nbsp;&nbsp;&nbsp;</td>" for r, g, b, _ in stops)
    return (f"<table cellspacing=0><tr><td>{vmin:g}&nbsp;</td>{cells}<td>&nbsp;{vmax:g} {unit}"
            f"</td></tr></table>")
