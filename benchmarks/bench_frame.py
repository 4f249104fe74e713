"""Frame time of the city scene against a bare vispy Mesh holding the same triangles.

Run: .venv/bin/python benchmarks/bench_frame.py [--runs 20] [--view harbour] [--size 1280x800]
Renders offscreen (EGL; software Mesa here, a GPU where there is one). Both scenes share one
process, one canvas size and one camera; frames alternate A B A B. Target: ratio <= 1.2.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from _common import paired, save

os.environ.setdefault("EGL_PLATFORM", "surfaceless")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--view", default="harbour")
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--pack", default=None)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))

    from hktwin.render.snapshot import render_city, select_headless_backend

    backend = select_headless_backend()
    from vispy import gloo, scene

    shot = render_city(args.pack, args.view, size)
    city_canvas = shot.canvas
    city_scene = city_canvas.city_scene

    # The same triangles with the same vertex colours, in one bare Mesh.
    verts, faces, cols, offset = [], [], [], 0
    for adapter in city_scene.adapters.values():
        for child in adapter.node.children:
            md = getattr(child, "mesh_data", None)
            if md is None or md.get_vertices() is None:
                continue
            v, f = md.get_vertices(), md.get_faces()
            verts.append(v)
            faces.append(f + offset)
            cols.append(md.get_vertex_colors())
            offset += len(v)
    bare = scene.SceneCanvas(size=size, show=False, bgcolor=city_canvas.bgcolor)
    view = bare.central_widget.add_view()
    scene.visuals.Mesh(vertices=np.concatenate(verts), faces=np.concatenate(faces),
                       vertex_colors=np.concatenate(cols), parent=view.scene)
    view.camera = scene.TurntableCamera()
    view.camera.set_state(city_scene.view.camera.get_state())
    view.camera.depth_value = city_scene.view.camera.depth_value

    def frame(canvas):
        def draw():
            canvas.render()
        return draw

    for _ in range(2):  # warm shader compilation and uploads
        city_canvas.render()
        bare.render()
    result = paired(frame(city_canvas), frame(bare), args.runs)
    renderer = gloo.gl.glGetParameter(gloo.gl.GL_RENDERER)
    save(f"frame_city_vs_bare_{args.view}", {
        "backend": backend, "renderer": renderer, "size": args.size, "view": args.view,
        "triangles": int(sum(len(f) for f in faces)),
        "city_frame_ms_median": result["a_median_s"] * 1000,
        "bare_frame_ms_median": result["b_median_s"] * 1000,
        "city_over_bare": result["ratio_median"],
        "ratio_min": result["ratio_min"], "ratio_max": result["ratio_max"], "runs": args.runs,
    })


if __name__ == "__main__":
    main()
