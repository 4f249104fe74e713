"""Helpers shared by the benchmarks: robust timing and result files."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def seconds_since_process_start() -> float:
    """Wall time since this process was created (Linux), so interpreter start-up counts too."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - start_ticks / ticks


def view_arguments(runs: int, view: bool = True) -> tuple[argparse.Namespace, tuple[int, int]]:
    """The frame benchmarks' command line (--runs, --size, and --view, --pack) and the size."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--size", default="1280x800")
    if view:
        parser.add_argument("--view", default="harbour")
        parser.add_argument("--pack", default=None)
    args = parser.parse_args()
    return args, tuple(int(v) for v in args.size.split("x"))


def paired(a: Callable[[], object], b: Callable[[], object], runs: int,
           clock: Callable[[], float] = time.perf_counter) -> dict:
    """Time `a` and `b` alternately (A B A B ...) so machine drift hits both; medians and ratio.
    `clock`: wall time by default; `time.process_time` counts this process's CPU (a software
    GL's threads included), steadier than wall time on a loaded machine."""
    ta, tb, ratios = [], [], []
    for _ in range(runs):
        t0 = clock()
        a()
        t1 = clock()
        b()
        t2 = clock()
        ta.append(t1 - t0)
        tb.append(t2 - t1)
        ratios.append((t1 - t0) / (t2 - t1))
    return {
        "a_median_s": statistics.median(ta), "a_min_s": min(ta), "a_max_s": max(ta),
        "b_median_s": statistics.median(tb), "b_min_s": min(tb), "b_max_s": max(tb),
        "ratio_median": statistics.median(ratios), "ratio_min": min(ratios),
        "ratio_max": max(ratios), "runs": runs,
    }


def paired_frames(canvas_a, canvas_b, runs: int) -> dict:
    """`paired` over whole frames of two canvases, after two warm-up frames each (shader
    compilation and uploads), with the GL renderer that drew them."""
    from vispy import gloo

    for _ in range(2):
        canvas_a.render()
        canvas_b.render()
    result = paired(canvas_a.render, canvas_b.render, runs)
    result["renderer"] = gloo.gl.glGetParameter(gloo.gl.GL_RENDERER)
    return result


def save(name: str, result: dict) -> Path:
    """Write a result with the machine it ran on, and print it."""
    RESULTS.mkdir(exist_ok=True)
    result = {"benchmark": name, "machine": platform.node(), "cpus": os.cpu_count(),
              "when": time.strftime("%Y-%m-%dT%H:%M:%S"), **result}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return path


def bare_canvas(city_canvas, scene):
    """A SceneCanvas with one Mesh holding the city's drawn triangles and colours, same camera."""
    verts, faces, cols, offset = [], [], [], 0
    for adapter in city_canvas.city_scene.adapters.values():
        if not adapter.layer.visible:
            continue
        for child in adapter.node.children:
            md = getattr(child, "mesh_data", None)
            if md is None or md.get_vertices() is None:
                continue
            v, f = md.get_vertices(), md.get_faces()
            verts.append(v)
            faces.append(f + offset)
            cols.append(md.get_vertex_colors())
            offset += len(v)
    bare = scene.SceneCanvas(size=city_canvas.size, show=False, bgcolor=city_canvas.bgcolor)
    view = bare.central_widget.add_view()
    scene.visuals.Mesh(vertices=np.concatenate(verts), faces=np.concatenate(faces),
                       vertex_colors=np.concatenate(cols), parent=view.scene)
    view.camera = scene.TurntableCamera()
    view.camera.set_state(city_canvas.city_scene.view.camera.get_state())
    view.camera.depth_value = city_canvas.city_scene.view.camera.depth_value
    return bare
