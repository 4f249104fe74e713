"""`hktwin evaluate`: a scenario's coverage from the command line, with files to share.

    hktwin evaluate SCENARIO.hktwin.json [--pack DIR] --out DIR [--compare B.hktwin.json]
                    [--resolution M] [--scheduler tcp://HOST:PORT]

`run` reads the scenario with `load_sites(path) -> (SiteSet, area)` (area: (xmin, ymin, xmax, ymax)
in EPSG:2326, or None for the sites' surroundings); by default the model's scenario reader, the
same area the window evaluates. `load_sites_json` reads a minimal JSON of its own (`{"cells":
[...], "anchors": [...], "sensors": [...], "area": [...]}`, objects with the `sites` dataclass
fields), which is what `python -m hktwin.commands.evaluate` uses.

Without --compare, DIR gets metrics.json, coverage.tif, sites.gpkg and report.html. With it,
DIR/a and DIR/b get those for each scenario (evaluated on the same grid: the union of both
areas), and DIR gets comparison.json and report.html (the comparison report).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path

from hktwin.analysis.sites import ARAnchor, Sensor, SiteSet, SmallCell
from hktwin.core.errors import DataError, HKTwinError

Bounds = tuple[float, float, float, float]
SiteLoader = Callable[[Path], tuple[SiteSet, "Bounds | None"]]

#: Margin (m) around the sites when a scenario names no area.
DEFAULT_MARGIN_M = 300.0


def register(subparsers) -> argparse.ArgumentParser:
    """Add the `evaluate` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser(
        "evaluate", help="evaluate a scenario's 5G coverage and write a report",
        description="Evaluate the 5G coverage of a scenario (3GPP TR 38.901 path loss, line of "
                    "sight from the 3D city) and write metrics.json, coverage.tif, sites.gpkg "
                    "and report.html.")
    p.add_argument("scenario", type=Path, help="scenario file (.hktwin.json)")
    p.add_argument("--pack", type=Path, help="data pack folder (default: the demo city)")
    p.add_argument("--out", type=Path, required=True, help="folder for the results")
    p.add_argument("--compare", type=Path, metavar="B", help="a second scenario to compare with")
    p.add_argument("--resolution", type=_resolution, default=5.0, metavar="M",
                   help="grid cell in metres (default 5)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the tiles on this Dask distributed scheduler")
    return p


def _resolution(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--resolution must be a number of metres, not "
                                         f"'{text}'") from None
    if not (math.isfinite(value) and 0.5 <= value <= 200):
        raise argparse.ArgumentTypeError(f"--resolution {text} is outside 0.5..200 m")
    return value


def run(args: argparse.Namespace, load_sites: SiteLoader | None = None,
        progress=None, out=None) -> int:
    """Carry out `hktwin evaluate`; errors reach the caller as `HKTwinError`s."""
    from hktwin.analysis.coverage import EvaluationSettings, evaluate
    from hktwin.analysis.export import write_metrics, write_outputs
    from hktwin.core.progress import TerminalProgress, sub_progress
    from hktwin.geo.pack import open_pack

    load = load_sites or scenario_sites
    out = out or sys.stdout
    progress = progress or TerminalProgress()
    folder: Path = args.out
    if folder.exists() and not folder.is_dir():
        raise DataError(folder, "--out names a file, not a folder", "give a folder for results")
    sites_a, area_a = load(args.scenario)
    sites_b, area_b = load(args.compare) if args.compare else (None, None)
    city = open_pack(args.pack, progress=sub_progress(progress, 0.0, 0.05))
    bounds = _area([s for s in (sites_a, sites_b) if s is not None],
                   [a for a in (area_a, area_b) if a is not None], city.bounds)
    settings = EvaluationSettings(bounds=bounds, resolution_m=args.resolution)
    share = (0.05, 0.95) if sites_b is None else (0.05, 0.5)
    result_a = evaluate(city, sites_a, settings, progress=sub_progress(progress, *share),
                        scheduler=args.scheduler)
    if sites_b is None:
        files = write_outputs(folder, result_a, sites_a, title=_title(args.scenario))
        progress(1.0, "Report written")
        _summary(out, args.scenario.name, result_a.metrics)
        print(f"wrote {', '.join(str(p) for p in files.values())}", file=out)
        return 0

    from hktwin.analysis.compare import compare
    from hktwin.analysis.report import write_comparison_report

    result_b = evaluate(city, sites_b, settings, progress=sub_progress(progress, 0.5, 0.95),
                        scheduler=args.scheduler)
    names = (args.scenario.name, args.compare.name)
    write_outputs(folder / "a", result_a, sites_a, title=_title(args.scenario))
    write_outputs(folder / "b", result_b, sites_b, title=_title(args.compare))
    comparison = compare(result_a, result_b)
    write_metrics(folder / "comparison.json",
                  {"a": str(args.scenario), "b": str(args.compare), **comparison.to_dict()})
    report = write_comparison_report(folder / "report.html", comparison,
                                     title=f"{names[0]} vs {names[1]}", names=names)
    progress(1.0, "Reports written")
    _summary(out, names[0], result_a.metrics)
    _summary(out, names[1], result_b.metrics)
    print(f"wrote {folder / 'a'}, {folder / 'b'}, {folder / 'comparison.json'}, {report}",
          file=out)
    return 0


