"""The window opens a district crop over the demo city: the notice says what is official, the
camera frames the crop, the outline and the demo city's layers are there."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "context"))


def test_a_crop_opens_in_its_surroundings(qtbot, window, load, tmp_path):
    from test_compose import write_crop

    crop = write_crop(tmp_path / "crop")
    load(window, crop)
    city = window.twin.city
    assert city.base is not None
    assert "official data inside the outline" in window.notice_label.text().lower()
    names = [layer.name for layer in window.twin.layers]
    assert "Official data outline" in names and "Terrain (demo city)" in names
    x0, y0, x1, y1 = city.covered
    cx, cy, _ = window.twin.camera.center
    assert x0 <= cx <= x1 and y0 <= cy <= y1  # the home view looks at the crop
    image = window.canvas.render()
    assert image.shape[0] > 100
