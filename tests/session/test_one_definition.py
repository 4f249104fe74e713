"""Each fact is defined once: a site's fields and bounds, the user data folder, the RSRP ramp."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hktwin.analysis.sites import RECORD_TYPES, SITE_FIELDS, site_problems
from hktwin.model.scenario_io import SCHEMA


@pytest.mark.parametrize("kind", sorted(SITE_FIELDS))
def test_the_schema_is_built_from_the_site_table(kind):
    props = SCHEMA["$defs"][kind]["properties"]
    assert list(props) == [spec.name for spec in SITE_FIELDS[kind]]
    assert list(props) == [f.name for f in dataclasses.fields(RECORD_TYPES[kind])]
    for spec in SITE_FIELDS[kind]:
        schema = props[spec.name]
        if "$ref" in schema:
            schema = SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]]
        if spec.is_number:
            lo_key = "exclusiveMinimum" if spec.exclusive_lo else "minimum"
            assert (schema[lo_key], schema["maximum"]) == (spec.lo, spec.hi), spec.name
            assert ("null" in schema["type"]) == spec.nullable
        elif spec.choices:
            assert schema["enum"] == list(spec.choices)


def test_antenna_gain_has_one_range_everywhere():
    gain = SCHEMA["$defs"]["cell"]["properties"]["antenna_gain_dbi"]
    assert (gain["minimum"], gain["maximum"]) == (-10.0, 40.0)
    cell = RECORD_TYPES["cell"]("cell-1", 833_000.0, 816_000.0)
    assert site_problems(dataclasses.replace(cell, antenna_gain_dbi=-10.0)) == []
    assert [p[0] for p in site_problems(dataclasses.replace(cell, antenna_gain_dbi=40.5))] == [
        "antenna_gain_dbi"]


@pytest.mark.parametrize("kind", sorted(SITE_FIELDS))
def test_defaults_are_valid_and_the_check_agrees_with_the_schema(kind):
    """site_problems (the editor's check) and the JSON schema (files) accept and refuse the same
    values, on each bound and just past it."""
    from jsonschema import Draft202012Validator

    from hktwin.model.scenario_io import record_to_dict

    record = RECORD_TYPES[kind]("s-1", 833_000.0, 816_000.0)
    assert site_problems(record) == [] and record.is_valid() and record.problems() == []
    validator = Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": SCHEMA["$defs"]})
    for spec in SITE_FIELDS[kind]:
        if not spec.is_number:
            continue
        for value in (spec.lo, spec.hi, spec.lo - 0.5, spec.hi + 0.5):
            edited = dataclasses.replace(record, **{spec.name: value})
            by_table = not site_problems(edited)
            by_schema = validator.is_valid(record_to_dict(edited))
            assert by_table == by_schema, (spec.name, value)


def test_the_user_data_folder_is_decided_once(tmp_path, monkeypatch):
    from hktwin.core.paths import user_data_dir
    from hktwin.feeds.store import default_store_path
    from hktwin.model.scenario_io import autosave_dir

    monkeypatch.setenv("HKTWIN_DATA_DIR", str(tmp_path / "data"))
    assert user_data_dir() == tmp_path / "data"
    assert default_store_path().parent == user_data_dir()
    assert autosave_dir().parent == user_data_dir()


def test_the_window_and_the_report_colour_rsrp_alike():
    from hktwin.analysis import report
    from hktwin.analysis.colormap import rsrp_range, rsrp_stops
    from hktwin.model.analysis_layers import SCALES

    values = np.linspace(-140.0, -50.0, 91)
    vmin, vmax, _ = SCALES["rsrp"]
    assert (vmin, vmax) == rsrp_range()
    from hktwin.analysis.colormap import ramp_rgba  # what render.colors draws the layer with

    window = ramp_rgba(values, vmin, vmax, "rsrp")[:, :3]
    paper = report._ramp(values, report.rsrp_stops(-105.0)) / 255.0
    assert np.allclose(window, paper, atol=1e-6)
    assert report.rsrp_stops is rsrp_stops
    # Yellow at the threshold, transparent where there is no value.
    assert np.allclose(ramp_rgba(np.array([-105.0]), vmin, vmax)[0, :3], np.array(
        [250, 205, 60]) / 255)
    assert ramp_rgba(np.array([np.nan]), vmin, vmax)[0, 3] == 0.0


def test_render_uses_the_same_ramp():
    pytest.importorskip("vispy")
    from hktwin.analysis import colormap
    from hktwin.render import colors

    assert colors.ramp_rgba is colormap.ramp_rgba
