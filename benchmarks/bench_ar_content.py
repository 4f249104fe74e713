"""What AR anchor content costs a frame: the sample scenario's anchors with their image and
model against the same anchors as plain cards.

Run: .venv/bin/python benchmarks/bench_ar_content.py [--runs 10]

In one process (EGL offscreen; llvmpipe here, a GPU where there is one), two AR views of the
demo city from Queen's Road Central (834025, 816005, heading 15, 576 x 1280): A draws
`resources/scenarios/central-phase1.hktwin.json` (a poster card with its image, a kiosk model
with its title card), B a copy whose anchors have no `image` or `model`. Each timed frame is a
full refresh (content looked up in the cache, layout, occlusion, cards) and a render,
alternated A B A B (`paired`) so drift hits both. Also the first load of the two content files
(decode + fit), against a cache hit.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from _common import paired, save

os.environ.setdefault("EGL_PLATFORM", "surfaceless")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "scenarios" / "central-phase1.hktwin.json"
SPOT = (834_025.0, 816_005.0, 15.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    from hktwin.analysis.ar import content
    from hktwin.render.snapshot import render_ar

    content.clear_cache()
    t0 = time.perf_counter()
    content.load_image(SAMPLE.parent / "content" / "5g-poster.png")
    content.load_model(SAMPLE.parent / "content" / "kiosk.glb", 2.4)
    first_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    content.load_image(SAMPLE.parent / "content" / "5g-poster.png")
    content.load_model(SAMPLE.parent / "content" / "kiosk.glb", 2.4)
    cached = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        doc = json.loads(SAMPLE.read_text())
        for item in doc["anchors"]:
            item.pop("image", None)
            item.pop("model", None)
        plain = Path(tmp) / "plain.hktwin.json"
        plain.write_text(json.dumps(doc))
        with_content = render_ar(*SPOT, 0.0, scenario=SAMPLE)
        without = render_ar(*SPOT, 0.0, scenario=plain)

    def frame(shot):
        def run():
            shot.preview.refresh()
            shot.canvas.render()
        return run

    a, b = with_content.preview, without.preview
    assert sum(m.visible for m in a._models) == 1 and sum(i.visible for i in a._card_images) == 1
    assert not any(m.visible for m in b._models)
    for _ in range(2):
        frame(with_content)()
        frame(without)()
    result = paired(frame(with_content), frame(without), args.runs)
    from vispy import gloo

    result.update({
        "renderer": gloo.gl.glGetParameter(gloo.gl.GL_RENDERER),
        "a": "sample anchors with a poster image and a kiosk model",
        "b": "the same anchors as plain cards",
        "content_first_load_s": first_load, "content_cached_load_s": cached,
    })
    save("ar_content", result)


if __name__ == "__main__":
    main()
