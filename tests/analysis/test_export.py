"""Files: coverage.tif, sites.gpkg, metrics.json, report.html; the comparison and its report."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
import shapely
from cityscenes import CENTRE, GROUND, flat_city, make_buildings

from hktwin.analysis.compare import NO_SIGNAL_DBM, compare
from hktwin.analysis.coverage import EvaluationSettings, SettingsError, evaluate
from hktwin.analysis.export import write_coverage_tif, write_metrics, write_outputs
from hktwin.analysis.report import comparison_html, encode_png, png_bytes, write_report
from hktwin.analysis.sites import ARAnchor, Sensor, SiteSet, SmallCell
from hktwin.core.errors import DataError

CX, CY = CENTRE
BOUNDS = (CX - 300, CY - 200, CX + 300, CY + 200)


def scenario(extra: bool = False) -> SiteSet:
    cells = [SmallCell("c1", CX - 100, CY, ground_m=GROUND, height_m=10.0, name="West"),
             SmallCell("c2", CX + 150, CY + 50, ground_m=GROUND, height_m=8.0, azimuth_deg=200.0)]
    if extra:
        cells.append(SmallCell("c3", CX + 200, CY - 150, ground_m=GROUND, band="n258",
                               bandwidth_mhz=200.0))
    return SiteSet(tuple(cells), (ARAnchor("a1", CX, CY + 20, ground_m=GROUND, name="Mural"),),
                   (Sensor("s1", CX + 10, CY - 10, ground_m=GROUND),))


@pytest.fixture(scope="module")
def city():
    block = make_buildings([shapely.box(CX + 20, CY - 60, CX + 60, CY - 20)], GROUND, 40.0)
    return flat_city(block)


@pytest.fixture(scope="module")
def result(city):
    return evaluate(city, scenario(), EvaluationSettings(bounds=BOUNDS, resolution_m=5.0),
                    scheduler="sync")


def test_geotiff_has_crs_transform_and_nodata(result, tmp_path):
    import rasterio

    path = write_coverage_tif(tmp_path / "coverage.tif", result)
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 2326
        assert src.transform == result.transform
        assert src.transform.c == BOUNDS[0] and src.transform.f == BOUNDS[3]
        assert (src.width, src.height) == (120, 80)
        assert src.dtypes == ("float32",) and np.isnan(src.nodata)
        data = src.read(1)
        assert src.descriptions[0].startswith("RSRP")
    assert np.array_equal(data, result.rsrp_dbm, equal_nan=True)
    assert np.isnan(data[~result.outdoor]).all() and (~result.outdoor).sum() == 8 * 8
    assert not list(tmp_path.glob(".*tmp*"))


def test_outputs_and_gpkg_layers(result, tmp_path):
    import geopandas as gpd
    import pyogrio

    files = write_outputs(tmp_path / "out", result, scenario(), title="Test <scenario>")
    assert {p.name for p in files.values()} == {"metrics.json", "coverage.tif", "sites.gpkg",
                                                 "report.html"}
    layers = {name for name, _ in pyogrio.list_layers(files["sites"])}
    assert layers == {"cells", "anchors", "sensors"}
    cells = gpd.read_file(files["sites"], layer="cells")
    assert cells.crs.to_epsg() == 2326
    assert list(cells["id"]) == ["c1", "c2"]
    assert cells.geometry.iloc[0].x == pytest.approx(CX - 100)
    assert {"band", "tx_power_dbm", "azimuth_deg", "scenario", "served_area_km2"} <= set(cells)
    assert np.isnan(cells["azimuth_deg"].iloc[0]) and cells["azimuth_deg"].iloc[1] == 200.0
    anchors = gpd.read_file(files["sites"], layer="anchors")
    assert anchors["name"].iloc[0] == "Mural" and "visible_share" in anchors
    metrics = json.loads(files["metrics"].read_text())  # strict JSON: no NaN
    assert metrics["grid"]["crs"] == "EPSG:2326" and metrics["cells"] == 2


def test_report_embeds_the_picture_and_the_metrics_table(result, tmp_path):
    from PIL import Image

    text = write_report(tmp_path / "report.html", result, title="Central <A&B>").read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert "<h1>Central &lt;A&amp;B&gt;</h1>" in text
    match = re.search(r'<image href="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert match
    image = Image.open(io.BytesIO(base64.b64decode(match.group(1))))
    assert image.format == "PNG" and image.size[0] >= 1200
    assert '<table class="metrics">' in text and "Outdoor land covered" in text
    assert f"{result.metrics['coverage_share']:.1%}" in text  # shares as the CLI prints them
    assert text.count("<svg") >= 3  # map (with its legend), served-area bars, histogram
    assert "scale bar" in text and "north arrow" in text and "(dBm)" in text
    assert ">West<" in text  # the site's label on the map
    assert "viewing cells" not in text.lower()
    assert not (tmp_path / "report.pdf").exists()  # HKTWIN_REPORT_PDF=0 in the tests
    assert '<table class="anchors">' in text and "Mural" in text
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")  # self-contained


def test_png_writer_without_pillow_matches_pillow():
    from PIL import Image

    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (37, 53, 3), dtype=np.uint8)
    ours = Image.open(io.BytesIO(png_bytes(rgb)))
    assert np.array_equal(np.asarray(ours.convert("RGB")), rgb)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encode_png(rgb)))), rgb)


def test_write_into_a_missing_folder_names_the_file(tmp_path):
    with pytest.raises(DataError, match=r"metrics\.json"):
        write_metrics(tmp_path / "missing" / "metrics.json", {"a": float("nan")})


def test_compare_on_the_same_grid(city, result):
    b = evaluate(city, scenario(extra=True), EvaluationSettings(bounds=BOUNDS, resolution_m=5.0),
                 scheduler="sync")
    cmp = compare(result, b)
    assert np.all(cmp.rsrp_delta_db[result.outdoor] >= -1e-4)  # a cell added: never worse
    assert np.isnan(cmp.rsrp_delta_db[~result.outdoor]).all()
    gained = (cmp.coverage_change == 1).sum()
    assert gained > 0 and (cmp.coverage_change == -1).sum() == 0
    assert cmp.summary["gained_area_km2"] == pytest.approx(gained * 25 / 1e6)
    rows = {r["metric"]: r for r in cmp.table}
    assert rows["cells"]["delta"] == 1
    assert rows["coverage_share"]["delta"] == pytest.approx(
        b.metrics["coverage_share"] - result.metrics["coverage_share"], abs=1e-6)
    assert rows["population.covered"]["delta"] is None
    text = comparison_html(cmp, names=("A.json", "B.json"))
    assert text.count("data:image/png;base64,") == 3
    assert '<table class="deltas">' in text and "RSRP change B.json - A.json" in text
    # No signal in A where B serves counts from NO_SIGNAL_DBM.
    only_b = np.isnan(result.rsrp_dbm) & np.isfinite(b.rsrp_dbm) & result.outdoor
    if only_b.any():
        assert np.allclose(cmp.rsrp_delta_db[only_b], b.rsrp_dbm[only_b] - NO_SIGNAL_DBM)


def test_compare_refuses_different_grids(city, result):
    other = evaluate(city, scenario(), EvaluationSettings(bounds=BOUNDS, resolution_m=10.0),
                     scheduler="sync")
    with pytest.raises(SettingsError, match="same area and resolution"):
        compare(result, other)


def test_served_area_chart_fits_long_names():
    from hktwin.analysis.report import _text_width, served_area_svg

    long = "Queen's Road Central lamppost 17 (east)"
    rows = [{"id": "c1", "name": long, "band": "n78", "scenario": "UMi",
             "served_area_km2": 0.25},
            {"id": "c2", "name": "", "band": "n258", "scenario": "UMa",
             "served_area_km2": 0.01}]
    svg = served_area_svg(rows, width=900)
    assert f">{long}</text>" in svg.replace("&#x27;", "'")  # the whole name, not cut
    bar_x = float(re.search(r'<rect x="([0-9.]+)"', svg).group(1))
    assert bar_x >= _text_width(long)  # the label column holds it
    assert 'viewBox="0 0 900 ' in svg  # scales to its container (max-width 100%)
    values = re.findall(r'<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"', svg)
    for x, w in values:  # every bar and its value text end inside the chart
        assert float(x) + float(w) + _text_width("0.250 km² (n78, UMi)") <= 900
