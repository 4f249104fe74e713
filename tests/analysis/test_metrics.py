"""Coverage metrics: areas, population, worst spots, per-cell areas, AR anchors, latency."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from affine import Affine
from cityscenes import CENTRE, GROUND, flat_city, make_buildings

from hktwin.analysis.coverage import EvaluationSettings, evaluate
from hktwin.analysis.metrics import (
    PopulationRaster,
    compute_metrics,
    latency_ms,
    population_covered,
)
from hktwin.analysis.sites import ARAnchor, SiteSet, SmallCell
from hktwin.geo.vector import VectorTable

CX, CY = CENTRE


def settings(half=500.0, res=10.0, **kw) -> EvaluationSettings:
    return EvaluationSettings(bounds=(CX - half, CY - half, CX + half, CY + half),
                              resolution_m=res, **kw)


def cell(id_="c", dx=0.0, dy=0.0, **kw) -> SmallCell:
    return SmallCell(id_, CX + dx, CY + dy, ground_m=GROUND, height_m=10.0, **kw)


@pytest.fixture(scope="module")
def one_cell():
    return evaluate(flat_city(), SiteSet((cell(),)), settings(), scheduler="sync")


def test_area_metrics_count_outdoor_land(one_cell):
    r, m = one_cell, one_cell.metrics
    covered = (r.rsrp_dbm >= -105).sum()
    assert m["outdoor_area_km2"] == pytest.approx(1.0)
    assert m["covered_area_km2"] == pytest.approx(covered * 100 / 1e6)
    assert m["coverage_share"] == pytest.approx(covered / r.land.sum(), abs=1e-5)
    assert 0.0 < m["coverage_share"] < 1.0
    assert m["cells_per_km2"] == pytest.approx(1.0)
    assert m["los_share"] == 1.0 and m["no_signal_share"] == 0.0
    assert m["p5_rsrp_dbm"] < m["median_rsrp_dbm"]
    assert m["per_cell"][0]["served_area_km2"] == pytest.approx(1.0)
    assert m["per_cell"][0]["scenario"] == "UMi"


def test_population_absent_is_said(one_cell):
    pop = one_cell.metrics["population"]
    assert pop["covered"] is None and "no 'population' layer" in pop["note"]
    assert pop["note"] in one_cell.metrics["notes"]


def test_population_from_census_polygons(one_cell):
    covered = one_cell.covered
    # One unit over the covered disc around the cell, one far out (uncovered), one half outside.
    near = shapely.Point(CX, CY).buffer(60)
    far = shapely.box(CX + 400, CY + 400, CX + 480, CY + 480)
    edge = shapely.box(CX + 450, CY - 50, CX + 550, CY + 50)
    table = VectorTable(np.array([near, far, edge], dtype=object),
                        {"t_pop": np.array([1000, 500, 800])})
    pop = population_covered(one_cell, table)
    assert covered[one_cell.grid.rows // 2, one_cell.grid.cols // 2]
    assert pop["total"] == pytest.approx(1000 + 500 + 400, abs=1)
    assert pop["covered"] == pytest.approx(1000, abs=1)
    no_col = VectorTable(table.geometry, {"people": np.array([1, 2, 3])})
    assert population_covered(one_cell, no_col)["covered"] is None


def test_population_from_a_density_raster(one_cell):
    xmin, _, _, ymax = one_cell.bounds
    density = np.full((10, 10), 10_000.0)  # people per km2 over a 1 km square, 100 m cells
    raster = PopulationRaster(density, Affine(100.0, 0, xmin, 0, -100.0, ymax))
    pop = population_covered(one_cell, raster)
    assert pop["total"] == pytest.approx(10_000, rel=1e-6)
    assert pop["share"] == pytest.approx(one_cell.metrics["coverage_share"], abs=1e-4)


def test_worst_spots_are_holes_in_reach_cut_to_blocks():
    """Spots are connected clusters of uncovered land where a cell is heard: the shadow of a
    wall and the weak ring at the reach, cut at the 250 m lattice; land beyond every cell's
    reach is one figure, never a spot (nor the grid's corner)."""
    from hktwin.analysis.metrics import SPOT_BLOCK_M

    wall = make_buildings([shapely.box(CX + 60, CY - 120, CX + 75, CY + 120)], GROUND, 80.0)
    road = shapely.LineString([(CX + 150, CY - 600), (CX + 150, CY + 600)])
    city = flat_city(wall)
    city.vectors["roads"] = VectorTable(np.array([road], dtype=object),
                                        {"name": np.array(["Test Road"], dtype=object)})
    r = evaluate(city, SiteSet((cell(dx=-100),)), settings(half=700.0, res=10.0,
                                                           max_range_m={"n78": 450.0}),
                 scheduler="sync")
    m = r.metrics
    spots = m["worst_spots"]
    assert 2 <= len(spots) <= 5
    areas = [s["area_m2"] for s in spots]
    assert areas == sorted(areas, reverse=True)
    assert max(areas) <= SPOT_BLOCK_M**2
    heard = np.isfinite(r.rsrp_dbm)
    xs, ys = r.grid.centres()
    for s in spots:
        row = int(np.argmin(np.abs(ys - s["y"])))
        col = int(np.argmin(np.abs(xs - s["x"])))
        assert r.land[row, col] and heard[row, col] and not r.covered[row, col]
        assert 0 < row < r.grid.rows - 1 and 0 < col < r.grid.cols - 1  # never the corner
        assert 113.8 < s["lon"] < 114.5 and 22.1 < s["lat"] < 22.6
        assert s["street"] == "Test Road"
        assert s["street_distance_m"] == pytest.approx(abs(s["x"] - (CX + 150)), abs=1.0)
        assert s["min_rsrp_dbm"] <= s["mean_rsrp_dbm"] < -105.0
    # The wall's shadow (east of it, close to the cell) is among the spots.
    assert any(CX + 75 < s["x"] < CX + 350 and abs(s["y"] - CY) < 150 for s in spots)
    beyond = (r.land & ~heard).sum() * 100 / 1e6
    assert beyond > 0.5 and m["beyond_reach_km2"] == pytest.approx(beyond, abs=1e-4)
    assert m["los_source"] == "terrain and buildings"


def test_a_pack_without_buildings_says_los_is_terrain_only(one_cell):
    from hktwin.analysis.report import report_html

    assert one_cell.metrics["los_source"] == "terrain only"
    assert any("terrain only" in n for n in one_cell.metrics["notes"])
    text = report_html(one_cell, "Flat")
    assert "<td>Line of sight decided by</td><td>terrain only</td>" in text
    assert "line of sight: terrain only" in text


def test_everything_covered_lists_the_lowest_percent():
    r = evaluate(flat_city(), SiteSet((cell(),)), settings(half=60.0, res=5.0),
                 scheduler="sync")
    assert r.metrics["coverage_share"] == 1.0
    spots = r.metrics["worst_spots"]
    assert spots and spots[0]["min_rsrp_dbm"] == pytest.approx(float(np.nanmin(r.rsrp_dbm)),
                                                                abs=0.01)


def test_per_cell_areas_add_up():
    sites = SiteSet((cell("a", -200), cell("b", 200), cell("c", 0, 300, band="n257")))
    r = evaluate(flat_city(), sites, settings(), scheduler="sync")
    per = r.metrics["per_cell"]
    served = (r.best_server[r.land] >= 0).sum() * 100 / 1e6
    assert sum(p["served_area_km2"] for p in per) == pytest.approx(served, abs=1e-4)
    assert per[0]["served_area_km2"] == pytest.approx(per[1]["served_area_km2"], rel=0.05)


def test_latency_model():
    lat = latency_ms(np.array([20.0, 0.0, -5.0, -10.0, np.nan]),
                     np.array(["n78", "n78", "n78", "n78", "n78"], dtype=object))
    # 8 ms air + 5 ms edge + 2.5 ms x (0.1 + 0.01 + 0.001) at the BLER target.
    assert lat[0] == pytest.approx(13.0 + 2.5 * 0.111)
    assert lat[0] == lat[1] < lat[2] < lat[3]
    assert lat[3] == pytest.approx(13.0 + 2.5 * 3)  # three retransmissions at -10 dB
    assert np.isinf(lat[4])
    fr2 = latency_ms(np.array([20.0]), np.array(["n257"], dtype=object))
    assert fr2[0] < lat[0]


def test_anchor_visible_and_served():
    wall = make_buildings([shapely.box(CX + 40, CY - 80, CX + 50, CY + 80)], GROUND, 60.0)
    anchors = (
        ARAnchor("open", CX - 100, CY, ground_m=GROUND, height_m=5.0, view_radius_m=60.0),
        ARAnchor("walled", CX + 39, CY, ground_m=GROUND, height_m=5.0, view_radius_m=60.0,
                 content_size_m=1.0),
        ARAnchor("greedy", CX - 100, CY, ground_m=GROUND, required_dl_mbps=10_000.0),
        ARAnchor("away", CX + 5000, CY, ground_m=GROUND),
    )
    r = evaluate(flat_city(wall), SiteSet((cell(),), anchors), settings(), scheduler="sync")
    got = {a["id"]: a for a in r.metrics["anchors"]}
    assert got["open"]["visible_share"] == 1.0 and got["open"]["meets"] is True
    assert got["open"]["p95_latency_ms"] < 20.0
    # Content on the west face of a wall is seen from the west only.
    assert 0.2 < got["walled"]["visible_share"] < 0.8
    assert got["greedy"]["meets"] is False and got["greedy"]["throughput_ok_share"] == 0.0
    assert got["away"]["note"] == "outside the evaluated area" and got["away"]["meets"] is False


def test_compute_metrics_without_a_city_skips_anchors(one_cell):
    one_cell.anchors = (ARAnchor("x", CX, CY),)
    try:
        m = compute_metrics(one_cell)
    finally:
        one_cell.anchors = ()
    assert m["anchors"] == [] and any("AR anchors" in n for n in m["notes"])


def test_population_of_real_census_units(real_data):
    """The 2021 census units of Hong Kong Island (t_pop) over Central in the demo city."""
    from hktwin.geo.pack import open_pack
    from hktwin.geo.vector import read_vector

    census = read_vector(real_data / "census" / "census-2021-stpug-hk-island.geojson")
    city = open_pack()
    city.vectors["population"] = census
    sites = SiteSet((SmallCell("c", 833_900, 816_300, ground_m=5.0, height_m=10.0),))
    bounds = (833_400.0, 815_800.0, 834_400.0, 816_800.0)
    r = evaluate(city, sites, EvaluationSettings(bounds=bounds, resolution_m=10.0))
    pop = r.metrics["population"]
    assert pop["source"].startswith("census")
    assert 1_000 < pop["total"] < 200_000
    assert 0 <= pop["covered"] <= pop["total"]
