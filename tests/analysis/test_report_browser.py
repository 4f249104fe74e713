"""The report as a planner receives it: the sample scenarios through `hktwin evaluate`, the page
opened in a real headless browser (Debian's chromium), its PDF pages, and a district-sized grid
drawn without grid-sized memory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from hktwin.analysis.report import MapFrame, coverage_figure, find_browser, headless_args

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "resources" / "scenarios"
PHASE1 = SCENARIOS / "central-phase1.hktwin.json"
PHASE2 = SCENARIOS / "central-phase2.hktwin.json"


def hktwin(*args: str, pdf: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "HKTWIN_REPORT_PDF": "1" if pdf else "0"}
    return subprocess.run([sys.executable, "-m", "hktwin", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def phase1(tmp_path_factory) -> Path:
    """Central phase 1 evaluated through the CLI, with its PDF when a browser is there."""
    out = tmp_path_factory.mktemp("phase1")
    done = hktwin("evaluate", str(PHASE1), "--out", str(out), pdf=True)
    assert done.returncode == 0, done.stderr
    assert ": 6 cells, " in done.stdout
    return out


def test_sample_scenarios_are_shipped_and_valid():
    from hktwin.model.scenario_io import load_scenario

    names = {load_scenario(p).name for p in sorted(SCENARIOS.glob("*.hktwin.json"))}
    assert {"Central phase 1", "Central phase 2"} <= names
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "resources/scenarios/central-phase1.hktwin.json" in readme
    # The wheel ships resources/ as hktwin.resources with every file under it.
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"hktwin.resources" = "resources"' in pyproject and '"**/*"' in pyproject


def test_phase1_report_names_the_scenario_and_its_holes(phase1):
    metrics = json.loads((phase1 / "metrics.json").read_text())
    text = (phase1 / "report.html").read_text(encoding="utf-8")
    assert "<h1>Central phase 1</h1>" in text
    spots = metrics["worst_spots"]
    assert spots and all(s["area_m2"] <= 250.0**2 for s in spots)
    outdoor = metrics["outdoor_area_km2"] * 1e6
    assert max(s["area_m2"] for s in spots) < 0.2 * outdoor  # never one blob of the area
    assert all(s["street"] for s in spots)  # the demo city's roads name each spot's street
    assert f"{metrics['coverage_share']:.1%}" in text


def test_phase2_improves_on_phase1(tmp_path):
    done = hktwin("evaluate", str(PHASE1), "--compare", str(PHASE2), "--out", str(tmp_path),
                  "--resolution", "10")
    assert done.returncode == 0, done.stderr
    cmp = json.loads((tmp_path / "comparison.json").read_text())
    assert cmp["summary"]["gained_area_km2"] > 0.05
    assert cmp["summary"]["lost_area_km2"] == 0
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Central phase 1 vs Central phase 2" in text
    assert text.count('<image href="data:image/png;base64,') == 3


def _screenshot(html: Path, tmp: Path, width: int = 1280, height: int = 3000) -> np.ndarray:
    from PIL import Image

    browser = find_browser()
    shot = tmp / "shot.png"
    cmd = [*headless_args(browser, str(tmp / "profile")), "--hide-scrollbars",
           f"--window-size={width},{height}", f"--screenshot={shot}", html.as_uri()]
    subprocess.run(cmd, check=True, timeout=120, capture_output=True)
    return np.asarray(Image.open(shot).convert("RGB")).astype(int)


def _near(rgb: np.ndarray, colour, tol: int = 18) -> np.ndarray:
    return (np.abs(rgb - np.array(colour)) <= tol).all(axis=-1)


@pytest.mark.skipif(find_browser() is None, reason="no chromium to render the report in "
                    "(Debian: apt-get install chromium)")
def test_report_renders_in_headless_chromium(phase1, tmp_path):
    img = _screenshot(phase1 / "report.html", tmp_path)
    h, w, _ = img.shape
    top = img[: int(h * 0.45)]
    # The map's raster loaded: the sea, the coverage ramp's yellow and green, the buildings.
    assert _near(top, (170, 200, 226), 25).mean() > 0.01, "no sea drawn: the map did not load"
    assert _near(top, (250, 205, 60), 40).mean() > 0.002
    assert _near(top, (205, 205, 210), 8).mean() > 0.005
    # Its width is the picture's 1200 px (the page's column), and nothing spills past it.
    coloured = ~_near(img, (255, 255, 255), 3)
    cols = np.flatnonzero(coloured.any(axis=0))
    assert cols.max() - cols.min() >= 1150
    assert not coloured[:, w - 24:].any(), "something reaches the right edge: clipped"
    assert not coloured[:, :24].any()


@pytest.mark.skipif(find_browser() is None or shutil.which("pdftoppm") is None,
                    reason="needs chromium (to print) and pdftoppm (poppler-utils) to read it")
def test_report_pdf_has_the_same_content(phase1, tmp_path):
    from PIL import Image

    pdf = phase1 / "report.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 2
    first = np.asarray(Image.open(pages[0]).convert("RGB")).astype(int)
    assert _near(first, (170, 200, 226), 25).mean() > 0.01  # the map is on page one
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              timeout=60).stdout
        for words in ("Central phase 1", "Worst spots", "RSRP of the best server (dBm)",
                      "Small cells", "Notes"):
            assert words in text


def test_a_district_grid_is_drawn_at_the_picture_size():
    """40 km x 40 km at 5 m (64 M cells): the map reads one cell per pixel, so drawing it
    allocates what the picture needs, not what the grid holds."""
    from hktwin.analysis.coverage import CoverageResult, EvaluationSettings
    from hktwin.analysis.los import Grid

    n = 8000
    settings = EvaluationSettings(bounds=(810_000.0, 800_000.0, 850_000.0, 840_000.0),
                                  resolution_m=5.0)
    grid = Grid.over(settings.bounds, 5.0)
    assert grid.shape == (n, n)
    ramp = np.linspace(-140, -60, n, dtype=np.float32)[None, :]
    ground = np.linspace(-5, 40, n, dtype=np.float32)[:, None]
    full = (n, n)
    result = CoverageResult(
        grid, settings, (), (), np.broadcast_to(ramp, full), np.broadcast_to(ramp, full),
        np.broadcast_to(np.int16(-1), full), np.broadcast_to(np.float32(0), full),
        np.broadcast_to(np.uint8(0), full), np.broadcast_to(ground, full),
        np.broadcast_to(True, full), np.broadcast_to(ground > 0, full))
    tracemalloc.start()
    try:
        svg = coverage_figure(result, "district")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    frame = MapFrame(result)
    assert frame.width == 1200 and frame.height == 1200
    assert 'width="1200"' in svg
    assert peak < 400e6, f"drawing took {peak / 1e6:.0f} MB"  # one full grid of floats: 256 MB
    # The north rows are sea (ground below 0 m): drawn as sea whatever the RSRP there, while
    # the land to the south carries the ramp (weak in the west, strong in the east).
    import base64
    import io
    import re

    from PIL import Image

    png = base64.b64decode(re.search(r'href="data:image/png;base64,([^"]+)"', svg).group(1))
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    sea_rows = rgb[: int(1200 * 5 / 45) - 5]
    assert _near(sea_rows, (170, 200, 226), 20).mean() > 0.95
    land = rgb[-100:]
    assert _near(land[:, :100], (110, 0, 20), 60).mean() > 0.5  # -140 dBm: the ramp's bottom
    assert _near(land[:, -100:], (0, 90, 110), 60).mean() > 0.5  # -60 dBm: its top
