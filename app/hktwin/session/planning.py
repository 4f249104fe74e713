"""Planning, no Qt: the scenario being edited with its undo stack, placing and dragging sites,
evaluating coverage through the one workflow (`session.evaluation`), the coverage layers, the
results, A/B comparison, the report, autosave and recovery.

The window's planning panel and the canvas drive this object; so do tests and scripts. Events
(psygnal): `status(str)` one line for the status bar, `scenario_changed(Scenario)` when another
scenario replaced the open one, `evaluated(ScenarioEvaluation)`, `busy(bool)` while an evaluation
runs. Long work goes through the session's `TaskRunner`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from psygnal import Signal

from hktwin.model.analysis_layers import SCALES, CoverageLayer, SitesLayer
from hktwin.model.history import ScenarioEditor, UndoStack
from hktwin.model.scenario import Scenario
from hktwin.model.twin import Twin
from hktwin.session.tasks import Task, TaskRunner

if TYPE_CHECKING:
    from hktwin.session.evaluation import ScenarioEvaluation

log = logging.getLogger(__name__)

RESOLUTIONS = (2.0, 5.0, 10.0, 20.0)
PREVIEW_RESOLUTION_M = 20.0
PREVIEW_RADIUS_M = 600.0
EVALUATE_TASK = "evaluate"
PREVIEW_TASK = "preview"
SUGGEST_TASK = "suggest"
EXPORT_TASK = "export"
COVERAGE_LAYER = "Coverage (RSRP)"
PREVIEW_LAYER = "Coverage preview"
DIFFERENCE_LAYER = "Difference (B - A)"


def coverage_layer(name: str, twin: Twin, raster: np.ndarray, bounds, scale: str = "rsrp",
                   resolution_m: float = 5.0) -> CoverageLayer:
    """A coverage raster as a layer draped on the twin's terrain."""
    from hktwin.geo.drape import draped_grid

    spacing = max(resolution_m * 4, 20.0)
    mesh, texcoords = draped_grid(tuple(bounds), twin.city.terrain, twin.origin, spacing)
    vmin, vmax, _ = SCALES[scale]
    return CoverageLayer(name, raster=np.asarray(raster, np.float32), bounds=tuple(bounds),
                         scale=scale, vmin=vmin, vmax=vmax, mesh=mesh, texcoords=texcoords,
                         opacity=0.75)


