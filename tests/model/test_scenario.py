"""The evented Scenario: site lists, lookups, ids, the `changed` signal, selection."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hktwin.analysis.sites import ARAnchor, Sensor, SiteSet, SmallCell
from hktwin.model.clock import HKT
from hktwin.model.scenario import Scenario, SiteList, site_kind


def cell(id_: str, x: float = 833_600.0, y: float = 816_200.0, **kw) -> SmallCell:
    return SmallCell(id=id_, x=x, y=y, **kw)


@pytest.fixture
def scenario() -> Scenario:
    return Scenario(
        name="Central",
        cells=[cell("cell-1"), cell("cell-2", 833_900.0, 816_000.0, mounting="rooftop")],
        anchors=[ARAnchor("anchor-1", 834_080.0, 816_260.0)],
        sensors=[Sensor("sensor-1", 834_040.0, 816_030.0)],
    )


def test_defaults_and_plain_lists_become_evented():
    s = Scenario()
    assert s.name and s.pack == "demo" and s.area is None and s.selected is None
    assert s.created.utcoffset() is not None and s.modified == s.created
    s2 = Scenario(cells=[cell("a")], area=[833_000, 815_000, 835_000, 817_000])
    assert isinstance(s2.cells, SiteList) and s2.cells.item_type is SmallCell
    assert s2.area == (833_000.0, 815_000.0, 835_000.0, 817_000.0)


def test_duplicate_ids_are_refused_at_construction():
    with pytest.raises(ValueError, match="cell-1"):
        Scenario(cells=[cell("cell-1")], anchors=[ARAnchor("cell-1", 834_000.0, 816_000.0)])


def test_lists_hold_one_record_type():
    s = Scenario()
    with pytest.raises(TypeError):
        s.cells.append(ARAnchor("a", 834_000.0, 816_000.0))
    with pytest.raises(TypeError):
        site_kind(object())


def test_site_set_and_lookups(scenario):
    sites = scenario.site_set()
    assert isinstance(sites, SiteSet)
    assert [c.id for c in sites.cells] == ["cell-1", "cell-2"]
    assert sites.anchors[0].id == "anchor-1" and sites.sensors[0].id == "sensor-1"
    assert scenario.get("cell-2").mounting == "rooftop"
    assert scenario["anchor-1"].x == 834_080.0
    assert scenario.get("nope") is None
    with pytest.raises(KeyError):
        scenario["nope"]
    assert scenario.find("cell-2") == ("cell", 1)
    assert scenario.find("sensor-1") == ("sensor", 0)
    assert scenario.kind_of("anchor-1") == "anchor"
    assert "cell-1" in scenario and "cell-9" not in scenario
    assert scenario.ids() == {"cell-1", "cell-2", "anchor-1", "sensor-1"}
    assert scenario.cells.index_of("cell-2") == 1
    assert scenario.cells.ids() == ["cell-1", "cell-2"]


def test_new_id_counts_past_the_highest(scenario):
    assert scenario.new_id("cell") == "cell-3"
    assert scenario.new_id("anchor") == "anchor-2"
    assert scenario.new_id("sensor") == "sensor-2"
    scenario.add(cell("cell-10"))
    assert scenario.new_id("cell") == "cell-11"
    scenario.remove("cell-10")
    scenario.add(cell("custom-name"))
    assert scenario.new_id("cell") == "cell-3"
    with pytest.raises(KeyError):
        scenario.new_id("drone")


def test_add_remove_replace(scenario):
    assert scenario.add(cell("cell-3"), index=0) == 0
    assert scenario.cells.ids() == ["cell-3", "cell-1", "cell-2"]
    with pytest.raises(ValueError, match="already used"):
        scenario.add(cell("anchor-1"))
    with pytest.raises(ValueError, match="non-empty id"):
        scenario.add(cell(""))
    kind, index, record = scenario.remove("cell-1")
    assert (kind, index, record.id) == ("cell", 1, "cell-1")
    with pytest.raises(KeyError):
        scenario.remove("cell-1")
    old = scenario.replace("cell-2", cell("cell-2", 834_000.0))
    assert old.x == 833_900.0 and scenario["cell-2"].x == 834_000.0
    with pytest.raises(TypeError):
        scenario.replace("cell-2", ARAnchor("cell-2", 834_000.0, 816_000.0))
    with pytest.raises(ValueError, match="already used"):
        scenario.replace("cell-2", cell("cell-3"))


def test_changed_fires_on_every_edit_but_not_on_selection(scenario):
    count = []
    scenario.changed.connect(lambda: count.append(1))
    before = scenario.modified
    scenario.add(cell("cell-3"))
    assert len(count) == 1
    scenario.replace("cell-3", cell("cell-3", 834_100.0))
    assert len(count) == 2
    scenario.remove("cell-3")
    assert len(count) == 3
    scenario.name = "Central, phase 2"
    scenario.area = (833_000.0, 815_000.0, 835_000.0, 817_000.0)
    assert len(count) == 5
    scenario.selected = "cell-1"
    scenario.select(None)
    assert len(count) == 5
    scenario.cells.append(cell("cell-4"))  # even edits that bypass the helpers
    assert len(count) == 6
    assert scenario.modified >= before


def test_selection_follows_removal_and_rename(scenario):
    selections = []
    scenario.events.selected.connect(selections.append)
    scenario.select("cell-2")
    assert scenario.selected_site.id == "cell-2"
    scenario.replace("cell-2", cell("renamed", 833_900.0, 816_000.0))
    assert scenario.selected == "renamed"
    scenario.remove("renamed")
    assert scenario.selected is None
    assert selections == ["cell-2", "renamed", None]
    with pytest.raises(KeyError):
        scenario.select("nope")


def test_state_ignores_times_and_selection(scenario):
    other = Scenario(name="Central", cells=list(scenario.cells), anchors=list(scenario.anchors),
                     sensors=list(scenario.sensors),
                     created=datetime(2020, 1, 1, tzinfo=HKT) + timedelta(days=3))
    other.selected = "cell-1"
    assert other.state() == scenario.state()
    other.notes = "x"
    assert other.state() != scenario.state()


def test_evaluation_area(scenario):
    xmin, ymin, xmax, ymax = scenario.evaluation_area(margin_m=100.0)
    assert (xmin, ymin) == (833_500.0, 815_900.0)
    assert (xmax, ymax) == (834_180.0, 816_360.0)
    scenario.area = (833_000.0, 815_000.0, 835_000.0, 817_000.0)
    assert scenario.evaluation_area() == scenario.area
    assert Scenario().evaluation_area() is None

