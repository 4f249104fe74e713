"""Start-up of the PyInstaller bundle against the development install, same machine.

Run (after `bash packaging/build_bundle.sh`):
    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python benchmarks/bench_bundle_startup.py
        [--runs 5] [--bundle dist/bundle/hktwin/hktwin]

Two measures, each a fresh process, runs alternating dev / bundle so machine drift hits both,
the mesh cache warm (one untimed run of each first):
- snapshot: process start to `hktwin snapshot --size 640x400` having written its PNG (wall time
  of the whole command: imports, pack read, first render, PNG write);
- window (needs a display: Xvfb above): process start to the window's first frame with the city,
  printed by the app itself when HKTWIN_EXIT_AFTER_FIRST_FRAME is set (hktwin.ui.app).
Reports the medians and the bundle/dev ratios. Also the bundle's size on disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from _common import save

ROOT = Path(__file__).resolve().parents[1]


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONPATH")}
    env.update(HKTWIN_CONFIG_DIR=str(tmp / "cfg"), HKTWIN_CACHE_DIR=str(tmp / "cache"))
    return env


def snapshot_s(exe: str, tmp: Path) -> float:
    start = time.perf_counter()
    subprocess.run([exe, "snapshot", "--out", str(tmp / "s.png"), "--size", "640x400"],
                   cwd=tmp, env=_env(tmp), capture_output=True, check=True, timeout=300)
    return time.perf_counter() - start


def window_s(exe: str, tmp: Path) -> float:
    env = _env(tmp)
    env["HKTWIN_EXIT_AFTER_FIRST_FRAME"] = "1"
    out = subprocess.run([exe], cwd=tmp, env=env, capture_output=True, text=True, check=True,
                         timeout=300).stdout
    return float(next(ln for ln in out.splitlines() if ln.startswith("first_frame_s")).split()[1])


def measure(fn, dev: str, bundle: str, tmp: Path, runs: int) -> dict:
    fn(dev, tmp)
    fn(bundle, tmp)  # warm: mesh cache, OS file cache, shader caches
    d, b = [], []
    for _ in range(runs):
        d.append(fn(dev, tmp))
        b.append(fn(bundle, tmp))
    return {"dev_median_s": round(statistics.median(d), 3),
            "bundle_median_s": round(statistics.median(b), 3),
            "bundle_over_dev": round(statistics.median([y / x for x, y in zip(d, b, strict=True)]),
                                     3),
            "dev_s": [round(v, 3) for v in d], "bundle_s": [round(v, 3) for v in b]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bundle", default=str(ROOT / "dist/bundle/hktwin/hktwin"))
    parser.add_argument("--dev", default=str(ROOT / ".venv/bin/hktwin"))
    args = parser.parse_args()
    bundle_dir = Path(args.bundle).parent
    size_mb = sum(p.lstat().st_size for p in bundle_dir.rglob("*")
                  if p.is_file() and not p.is_symlink()) / 1e6  # links counted once
    tmp = Path(tempfile.mkdtemp(prefix="hktwin-bench-"))
    try:
        result = {"bundle_size_mb": round(size_mb), "runs": args.runs,
                  "snapshot": measure(snapshot_s, args.dev, args.bundle, tmp, args.runs)}
        if os.environ.get("DISPLAY"):
            result["window_first_frame"] = measure(window_s, args.dev, args.bundle, tmp,
                                                   args.runs)
        else:
            result["window_first_frame"] = "skipped: no DISPLAY (run under xvfb-run)"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    save("bundle_startup", result)


if __name__ == "__main__":
    main()
