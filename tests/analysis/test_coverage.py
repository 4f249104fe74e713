"""The coverage engine: analytic checks on flat ground, shadows, tiling, cancel, Dask."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import shapely
from cityscenes import CENTRE, GROUND, flat_city, make_buildings, towers

from hktwin.analysis import propagation as prop
from hktwin.analysis.coverage import (
    Cancelled,
    EvaluationSettings,
    SettingsError,
    evaluate,
    noise_dbm,
    resource_blocks,
)
from hktwin.analysis.sites import SiteSet, SmallCell

CX, CY = CENTRE


def box(half: float, res: float = 5.0, **kw) -> EvaluationSettings:
    return EvaluationSettings(bounds=(CX - half, CY - half, CX + half, CY + half),
                              resolution_m=res, **kw)


def lamppost(id_="c1", dx=0.0, dy=0.0, **kw) -> SmallCell:
    return SmallCell(id_, CX + dx, CY + dy, ground_m=GROUND, height_m=10.0, **kw)


def test_flat_ground_rsrp_is_the_analytic_los_model_cell_by_cell():
    cell = lamppost()
    result = evaluate(flat_city(), SiteSet((cell,)), box(600.0), scheduler="sync")
    xs, ys = result.grid.centres()
    dx, dy = np.meshgrid(xs - cell.x, ys - cell.y)
    d2 = np.hypot(dx, dy)
    dz = (GROUND + 1.5) - cell.antenna_z
    d3 = np.sqrt(d2**2 + dz**2)
    # Table 7.4.1-1 UMi LoS (10 m antenna, no buildings near: UMi by its nominal height).
    pl = prop.umi_los(d2, 3.5, 10.0, 1.5, d3)
    zenith = np.degrees(np.arctan2(d2, dz))
    gain = 8.0 - np.minimum(12 * ((zenith - 90 - 6.0) / 10.0) ** 2, 30.0)
    n_sc = 12 * 273  # 100 MHz at 30 kHz: 273 resource blocks (TS 38.101-1)
    expected = 30.0 - 10 * math.log10(n_sc) + gain - pl
    assert result.scenarios == ("UMi",)
    assert np.all(result.los_count == 1)
    np.testing.assert_allclose(result.rsrp_dbm, expected, atol=1e-3)
    # One cell: SINR is signal over thermal noise (-174 + 80 + 7 = -87 dBm).
    signal = expected + 10 * math.log10(n_sc)
    np.testing.assert_allclose(result.sinr_db, signal - (-87.0), atol=1e-3)
    se = np.minimum(np.log2(1 + 10 ** ((signal + 87.0) / 10)), 7.4063)
    np.testing.assert_allclose(result.throughput_mbps, 100 * 0.75 * se, rtol=1e-4)
    assert np.all(result.best_server == 0)


def test_cells_beyond_reach_are_not_heard():
    cell = lamppost()
    settings = box(700.0, res=10.0, max_range_m={"n78": 300.0})
    result = evaluate(flat_city(), SiteSet((cell,)), settings, scheduler="sync")
    xs, ys = result.grid.centres()
    d2 = np.hypot(*np.meshgrid(xs - cell.x, ys - cell.y))
    assert np.all(np.isnan(result.rsrp_dbm[d2 > 300]))
    assert np.all(result.throughput_mbps[d2 > 300] == 0)
    assert np.all(result.best_server[d2 > 300] == -1)
    assert np.all(np.isfinite(result.rsrp_dbm[d2 <= 300]))


def test_a_tall_building_casts_an_nlos_shadow():
    wall = make_buildings([shapely.box(CX + 60, CY - 40, CX + 80, CY + 40)], GROUND, 100.0)
    cell = lamppost()
    result = evaluate(flat_city(wall), SiteSet((cell,)), box(400.0), scheduler="sync")
    xs, ys = result.grid.centres()
    gx, gy = np.meshgrid(xs - cell.x, ys - cell.y)
    shadow = (gx > 100) & (np.abs(gy) < gx * 35 / 85)
    front = (gx < -20) & (np.abs(gy) < 100)
    assert np.all(result.los_count[shadow] == 0)
    assert np.all(result.los_count[front] == 1)
    d2 = np.hypot(gx, gy)
    d3 = np.sqrt(d2**2 + 8.5**2)
    pl_los, pl_nlos = prop.los_nlos("UMi", d2, 3.5, 10.0, 1.5, d3)
    # Behind the building the NLoS formula holds, so RSRP drops by the NLoS excess.
    drop = np.where(shadow, pl_nlos - pl_los, 0.0)
    clear = evaluate(flat_city(), SiteSet((cell,)), box(400.0), scheduler="sync")
    np.testing.assert_allclose((clear.rsrp_dbm - result.rsrp_dbm)[shadow], drop[shadow],
                               atol=1e-3)
    inside = (gx > 62) & (gx < 78) & (np.abs(gy) < 38)
    assert np.all(np.isnan(result.rsrp_dbm[inside])) and not result.outdoor[inside].any()


def scene_sites() -> SiteSet:
    return SiteSet((
        lamppost("a", -300, 200), lamppost("b", 250, -100, azimuth_deg=90.0),
        lamppost("c", 50, 350, band="n257", bandwidth_mhz=200.0),
        SmallCell("d", CX - 100, CY - 400, ground_m=GROUND + 60, height_m=4, mounting="rooftop"),
    ))


def test_tiles_give_the_same_raster_as_one_big_tile():
    city = flat_city(towers())
    small = evaluate(city, scene_sites(), box(500.0, tile_size_m=130.0), scheduler="sync")
    big = evaluate(city, scene_sites(), box(500.0, tile_size_m=5000.0), scheduler="sync")
    threads = evaluate(city, scene_sites(), box(500.0, tile_size_m=200.0))
    for a in (big, threads):
        for name in ("rsrp_dbm", "sinr_db", "throughput_mbps", "best_server", "los_count"):
            assert np.array_equal(getattr(small, name), getattr(a, name), equal_nan=True), name
    assert 0.05 < (small.los_count > 0).mean() < 0.95


def test_interference_comes_from_the_same_band_only():
    one = evaluate(flat_city(), SiteSet((lamppost("a"),)), box(300.0, res=10.0), scheduler="sync")
    co = evaluate(flat_city(), SiteSet((lamppost("a"), lamppost("b", 200.0))),
                  box(300.0, res=10.0), scheduler="sync")
    other = evaluate(flat_city(), SiteSet((lamppost("a"), lamppost("b", 200.0, band="n258"))),
                     box(300.0, res=10.0), scheduler="sync")
    near_a = (one.best_server == 0) & (co.best_server == 0)
    assert np.all(co.sinr_db[near_a] < one.sinr_db[near_a] - 1.0)
    served_a = other.best_server == 0
    np.testing.assert_allclose(other.sinr_db[served_a], one.sinr_db[served_a], atol=1e-6)


def test_sector_antenna_points_its_beam():
    east = lamppost(azimuth_deg=90.0, h_beamwidth_deg=65.0)
    sector = evaluate(flat_city(), SiteSet((east,)), box(300.0, res=10.0), scheduler="sync")
    omni = evaluate(flat_city(), SiteSet((lamppost(),)), box(300.0, res=10.0), scheduler="sync")
    xs, ys = sector.grid.centres()
    dx, dy = np.meshgrid(xs - CX, ys - CY)
    phi = (np.degrees(np.arctan2(dx, dy)) - 90 + 180) % 360 - 180  # off the east boresight
    zenith = np.degrees(np.arctan2(np.hypot(dx, dy), -8.5))
    a_v = -np.minimum(12 * ((zenith - 96) / 10) ** 2, 30)
    a_h = -np.minimum(12 * (phi / 65) ** 2, 30)
    expected = a_v + np.minimum(-(a_v + a_h), 30)  # omni gain minus sector gain, Table 7.3-1
    np.testing.assert_allclose(omni.rsrp_dbm - sector.rsrp_dbm, expected, atol=1e-3)
    # Behind the antenna the combined pattern is capped at A_max = 30 dB below its peak.
    back = np.abs(phi) > 170
    np.testing.assert_allclose(sector.rsrp_dbm[back] - omni.rsrp_dbm[back], -30 - a_v[back],
                               atol=1e-3)


def test_umi_below_the_rooftops_uma_above():
    tall = towers(60, height=(60.0, 90.0))
    low, high = lamppost("low"), SmallCell("high", CX, CY, ground_m=GROUND, height_m=120.0)
    result = evaluate(flat_city(tall), SiteSet((low, high)), box(100.0, res=10.0),
                      scheduler="sync")
    assert result.scenarios == ("UMi", "UMa")
    forced = evaluate(flat_city(tall), SiteSet((low,)), box(100.0, res=10.0, scenario="UMa"),
                      scheduler="sync")
    assert forced.scenarios == ("UMa",)


def test_statistical_mode_lies_between_los_and_nlos():
    cell = lamppost()
    stat = evaluate(flat_city(towers()), SiteSet((cell,)), box(400.0, los_mode="statistical"),
                    scheduler="sync")
    los = evaluate(flat_city(), SiteSet((cell,)), box(400.0), scheduler="sync")
    ok = stat.outdoor
    assert np.all(stat.rsrp_dbm[ok] <= los.rsrp_dbm[ok] + 1e-6)
    assert np.nanmean(los.rsrp_dbm[ok] - stat.rsrp_dbm[ok]) > 3.0


def test_radio_figures():
    assert resource_blocks(100, 30) == 273 and resource_blocks(100, 120) == 66
    assert resource_blocks(35, 30) == 95  # not in the table: 98% filled
    assert noise_dbm(100.0, 7.0) == pytest.approx(-87.0)


class _CancelAfter:
    def __init__(self, event: threading.Event, after: int) -> None:
        self.event, self.after, self.calls = event, after, 0

    def __call__(self, fraction: float, message: str) -> None:
        if message.startswith("Tile"):
            self.calls += 1
            if self.calls >= self.after:
                self.event.set()


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_cancel_stops_between_tiles(scheduler):
    stop = threading.Event()
    progress = _CancelAfter(stop, after=2)
    with pytest.raises(Cancelled, match="cancelled after"):
        evaluate(flat_city(), SiteSet((lamppost(),)), box(500.0, res=10.0, tile_size_m=100.0),
                 progress=progress, cancel=stop, scheduler=scheduler)
    assert progress.calls < 100
    stop.set()
    with pytest.raises(Cancelled, match="after 0 of"):
        evaluate(flat_city(), SiteSet((lamppost(),)), box(200.0, res=10.0), cancel=stop,
                 scheduler="sync")


def test_progress_reaches_the_end_and_no_cells_is_no_signal():
    seen = []
    result = evaluate(flat_city(), SiteSet(()), box(100.0, res=10.0),
                      progress=lambda f, m: seen.append(f))
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert np.all(np.isnan(result.rsrp_dbm)) and np.all(result.throughput_mbps == 0)
    assert result.metrics["coverage_share"] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"resolution_m": 0}, "resolution_m"), ({"bounds": (1, 2, 0, 3)}, "bounds"),
     ({"ue_height_m": 30}, "ue_height_m"), ({"los_mode": "magic"}, "los_mode"),
     ({"max_range_m": {"n78": 9000}}, "max_range_m[n78]"), ({"nr_overhead": 1.5}, "nr_overhead")],
)
def test_settings_errors_name_the_field(kwargs, field):
    base = {"bounds": (0, 0, 100, 100)}
    with pytest.raises(SettingsError) as err:
        EvaluationSettings(**{**base, **kwargs})
    assert str(err.value).startswith(field)


def test_bad_site_and_scheduler_are_named():
    bad = SmallCell("x", CX, CY, bandwidth_mhz=-5)
    with pytest.raises(SettingsError, match=r"cells\[0\] \(x\)\.bandwidth_mhz"):
        evaluate(flat_city(), SiteSet((bad,)), box(50.0))
    with pytest.raises(SettingsError, match="scheduler"):
        evaluate(flat_city(), SiteSet(()), box(50.0), scheduler="carrier-pigeon")


def test_dask_cluster_equals_in_process():
    distributed = pytest.importorskip("distributed")
    city = flat_city(towers())
    settings = box(400.0, res=10.0, tile_size_m=200.0)
    local = evaluate(city, scene_sites(), settings, scheduler="sync")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        fractions = []
        remote = evaluate(city, scene_sites(), settings, scheduler=cluster.scheduler_address,
                          progress=lambda f, m: fractions.append(m))
    assert any("(dask)" in m for m in fractions)
    for name in ("rsrp_dbm", "sinr_db", "throughput_mbps", "best_server", "los_count"):
        assert np.array_equal(getattr(local, name), getattr(remote, name), equal_nan=True), name


def test_unreachable_scheduler_is_a_clear_error(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("hktwin.analysis.coverage.DASK_CONNECT_TIMEOUT_S", 1.0)
    with pytest.raises(SettingsError, match="cannot reach the Dask scheduler"):
        evaluate(flat_city(), SiteSet((lamppost(),)), box(50.0),
                 scheduler="tcp://127.0.0.1:9")
