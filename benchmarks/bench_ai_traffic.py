"""Traffic forecast: training on four weeks of 607 links, forecasting all links at all horizons.

Run:  .venv/bin/python benchmarks/bench_ai_traffic.py [--runs 20] [--threads 1]

History: the demo simulator's 412 links for 28 days (SIMULATED), widened to 607 links by adding
195 copies of random links with their own per-link scale and noise, so the shapes are those of
the targets (four weeks, 607 links, 5-minute readings, 8,064 steps).

Figures:
- fit_s: `traffic.fit` (three quantile models on the default 240,000 sampled rows, band
  calibration included); target under 120 s on 2 cores. Baseline in the same process: the
  historical-mean profile of the same history (what the baseline forecast costs to "train").
- Wall and CPU time are both given: on a shared machine the wall time includes waiting for a
  core (the load average is recorded).
- forecast: `traffic.forecast` of all 607 links at 15/30/60 minutes, median of --runs; target
  under 50 ms. Baseline: the persistence forecast (the last reading of every link, carried
  forward at most 15 minutes, repeated for the three horizons) on the same history, alternated.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from _common import paired, save

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))


def widened(days: int = 28, links: int = 607):
    from hktwin.ai.graph import from_td_links
    from hktwin.ai.simulate import simulate

    sim = simulate(days=days)
    h = sim.history
    rng = np.random.default_rng(0)
    extra = links - len(h.link_ids)
    pick = rng.choice(len(h.link_ids), extra, replace=True)
    scale = rng.uniform(0.7, 1.2, extra).astype(np.float32)
    copies = h.speed[:, pick] * scale + rng.normal(0, 1.0, (h.n_times, extra)).astype(np.float32)
    ids = h.link_ids + tuple(f"copy-{i}" for i in range(extra))
    history = replace(h, link_ids=ids, speed=np.concatenate([h.speed, np.rint(copies)], axis=1))
    return history, from_td_links(sim.links_csv, ids)


def persistence(history) -> np.ndarray:
    from hktwin.ai.traffic import FILL_MIN, forward_fill, lookback_s

    recent = history.window(int(history.times[-1]) - lookback_s(history.step_s),
                            int(history.times[-1]))
    now = forward_fill(recent.speed, FILL_MIN * 60 // history.step_s)[-1]
    return np.repeat(now[None, :], 3, axis=0)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1, help="HKTWIN_AI_THREADS")
    args = parser.parse_args()
    os.environ["HKTWIN_AI_THREADS"] = str(args.threads)
    from hktwin.ai import traffic

    history, graph = widened()
    t0 = time.perf_counter()
    traffic.historical_mean(history)
    baseline_fit = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    model = traffic.fit(history, graph)
    fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
    traffic.forecast(model, history)  # warm
    timing = paired(lambda: traffic.forecast(model, history), lambda: persistence(history),
                    args.runs)
    once, cpu = [], []
    for _ in range(args.runs):
        t, c = time.perf_counter(), time.process_time()
        traffic.forecast(model, history)
        once.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    save("ai_traffic", {
        "links": len(history.link_ids), "steps": history.n_times, "days": 28,
        "threads": args.threads, "train_rows": model.info["train_rows"],
        "fit_s": round(fit_s, 2), "fit_cpu_s": round(fit_cpu, 2), "fit_target_s": 120,
        "historical_mean_profile_s": round(baseline_fit, 3),
        "forecast_all_links_3_horizons_ms": round(1000 * statistics.median(once), 1),
        "forecast_cpu_ms": round(1000 * statistics.median(cpu), 1),
        "forecast_target_ms": 50,
        "load_average_1min": os.getloadavg()[0],
        "persistence_ms": round(1000 * timing["b_median_s"], 2),
        "forecast_over_persistence": round(timing["ratio_median"], 1),
        "simulated": True})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
