"""Sun position against NREL's published SPA example and the solstice geometry over Hong Kong;
shadows and shaded roofs against boxes worked by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import numpy as np
import pytest
import shapely
from hktwin_sun import shadow, sun
from hktwin_sun.layer import ShadowLayer, day_shadow_share


def test_spa_matches_the_example_in_nrel_s_report():
    # Reda & Andreas (2004), NREL/TP-560-34302, appendix A.5: Golden, Colorado,
    # 2003-10-17 12:30:30 local time (-7 h), 830 mbar... gives zenith 50.11162, azimuth 194.34024
    when = datetime(2003, 10, 17, 12, 30, 30, tzinfo=timezone(timedelta(hours=-7)))
    elevation, azimuth = sun.sun_positions([when], lat=39.742476, lon=-105.1786,
                                           altitude_m=1830.14, pressure_pa=82000.0,
                                           temperature_c=11.0)
    assert 90.0 - elevation[0] == pytest.approx(50.11162, abs=0.001)
    assert azimuth[0] == pytest.approx(194.34024, abs=0.001)


@pytest.mark.parametrize(("day", "declination"), [(date(2026, 6, 21), 23.44),
                                                  (date(2026, 12, 21), -23.44)])
def test_noon_elevation_over_hong_kong_at_the_solstices(day, declination):
    # at solar noon the sun stands 90 - |latitude - declination| degrees up
    times = [datetime(day.year, day.month, day.day, 12, tzinfo=sun.HKT) + timedelta(minutes=m)
             for m in range(0, 60)]
    elevation, _ = sun.sun_positions(times)
    assert elevation.max() == pytest.approx(90.0 - abs(sun.HK_LAT - declination), abs=0.1)


def test_the_equinox_sun_rises_in_the_east():
    elevation, azimuth = sun.sun_positions(sun.day_times(date(2026, 3, 20), step_minutes=2))
    rise = np.flatnonzero(elevation > 0)[0]
    assert azimuth[rise] == pytest.approx(90.0, abs=1.5)


def box_buildings(boxes, heights, base=None):
    footprints = np.array([shapely.box(*b) for b in boxes], object)
    return SimpleNamespace(footprints=footprints, height=np.asarray(heights, np.float32),
                           base=np.zeros(len(boxes), np.float32) if base is None else base)


def test_a_box_in_a_southern_sun_at_45_degrees_casts_its_height_northwards():
    b = box_buildings([(0, 0, 10, 10)], [20.0])
    cast = shadow.cast_shadows(b.footprints, b.base, b.height, 45.0, 180.0)
    # 10 x 10 footprint moved 20 m north: the hull is 10 wide and 30 long
    assert cast.polygons[0].area == pytest.approx(300.0, rel=1e-6)
    assert shapely.bounds(cast.polygons[0]) == pytest.approx([0, 0, 10, 30])


def test_a_lower_roof_in_a_taller_neighbour_s_shadow_is_shaded():
    # tall: 50 m on y 0..10; low: 10 m roof centred 20 m further north (shadow there at
    # 50 - 20 * tan 45 = 30 m > 10 m); far: 70 m north, beyond the 50 m shadow
    b = box_buildings([(0, 0, 10, 10), (0, 20, 10, 30), (0, 70, 10, 80)], [50.0, 10.0, 10.0])
    cast = shadow.cast_shadows(b.footprints, b.base, b.height, 45.0, 180.0)
    assert cast.roof_shaded.tolist() == [False, True, False]


def test_share_of_open_ground_in_shadow_by_hand():
    b = box_buildings([(0, 0, 10, 10)], [20.0])
    cast = shadow.cast_shadows(b.footprints, b.base, b.height, 45.0, 180.0)
    area = shapely.box(0, 10, 20, 40)  # 600 m2 of open ground; shadow covers x 0..10, y 10..30
    assert shadow.area_share_in_shadow(area, b.footprints, cast) == pytest.approx(200 / 600)


def test_the_layer_computes_shadows_for_its_time_and_none_at_night():
    b = box_buildings([(0, 0, 10, 10), (30, 0, 40, 10)], [30.0, 12.0])
    layer = ShadowLayer("shadows", buildings=b, origin=(0.0, 0.0))
    layer.set_time(datetime(2026, 12, 21, 12, 30))
    assert len(layer.ground_triangles) >= 2 and layer.elevation > 40
    north = layer.ground_triangles[..., 1].max()
    # winter noon: the sun is low in the south, shadows fall north by h / tan(elevation)
    assert north == pytest.approx(10 + 30 / np.tan(np.radians(layer.elevation)), rel=0.02)
    layer.set_time(datetime(2026, 12, 21, 2, 0))
    assert layer.elevation < 0 and len(layer.ground_triangles) == 0


def test_day_share_is_one_at_night_and_less_at_noon():
    b = box_buildings([(0, 0, 10, 10)], [20.0])
    result = day_shadow_share(b, shapely.box(0, 10, 20, 40), date(2026, 12, 21), 60)
    night = ~result.daylight
    assert np.all(result.share[night] == 1.0)
    assert 0.0 < result.daylight_mean_share < 1.0


def test_the_sun_command_prints_the_position_and_the_day_share(capsys):
    import argparse
    import json

    from hktwin_sun import cli

    args = argparse.Namespace(time=datetime(2026, 6, 21, 12, 30), date=None, step=60,
                              area="833000,816000,833400,816400", pack=None, json=True)
    assert cli.run(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sun"]["elevation_deg"] > 85  # near the zenith at midsummer noon
    assert 0.0 <= out["shadow"]["daylight_mean_share"] <= 1.0
    assert all(row["elevation"] > 0 for row in out["shadow"]["series"])
