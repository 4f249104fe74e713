"""Frame time of the harbour view with the looks (sky, haze, facades, water: `render.shading`,
`render.sky`) against the same view without them, in one process.

Run: .venv/bin/python benchmarks/bench_looks.py [--runs 15] [--view harbour] [--size 1280x800]
Renders offscreen (EGL; software Mesa here, a GPU where there is one). Two canvases of the same
city, camera, size and clock, one built with the looks and one with `shading.ENABLED = False`;
frames alternate A B A B. Target: ratio <= 1.2.

Two ratios: of wall time (`looks_over_plain`, what a viewer waits) and of this process's CPU
time (`cpu_looks_over_plain`: software GL's worker threads included; on a shared machine other
processes' load inflates the wall times of both canvases by different amounts, CPU time much
less).
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone

from _common import paired, paired_frames, save, view_arguments

os.environ.setdefault("EGL_PLATFORM", "surfaceless")


def main() -> None:
    args, size = view_arguments(runs=15)

    from hktwin.render import shading
    from hktwin.render.snapshot import render_city, select_headless_backend

    backend = select_headless_backend()

    when = datetime(2026, 12, 1, 10, 30, tzinfo=timezone(timedelta(hours=8)))
    shading.ENABLED = True
    looks = render_city(args.pack, args.view, size, when=when).canvas
    shading.ENABLED = False
    plain = render_city(args.pack, args.view, size, when=when).canvas
    shading.ENABLED = True

    result = paired_frames(looks, plain, args.runs)
    renderer = result["renderer"]
    cpu = paired(looks.render, plain.render, args.runs, clock=time.process_time)
    save(f"looks_{args.view}", {
        "backend": backend, "renderer": renderer, "size": args.size, "view": args.view,
        "triangles": int(looks.city_scene.n_faces),
        "triangles_plain": int(plain.city_scene.n_faces),
        "looks_frame_ms_median": result["a_median_s"] * 1000,
        "plain_frame_ms_median": result["b_median_s"] * 1000,
        "looks_over_plain": result["ratio_median"],
        "ratio_min": result["ratio_min"], "ratio_max": result["ratio_max"], "runs": args.runs,
        "cpu_looks_frame_ms_median": cpu["a_median_s"] * 1000,
        "cpu_plain_frame_ms_median": cpu["b_median_s"] * 1000,
        "cpu_looks_over_plain": cpu["ratio_median"], "cpu_ratio_min": cpu["ratio_min"],
        "cpu_ratio_max": cpu["ratio_max"],
    })


if __name__ == "__main__":
    main()
