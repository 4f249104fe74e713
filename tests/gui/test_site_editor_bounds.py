"""The site editor's spin boxes are built from the one site table: same bounds as the file
format (gain -10..40 dBi, not the editor's old 0..30)."""

from __future__ import annotations

import pytest

from hktwin.analysis.sites import RECORD_TYPES, SITE_FIELDS
from hktwin.model.history import ScenarioEditor
from hktwin.model.scenario import Scenario
from hktwin.model.scenario_io import SCHEMA


@pytest.mark.parametrize("kind", sorted(SITE_FIELDS))
def test_every_numeric_field_has_the_tables_bounds(qtbot, kind):
    from PySide6.QtWidgets import QDoubleSpinBox

    from hktwin.ui.site_editor import QtSiteEditor, spin_range

    scenario = Scenario()
    editor = ScenarioEditor(scenario)
    record = editor.add_site(RECORD_TYPES[kind](f"{kind}-1", 833_000.0, 816_000.0), select=True)
    form = QtSiteEditor(scenario, editor)
    qtbot.addWidget(form)
    props = SCHEMA["$defs"][kind]["properties"]
    numeric = [spec for spec in SITE_FIELDS[kind] if spec.is_number]
    assert numeric
    for spec in numeric:
        spin = form.widgets[spec.name]
        assert isinstance(spin, QDoubleSpinBox)
        assert (spin.minimum(), spin.maximum()) == pytest.approx(spin_range(spec))
        schema = props[spec.name]
        if "$ref" in schema:
            schema = SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]]
        lo = schema.get("minimum", schema.get("exclusiveMinimum"))
        # Everything the spin box offers (but "omni") is valid in a file, and it reaches the max.
        first = spin.minimum() + (10 ** -spec.decimals if spec.nullable else 0)
        assert first >= lo and spin.maximum() == schema["maximum"], spec.name
    if kind == "cell":
        gain = form.widgets["antenna_gain_dbi"]
        assert (gain.minimum(), gain.maximum()) == (-10.0, 40.0)
        gain.setValue(-7.5)  # a value the old editor could not enter
        assert scenario[record.id].antenna_gain_dbi == -7.5
        azimuth = form.widgets["azimuth_deg"]
        azimuth.setValue(azimuth.minimum())  # "omni"
        assert scenario[record.id].azimuth_deg is None and azimuth.text() == "omni"
