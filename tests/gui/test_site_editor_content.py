"""The site editor's AR content fields: a few lines of card text, and image / model paths with
a file picker that writes them relative to the scenario file; a wrong file kind is refused in
the form (said, and taken back), not raised."""

from __future__ import annotations

import shutil
from pathlib import Path

from hktwin.analysis.sites import ARAnchor
from hktwin.model.history import ScenarioEditor
from hktwin.model.scenario import Scenario
from hktwin.model.scenario_io import load_scenario, save_scenario

CONTENT = Path(__file__).resolve().parents[2] / "resources" / "scenarios" / "content"


def _form(qtbot, scenario):
    from hktwin.ui.site_editor import QtSiteEditor

    editor = ScenarioEditor(scenario)
    form = QtSiteEditor(scenario, editor)
    qtbot.addWidget(form)
    return form


def test_card_text_and_content_paths_are_edited_in_the_form(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from hktwin.ui.site_editor import QtMultilineEdit, QtPathEdit

    plans = tmp_path / "plans"
    (plans / "art").mkdir(parents=True)
    shutil.copy(CONTENT / "kiosk.glb", plans / "art" / "kiosk.glb")
    sc = Scenario()
    sc.add(ARAnchor("anchor-1", 834_000.0, 816_000.0))
    save_scenario(sc, plans / "s.hktwin.json")
    scenario = load_scenario(plans / "s.hktwin.json")
    scenario.selected = "anchor-1"
    form = _form(qtbot, scenario)
    text, image, model = (form.widgets[n] for n in ("text", "image", "model"))
    assert isinstance(text, QtMultilineEdit)
    assert isinstance(image, QtPathEdit) and isinstance(model, QtPathEdit)

    text.setText("First line\nsecond line")
    text.editingFinished.emit()
    assert scenario["anchor-1"].text == "First line\nsecond line"

    picked = str(plans / "art" / "kiosk.glb")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (picked, ""))
    model.button.click()
    assert scenario["anchor-1"].model == "art/kiosk.glb"  # relative to the scenario file

    image.setText("poster.gif")
    image.editingFinished.emit()
    assert scenario["anchor-1"].image == ""  # refused, nothing changed
    assert ".png" in form.hint.text() and image.text() == ""


def test_a_picked_file_stays_absolute_for_a_scenario_not_yet_saved(qtbot, tmp_path):
    scenario = Scenario()
    scenario.add(ARAnchor("anchor-1", 834_000.0, 816_000.0))
    scenario.selected = "anchor-1"
    form = _form(qtbot, scenario)
    picked = tmp_path / "x.png"
    assert form.widgets["image"].relative(str(picked)) == str(picked)
