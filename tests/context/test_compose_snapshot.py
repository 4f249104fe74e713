"""`hktwin snapshot --pack` of a district crop shows the crop in its surroundings."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from test_compose import write_crop


def _snap(pack, out) -> np.ndarray:
    from PIL import Image

    done = subprocess.run([sys.executable, "-m", "hktwin", "snapshot", "--pack", str(pack),
                           "--view", "kowloon", "--size", "480x300", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return np.asarray(Image.open(out).convert("RGB")).astype(int)


def _land_share(rgb: np.ndarray) -> float:
    """Share of pixels that are green-brown ground (the sea is blue, the sky light)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return float(((g > b + 10) & (r > 40)).mean())


def test_a_crop_is_drawn_in_its_surroundings(tmp_path):
    crop = write_crop(tmp_path / "crop")
    alone = write_crop(tmp_path / "alone")
    manifest = json.loads((alone / "manifest.json").read_text())
    manifest["base"] = False
    (alone / "manifest.json").write_text(json.dumps(manifest))
    composed = _snap(crop, tmp_path / "composed.png")
    island = _snap(alone, tmp_path / "alone.png")
    # Alone, the crop is an island in an empty sea; over the demo city, land fills the view.
    assert _land_share(composed) > _land_share(island) + 0.15
    assert _land_share(composed) > 0.4
    # The outline of the official data is drawn (cyan: little red, much green and blue).
    cyan = (composed[..., 0] < 120) & (composed[..., 1] > 180) & (composed[..., 2] > 180)
    assert cyan.sum() > 50
