"""The one evaluate -> result -> output files workflow, shared by `hktwin evaluate` and the window.

    from hktwin.session.evaluation import evaluate_scenario, write_evaluation
    ev = evaluate_scenario("central.hktwin.json", out_dir="results/")  # CLI-style, all in one
    ev = evaluate_scenario(scenario, city=city)                         # window: no files yet
    write_evaluation(ev, "results/")                                    # window: Export...

`evaluate_scenario` resolves the data pack (an explicit `pack`, else the scenario's `"pack"`
field: "demo", a folder relative to the scenario file, or the name of a known pack; a pack that
cannot be found is refused), estimates the memory and time the evaluation needs and refuses it
beyond the budget, runs `analysis.coverage.evaluate`, scores every AR anchor's stability
under the VPS and GNSS-canyon positioning errors (`analysis.ar.localisation`, seeded), records
the pack used (folder and content hash) in the metrics, and, given `out_dir`, writes the output
files as a set.

Output sets: metrics.json, coverage.tif, sites.gpkg, report.html and anchor_stability.csv
(one row per anchor and error model; a header only without anchors) are written into a staging
folder beside `out_dir` and only moved into it (one rename per file, the same file system)
once all of them are written, so a failed or cancelled run (a full disk, a crash) leaves the
previous outputs whole. The output location is checked before any computing starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hktwin.core.errors import DataError
from hktwin.core.files import check_output_dir, os_error
from hktwin.core.progress import Progress, no_progress, sub_progress

if TYPE_CHECKING:
    from hktwin.analysis.coverage import CoverageResult, Estimate, EvaluationSettings
    from hktwin.analysis.sites import SiteSet
    from hktwin.geo.city import CityModel
    from hktwin.model.scenario import Scenario

Bounds = tuple[float, float, float, float]

#: Margin (m) around the sites when a scenario names no area (the CLI's historical default).
DEFAULT_MARGIN_M = 300.0
#: The output files every evaluation writes (the report may add more, e.g. report.pdf).
OUTPUT_FILES = ("metrics.json", "coverage.tif", "sites.gpkg", "report.html",
                "anchor_stability.csv")


@dataclass(frozen=True)
class PackRef:
    """The data pack an evaluation ran on: folder, manifest name and content hash (SHA-256 over
    the manifest and every file it names)."""

    path: Path
    name: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"path": str(self.path), "name": self.name, "sha256": self.sha256}

    def note(self) -> str:
        return f"Data pack: {self.name} at {self.path} (content sha256 {self.sha256[:16]})"


@dataclass(frozen=True)
class ScenarioInput:
    """What an evaluation reads from a scenario: its sites, area, `pack` field and file."""

    sites: SiteSet
    area: Bounds | None = None
    pack: str | None = None  # the scenario's "pack" field; None: not given (demo)
    path: Path | None = None
    name: str = "scenario"


@dataclass
class ScenarioEvaluation:
    """An evaluation's result with what it ran on; `files` once written."""

    result: CoverageResult
    scenario: ScenarioInput
    pack: PackRef
    estimate: Estimate
    title: str
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def metrics(self) -> dict:
        return self.result.metrics


# --- scenarios and packs --------------------------------------------------------------------


def scenario_input(scenario: str | os.PathLike[str] | Scenario | ScenarioInput,
                   scenario_path: str | os.PathLike[str] | None = None) -> ScenarioInput:
    """A scenario file (read and validated by `model.scenario_io`), an open `Scenario` (with
    the file it came from, if any), or a ready `ScenarioInput`."""
    if isinstance(scenario, ScenarioInput):
        return scenario
    if isinstance(scenario, str | os.PathLike):
        from hktwin.model.scenario_io import load_scenario

        scenario_path = Path(scenario)
        scenario = load_scenario(scenario_path)
    path = None if scenario_path is None else Path(scenario_path)
    # The scenario's own name titles its report; the file name only when it has none.
    named = scenario.name if scenario.name not in ("", "Untitled scenario") else None
    return ScenarioInput(scenario.site_set(), scenario.evaluation_area(), scenario.pack, path,
                         named or (_stem(path) if path is not None else "scenario"))


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".hktwin.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def packs_dir() -> Path:
    """Where named packs live: `packs/` in the user data folder ($HKTWIN_DATA_DIR)."""
    from hktwin.model.scenario_io import data_dir

    return data_dir() / "packs"


