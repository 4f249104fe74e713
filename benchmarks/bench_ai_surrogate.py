"""Coverage surrogate: trained on some districts of the demo city, scored on others.

Run:  .venv/bin/python benchmarks/bench_ai_surrogate.py [--train-sites 10] [--test-sites 6]
      [--card resources/demo_model/surrogate/MODEL_CARD.md]

Baselines in the same process: the fine physics (10 m grid, 2 m surface model for line of
sight) is the truth and the time reference; the physics with coarser surface models (5, 10,
20 m) is the honest competitor at the surrogate's time budget. Writes the model card.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from _common import save

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))

TRAIN = ("Central and Western", "Wan Chai", "Eastern", "Sham Shui Po", "Kwun Tong")
TEST = ("Yau Tsim Mong", "Kowloon City")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train-sites", type=int, default=10, help="per training district")
    parser.add_argument("--test-sites", type=int, default=6, help="per test district")
    parser.add_argument("--card", type=Path,
                        default=ROOT / "resources" / "demo_model" / "surrogate" / "MODEL_CARD.md")
    args = parser.parse_args()
    from hktwin.ai import surrogate as sur
    from hktwin.geo.pack import open_pack

    city = open_pack(None)
    train = {d: args.train_sites for d in TRAIN}
    t0 = time.perf_counter()
    samples = sur.dataset(city, train)
    data_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = sur.fit(samples)
    fit_s = time.perf_counter() - t0
    tests = [c for k, d in enumerate(TEST) for c in sur.sample_sites(city, d, args.test_sites,
                                                                      100 + k)]
    result = sur.compare(city, model, tests, list(TEST))
    rows = int(sum(s.y.size for s in samples))
    args.card.parent.mkdir(parents=True, exist_ok=True)
    args.card.write_text(sur.card(result, train, rows), encoding="utf-8")
    save("ai_surrogate", {"train_rows": rows, "dataset_s": round(data_s, 1),
                          "fit_s": round(fit_s, 1), **result,
                          "train_loss_mean_db": round(float(np.mean(
                              np.concatenate([s.y for s in samples]))), 1)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
