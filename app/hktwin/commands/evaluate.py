"""`hktwin evaluate`: a scenario's coverage from the command line, with files to share.

    hktwin evaluate SCENARIO.hktwin.json [--pack DIR] --out DIR [--compare B.hktwin.json]
                    [--resolution M] [--scheduler tcp://HOST:PORT] [--max-memory-gb GB]
                    [--max-minutes MIN]

`run` is a thin shell over `session.evaluation` (the window's Evaluate/Export run the same
workflow): the output folder is checked first, the scenario read by the model's reader, its
`"pack"` resolved (or `--pack` used) and recorded with its content hash, the cost estimated and
refused beyond the budget, and the outputs written as a set. `load_sites` (given to `run`)
replaces the model's reader: `load_sites_json` reads a minimal JSON of its own (`{"cells":
[...], "anchors": [...], "sensors": [...], "area": [...]}`, objects with the `sites` dataclass
fields, evaluated on `--pack` or the demo city), which is what `python -m
hktwin.commands.evaluate` uses.

Without --compare, DIR gets metrics.json, coverage.tif, sites.gpkg and report.html. With it,
DIR/a and DIR/b get those for each scenario (evaluated on the same grid: the union of both
areas), and DIR gets comparison.json and report.html (the comparison report).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path

from hktwin.analysis.sites import ARAnchor, Sensor, SiteSet, SmallCell
from hktwin.commands.common import positive
from hktwin.core.errors import DataError, HKTwinError

Bounds = tuple[float, float, float, float]
SiteLoader = Callable[[Path], tuple[SiteSet, "Bounds | None"]]

#: Largest minimal site file read (as the model's scenario files).
MAX_SITE_FILE_BYTES = 64 * 1024 * 1024


def register(subparsers) -> argparse.ArgumentParser:
    """Add the `evaluate` subcommand to an argparse subparsers object."""
    p = subparsers.add_parser(
        "evaluate", help="evaluate a scenario's 5G coverage and write a report",
        description="Evaluate the 5G coverage of a scenario (3GPP TR 38.901 path loss, line of "
                    "sight from the 3D city) and write metrics.json, coverage.tif, sites.gpkg "
                    "and report.html. The data pack is the scenario's \"pack\" (a folder "
                    "relative to the scenario file, or a known pack's name) unless --pack "
                    "names one; the pack used and its content hash are recorded.")
    p.add_argument("scenario", type=Path, help="scenario file (.hktwin.json)")
    p.add_argument("--pack", type=Path, help="data pack folder (default: the scenario's pack)")
    p.add_argument("--out", required=True, help="folder for the results")
    p.add_argument("--compare", type=Path, metavar="B", help="a second scenario to compare with")
    p.add_argument("--resolution", type=_resolution, default=5.0, metavar="M",
                   help="grid cell in metres (default 5)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="run the tiles on this Dask distributed scheduler")
    p.add_argument("--max-memory-gb", type=positive(float), default=None, metavar="GB",
                   help="refuse evaluations estimated to need more memory (default "
                        "16 GB, for a 24 GB machine)")
    p.add_argument("--max-minutes", type=positive(float), default=None, metavar="MIN",
                   help="refuse evaluations estimated to take longer (default: no limit)")
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
    """Carry out `hktwin evaluate` through `session.evaluation` (the same workflow as the
    window's Evaluate/Export); errors reach the caller as `HKTwinError`s. `load_sites`, when
    given, reads the scenario instead of the model's reader (the minimal site file)."""
    from hktwin.core.files import check_output_dir
    from hktwin.core.progress import TerminalProgress
    from hktwin.session.evaluation import ScenarioInput, compare_scenarios, evaluate_scenario

    out = out or sys.stdout
    progress = progress or TerminalProgress()
    folder = check_output_dir(args.out, subfolders=("a", "b") if args.compare else ())

    def scenario(path: Path):
        if load_sites is None:
            return path
        sites, area = load_sites(path)
        return ScenarioInput(sites, area, None, Path(path), _title(path)[len("Coverage: "):])

    budget = {"max_memory_gb": getattr(args, "max_memory_gb", None),
              "max_minutes": getattr(args, "max_minutes", None)}
    if args.compare is None:
        ev = evaluate_scenario(scenario(args.scenario), pack=args.pack, out_dir=folder,
                               resolution_m=args.resolution, scheduler=args.scheduler,
                               progress=progress, **budget)
        _summary(out, args.scenario.name, ev.metrics)
        print(f"pack {ev.pack.path} (sha256 {ev.pack.sha256[:16]})", file=out)
        print(f"wrote {', '.join(str(p) for p in ev.files.values())}", file=out)
        return 0
    cmp = compare_scenarios(scenario(args.scenario), scenario(args.compare), pack=args.pack,
                            out_dir=folder, resolution_m=args.resolution,
                            scheduler=args.scheduler, progress=progress, **budget)
    _summary(out, args.scenario.name, cmp.a.metrics)
    _summary(out, args.compare.name, cmp.b.metrics)
    print(f"pack {cmp.a.pack.path} (sha256 {cmp.a.pack.sha256[:16]})", file=out)
    print(f"wrote {', '.join(str(p) for p in cmp.files.values())}", file=out)
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


# --- A minimal site file (tests, scripts) -------------------------------------------------------


def load_sites_json(path: Path) -> tuple[SiteSet, Bounds | None]:
    """Read `{"cells": [...], "anchors": [...], "sensors": [...], "area": [...]}`."""
    from hktwin.core.files import read_json

    path = Path(path)
    doc = read_json(path, MAX_SITE_FILE_BYTES, "scenario file")
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