class Planning:
    """The scenario being edited and everything done with it."""

    status = Signal(str)
    scenario_changed = Signal(object)  # the Scenario that replaced the old one
    evaluated = Signal(object)  # the ScenarioEvaluation
    busy = Signal(bool)
    resolution_changed = Signal(float)  # the evaluation grid (m), however it was set

    def __init__(self, twin: Twin, tasks: TaskRunner) -> None:
        from hktwin.model.scenario_io import Autosaver

        self.twin = twin
        self.tasks = tasks
        self.scenario = Scenario()
        self.stack = UndoStack()
        self.editor = ScenarioEditor(self.scenario, self.stack)
        self.path: Path | None = None
        self.place_kind: str | None = None
        self._resolution_m = 5.0
        self.sites_layer = SitesLayer("Sites", scenario=self.scenario)
        #: (label, ScenarioEvaluation), newest last.
        self.results: list[tuple[str, ScenarioEvaluation]] = []
        self.comparison = None  # the newest analysis.compare.Comparison
        self._preview_pending: str | None = None
        self.autosaver = Autosaver(self.scenario)

    @property
    def resolution_m(self) -> float:
        """The evaluation grid's cell size (m)."""
        return self._resolution_m

    @resolution_m.setter
    def resolution_m(self, value: float) -> None:
        value = float(value)
        if value != self._resolution_m:
            self._resolution_m = value
            self.resolution_changed.emit(value)

    # -- scenario files ----------------------------------------------------------------------
    def set_scenario(self, scenario: Scenario, path: Path | None) -> None:
        """Make `scenario` the open one (a new undo history, its own autosave copy)."""
        from hktwin.model.scenario_io import Autosaver

        self.autosaver.close()
        self.scenario = scenario
        self.stack = UndoStack()
        self.editor = ScenarioEditor(scenario, self.stack)
        self.path = path
        self.autosaver = Autosaver(scenario, path)
        layers = self.twin.layers
        shown = self.sites_layer in layers
        if shown:
            layers.remove(self.sites_layer)
        self.sites_layer = SitesLayer("Sites", scenario=scenario)
        if shown or self.twin.city is not None:
            layers.append(self.sites_layer)
        self.scenario_changed.emit(scenario)

    def new(self) -> None:
        self.set_scenario(Scenario(), None)

    def recover(self) -> Path | None:
        """Reopen an untitled scenario's autosave copy left by a crash; its path or None."""
        from hktwin.model.scenario_io import find_recovery, load_scenario

        copy = find_recovery(None)
        if copy is None:
            return None
        try:
            scenario = load_scenario(copy)
        except Exception as exc:  # a damaged copy must not stop the app from opening
            log.warning("could not recover %s: %s", copy, exc)
            return None
        self.set_scenario(scenario, None)
        self.autosaver.dirty = True  # keep the copy until the planner saves
        self.status.emit(f"Recovered unsaved scenario '{scenario.name}' from {copy}")
        return copy

    def open(self, path: Path) -> None:
        """Open a scenario file; a refused file raises `DataError` and changes nothing."""
        from hktwin.model.scenario_io import load_scenario

        self.set_scenario(load_scenario(path), Path(path))
        self.status.emit(f"Opened {Path(path).name}")

    def save(self, path: Path | None = None) -> Path:
        from hktwin.model.scenario_io import save_scenario

        target = Path(path or self.path)
        save_scenario(self.scenario, target)
        self.autosaver.saved(target)
        self.path = target
        self.stack.set_clean()
        self.status.emit(f"Saved {target.name}")
        return target

    def autosave(self) -> Path | None:
        """Write the autosave copy if the scenario changed (a timer calls this); never raises."""
        written = self.autosaver()
        if written is not None:
            self.status.emit(f"Autosaved to {written}")
        return written

    def close(self) -> None:
        """The app closes cleanly: nothing to recover next time unless unsaved work remains."""
        self.tasks.cancel(PREVIEW_TASK)

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

    def delete_selected(self) -> None:
        if self.scenario.selected is not None:
            self.editor.remove_site(self.scenario.selected)

    # -- evaluation --------------------------------------------------------------------------
    @property
    def task(self) -> Task | None:
        """The newest evaluation task (running or ended), if any."""
        return self.tasks.get(EVALUATE_TASK)

    def evaluate(self) -> Task | None:
        """Evaluate the scenario in the background through the one evaluation workflow
        (`session.evaluation.evaluate_scenario`); the result becomes the coverage layer."""
        if self.tasks.running(EVALUATE_TASK):
            return None
        if self.twin.city is None:
            self.status.emit("Open a city first")
            return None
        if not self.scenario.cells:
            self.status.emit("Place at least one small cell first")
            return None
        from hktwin.session.evaluation import ScenarioInput

        scenario = self.scenario
        spec = ScenarioInput(scenario.site_set(), scenario.evaluation_area(), scenario.pack,
                             self.path, scenario.name)
        city, resolution = self.twin.city, self.resolution_m
        label = f"{scenario.name} ({len(self.results) + 1})"

        def work(progress, cancel):
            from hktwin.session.evaluation import evaluate_scenario

            return evaluate_scenario(spec, pack=city.path, city=city, resolution_m=resolution,
                                     title=f"Coverage: {label}", progress=progress,
                                     cancel=cancel)

        task = self.tasks.submit(EVALUATE_TASK, work,
                                 on_done=lambda ev: self._on_evaluated(label, ev, city),
                                 on_failed=lambda m: self._finish(f"Evaluation failed: {m}"),
                                 on_cancelled=lambda: self._finish("Evaluation cancelled"))
        if task is not None:
            self.busy.emit(True)
        return task

    def cancel(self) -> None:
        self.tasks.cancel(EVALUATE_TASK)

    # -- suggested sites (issue 11, in the window) ---------------------------------------------
    def suggest_sites(self, area: str, k: int, *, kind: str = "rooftops", band: str = "n78",
                      max_candidates: int = 400, resolution_m: float | None = None
                      ) -> Task | None:
        """Choose `k` small cells for `area` (a district's name or a WKT polygon) with
        `hktwin.ai.suggest` in the background; they join the scenario as a draft: one undo
        step (Undo takes them all back), named "suggested #n". None when it is running."""
        if self.tasks.running(SUGGEST_TASK):
            return None
        city = self.twin.city
        if city is None:
            self.status.emit("Open a city first")
            return None

        def work(progress, cancel):
            from hktwin.ai.suggest import SCREEN_RES_M, resolve_area, suggest
            from hktwin.core.progress import cancellable

            return suggest(city, resolve_area(city, area), k, kind=kind, band=band,
                           max_candidates=max(k, max_candidates),
                           resolution_m=resolution_m or SCREEN_RES_M,
                           progress=cancellable(progress, cancel))

        task = self.tasks.submit(
            SUGGEST_TASK, work, on_done=lambda result: self._on_suggested(result, city, area),
            on_failed=lambda m: self.status.emit(f"Suggesting sites failed: {m}"),
            on_cancelled=lambda: self.status.emit("Suggesting sites cancelled"))
        if task is not None:
            self.status.emit(f"Suggesting {k} sites for {area[:40]}...")
        return task

    def _on_suggested(self, result, city, area: str) -> None:
        if city is not self.twin.city:
            self.status.emit("Suggested sites dropped: another city was opened")
            return
        import dataclasses

        with self.stack.group(f"Suggest {len(result.cells)} sites"):
            for cell in result.cells:
                fresh = dataclasses.replace(cell, id=self.scenario.new_id("cell"))
                self.editor.add_site(fresh)
        share = f" ({result.total / result.possible:.0%})" if result.possible else ""
        unit = "people" if result.unit == "people" else "m² outdoors"
        self.status.emit(f"Suggested {len(result.cells)} sites for {area[:40]}: they cover "
                         f"{result.total:,.0f} {unit}{share}; Undo takes them back, Evaluate "
                         "gives the final numbers")

    def _finish(self, message: str) -> None:
        self.busy.emit(False)
        self.status.emit(message)

    def _on_evaluated(self, label: str, ev: ScenarioEvaluation, city=None) -> None:
        if city is not None and city is not self.twin.city:  # another city opened meanwhile
            self._finish(f"Evaluation of {label} dropped: another city was opened")
            return
        self.results.append((label, ev))
        result = ev.result
        self._show_raster(COVERAGE_LAYER, result.rsrp_dbm, result.bounds, "rsrp",
                          result.resolution_m)
        self._remove_layer(PREVIEW_LAYER)
        self.busy.emit(False)
        self.evaluated.emit(ev)
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
        if record is None or record not in self.scenario.cells or self.twin.city is None:
            return
        if self.tasks.running(PREVIEW_TASK):
            self._preview_pending = site_id
            return
        from hktwin.analysis.coverage import preview_settings
        from hktwin.analysis.sites import SiteSet

        settings = preview_settings(record.x, record.y, PREVIEW_RADIUS_M, PREVIEW_RESOLUTION_M)
        city, sites = self.twin.city, SiteSet(cells=(record,))

        def work(progress, cancel):
            from hktwin.analysis.coverage import evaluate

            return evaluate(city, sites, settings, cancel=cancel)

        self.tasks.submit(PREVIEW_TASK, work,
                          on_done=lambda r: self._on_preview(r) if city is self.twin.city
                          else None,
                          on_cancelled=self._next_preview, on_failed=lambda m: log.warning(
                              "coverage preview failed: %s", m))

    def _on_preview(self, result) -> None:
        self._show_raster(PREVIEW_LAYER, result.rsrp_dbm, result.bounds, "rsrp",
                          PREVIEW_RESOLUTION_M)
        self._next_preview()

    def _next_preview(self) -> None:
        if self._preview_pending:
            pending, self._preview_pending = self._preview_pending, None
            self.request_preview(pending)

    def compare_last_two(self) -> dict | None:
        """Difference map and metric deltas of the two newest evaluations (B minus A)."""
        if len(self.results) < 2:
            self.status.emit("Evaluate two versions first (evaluate, edit, evaluate again)")
            return None
        from hktwin.analysis.compare import compare

        (label_a, a), (label_b, b) = self.results[-2:]
        if a.result.grid != b.result.grid:  # compare on one grid
            self.status.emit("The two evaluations cover different areas; evaluate both over "
                             "the same area (set the scenario's area) to compare them")
            return None
        self.comparison = compare(a.result, b.result)
        self._show_raster(DIFFERENCE_LAYER, self.comparison.rsrp_delta_db, b.result.bounds,
                          "difference", b.result.resolution_m)
        self.status.emit(f"Compared {label_b} with {label_a}")
        return {"a": label_a, "b": label_b, "summary": self.comparison.summary,
                "table": self.comparison.table}

    def export(self, folder: Path) -> dict[str, Path] | None:
        """Write the newest evaluation's output set (the same files `hktwin evaluate` writes)
        and, after a comparison of it, comparison.html."""
        if not self.results:
            self.status.emit("Evaluate coverage before exporting a report")
            return None
        written = _write_report(self.results[-1][1], self.comparison, Path(folder))
        self.status.emit(f"Report written to {written['report']}")
        return written

    def export_in_background(self, folder: Path) -> Task | None:
        """`export` as a task (the report's PDF takes seconds): the window stays responsive and
        its progress bar shows it; a failure is one status line."""
        if not self.results:
            self.status.emit("Evaluate coverage before exporting a report")
            return None
        ev, comparison = self.results[-1][1], self.comparison

        def work(progress, cancel):
            progress(0.1, "Writing the report")
            return _write_report(ev, comparison, Path(folder))

        return self.tasks.submit(
            EXPORT_TASK, work,
            on_done=lambda written: self.status.emit(f"Report written to {written['report']}"),
            on_failed=lambda m: self.status.emit(f"Export failed: {m}"),
            on_cancelled=lambda: self.status.emit("Export cancelled"))


def _write_report(ev: ScenarioEvaluation, comparison: Any, folder: Path) -> dict[str, Path]:
    """An evaluation's output set, and comparison.html when `comparison` ends with it."""
    from hktwin.analysis.report import write_comparison_report
    from hktwin.session.evaluation import write_evaluation

    written = dict(write_evaluation(ev, folder))
    if comparison is not None and comparison.b is ev.result:
        written["comparison"] = write_comparison_report(folder / "comparison.html", comparison)
    return written
