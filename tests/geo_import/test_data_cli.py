"""`hktwin data import|info` through the CLI entry point (in process, for speed)."""

from __future__ import annotations

import json

from geo_import_helpers import box_row, footprints_gdf

from hktwin.cli import main


def test_import_json_report_and_info_text(island_pack, tmp_path, capsys):
    footprints_gdf({"TopHeight": [30.0], "BaseHeight": [2.0]}, box_row(1)).to_file(
        tmp_path / "b.gpkg")
    assert main(["data", "import", str(tmp_path / "b.gpkg"), "--pack", str(island_pack),
                 "--json", "--no-mesh"]) == 0
    report = json.loads(capsys.readouterr().out)
    (layer,) = report["layers"]
    assert (layer["name"], layer["kind"], layer["count"]) == ("buildings", "buildings", 1)
    assert layer["crs"] == "EPSG:2326" and layer["sources"] == ["b.gpkg"]
    assert main(["data", "info", str(island_pack)]) == 0
    text = capsys.readouterr().out
    assert "terrain.tif" in text and "COG" in text and "1 features (Polygon)" in text


def test_info_reports_a_broken_layer_and_exits_2(island_pack, capsys):
    (island_pack / "terrain.tif").unlink()
    assert main(["data", "info", str(island_pack), "--json"]) == 2
    captured = capsys.readouterr()
    info = json.loads(captured.out)
    assert "file not found" in info["layers"][0]["problem"]
    assert captured.err.startswith("hktwin: error:") and "terrain.tif" in captured.err


def test_usage_errors_are_one_line(tmp_path, capsys):
    assert main(["data"]) == 2
    assert main(["data", "import", str(tmp_path / "missing.tif")]) == 2  # no --pack
    assert main(["data", "import", str(tmp_path / "missing.tif"), "--pack",
                 str(tmp_path / "p")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in lines if line.startswith("hktwin: error:")]
    assert len(errors) == 3
    assert "missing.tif: file not found" in errors[2]
    assert not (tmp_path / "p").exists()
