"""Demo city: cold load (read + mesh, empty cache) against warm load (meshes from the cache).

Run: .venv/bin/python benchmarks/bench_load.py [--runs 5] [--pack DIR]
Both loads run in this process, alternately; the figure is the cold/warm ratio.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from _common import paired, save
from hktwin.model.loading import load_city


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pack", type=Path, default=None)
    args = parser.parse_args()
    cold_dir = Path(tempfile.mkdtemp(prefix="hktwin-cold-"))
    warm_dir = Path(tempfile.mkdtemp(prefix="hktwin-warm-"))
    load_city(args.pack, cache=warm_dir)  # fill the warm cache once

    def cold() -> None:
        shutil.rmtree(cold_dir, ignore_errors=True)
        assert not load_city(args.pack, cache=cold_dir).meshes_from_cache

    def warm() -> None:
        assert load_city(args.pack, cache=warm_dir).meshes_from_cache

    result = paired(cold, warm, args.runs)
    loaded = load_city(args.pack, cache=warm_dir)
    buildings = loaded.layers[-1]
    save("load_cold_vs_warm", {
        "pack": str(args.pack or "demo city"), "buildings": len(loaded.city.buildings),
        "building_triangles": buildings.n_faces, "cold_over_warm": result.pop("ratio_median"),
        **{k.replace("a_", "cold_").replace("b_", "warm_"): v for k, v in result.items()},
    })
    shutil.rmtree(cold_dir, ignore_errors=True)
    shutil.rmtree(warm_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
