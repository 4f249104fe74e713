"""Helpers shared by the benchmarks: robust timing and result files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def seconds_since_process_start() -> float:
    """Wall time since this process was created (Linux), so interpreter start-up counts too."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - start_ticks / ticks


def paired(a: Callable[[], object], b: Callable[[], object], runs: int) -> dict:
    """Time `a` and `b` alternately (A B A B ...) so machine drift hits both; medians and ratio."""
    ta, tb, ratios = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        a()
        t1 = time.perf_counter()
        b()
        t2 = time.perf_counter()
        ta.append(t1 - t0)
        tb.append(t2 - t1)
        ratios.append((t1 - t0) / (t2 - t1))
    return {
        "a_median_s": statistics.median(ta), "a_min_s": min(ta), "a_max_s": max(ta),
        "b_median_s": statistics.median(tb), "b_min_s": min(tb), "b_max_s": max(tb),
        "ratio_median": statistics.median(ratios), "ratio_min": min(ratios),
        "ratio_max": max(ratios), "runs": runs,
    }


def save(name: str, result: dict) -> Path:
    """Write a result with the machine it ran on, and print it."""
    RESULTS.mkdir(exist_ok=True)
    result = {"benchmark": name, "machine": platform.node(), "cpus": os.cpu_count(),
              "when": time.strftime("%Y-%m-%dT%H:%M:%S"), **result}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return path
