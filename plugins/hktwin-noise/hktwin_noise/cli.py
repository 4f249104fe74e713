"""`hktwin noise`: L10 per road link of a pack at the speed limits, loudest first."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("noise", help="road traffic noise L10 per link (UK CRTN)")
    p.add_argument("--pack", type=Path, help="data pack folder (default: the demo city)")
    p.add_argument("--top", type=int, default=10, help="how many links to list (10)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    import hktwin.plugins as hp
    from hktwin_noise.layer import make_layers

    layers = make_layers(hp.open_pack(args.pack))
    if not layers:
        raise hp.DataError(args.pack or "demo city", "the pack has no road link table",
                           "import a TD link table (hktwin data import)", field="feeds.links")
    layer = layers[0]
    order = np.argsort(-layer.link_l10)[: max(args.top, 0)]
    rows = [{"link": str(layer.link_ids[i]), "road_type": str(layer.road_type[i]),
             "flow_18h": float(layer.flow[i]), "heavy_pct": float(layer.heavy_pct[i]),
             "speed_kmh": float(layer.speed_kmh[i]), "l10_dba": round(float(layer.link_l10[i]), 1),
             "exceeds": bool(layer.link_l10[i] > layer.threshold)} for i in order]
    summary = {"links": len(layer.link_ids), "links_over_limit": len(layer.exceeding_links()),
               "cells": len(layer.cell_l10),
               "cells_over_limit": int((layer.cell_l10 > layer.threshold).sum()),
               "legend": layer.legend, "loudest": rows}
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(layer.legend)
    print(f"{summary['links_over_limit']} of {summary['links']} links over "
          f"{layer.threshold:.0f} dB(A) at 10 m; {summary['cells_over_limit']:,} of "
          f"{summary['cells']:,} street cells")
    for r in rows:
        flag = "  EXCEEDS" if r["exceeds"] else ""
        print(f"  {r['link']:>16}  {r['road_type']:<12} {r['l10_dba']:5.1f} dB(A){flag}")
    return 0

