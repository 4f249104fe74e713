"""`hktwin ai`: train, backtest and run the predictors; suggest sites.

    hktwin ai train traffic (--store DB | --history CSV) [--graph EDGES.csv] --out MODEL_DIR
    hktwin ai backtest traffic (--store DB | --history CSV) [--graph EDGES.csv] [--model DIR]
                               [--test-fraction 0.2] [--json]
    hktwin ai forecast traffic (--store DB | --history CSV) --model DIR [--at ISO] [--json]
    hktwin ai incidents traffic (--store DB | --history CSV) --model DIR [--from ISO] [--to ISO]
    hktwin ai suggest [--pack DIR] --area DISTRICT_OR_WKT --k N [--band n78]
                      [--candidates rooftops|lampposts|grid] --out SCENARIO.hktwin.json

With neither --store nor --history the traffic verbs use the demo's SIMULATED history and its
shipped model, and say so on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from hktwin.core.errors import DataError

SIMULATED_NOTE = ("note: using the demo's SIMULATED five-week history (hktwin.ai.simulate); "
                  "give --store or --history for real data")


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("ai", help="AI predictors: traffic forecasts, incidents, suggested "
                                         "sites",
                              description="Train, backtest and run the predictors.")
    verbs = p.add_subparsers(dest="ai_verb", metavar="VERB", required=True)

    def traffic_parser(name: str, help_: str) -> argparse.ArgumentParser:
        v = verbs.add_parser(name, help=help_, description=help_)
        v.add_argument("target", choices=["traffic"], help="what to predict")
        src = v.add_mutually_exclusive_group()
        src.add_argument("--store", type=Path, metavar="DB", help="a feed store (feeds.sqlite)")
        src.add_argument("--history", type=Path, metavar="CSV",
                         help="a long CSV with the header time,link_id,speed")
        v.add_argument("--source", help="the store's speed source (default td-speedmap, else "
                                        "td-speed)")
        v.add_argument("--graph", type=Path, metavar="EDGES.csv",
                       help="edge list from,to[,weight] of link ids, or a TD link table")
        return v

    t = traffic_parser("train", "train a traffic speed forecast model")
    t.add_argument("--out", type=Path, required=True, metavar="MODEL_DIR")
    t.add_argument("--test-fraction", type=float, default=0.2,
                   help="share of the time span the model card's backtest tests on")
    t.add_argument("--no-backtest", action="store_true",
                   help="skip the model card's backtest (faster)")
    t.add_argument("--max-rows", type=int, default=240_000,
                   help="training rows sampled from the history (default 240000)")
    b = traffic_parser("backtest", "score the forecast against persistence and the historical "
                                   "mean")
    b.add_argument("--model", type=Path, metavar="MODEL_DIR",
                   help="score this model instead of training on the first part")
    b.add_argument("--test-fraction", type=float, default=0.2)
    b.add_argument("--max-rows", type=int, default=240_000,
                   help="training rows sampled from the history (default 240000)")
    b.add_argument("--json", action="store_true", help="print JSON")
    f = traffic_parser("forecast", "forecast every link 15, 30 and 60 minutes ahead")
    f.add_argument("--model", type=Path, metavar="MODEL_DIR")
    f.add_argument("--at", help="ISO time of the forecast's origin (default: the last reading)")
    f.add_argument("--json", action="store_true", help="print JSON")
    i = traffic_parser("incidents", "list links below their forecast band for several updates")
    i.add_argument("--model", type=Path, metavar="MODEL_DIR")
    i.add_argument("--from", dest="start", help="ISO time (default: a day before the end)")
    i.add_argument("--to", dest="end", help="ISO time (default: the last reading)")
    i.add_argument("--consecutive", type=int, default=3)
    i.add_argument("--json", action="store_true", help="print JSON")

    s = verbs.add_parser("suggest", help="choose k small-cell sites that maximise covered "
                                         "population and outdoor area",
                         description="Greedy site selection (lazy marginal gains) against "
                                     "random and k-means baselines; writes a scenario.")
    s.add_argument("--pack", type=Path, help="data pack folder (default: the demo city)")
    s.add_argument("--area", required=True, help="a district name or a WKT polygon (EPSG:2326)")
    s.add_argument("--k", type=int, required=True, help="how many sites")
    s.add_argument("--band", default="n78", help="NR band of the new cells (default n78)")
    s.add_argument("--candidates", choices=["rooftops", "lampposts", "grid"], default="rooftops")
    s.add_argument("--max-candidates", type=int, default=400,
                   help="at most this many candidates (spread evenly)")
    s.add_argument("--resolution", type=float, default=10.0, metavar="M",
                   help="grid cell of the coverage scoring in metres (default 10)")
    s.add_argument("--out", type=Path, required=True, metavar="SCENARIO.hktwin.json")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    return p


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def load_history(args):
    """(history, graph, demo?) from --store / --history / the demo."""
    from hktwin.ai import graph as graphs
    from hktwin.ai import history as hist

    if args.store is None and args.history is None:
        from hktwin.ai.demo import demo_history

        _stderr(SIMULATED_NOTE)
        history, graph = demo_history()
        if args.graph is not None:
            graph = graphs.read_edges(args.graph, history.link_ids)
        return history, graph, True
    if args.store is not None:
        history = hist.read_store(args.store, args.source)
    else:
        history = hist.read_csv(args.history)
    if args.graph is not None:
        graph = graphs.read_edges(args.graph, history.link_ids)
    else:
        graph = graphs.from_link_ids(history.link_ids)
    return history, graph, False


def _model(args, demo: bool):
    from hktwin.ai import traffic

    if args.model is not None:
        return traffic.load(args.model)
    if demo:
        from hktwin.ai.demo import demo_model
        from hktwin.core.progress import TerminalProgress

        return demo_model(TerminalProgress())
    raise DataError(None, "no model given", "pass --model MODEL_DIR (train one with hktwin ai "
                                            "train traffic --out MODEL_DIR)", field="model")


def _parse_time(text: str, history, name: str) -> int:
    from datetime import timedelta, timezone

    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DataError(None, f"'{text}' is not an ISO 8601 time",
                        "write e.g. 2026-11-19T08:00:00+08:00", field=name) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone(timedelta(seconds=history.utc_offset_s)))
    return int(when.timestamp())


def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    verb = args.ai_verb
    if verb == "suggest":
        return _suggest(args, out)
    from hktwin.ai import traffic
    from hktwin.ai.card import backtest_table, traffic_card
    from hktwin.core.progress import TerminalProgress

    history, graph, demo = load_history(args)
    if verb == "train":
        progress = TerminalProgress()
        result = None
        if not args.no_backtest:
            _stderr("backtest for the model card: training on the first part")
            result = traffic.backtest(history, graph, test_fraction=args.test_fraction,
                                      progress=progress, max_rows=args.max_rows)
        _stderr("training on the whole history")
        model = traffic.fit(history, graph, progress=progress, max_rows=args.max_rows)
        command = "hktwin " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["ai"] else ""
        card = traffic_card(model, result, command=command or None)
        traffic.save(model, args.out, card)
        print(f"model written to {args.out} ({model.info['links']} links, "
              f"{model.step_s / 60:g}-minute readings, fitted in {model.info['seconds']} s)",
              file=out)
        if result is not None:
            print(backtest_table(result, history.unit), file=out)
        return 0
    if verb == "backtest":
        model = traffic.load(args.model) if args.model is not None else None
        if model is not None and model.info.get("trained_to", 0) >= traffic.test_start_of(
                history, args.test_fraction):
            _stderr("warning: the model was trained on part of the test period; its scores "
                    "are in-sample")
        result = traffic.backtest(history, graph, test_fraction=args.test_fraction, model=model,
                                  progress=None if args.json else TerminalProgress(),
                                  max_rows=args.max_rows)
        if args.json:
            print(json.dumps(traffic.public(result)), file=out)
        else:
            print(f"test {result['test_from']} .. {result['test_to']}: {result['links']} links, "
                  f"{result['test_rows']:,} rows" + (" (SIMULATED history)" if demo else ""),
                  file=out)
            print(backtest_table(result, history.unit), file=out)
        return 0
    model = _model(args, demo)
    if verb == "forecast":
        at = None if args.at is None else _parse_time(args.at, history, "at")
        started = time.perf_counter()
        fc = traffic.forecast(model, history, at)
        took = time.perf_counter() - started
        if args.json:
            doc = fc.to_json()
            doc["simulated"] = bool(demo or history.simulated)
            print(json.dumps(doc), file=out)
        else:
            _print_forecast(fc, took, demo, out)
        return 0
    if verb == "incidents":
        from hktwin.ai.incidents import scan

        end = None if args.end is None else _parse_time(args.end, history, "to")
        last = int(history.times[-1]) if end is None else end
        start = last - 86400 if args.start is None else _parse_time(args.start, history, "from")
        result = scan(model, history, start, end, consecutive=max(1, args.consecutive))
        docs = [i.to_json(history) for i in result.incidents]
        if args.json:
            print(json.dumps({"incidents": docs, "simulated": bool(demo)}), file=out)
        else:
            print(f"{len(docs)} links below their 15-minute forecast band for "
                  f"{result.consecutive}+ updates between {history.iso(start)} and "
                  f"{history.iso(last)}:", file=out)
            for d in docs:
                print(f"  {d['link_id']:<16} {d['start']} .. {d['end']}  lowest {d['lowest']:g} "
                      f"(band from {d['band_low']:g}, expected {d['expected']:g})", file=out)
        return 0
    raise DataError(None, f"unknown verb {verb}")


def _print_forecast(fc, took: float, demo: bool, out) -> None:
    import numpy as np

    mid = fc.horizons_min.index(30) if 30 in fc.horizons_min else 0
    drop = fc.p50[mid] - fc.observed
    order = np.argsort(np.where(np.isfinite(drop), drop, np.inf))[:10]
    print(f"forecast at {fc.at_iso} for {len(fc.link_ids)} links ({took * 1000:.0f} ms)"
          + (" from SIMULATED history" if demo else "") + "; biggest slow-downs at 30 min:",
          file=out)
    head = "link".ljust(16) + " now   " + "  ".join(f"{m:>2} min p50 [p10-p90]"
                                                   for m in fc.horizons_min)
    print(head, file=out)
    for j in order:
        cells = "  ".join(f"{fc.p50[i, j]:6.1f} [{fc.p10[i, j]:5.1f}-{fc.p90[i, j]:5.1f}]"
                          for i in range(len(fc.horizons_min)))
        print(f"{fc.link_ids[j]:<16} {fc.observed[j]:5.1f}  {cells}", file=out)


def _suggest(args, out) -> int:
    """Greedy sites in the area; the scenario is written with the model's own writer."""
    from hktwin.ai.suggest import resolve_area, suggest
    from hktwin.commands.common import check_pack
    from hktwin.core.progress import TerminalProgress
    from hktwin.geo.pack import open_pack
    from hktwin.model.scenario import Scenario
    from hktwin.model.scenario_io import save_scenario

    if args.k < 1 or args.k > 200:
        raise DataError(None, f"--k {args.k} is outside 1..200", field="k")
    if not 1.0 <= args.resolution <= 100.0:
        raise DataError(None, f"--resolution {args.resolution} is outside 1..100 m",
                        field="resolution")
    check_pack(args.pack)
    progress = TerminalProgress()
    city = open_pack(args.pack)
    area = resolve_area(city, args.area)
    result = suggest(city, area, args.k, kind=args.candidates, band=args.band,
                     max_candidates=max(args.k, args.max_candidates),
                     resolution_m=args.resolution, progress=progress)
    xmin, ymin, xmax, ymax = area.bounds
    scenario = Scenario(name=f"Suggested sites: {args.area}"[:120] if len(args.area) < 60
                        else "Suggested sites",
                        notes=_suggest_notes(result),
                        pack="demo" if args.pack is None else str(Path(args.pack).resolve()),
                        area=(float(xmin), float(ymin), float(xmax), float(ymax)))
    for cell in result.cells:
        scenario.add(cell)
    save_scenario(scenario, args.out)
    if args.json:
        print(json.dumps({**result.to_json(), "scenario": str(args.out)}), file=out)
    else:
        print(_suggest_table(result, args.out), file=out)
    return 0


