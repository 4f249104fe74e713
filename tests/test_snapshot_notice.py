"""The "approximate demo city" notice in snapshots: solid dark text on a light box, small."""

from __future__ import annotations

import subprocess
import sys

import numpy as np


def test_snapshot_notice_is_readable_and_opaque(tmp_path):
    from PIL import Image

    out = tmp_path / "snap.png"
    done = subprocess.run([sys.executable, "-m", "hktwin", "snapshot", "--out", str(out),
                           "--size", "800x500"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rgba = np.asarray(Image.open(out).convert("RGBA")).astype(int)
    assert (rgba[..., 3] == 255).all()  # no see-through pixels anywhere
    h, w, _ = rgba.shape
    corner = rgba[h - 24:h - 2, w - 260:w - 6, :3]
    light = corner.min(axis=-1) > 200
    dark = corner.max(axis=-1) < 90
    assert light.mean() > 0.5, "no light backing behind the notice"
    assert dark.mean() > 0.03, "no dark text on it"
    # Unobtrusive: the box is one line high, the scene above it untouched by it.
    above = rgba[h - 40:h - 30, w - 260:w - 6, :3]
    assert (above.min(axis=-1) > 200).mean() < 0.2
