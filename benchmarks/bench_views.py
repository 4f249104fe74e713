"""Two views of one city: bytes uploaded to GL, host memory and frame time, against one view.

Run: .venv/bin/python benchmarks/bench_views.py [--runs 8] [--size 1280x800]

In one process, on the demo city (EGL offscreen; llvmpipe here, a GPU where there is one):
- one view: a canvas with the overview only;
- two views: the overview and a street view beside it in the same canvas, the street view
  drawing mirrors that share the overview's buffers and textures (`render.mirror`);
- naive two views: what a second canvas with its own scene graph costs (the baseline the
  sharing avoids: every mesh uploaded again).
GL bytes are counted from vispy's GLIR `DATA` commands on buffers and textures (what is sent to
the driver); host memory is the process's resident set before and after each canvas's first
frame. Frame times alternate A B A B (`paired`), so drift hits both. Also the street view alone
at street level against the overview alone (the AR view's cost), same canvas size.

Both frame ratios are measured twice in the same process: with each view culling the shared
meshes for its own camera (`render.culling`, the default) and with culling off in every view
(what the views cost before it), so the looks' cost, whatever it is today, is in both.
"""

from __future__ import annotations

import os

from _common import paired, save, view_arguments

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

STREET = (834_025.0, 816_005.0, 15.0)  # between towers in Central, looking up the street


class GlirBytes:
    """Counts the bytes vispy sends to GL buffers and textures (every context in the process)."""

    def __init__(self) -> None:
        from vispy.gloo import glir

        self.total = 0
        original = glir.GlirParser._parse
        kinds = (glir.GlirVertexBuffer, glir.GlirIndexBuffer, glir.GlirTexture)
        counter = self

        def _parse(parser, command):
            if command[0] == "DATA":
                target = parser._objects.get(command[1])
                if isinstance(target, kinds):
                    counter.total += int(getattr(command[3], "nbytes", 0))
            return original(parser, command)

        glir.GlirParser._parse = _parse


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    args, size = view_arguments(runs=8, view=False)

    from hktwin.render.snapshot import select_headless_backend

    backend = select_headless_backend()
    from vispy import gloo

    from hktwin.model.camera import street_pose_at
    from hktwin.model.loading import load_city
    from hktwin.model.twin import Twin
    from hktwin.render.scene import CityCanvas

    counter = GlirBytes()
    loaded = load_city(None)
    twin = Twin(city=loaded.city)
    twin.go_to("harbour")
    twin.layers.extend(loaded.layers)
    x, y, heading = STREET
    pose = street_pose_at(x, y, heading, 5.0, terrain=loaded.city.terrain)

    def first_frame(make):
        before_bytes, before_rss = counter.total, rss_mb()
        canvas = make()
        canvas.render()
        return canvas, counter.total - before_bytes, rss_mb() - before_rss

    one, one_bytes, one_rss = first_frame(lambda: CityCanvas(twin, size=size, show=False))

    def two_views():
        canvas = CityCanvas(twin, size=size, show=False)
        canvas.add_street_view(pose)
        return canvas

    two, two_bytes, two_rss = first_frame(two_views)

    def naive():  # a second canvas, its own graph: what sharing avoids
        canvas = CityCanvas(twin, size=(size[0] // 2, size[1]), show=False, overview=False)
        canvas.add_street_view(pose)
        return canvas

    _, naive_extra_bytes, naive_extra_rss = first_frame(naive)

    def street_only():
        canvas = CityCanvas(twin, size=size, show=False, overview=False)
        canvas.add_street_view(pose)
        return canvas

    street, street_bytes, _ = first_frame(street_only)

    def cull(on: bool) -> None:
        for canvas in (one, two, street):
            for view in canvas.views:
                view.culler.enabled = on
            canvas.render()
            canvas.render()

    frames = {}
    for label, on in (("culled", True), ("unculled", False)):
        cull(on)
        frames[label] = (paired(two.render, one.render, args.runs),
                         paired(street.render, one.render, args.runs),
                         street.views[0].drawn_faces, two.views[1].drawn_faces,
                         one.views[0].drawn_faces)
    cull(True)
    two_vs_one, street_vs_overview, street_faces, side_faces, overview_faces = frames["culled"]
    off_two, off_street, *_ = frames["unculled"]
    mb = 2**20
    save("views_shared_scene", {
        "backend": backend, "renderer": gloo.gl.glGetParameter(gloo.gl.GL_RENDERER),
        "size": args.size, "triangles_overview": int(one.city_scene.n_faces),
        "triangles_street": int(street.views[0].n_faces),
        "gl_bytes_one_view_mb": one_bytes / mb,
        "gl_bytes_two_views_mb": two_bytes / mb,
        "gl_bytes_two_over_one": two_bytes / one_bytes,
        "gl_bytes_naive_second_view_mb": naive_extra_bytes / mb,
        "gl_bytes_naive_two_over_one": (one_bytes + naive_extra_bytes) / one_bytes,
        "rss_first_frame_one_view_mb": one_rss, "rss_first_frame_two_views_mb": two_rss,
        "rss_naive_second_view_mb": naive_extra_rss,
        "frame_ms_one_view": two_vs_one["b_median_s"] * 1000,
        "frame_ms_two_views": two_vs_one["a_median_s"] * 1000,
        "frame_two_over_one": two_vs_one["ratio_median"],
        "frame_two_over_one_min_max": [two_vs_one["ratio_min"], two_vs_one["ratio_max"]],
        "frame_ms_street_view_alone": street_vs_overview["a_median_s"] * 1000,
        "frame_ms_overview_alone": street_vs_overview["b_median_s"] * 1000,
        "frame_street_over_overview": street_vs_overview["ratio_median"],
        "gl_bytes_street_alone_mb": street_bytes / mb,
        "triangles_drawn_street_alone_culled": int(street_faces),
        "triangles_drawn_street_beside_overview_culled": int(side_faces),
        "triangles_drawn_overview_culled": int(overview_faces),
        "unculled_frame_two_over_one": off_two["ratio_median"],
        "unculled_frame_two_over_one_min_max": [off_two["ratio_min"], off_two["ratio_max"]],
        "unculled_frame_ms_one_view": off_two["b_median_s"] * 1000,
        "unculled_frame_ms_two_views": off_two["a_median_s"] * 1000,
        "unculled_frame_street_over_overview": off_street["ratio_median"],
        "unculled_frame_ms_street_view_alone": off_street["a_median_s"] * 1000,
        "unculled_frame_ms_overview_alone": off_street["b_median_s"] * 1000,
        "culled_two_views_over_unculled": two_vs_one["a_median_s"] / off_two["a_median_s"],
        "culled_street_over_unculled": street_vs_overview["a_median_s"] / off_street["a_median_s"],
        "runs": args.runs,
    })


if __name__ == "__main__":
    main()
