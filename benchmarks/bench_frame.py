"""Frame time of the city scene against a bare vispy Mesh holding the same triangles.

Run: .venv/bin/python benchmarks/bench_frame.py [--runs 20] [--view harbour] [--size 1280x800]
Renders offscreen (EGL; software Mesa here, a GPU where there is one). Both scenes share one
process, one canvas size and one camera; frames alternate A B A B. Target: ratio <= 1.2.

The city's views cull what their camera cannot see (`render.culling`); the bare Mesh draws every
triangle. So the city is measured twice against it, with culling (what a planner gets) and
without (`culler.enabled = False`: the scene graph's own overhead, the stage-1 figure).
"""

from __future__ import annotations

import os

from _common import bare_canvas, paired_frames, save, view_arguments

os.environ.setdefault("EGL_PLATFORM", "surfaceless")


def main() -> None:
    args, size = view_arguments(runs=20)

    from hktwin.render.snapshot import render_city, select_headless_backend

    backend = select_headless_backend()
    from vispy import scene

    shot = render_city(args.pack, args.view, size)
    city_canvas = shot.canvas

    # The same triangles with the same vertex colours, in one bare Mesh, same camera.
    bare = bare_canvas(city_canvas, scene)

    result = paired_frames(city_canvas, bare, args.runs)
    drawn = int(city_canvas.city_scene.drawn_faces)
    city_canvas.city_scene.culler.enabled = False
    unculled = paired_frames(city_canvas, bare, args.runs)
    city_canvas.city_scene.culler.enabled = True
    renderer = result["renderer"]
    save(f"frame_city_vs_bare_{args.view}", {
        "backend": backend, "renderer": renderer, "size": args.size, "view": args.view,
        "triangles": int(city_canvas.city_scene.n_faces),
        "city_frame_ms_median": result["a_median_s"] * 1000,
        "bare_frame_ms_median": result["b_median_s"] * 1000,
        "city_over_bare": result["ratio_median"],
        "ratio_min": result["ratio_min"], "ratio_max": result["ratio_max"],
        "triangles_drawn_culled": drawn,
        "unculled_city_frame_ms_median": unculled["a_median_s"] * 1000,
        "unculled_bare_frame_ms_median": unculled["b_median_s"] * 1000,
        "unculled_city_over_bare": unculled["ratio_median"],
        "unculled_ratio_min_max": [unculled["ratio_min"], unculled["ratio_max"]],
        "runs": args.runs,
    })


if __name__ == "__main__":
    main()
