"""How close the pre-flight estimate (`coverage.estimate_cost`) comes to a real evaluation.

Each case runs in a fresh process (so peak memory is the evaluation's own) on the synthetic tiny
pack: grid cells x sites in reach from 0.1 M to 370 M pairs. Prints, per case, the estimate, the
measured seconds and peak RSS, and their ratios (estimate / measured); >1 means the estimate
errs high, which is the safe side for a budget check.

    .venv/bin/python benchmarks/bench_estimate.py [--quick]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from packs import write_tiny_pack, X0, Y0
from hktwin.analysis.coverage import EvaluationSettings, estimate_cost, evaluate
from hktwin.analysis.sites import SiteSet, SmallCell
from hktwin.geo.pack import open_pack
res, n = float(sys.argv[1]), int(sys.argv[2])
pack = Path(sys.argv[4])
if not pack.exists():
    write_tiny_pack(pack)
city = open_pack(pack)
cells = tuple(SmallCell(f"c{i}", X0 + 600 + (i % 10) * 300, Y0 + 1200 + (i // 10) * 100,
                        ground_m=2.0, height_m=10.0) for i in range(n))
st = EvaluationSettings((X0 + 200, Y0 + 1000, X0 + 3800, Y0 + 2900), res)
est = estimate_cost(st, cells)
t = time.perf_counter()
evaluate(city, SiteSet(cells), st)
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"res": res, "sites": n, "estimate": est.to_dict(), "seconds": round(dt, 2),
                  "peak_gb": round(peak / 1e9, 3),
                  "time_ratio": round(est.seconds / dt, 2),
                  "memory_ratio": round(est.memory_bytes / peak, 2)}))
"""


def main() -> None:
    import tempfile

    quick = "--quick" in sys.argv
    cases = [(10, 5), (5, 20), (2, 5), (2, 30)] + ([] if quick else [(1, 30), (1, 100)])
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for res, n in cases:
            done = subprocess.run([sys.executable, "-c", CHILD, str(res), str(n),
                                   str(HERE.parent / "tests"), str(Path(tmp) / "pack")],
                                  capture_output=True, text=True, check=True)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(json.dumps(row))
            out.append(row)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "estimate.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
