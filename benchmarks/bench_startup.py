"""Start-up: process start to the first city frame, against the bare window (no city).

Run: xvfb-run -a .venv/bin/python benchmarks/bench_startup.py [--runs 5]
Each run is a fresh process (warm mesh cache after the first); runs alternate city, bare.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

from _common import save

HERE = Path(__file__).resolve().parent


def first_frame(*extra: str) -> float:
    out = subprocess.run([sys.executable, str(HERE / "first_frame.py"), *extra],
                         capture_output=True, text=True, timeout=180, check=True).stdout
    return float(next(line for line in out.splitlines() if line.startswith("first_frame_s"))
                 .split()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    first_frame()  # warm the mesh cache and the OS file cache
    city, bare = [], []
    for _ in range(args.runs):
        city.append(first_frame())
        bare.append(first_frame("--bare"))
    ratios = [c / b for c, b in zip(city, bare, strict=True)]
    save("startup_first_frame", {
        "city_first_frame_s_median": statistics.median(city), "city_min_s": min(city),
        "city_max_s": max(city), "bare_first_frame_s_median": statistics.median(bare),
        "city_over_bare": statistics.median(ratios), "runs": args.runs,
    })


if __name__ == "__main__":
    main()
