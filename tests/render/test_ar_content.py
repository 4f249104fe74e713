"""AR anchor content in the rendered street view (Central, headless EGL): an image card shows
its image inside the card, a model stands where it projects, a model behind the towers is not
drawn, a ghosted model is translucent, and a damaged file leaves its card without the image
and one warning."""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import ar_content_probe
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging" / "data"))
import build_ar_content  # noqa: E402

OUT = ROOT / ".cache" / "snapshots"


@pytest.fixture(scope="module")
def shot(tmp_path_factory):
    scenario = ar_content_probe.write_scenario(tmp_path_factory.mktemp("ar-content"))
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(ar_content_probe.probe, str(scenario)).result(timeout=600)
    OUT.mkdir(parents=True, exist_ok=True)
    from vispy.io import write_png

    write_png(str(OUT / "ar-content.png"), result["image"])
    return result


def _patch(image: np.ndarray, px, r: int = 3) -> np.ndarray:
    u, v = (round(c) for c in px)
    return image[v - r : v + r + 1, u - r : u + r + 1, :3].astype(int).reshape(-1, 3)


def _red(rgb: np.ndarray) -> np.ndarray:
    return (rgb[:, 0] > 110) & (rgb[:, 0] > 2 * rgb[:, 1]) & (rgb[:, 0] > 2 * rgb[:, 2])


def test_an_image_card_shows_its_image_inside_the_card(shot):
    from hktwin.analysis.ar.occlusion import Visibility

    state, shown, rect, kind = shot["views"]["poster"]
    assert state == Visibility.VISIBLE and shown and kind == "image"
    u0, v0, u1, v1 = (round(c) for c in rect)
    card = shot["image"][v0:v1, u0:u1, :3].astype(int)
    violet = np.abs(card - np.array(build_ar_content.POSTER_RGB)).max(axis=-1) < 40
    assert violet.mean() > 0.15  # the poster's ground fills much of the card's middle
    # ... and only there: no poster colour outside the card.
    outside = shot["image"][..., :3].astype(int).copy()
    outside[v0 - 2 : v1 + 2, u0 - 2 : u1 + 2] = 0
    assert (np.abs(outside - np.array(build_ar_content.POSTER_RGB)).max(axis=-1) < 25).sum() < 20
    assert shot["images_drawn"] == 1


def test_a_model_stands_where_it_projects_and_a_hidden_one_is_not_drawn(shot):
    from hktwin.analysis.ar.occlusion import Visibility

    state, shown, rect, kind = shot["views"]["kiosk"]
    assert state == Visibility.VISIBLE and shown and kind == "model"
    assert _red(_patch(shot["image"], shot["kiosk_px"])).mean() > 0.8
    assert rect[3] < shot["kiosk_px"][1]  # its title card is above it
    hidden_state, hidden_shown, _, _ = shot["views"]["hidden-kiosk"]
    assert hidden_state == Visibility.HIDDEN and not hidden_shown
    assert shot["models_drawn"] == 1
    assert not _red(_patch(shot["image"], shot["hidden_kiosk_px"])).any()


def test_a_ghosted_model_is_drawn_translucent(shot):
    from hktwin.render.ar import GHOST_ALPHA

    assert shot["ghost_alpha"] == pytest.approx(GHOST_ALPHA)
    opaque = _patch(shot["image"], shot["kiosk_px"]).mean(axis=0)
    ghost = _patch(shot["ghost_image"], shot["kiosk_px"]).mean(axis=0)
    # Blended with what is behind it: less saturated red than the opaque kiosk.
    assert ghost[0] - ghost[1:].mean() < 0.8 * (opaque[0] - opaque[1:].mean())


def test_a_damaged_image_leaves_the_card_without_it_and_warns_once(shot):
    _, shown, _, kind = shot["views"]["broken"]
    assert shown and kind == "card"
    (warning,) = shot["warnings"]
    assert "broken.png" in warning and "[broken.image]" in warning
    assert shot["warnings_after_refresh"] == shot["warnings"]
    assert shot["texts"] <= 2 * 6  # two labels per card, at most the card limit


def test_anchors_from_the_sites_layer_take_content_from_the_scenario_files_folder(shot):
    """The window's case: no anchors handed over, the scenario opened from its file."""
    assert Path(shot["window_content_dir"]).name.startswith("ar-content")
    assert shot["window_models_drawn"] == 1