def _title(path: Path) -> str:
    name = path.name
    for suffix in (".hktwin.json", ".json"):
        if name.endswith(suffix):
            return "Coverage: " + name[: -len(suffix)]
    return "Coverage: " + name


def _summary(out, name: str, m: dict) -> None:
    share = m.get("coverage_share")
    text = "n/a" if share is None else f"{share:.1%}"
    print(f"{name}: {m['cells']} cells, {text} of {m['outdoor_area_km2']:.3f} km2 outdoor land "
          f"at RSRP >= {m['rsrp_threshold_dbm']:g} dBm, median throughput "
          f"{m['median_throughput_mbps']} Mbit/s", file=out)


def _area(site_sets: list[SiteSet], areas: list[Bounds], city_bounds: Bounds) -> Bounds:
    """The union of the scenarios' areas, or the sites' surroundings when none names one."""
    if areas:
        return (min(a[0] for a in areas), min(a[1] for a in areas),
                max(a[2] for a in areas), max(a[3] for a in areas))
    points = [(s.x, s.y) for ss in site_sets for s in (*ss.cells, *ss.anchors)]
    if not points:
        raise DataError(None, "the scenario has no area and no cells or anchors to put one "
                        "around", "add an 'area' or place a small cell", field="area")
    xs, ys = zip(*points, strict=True)
    m = DEFAULT_MARGIN_M
    box = (max(min(xs) - m, city_bounds[0]), max(min(ys) - m, city_bounds[1]),
           min(max(xs) + m, city_bounds[2]), min(max(ys) + m, city_bounds[3]))
    if box[0] >= box[2] or box[1] >= box[3]:
        raise DataError(None, "the sites lie outside the city's terrain",
                        "place them inside the data pack's area", field="cells")
    return box


# --- A minimal site file (tests, scripts) -------------------------------------------------------


def scenario_sites(path: Path) -> tuple[SiteSet, Bounds | None]:
    """A scenario file's sites and evaluation area: the same area the window evaluates, so both
    give the same numbers."""
    from hktwin.model.scenario_io import load_scenario

    scenario = load_scenario(path)
    return scenario.site_set(), scenario.evaluation_area()


def load_sites_json(path: Path) -> tuple[SiteSet, Bounds | None]:
    """Read `{"cells": [...], "anchors": [...], "sensors": [...], "area": [...]}`."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(path, "scenario file not found", "check the path") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(path, f"not a readable JSON file ({exc})",
                        "fix the file or save the scenario again") from exc
    if not isinstance(doc, dict):
        raise DataError(path, "the file must hold a JSON object", "see the format in the docs")
    cells = _items(path, doc, "cells", SmallCell)
    anchors = _items(path, doc, "anchors", ARAnchor)
    sensors = _items(path, doc, "sensors", Sensor)
    area = doc.get("area")
    if area is not None:
        ok = (isinstance(area, list) and len(area) == 4
              and all(isinstance(v, int | float) for v in area))
        if not ok:
            raise DataError(path, "'area' must be [xmin, ymin, xmax, ymax] in EPSG:2326",
                            "give four numbers or leave 'area' out", field="area")
        area = tuple(float(v) for v in area)
    return SiteSet(cells, anchors, sensors), area


def _items(path: Path, doc: dict, key: str, kind) -> tuple:
    raw = doc.get(key, [])
    if not isinstance(raw, list):
        raise DataError(path, f"'{key}' must be a list", field=key)
    names = {f.name for f in fields(kind)}
    out = []
    for i, item in enumerate(raw):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise DataError(path, "each entry must be an object", field=where)
        unknown = sorted(set(item) - names)
        if unknown:
            raise DataError(path, f"unknown field(s) {', '.join(unknown)}",
                            f"use only {', '.join(sorted(names))}", field=where)
        try:
            out.append(kind(**item))
        except TypeError as exc:
            raise DataError(path, str(exc), "give every required field (id, x, y)",
                            field=where) from exc
    return tuple(out)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m hktwin.commands.evaluate evaluate ...` with the minimal site file."""
    parser = argparse.ArgumentParser(prog="python -m hktwin.commands.evaluate")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    try:
        return run(args, load_sites_json)
    except HKTwinError as exc:
        print(f"hktwin: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