def known_packs() -> dict[str, Path]:
    """Pack name -> folder: "demo", every pack under `packs_dir()` by folder name and by its
    manifest's name, then the plugins' sample packs (`[[samples]]`) by their names."""
    from hktwin.core.files import read_json
    from hktwin.core.paths import demo_pack_dir

    found: dict[str, Path] = {"demo": demo_pack_dir()}
    with contextlib.suppress(OSError):
        for folder in sorted(packs_dir().iterdir()):
            if folder.name.startswith(".") or not (folder / "manifest.json").is_file():
                continue
            found.setdefault(folder.name, folder)
            with contextlib.suppress(DataError):
                name = read_json(folder / "manifest.json", 1 << 20, "pack manifest").get("name")
                if isinstance(name, str) and name:
                    found.setdefault(name, folder)
    from hktwin.plugins import sample_packs

    for name, folder in sample_packs().items():
        found.setdefault(name, folder)
    return found


def resolve_pack(pack: str | None, scenario_path: str | os.PathLike[str] | None = None) -> Path:
    """The folder a scenario's `"pack"` names: "demo" (or none) is the embedded city; else a
    folder (relative to the scenario file), else the name of a known pack. Missing: refused."""
    from hktwin.core.paths import demo_pack_dir

    if pack is None or pack == "demo":
        return demo_pack_dir()
    where = None if scenario_path is None else Path(scenario_path)
    candidate = Path(pack).expanduser()
    # A relative folder is the scenario file's neighbour (the working folder only for a
    # scenario that has no file).
    tried = [where.parent / candidate if not candidate.is_absolute() and where is not None
             else candidate]
    for folder in tried:
        if (folder / "manifest.json").is_file():
            return folder
    named = known_packs()
    if pack in named:
        return named[pack]
    raise DataError(where, f"the scenario's data pack '{pack}' is not found (looked at "
                    f"{', '.join(str(t) for t in tried)} and among the known packs: "
                    f"{', '.join(sorted(named))})",
                    "import the pack there, or give the pack folder with --pack DIR",
                    field="pack")


_DIGESTS: dict[tuple, str] = {}
_DIGEST_LOCK = threading.Lock()


def _file_digest(path: Path) -> str:
    """SHA-256 of a file, remembered per (inode, size, mtime) so repeated runs cost nothing."""
    st = path.stat()
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    with _DIGEST_LOCK:
        if key in _DIGESTS:
            return _DIGESTS[key]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    digest = h.hexdigest()
    with _DIGEST_LOCK:
        _DIGESTS[key] = digest
    return digest


def pack_ref(pack_dir: str | os.PathLike[str]) -> PackRef:
    """The pack's identity: folder, name and a hash over its manifest and every file it names
    (so two packs with the same content have the same hash wherever they lie)."""
    from hktwin.geo.pack import pack_file, read_manifest

    pack_dir = Path(os.path.abspath(pack_dir))
    manifest = read_manifest(pack_dir)
    h = hashlib.sha256()
    h.update(_file_digest(pack_dir / "manifest.json").encode())
    named = {entry["path"]: f"layers.{name}.path" for name, entry in manifest["layers"].items()}
    named.update({rel: f"feeds.{name}" for name, rel in manifest.get("feeds", {}).items()})
    for rel in sorted(named):
        file = pack_file(pack_dir, rel, named[rel])
        h.update(f"\0{rel}\0".encode())
        try:
            h.update(_file_digest(file).encode())
        except OSError:
            h.update(b"missing")
    return PackRef(pack_dir, str(manifest.get("name", pack_dir.name)), h.hexdigest())


# --- the evaluation -------------------------------------------------------------------------


