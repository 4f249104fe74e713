"""Scenario files with AR anchor content: `text`, `image`, `model` round-trip; paths stay
relative to the scenario file (rebased when saved elsewhere); old files load; bad values are
refused naming the field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hktwin.analysis.sites import ARAnchor
from hktwin.core.errors import DataError
from hktwin.model.scenario import Scenario
from hktwin.model.scenario_io import (
    content_base,
    content_path,
    load_scenario,
    save_scenario,
    write_autosave,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "scenarios" / "central-phase1.hktwin.json"


@pytest.fixture
def project(tmp_path):
    """A copy of the sample scenario with its content folder."""
    folder = tmp_path / "plans"
    shutil.copytree(SAMPLE.parent / "content", folder / "content")
    shutil.copy(SAMPLE, folder / SAMPLE.name)
    return folder / SAMPLE.name


def test_the_sample_has_an_image_card_and_a_model_whose_files_resolve():
    scenario = load_scenario(SAMPLE)
    with_image = [a for a in scenario.anchors if a.image]
    with_model = [a for a in scenario.anchors if a.model]
    assert len(with_image) == 1 and len(with_model) == 1
    assert any(a.text for a in scenario.anchors)
    assert content_base(scenario) == SAMPLE.parent.absolute()
    for anchor in (*with_image, *with_model):
        path = content_path(scenario, anchor.image or anchor.model)
        assert not Path(anchor.image or anchor.model).is_absolute()
        assert path.is_file() and path.parent == SAMPLE.parent / "content"


def test_saving_in_place_round_trips_the_content_fields_unchanged(project):
    scenario = load_scenario(project)
    before = json.loads(project.read_text())
    save_scenario(scenario, project)
    after = json.loads(project.read_text())
    anchors = {a["id"]: a for a in after["anchors"]}
    for item in before["anchors"]:
        for name in ("text", "image", "model"):
            assert anchors[item["id"]].get(name, "") == item.get(name, "")
    again = load_scenario(project)
    assert list(again.anchors) == list(scenario.anchors)
    # Empty content fields are not written: a file without content reads in older builds.
    plain = next(a for a in after["anchors"] if not a.get("image") and not a.get("model"))
    assert "image" not in plain and "model" not in plain


def test_saving_elsewhere_rewrites_relative_paths_to_the_same_files(project, tmp_path):
    scenario = load_scenario(project)
    elsewhere = tmp_path / "other" / "deeper" / "copy.hktwin.json"
    elsewhere.parent.mkdir(parents=True)
    save_scenario(scenario, elsewhere)
    doc = json.loads(elsewhere.read_text())
    poster = next(a for a in doc["anchors"] if a.get("image"))
    assert poster["image"] == "../../plans/content/5g-poster.png"
    copy = load_scenario(elsewhere)
    for a, b in zip(scenario.anchors, copy.anchors, strict=True):
        for name in ("image", "model"):
            if getattr(a, name):
                assert content_path(copy, getattr(b, name)).resolve() == \
                    content_path(scenario, getattr(a, name)).resolve()
    # The scenario in memory keeps its own paths (relative to where it was read).
    assert next(a for a in scenario.anchors if a.image).image == "content/5g-poster.png"


def test_the_autosave_copy_points_at_the_same_files(project, tmp_path, monkeypatch):
    monkeypatch.setenv("HKTWIN_DATA_DIR", str(tmp_path / "data"))
    scenario = load_scenario(project)
    copy = load_scenario(write_autosave(scenario, project))
    kiosk = next(a for a in copy.anchors if a.model)
    assert content_path(copy, kiosk.model).resolve() == \
        (project.parent / "content" / "kiosk.glb").resolve()


def test_a_scenario_from_before_the_content_fields_still_loads(tmp_path):
    doc = json.loads(SAMPLE.read_text())
    for item in doc["anchors"]:
        for name in ("text", "image", "model"):
            item.pop(name, None)
    old = tmp_path / "old.hktwin.json"
    old.write_text(json.dumps(doc))
    scenario = load_scenario(old)
    assert all(a.text == a.image == a.model == "" for a in scenario.anchors)
    assert doc["version"] == 1


@pytest.mark.parametrize(("value", "says"), [
    ({"image": "poster.gif"}, ".png/.jpg/.jpeg file"),
    ({"model": "kiosk.stl"}, ".glb/.gltf/.obj file"),
    ({"text": "x" * 281}, "longer than 280"),
    ({"image": 5}, "not text"),
])
def test_bad_content_values_are_refused_naming_the_field(tmp_path, value, says):
    doc = json.loads(SAMPLE.read_text())
    doc["anchors"][1].update(value)
    path = tmp_path / "bad.hktwin.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataError) as caught:
        load_scenario(path)
    (name,) = value
    assert caught.value.field == f"anchors[1].{name}"
    assert says in caught.value.problem, caught.value.problem


def test_a_scenario_made_in_memory_takes_its_paths_from_the_file_it_is_saved_to(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HKTWIN_DATA_DIR", str(tmp_path / "data"))
    scenario = Scenario()
    scenario.add(ARAnchor("a-1", 834_000.0, 816_000.0, image="content/p.png"))
    assert content_path(scenario, "content/p.png") == tmp_path / "content" / "p.png"
    assert content_path(scenario, "") is None
    copy = load_scenario(write_autosave(scenario))  # the copy names the same file ...
    assert content_path(copy, copy.anchors[0].image).resolve() == tmp_path / "content" / "p.png"
    assert content_base(scenario) == tmp_path  # ... and does not decide where this one lives
    target = tmp_path / "saved" / "s.hktwin.json"
    target.parent.mkdir()
    save_scenario(scenario, target)
    assert json.loads(target.read_text())["anchors"][0]["image"] == "content/p.png"
    assert content_path(scenario, "content/p.png") == target.parent / "content" / "p.png"
    elsewhere = tmp_path / "s2.hktwin.json"
    save_scenario(scenario, elsewhere)  # now it has a folder: saving elsewhere rebases
    assert json.loads(elsewhere.read_text())["anchors"][0]["image"] == "saved/content/p.png"
