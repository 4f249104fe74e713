"""Suggested sites: lazy greedy against plain greedy, the exhaustive optimum and the baselines."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hktwin.ai import suggest as sg
from hktwin.core.errors import DataError
from packs import X0, Y0

AREA_WKT = (f"POLYGON(({X0 + 200} {Y0 + 1000}, {X0 + 1800} {Y0 + 1000}, {X0 + 1800} {Y0 + 1950},"
            f" {X0 + 200} {Y0 + 1950}, {X0 + 200} {Y0 + 1000}))")


@pytest.fixture(scope="module")
def city(tiny_pack):
    from hktwin.geo.pack import open_pack

    return open_pack(tiny_pack)


@pytest.fixture(scope="module")
def small_instance(city):
    """14 grid candidates over the tiny pack's towers, coverage from the physics."""
    area = sg.resolve_area(city, AREA_WKT)
    cands = sg.candidates(city, area, "grid", max_n=14)[:14]
    # A weaker cell so no single site covers everything and the choice matters.
    from dataclasses import replace

    cands = [replace(c, tx_power_dbm=10.0, height_m=6.0) for c in cands]
    sets = sg.coverage_sets(city, cands, area, resolution_m=20.0)
    return cands, sets


def plain_greedy(sets, k):
    """Textbook greedy: recompute every candidate's gain at every step."""
    chosen = []
    for _ in range(k):
        best, gain = None, -1.0
        for j in range(len(sets.sets)):
            if j in chosen:
                continue
            g = sets.value([*chosen, j]) - sets.value(chosen)
            if g > gain:
                best, gain = j, g
        chosen.append(best)
    return chosen


def test_lazy_greedy_matches_plain_greedy_and_near_optimum(small_instance):
    cands, sets = small_instance
    assert len(cands) == 14
    assert sum(len(s) > 0 for s in sets.sets) >= 10
    chosen, gains = sg.greedy(sets, 3)
    assert sets.value(chosen) == pytest.approx(sets.value(plain_greedy(sets, 3)))
    assert sum(gains) == pytest.approx(sets.value(chosen))
    assert gains == sorted(gains, reverse=True)  # submodular: gains never grow
    best, optimum = sg.exhaustive(sets, 3)
    assert len(best) == 3
    assert sets.value(chosen) <= optimum + 1e-6
    assert sets.value(chosen) >= (1 - 1 / np.e) * optimum
    rnd = sg.random_baseline(sets, 3)
    assert sets.value(chosen) >= rnd["mean"]


def test_greedy_on_a_hand_made_instance():
    # weights: cells 0-5; A covers 0,1,2 (3), B covers 2,3 (2 + 5 = 7), C covers 4 (4), D 0,5 (1+2)
    w = np.array([1.0, 1.0, 1.0, 5.0, 4.0, 2.0])
    sets = sg.CoverageSets(None, w, [np.array([0, 1, 2]), np.array([2, 3]), np.array([4]),
                                     np.array([0, 5])], "m2")
    chosen, gains = sg.greedy(sets, 3)
    assert chosen == [1, 2, 3]  # B (6), then C (4), then D (3) beats A's remaining 2
    assert gains == [6.0, 4.0, 3.0]


def test_candidates_kinds(city):
    area = sg.resolve_area(city, AREA_WKT)
    roofs = sg.candidates(city, area, "rooftops", max_n=10)
    assert 0 < len(roofs) <= 10 and all(c.mounting == "rooftop" for c in roofs)
    b = city.buildings
    tops = (b.base + b.height).astype(float)
    assert all(np.abs(tops - c.ground_m).min() < 0.01 for c in roofs)  # antennas on a roof
    posts = sg.candidates(city, area, "lampposts", max_n=50)
    assert posts and all(abs(c.y - (Y0 + 1300)) < 1.0 for c in posts)  # along the test road
    with pytest.raises(DataError, match="no district"):
        sg.resolve_area(city, "Atlantis")


def test_suggest_cli_writes_a_scenario(tiny_pack, tmp_path, capsys):
    from hktwin.cli import main
    from hktwin.model.scenario_io import load_scenario

    out = tmp_path / "s.hktwin.json"
    assert main(["ai", "suggest", "--pack", str(tiny_pack), "--area", AREA_WKT, "--k", "3",
                 "--candidates", "grid", "--max-candidates", "20", "--out", str(out),
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["sites"]) == 3 and set(doc["baselines"]) == {"random", "kmeans"}
    scenario = load_scenario(out)
    assert [c.id for c in scenario.cells] == [s["id"] for s in doc["sites"]]
    assert main(["ai", "suggest", "--pack", str(tiny_pack), "--area", "Nowhere", "--k", "3",
                 "--out", str(out)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