def _suggest_notes(result) -> str:
    r = result.baselines
    return (f"Proposed by hktwin ai suggest (greedy, lazy marginal gains) from "
            f"{result.n_candidates} {result.settings['kind']} candidates; covered "
            f"{result.total:,.0f} {result.unit} of {result.possible:,.0f}; random placement "
            f"(mean of {r['random']['draws']}) {r['random']['mean']:,.0f}, k-means centres "
            f"{r['kmeans'].get('value') or 0:,.0f}. Screening at "
            f"{result.settings['resolution_m']:g} m; evaluate it for the final numbers.")[:2000]


def _suggest_table(result, path) -> str:
    unit = "people" if result.unit == "people" else "m2 outdoors"
    lines = [f"{len(result.cells)} sites from {result.n_candidates} "
             f"{result.settings['kind']} candidates ({result.seconds['total']:.1f} s), "
             f"gain in {unit}:"]
    total = 0.0
    for c, g in zip(result.cells, result.gains, strict=True):
        total += g
        lines.append(f"  {c.id}  x {c.x:10.1f}  y {c.y:10.1f}  {c.mounting:<8} "
                     f"+{g:12,.0f}  (total {total:,.0f})")
    r = result.baselines
    share = f" ({result.total / result.possible:.1%} of {result.possible:,.0f})" \
        if result.possible else ""
    lines.append(f"greedy: {result.total:,.0f}{share}")
    lines.append(f"random placement, mean of {r['random']['draws']}: {r['random']['mean']:,.0f} "
                 f"(min {r['random']['min']:,.0f}, max {r['random']['max']:,.0f})")
    km = r["kmeans"].get("value")
    lines.append("k-means centres of the population: "
                 + ("-" if km is None else f"{km:,.0f}"))
    lines.append(f"scenario written to {path}")
    return "\n".join(lines)
