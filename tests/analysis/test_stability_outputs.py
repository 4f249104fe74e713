"""AR anchor stability in an evaluation's outputs: metrics.json's `stability` and
anchor_stability.csv equal `anchor_stability` computed directly (seeded, so repeatable), and
the report lists them in its "AR anchor stability" section (HTML, a real browser, the PDF)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hktwin.analysis.ar.localisation import (
    EVALUATED_MODELS,
    N_SAMPLES,
    ROW_FIELDS,
    anchor_stability,
)
from hktwin.analysis.report import find_browser, headless_args

PHASE1 = Path(__file__).resolve().parents[2] / "resources" / "scenarios" / \
    "central-phase1.hktwin.json"
#: The report's mark of a poor score (td.poor's background).
POOR_RGB = (251, 227, 223)


def _inside_a_tower(city, near=(833_933.0, 816_298.0)) -> dict:
    """An anchor inside the largest tall building near the mural: it scores 0, poor."""
    import shapely

    b = city.buildings
    lo_x, lo_y, hi_x, hi_y = shapely.bounds(b.footprints).T
    close = (np.hypot((lo_x + hi_x) / 2 - near[0], (lo_y + hi_y) / 2 - near[1]) < 300) & \
        (b.height > 20)
    i = int(np.flatnonzero(close)[np.argmax(shapely.area(b.footprints)[close])])
    x, y = shapely.get_coordinates(shapely.point_on_surface(b.footprints[i]))[0]
    return {"id": "inside-1", "name": "Lost in a tower", "x": float(x), "y": float(y),
            "ground_m": float(b.base[i]), "height_m": 5.0}


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """Central phase 1 plus an anchor inside a tower, evaluated into an output set."""
    from hktwin.geo.pack import open_pack
    from hktwin.session.evaluation import evaluate_scenario

    tmp = tmp_path_factory.mktemp("stability")
    city = open_pack(Path(__file__).resolve().parents[2] / "resources" / "demo_city")
    doc = json.loads(PHASE1.read_text(encoding="utf-8"))
    doc["anchors"].append(_inside_a_tower(city))
    scenario = tmp / "phase1-plus.hktwin.json"
    scenario.write_text(json.dumps(doc), encoding="utf-8")
    ev = evaluate_scenario(scenario, out_dir=tmp / "out", resolution_m=20)
    return ev, city, tmp / "out"


def test_metrics_and_csv_equal_anchor_stability_computed_directly(evaluated):
    ev, city, out = evaluated
    anchors = list(ev.scenario.sites.anchors)
    assert len(anchors) >= 2
    metrics = json.loads((out / "metrics.json").read_text())
    stability = metrics["stability"]
    assert stability["samples"] == N_SAMPLES and set(stability["models"]) == set(EVALUATED_MODELS)
    assert "often around 1 m" in stability["models"]["vps"]["source"]
    direct = {(s.id, name): s.row() for name in EVALUATED_MODELS
              for s in anchor_stability(anchors, city.buildings, name, city.terrain,
                                        seed=stability["seed"])}
    rows = stability["rows"]
    assert len(rows) == len(anchors) * len(EVALUATED_MODELS)
    for row in rows:
        assert row == {k: direct[row["id"], row["error_model"]][k] for k in ROW_FIELDS}
    # The tower's anchor is swallowed whatever the error; the mural in the open holds under VPS.
    by = {(r["id"], r["error_model"]): r for r in rows}
    assert by["inside-1", "vps"]["stability"] == 0.0 and by["inside-1", "vps"]["surface"] == \
        "inside"
    assert by["anchor-1", "vps"]["stability"] > by["anchor-1", "gnss-canyon"]["stability"]
    assert by["anchor-1", "vps"]["drift_r95_m"] < by["anchor-1", "gnss-canyon"]["drift_r95_m"]
    with open(out / "anchor_stability.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert [tuple(t) for t in table[:1]] == [ROW_FIELDS]
    assert len(table) == len(rows)
    for line, row in zip(table, rows, strict=True):
        for key in ROW_FIELDS:
            value = row[key]
            assert (float(line[key]) == value if isinstance(value, float)
                    else line[key] == str(value)), key
    assert ev.files["stability"] == out / "anchor_stability.csv"


def test_a_scenario_without_anchors_gets_an_empty_table(tmp_path):
    from hktwin.session.evaluation import evaluate_scenario

    doc = json.loads(PHASE1.read_text(encoding="utf-8"))
    doc["anchors"] = []
    scenario = tmp_path / "no-anchors.hktwin.json"
    scenario.write_text(json.dumps(doc), encoding="utf-8")
    ev = evaluate_scenario(scenario, out_dir=tmp_path / "out", resolution_m=20)
    assert ev.metrics["stability"]["rows"] == []
    assert (tmp_path / "out" / "anchor_stability.csv").read_text().strip() == ",".join(ROW_FIELDS)
    assert "AR anchor stability" not in (tmp_path / "out" / "report.html").read_text()


def test_the_report_lists_each_anchors_stability(evaluated):
    ev, _, out = evaluated
    text = (out / "report.html").read_text(encoding="utf-8")
    section = text[text.index("<h2>AR anchor stability</h2>"):]
    section = section[: section.index("</div>")]
    for name in ("Harbour mural (anchor-1)", "Lost in a tower (inside-1)", "VPS: stability",
                 "GNSS canyon: stability", "often around 1 m", "street canyon"):
        assert name in section, name
    rows = ev.metrics["stability"]["rows"]
    for r in rows:
        assert f"{r['stability']:.1%}" in section
        assert f"{r['drift_median_m']:.1f} / {r['drift_r95_m']:.1f}" in section
    poor = sum(r["stability"] < 0.5 for r in rows)
    assert section.count('class="num poor"') == poor >= 2  # the tower's anchor, both models


def _near(rgb: np.ndarray, colour, tol: int) -> np.ndarray:
    return (np.abs(rgb - np.array(colour)) <= tol).all(axis=-1)


@pytest.mark.skipif(find_browser() is None, reason="no chromium to render the report in "
                    "(Debian: apt-get install chromium)")
def test_the_stability_table_renders_in_a_browser_and_the_pdf(evaluated, tmp_path):
    from PIL import Image

    from hktwin.analysis.report import write_pdf

    _, _, out = evaluated
    shot = tmp_path / "shot.png"
    cmd = [*headless_args(find_browser(), str(tmp_path / "profile")), "--hide-scrollbars",
           "--window-size=1280,4000", f"--screenshot={shot}", (out / "report.html").as_uri()]
    subprocess.run(cmd, check=True, timeout=120, capture_output=True)
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    marked = _near(img, POOR_RGB, 4)
    rows = np.flatnonzero(marked.sum(axis=1) > 60)  # two poor cells side by side in a row
    assert len(rows) > 8, "no poor stability cell drawn"
    assert rows.min() > img.shape[0] * 0.3  # below the map, with the tables
    if shutil.which("pdftotext") is None:
        return
    pdf = write_pdf(out / "report.html", tmp_path / "report.pdf")
    words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                           timeout=60).stdout
    words = " ".join(words.split())  # table cells wrap their text over lines
    assert "AR anchor stability" in words and "Lost in a tower (inside-1)" in words
