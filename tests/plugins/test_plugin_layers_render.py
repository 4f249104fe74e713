"""The example plugins' layers in `hktwin snapshot`: drawn from the same scene the window shows.

Renders in a child process (one vispy backend per process; the GUI tests hold Qt's). Writes the
pictures to .cache/snapshots/ for a person to look at.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".cache" / "snapshots"

CHILD = r"""
import json, sys
from datetime import datetime, timedelta, timezone
import numpy as np
from hktwin.render.snapshot import render_city, write_png

out = sys.argv[1]
when = datetime(2026, 12, 21, 15, 30, tzinfo=timezone(timedelta(hours=8)))
shot = render_city(None, "harbour", (480, 300), when=when,
                   show=["Sun and shadow", "Road noise", "KMB 1A arrivals"])  # all start hidden
twin = shot.canvas.city_scene.twin
write_png(f"{out}/plugins-on.png", shot.image)
names = twin.layers.names()
result = {"names": names, "plugins": {l.name: getattr(l, "plugin", "") for l in twin.layers}}
diffs = {}
for name in ("Road noise", "Sun and shadow", "KMB 1A arrivals"):
    layer = twin.layers.get(name)
    if layer is None:
        continue
    layer.visible = False
    off = shot.canvas.render()
    layer.visible = True
    diffs[name] = int((np.abs(off[..., :3].astype(int) - shot.image[..., :3].astype(int))
                       .sum(axis=-1) > 30).sum())
    write_png(f"{out}/plugins-without-{name.replace(' ', '-').lower()}.png", off)
result["changed_pixels"] = diffs
shadow = twin.layers.get("Sun and shadow")
result["shadow_triangles"] = int(len(shadow.ground_triangles)) if shadow else 0
print(json.dumps(result))
"""


@pytest.mark.slow  # loads and renders the whole demo city in a child process (~15 s)
def test_example_plugin_layers_are_drawn_in_a_snapshot():
    missing = [m for m in ("hktwin_noise", "hktwin_sun", "hktwin_kmb")
               if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"example plugins not installed ({', '.join(missing)})")
    SHOTS.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, EGL_PLATFORM="surfaceless")
    proc = subprocess.run([sys.executable, "-c", CHILD, str(SHOTS)], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)
    if proc.returncode != 0 and "cannot render offscreen" in proc.stderr:
        pytest.skip("no EGL and no display: " + proc.stderr.strip().splitlines()[-1])
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"Road noise", "Sun and shadow", "KMB 1A arrivals"} <= set(result["names"])
    assert result["plugins"]["Road noise"] == "noise"
    assert result["shadow_triangles"] > 1000
    # each plugin layer changes what is on screen (the view over the harbour sees all three)
    for name, changed in result["changed_pixels"].items():
        assert changed > 50, (name, result["changed_pixels"])