def evaluation_area(inputs: list[ScenarioInput], city_bounds: Bounds,
                    margin_m: float = DEFAULT_MARGIN_M) -> Bounds:
    """The union of the scenarios' areas, or the sites' surroundings when none names one."""
    areas = [i.area for i in inputs if i.area is not None]
    if areas:
        return (min(a[0] for a in areas), min(a[1] for a in areas),
                max(a[2] for a in areas), max(a[3] for a in areas))
    points = [(s.x, s.y) for i in inputs for s in (*i.sites.cells, *i.sites.anchors)]
    if not points:
        raise DataError(inputs[0].path if inputs else None, "the scenario has no area and no "
                        "cells or anchors to put one around", "add an 'area' or place a small "
                        "cell", field="area")
    xs, ys = zip(*points, strict=True)
    box = (max(min(xs) - margin_m, city_bounds[0]), max(min(ys) - margin_m, city_bounds[1]),
           min(max(xs) + margin_m, city_bounds[2]), min(max(ys) + margin_m, city_bounds[3]))
    if box[0] >= box[2] or box[1] >= box[3]:
        raise DataError(inputs[0].path if inputs else None, "the sites lie outside the city's "
                        "terrain", "place them inside the data pack's area", field="cells")
    return box


def evaluate_scenario(
    scenario: str | os.PathLike[str] | Scenario | ScenarioInput,
    *,
    scenario_path: str | os.PathLike[str] | None = None,
    pack: str | os.PathLike[str] | None = None,
    city: CityModel | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    resolution_m: float = 5.0,
    settings: EvaluationSettings | None = None,
    scheduler: str | None = None,
    max_memory_gb: float | None = None,
    max_minutes: float | None = None,
    title: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ScenarioEvaluation:
    """Evaluate a scenario's coverage and (given `out_dir`) write its output set.

    - `scenario`: a scenario file, an open `model.Scenario` (pass `scenario_path` when it has a
      file, so a relative `"pack"` resolves), or a `ScenarioInput`.
    - `pack`: a pack folder overriding the scenario's `"pack"`; `city`: an already open
      `CityModel` of that pack (the window's), so nothing is read again.
    - `settings`: full `EvaluationSettings` (its `bounds` win); else `resolution_m` over the
      scenario's area (or 300 m around its sites).
    - `max_memory_gb` / `max_minutes`: the budget (defaults `coverage.DEFAULT_MAX_MEMORY_GB`, no
      time limit); an evaluation estimated beyond it is refused with the figures before it starts.
    - `progress(fraction, message)`, `cancel` (checked between tiles; raises `Cancelled`).

    Raises `DataError`, `SettingsError` or `BudgetError` (`HKTwinError`s: one line each), or
    `core.errors.Cancelled` when `cancel` was set.
    """
    from hktwin.analysis.coverage import (
        EvaluationSettings,
        check_budget,
        check_scheduler,
        estimate_cost,
        evaluate,
    )
    from hktwin.geo.pack import open_pack

    report = progress or no_progress
    target = None if out_dir is None else check_output_dir(out_dir)
    check_scheduler(scheduler)
    spec = scenario_input(scenario, scenario_path)
    pack_dir = Path(pack) if pack is not None else resolve_pack(spec.pack, spec.path)
    ref = pack_ref(pack_dir)
    if city is None:
        city = open_pack(pack_dir, progress=sub_progress(report, 0.0, 0.05))
    if settings is None:
        bounds = evaluation_area([spec], city.bounds)
        settings = EvaluationSettings(bounds=bounds, resolution_m=resolution_m)
    estimate = estimate_cost(settings, spec.sites.cells, scheduler=scheduler)
    check_budget(estimate, max_memory_gb, max_minutes)
    report(0.05, f"Estimated {estimate.memory_gb:.1f} GB, {estimate.seconds:.0f} s")
    result = evaluate(city, spec.sites, settings, progress=sub_progress(report, 0.05, 0.9),
                      cancel=cancel, scheduler=scheduler)
    result.metrics["stability"] = anchor_stability_metrics(
        spec.sites.anchors, city, progress=sub_progress(report, 0.9, 0.93), cancel=cancel)
    result.metrics["pack"] = ref.to_dict()
    result.metrics["estimate"] = estimate.to_dict()
    result.metrics["notes"] = [ref.note(), *result.metrics.get("notes", [])]
    named = None if pack is None else _quiet_resolve(spec.pack, spec.path)
    if named is not None and Path(os.path.abspath(named)) != ref.path:
        result.metrics["notes"].append(f"The scenario names pack '{spec.pack}'; it was "
                                       f"evaluated on {ref.path} as asked")
    ev = ScenarioEvaluation(result, spec, ref, estimate,
                            title or spec.name)
    if target is not None:
        write_evaluation(ev, target, progress=sub_progress(report, 0.93, 1.0), cancel=cancel)
    report(1.0, "Coverage done" if target is None else "Report written")
    return ev


def anchor_stability_metrics(anchors, city: CityModel, progress: Progress | None = None,
                             cancel: threading.Event | None = None) -> dict:
    """metrics.json's `stability`: every anchor scored under each error model of
    `localisation.EVALUATED_MODELS` (VPS and GNSS in a street canyon) with a fixed seed, so
    the same scenario and pack give the same figures (the table of the planning panel, the
    report and anchor_stability.csv)."""
    from hktwin.analysis.ar.localisation import stability_metrics

    if cancel is not None and cancel.is_set():
        from hktwin.core.errors import Cancelled

        raise Cancelled("evaluation cancelled")
    out = stability_metrics(list(anchors), city, progress=progress)
    (progress or no_progress)(1.0, f"Anchor stability of {len(anchors)} anchor(s)")
    return out


def _quiet_resolve(pack: str | None, path: Path | None) -> Path | None:
    if pack is None:
        return None
    try:
        return resolve_pack(pack, path)
    except DataError:
        return None


# --- output sets ----------------------------------------------------------------------------


def write_evaluation(ev: ScenarioEvaluation, out_dir: str | os.PathLike[str],
                     progress: Progress | None = None,
                     cancel: threading.Event | None = None) -> dict[str, Path]:
    """Write `OUTPUT_FILES` (and the report's PDF) into `out_dir` as a set
    (staged beside it, then moved in); returns name -> final path and sets `ev.files`."""
    from hktwin.analysis.export import write_outputs

    target = check_output_dir(out_dir)
    with output_set(target) as stage:
        written = write_outputs(stage, ev.result, ev.scenario.sites, title=ev.title)
        files = {key: target / path.name for key, path in written.items()}
        for path in sorted(stage.iterdir()):  # what the writers add (the report's PDF)
            if path.is_file() and target / path.name not in files.values():
                files[path.name.replace(".", "_")] = target / path.name
        if cancel is not None and cancel.is_set():
            from hktwin.core.errors import Cancelled

            raise Cancelled("export cancelled; the previous outputs are kept")
    (progress or no_progress)(1.0, "Report written")
    ev.files = files
    return ev.files


@contextlib.contextmanager
def output_set(target: Path):
    """A staging folder beside `target`; when the block succeeds, everything in it is moved
    into `target` (created), file by file with renames; when it fails, `target` is untouched
    and the staging folder removed."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_dead_stages(target)
        stage = target.parent / f".{target.name}.writing-{os.getpid()}-{uuid.uuid4().hex[:10]}"
        stage.mkdir()
    except OSError as exc:
        raise os_error(exc, target, "create the output folder") from exc
    try:
        try:
            yield stage
        except OSError as exc:
            raise os_error(exc, target, "write the outputs") from exc
        try:
            target.mkdir(exist_ok=True)
            _move_tree(stage, target)
        except OSError as exc:
            raise os_error(exc, target, "move the outputs into place") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _remove_dead_stages(target: Path) -> None:
    """Staging folders of `target` whose writer process is gone (killed mid-write)."""
    for stage in target.parent.glob(f".{target.name}.writing-*"):
        pid = stage.name.rsplit(".writing-", 1)[-1].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # alive: its writer still works there
        except ProcessLookupError:
            shutil.rmtree(stage, ignore_errors=True)
        except OSError:  # alive but not ours (EPERM): leave it
            continue


def _move_tree(src: Path, dst: Path) -> None:
    """Rename every file of `src` onto the same place under `dst` (no copying)."""
    for item in sorted(src.iterdir()):
        to = dst / item.name
        if item.is_dir():
            if to.exists() and not to.is_dir():
                raise DataError(to, "is a file where an output folder goes",
                                "move the file away or choose another --out")
            to.mkdir(exist_ok=True)
            _move_tree(item, to)
        else:
            os.replace(item, to)


# --- A/B comparison -------------------------------------------------------------------------


@dataclass
class ScenarioComparison:
    a: ScenarioEvaluation
    b: ScenarioEvaluation
    comparison: Any  # analysis.compare.Comparison
    files: dict[str, Path] = field(default_factory=dict)


def compare_scenarios(
    a: str | os.PathLike[str] | Scenario | ScenarioInput,
    b: str | os.PathLike[str] | Scenario | ScenarioInput,
    *,
    pack: str | os.PathLike[str] | None = None,
    city: CityModel | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    resolution_m: float = 5.0,
    scheduler: str | None = None,
    max_memory_gb: float | None = None,
    max_minutes: float | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ScenarioComparison:
    """Evaluate A and B on the same grid (the union of their areas) and pack (A's unless
    `pack`), compare, and (given `out_dir`) write DIR/a, DIR/b, comparison.json and report.html
    as one set."""
    from hktwin.analysis.compare import compare
    from hktwin.analysis.coverage import EvaluationSettings, check_scheduler
    from hktwin.geo.pack import open_pack

    report = progress or no_progress
    target = None if out_dir is None else check_output_dir(out_dir, subfolders=("a", "b"))
    check_scheduler(scheduler)
    spec_a, spec_b = scenario_input(a), scenario_input(b)
    pack_dir = Path(pack) if pack is not None else resolve_pack(spec_a.pack, spec_a.path)
    if city is None:
        city = open_pack(pack_dir, progress=sub_progress(report, 0.0, 0.05))
    bounds = evaluation_area([spec_a, spec_b], city.bounds)
    settings = EvaluationSettings(bounds=bounds, resolution_m=resolution_m)
    common: dict[str, Any] = {"pack": pack_dir, "city": city, "settings": settings,
                              "scheduler": scheduler, "max_memory_gb": max_memory_gb,
                              "max_minutes": max_minutes, "cancel": cancel}
    ev_a = evaluate_scenario(spec_a, progress=sub_progress(report, 0.05, 0.5), **common)
    ev_b = evaluate_scenario(spec_b, progress=sub_progress(report, 0.5, 0.95), **common)
    out = ScenarioComparison(ev_a, ev_b, compare(ev_a.result, ev_b.result))
    if target is not None:
        write_comparison(out, target)
    report(1.0, "Reports written")
    return out


def write_comparison(cmp: ScenarioComparison, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """DIR/a, DIR/b (each an output set), DIR/comparison.json, DIR/report.html, as one set."""
    from hktwin.analysis.export import write_metrics, write_outputs
    from hktwin.analysis.report import write_comparison_report

    target = check_output_dir(out_dir, subfolders=("a", "b"))
    names = (cmp.a.scenario.name, cmp.b.scenario.name)
    with output_set(target) as stage:
        for sub, ev in (("a", cmp.a), ("b", cmp.b)):
            write_outputs(stage / sub, ev.result, ev.scenario.sites, title=ev.title)
        write_metrics(stage / "comparison.json",
                      {"a": str(cmp.a.scenario.path or names[0]),
                       "b": str(cmp.b.scenario.path or names[1]),
                       "pack": cmp.a.pack.to_dict(), **cmp.comparison.to_dict()})
        write_comparison_report(stage / "report.html", cmp.comparison,
                                title=f"{names[0]} vs {names[1]}", names=names)
    cmp.files = {"a": target / "a", "b": target / "b", "comparison": target / "comparison.json",
                 "report": target / "report.html"}
    return cmp.files


__all__ = ["OUTPUT_FILES", "PackRef", "ScenarioComparison", "ScenarioEvaluation",
           "ScenarioInput", "compare_scenarios", "evaluate_scenario", "known_packs", "pack_ref",
           "resolve_pack", "scenario_input", "write_comparison", "write_evaluation"]
