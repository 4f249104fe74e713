"""Two views of one scene graph: the second uploads no mesh again, draws the same picture as a
view that owns the data, follows layer changes, and its street camera looks level and up."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import views_probe

from tests_helpers import is_sky

OUT = Path(__file__).resolve().parents[2] / ".cache" / "snapshots"

@pytest.fixture(scope="module")
def probed(tiny_pack):
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(views_probe.probe, str(tiny_pack)).result(timeout=600)
    OUT.mkdir(parents=True, exist_ok=True)
    from vispy.io import write_png

    for key in ("two_views", "alone", "pitched", "with_line"):
        write_png(str(OUT / f"views-{key}.png"), result[key])
    return result


def test_a_second_view_uploads_no_mesh_again(probed):
    # The second view shares every buffer and texture; only small copies (lines, markers,
    # labels) and the views' culling index buffers are sent. A canvas of its own sends
    # everything again.
    assert probed["one_view_bytes"] > 100_000
    assert probed["second_view_bytes"] < 0.1 * probed["one_view_bytes"], probed
    # Culling per view sends lists of visible faces (4 bytes a vertex), never more than the
    # triangles the two views hold.
    assert probed["second_view_index_bytes"] <= 12 * sum(probed["n_faces"]), probed
    assert probed["alone_bytes"] > 0.9 * probed["one_view_bytes"]


def test_the_mirrored_view_draws_what_a_view_owning_the_data_draws(probed):
    (x, y), (w, h) = probed["street_box"]
    side = probed["two_views"][int(y):int(y + h), int(x):int(x + w), :3].astype(int)
    alone = probed["alone"][..., :3].astype(int)
    assert side.shape == alone.shape
    differs = (np.abs(side - alone).sum(axis=2) > 30).mean()
    assert differs < 0.01, differs
    # ... and the overview beside it is not the street view.
    overview = probed["two_views"][:, : int(x) - 1, :3].astype(int)
    assert np.abs(overview[:, : int(w)].mean(axis=(0, 1)) - alone.mean(axis=(0, 1))).sum() > 10


def test_street_view_between_towers_has_sky_above_and_facades_beside(probed):
    image = probed["alone"][..., :3].astype(float)
    h, w = image.shape[:2]
    assert is_sky(image[: h // 8, w // 2 - 10 : w // 2 + 10]).mean() > 0.9  # up the street
    for cols in (slice(0, w // 10), slice(w - w // 10, w)):  # towers on both sides
        assert is_sky(image[h // 4 : h // 2, cols]).mean() < 0.1


def test_street_camera_looks_level_and_up(probed):
    (w, h) = probed["alone"].shape[1], probed["alone"].shape[0]
    ax, ay = probed["ahead_px"]
    assert abs(ax - w / 2) < 1.5 and abs(ay - h / 2) < 1.5  # level: the eye-height point
    px, py = probed["ahead_px_pitched"]
    assert abs(px - w / 2) < 1.5 and py > h / 2 + 20  # looking 30 degrees up, it drops
    # The pitched picture shows more sky than the level one.
    sky = [is_sky(probed[k]).mean() for k in ("alone", "pitched")]
    assert sky[1] > sky[0] + 0.05, sky


def test_picking_is_answered_by_the_layers_through_the_street_view(probed):
    # Along the gap the eye sees the hill at its end; beside it a tower; below it the street.
    assert [k for k, _ in probed["centre_hit"]][:1] == ["ground"]
    kind, tower = probed["side_hit"][0]
    assert kind == "building" and tower >= 1
    assert probed["down_hit"][0][0] == "ground"


def test_the_second_view_follows_layer_visibility_and_new_layers(probed):
    (x, y), (w, h) = probed["street_box"]
    box = (slice(int(y), int(y + h)), slice(int(x), int(x + w)))
    with_b = probed["two_views"][box][..., :3].astype(float)
    without = probed["no_buildings"][box][..., :3].astype(float)
    assert (np.abs(with_b - without).sum(axis=2) > 30).mean() > 0.1
    lx, ly = probed["line_px"]
    r, g, b = probed["with_line"][round(ly), round(lx), :3].astype(int)
    assert r > 200 and g < 80 and b < 80, (r, g, b)
    assert probed["views_after_remove"] == 1


def test_each_view_chooses_its_own_level_of_detail(tiny_pack):
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(views_probe.probe_lod, str(tiny_pack)).result(timeout=600)
    assert result["has_lod"] and result["copies"]
    # The pedestrian's view refines the terrain where it stands (level 0 chunks) and draws
    # draws the towers beside it, whatever the overview from 6 km chose.
    assert min(result["street_levels"]) == 0 < min(result["overview_levels"])
    assert result["street_building_faces"] > 0
    assert result["n_faces"][1] > 0


def test_a_walk_is_recorded_frame_by_frame(tiny_pack, tmp_path):
    import imageio.v3 as iio

    out = tmp_path / "walk.gif"
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(views_probe.probe_walk, str(tiny_pack), str(out)).result(timeout=600)
    frames = iio.imread(out, index=None)
    assert len(frames) == result["frames"] >= 5
    assert result["steps"][-1] == 1.0
    assert not np.array_equal(frames[0], frames[-1])  # the picture moves with the walker
    assert result["end"][0] == pytest.approx(views_probe.STREET[0] + 12.0)
