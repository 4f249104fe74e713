"""Scrubbing the time bar at full speed: frame time with the clock jumping every frame (live
layers re-read from the store and recoloured) against the same scene with the live layers
hidden and the clock still. Target: ratio at most 1.2.

Run: .venv/bin/python benchmarks/bench_scrub.py [--runs 20] [--size 1280x800]
"""

from __future__ import annotations

import os
import random

from _common import paired, save, view_arguments

os.environ.setdefault("EGL_PLATFORM", "surfaceless")


def main() -> None:
    args, size = view_arguments(runs=20, view=False)

    from hktwin.render.snapshot import select_headless_backend

    select_headless_backend()
    from hktwin.model.camera import CameraPose
    from hktwin.model.live import FeedBinding, recorded_range
    from hktwin.model.live_layers import LiveLayer
    from hktwin.model.loading import load_city, load_live
    from hktwin.model.twin import Twin
    from hktwin.render.scene import CityCanvas

    loaded = load_live(load_city(None))
    twin = Twin(city=loaded.city)
    twin.layers.extend(loaded.layers + loaded.live_layers)
    twin.camera = CameraPose((835_500.0, 818_500.0, 0.0), 9000.0, 10.0, 45.0)
    canvas = CityCanvas(twin, size=size, show=False)
    start, end = recorded_range(loaded.store, loaded.live_layers)
    twin.clock.set_range(start, end)
    FeedBinding(loaded.store, twin.clock, loaded.live_layers)
    rng = random.Random(0)
    live = [la for la in twin.layers if isinstance(la, LiveLayer)]

    def scrubbing() -> None:
        for layer in live:
            layer.visible = True
        twin.clock.seek(twin.clock.time_at(rng.random()))
        canvas.render()

    def still_without_live_layers() -> None:
        for layer in live:
            layer.visible = False
        canvas.render()

    for _ in range(2):
        scrubbing()
        still_without_live_layers()
    result = paired(scrubbing, still_without_live_layers, args.runs)
    save("scrub_vs_static", {
        "size": args.size, "live_layers": [la.name for la in live],
        "scrub_frame_ms_median": result["a_median_s"] * 1000,
        "static_frame_ms_median": result["b_median_s"] * 1000,
        "scrub_over_static": result["ratio_median"],
        "ratio_min": result["ratio_min"], "ratio_max": result["ratio_max"], "runs": args.runs,
    })


if __name__ == "__main__":
    main()
