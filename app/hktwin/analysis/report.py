"""Self-contained HTML reports: the coverage picture as an embedded PNG, the metrics tables and
inline SVG charts; the comparison report adds the difference map and the table of deltas.

Pictures are drawn with numpy: a hillshade of the terrain (sun in the north-west, the
cartographic convention), building footprints in light grey with dark edges, the sea in blue,
and the RSRP colour ramp over the outdoor cells. PNGs are encoded with Pillow when it is there,
otherwise with the small zlib encoder below (no GUI toolkit is needed to write a report).
"""

from __future__ import annotations

import base64
import html
import struct
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hktwin.analysis.colormap import DELTA_STOPS, rsrp_stops
from hktwin.analysis.colormap import ramp as _ramp
from hktwin.analysis.export import atomic_path

if TYPE_CHECKING:
    from hktwin.analysis.compare import Comparison
    from hktwin.analysis.coverage import CoverageResult

#: Longest side of a picture, in pixels, and the size small grids are enlarged to.
MAX_PIXELS = 1000
MIN_PIXELS = 480


# --- PNG ----------------------------------------------------------------------------------------


def encode_png(rgb: np.ndarray) -> bytes:
    """An (h, w, 3) uint8 image as PNG bytes (Pillow if installed, else `png_bytes`)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    try:
        from io import BytesIO

        from PIL import Image
    except ImportError:
        return png_bytes(rgb)
    buffer = BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG")
    return buffer.getvalue()


def png_bytes(rgb: np.ndarray) -> bytes:
    """A minimal PNG encoder: 8-bit RGB, filter 0 on every row, one zlib IDAT chunk."""
    h, w, _ = rgb.shape
    raw = np.hstack([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * 3)]).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# --- Pictures -----------------------------------------------------------------------------------


def _hillshade(ground: np.ndarray, res: float) -> np.ndarray:
    """Lambert shading (0..1) for a sun 45 degrees up in the north-west."""
    z = np.nan_to_num(ground.astype(np.float64), nan=0.0)
    if min(z.shape) < 2:
        return np.ones(z.shape)
    dz_drow, dz_dcol = np.gradient(z, res)
    normal = np.stack([-dz_dcol, dz_drow, np.ones_like(z)], axis=-1)  # east, north, up
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    sun = np.array([-0.5, 0.5, np.sqrt(0.5)])
    return np.clip(normal @ sun, 0.0, 1.0)


def _edges(mask: np.ndarray) -> np.ndarray:
    inner = mask.copy()
    inner[1:, :] &= mask[:-1, :]
    inner[:-1, :] &= mask[1:, :]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    return mask & ~inner


def base_map(result: CoverageResult) -> np.ndarray:
    """The city underneath: hillshaded land, blue sea, grey buildings (float RGB 0..255)."""
    shade = _hillshade(result.ground, result.resolution_m)[..., None]
    land = np.array([232.0, 228.0, 216.0]) * (0.55 + 0.45 * shade)
    sea = np.array([178.0, 206.0, 228.0]) * (0.9 + 0.1 * shade)
    on_sea = ~(result.ground > 0)[..., None]
    rgb = np.where(on_sea, sea, land)
    buildings = np.isfinite(result.ground) & ~result.outdoor
    rgb[buildings] = (205, 205, 210)
    rgb[_edges(buildings)] = (110, 110, 120)
    return rgb


def overlay(base: np.ndarray, colour: np.ndarray, where: np.ndarray,
            alpha: float = 0.8) -> np.ndarray:
    out = base.copy()
    out[where] = (1 - alpha) * base[where] + alpha * colour[where]
    return out


def fit(rgb: np.ndarray) -> np.ndarray:
    """Nearest-neighbour resize so the longest side lies within [MIN_PIXELS, MAX_PIXELS]."""
    longest = max(rgb.shape[:2])
    if longest > MAX_PIXELS:
        step = int(np.ceil(longest / MAX_PIXELS))
        rgb = rgb[::step, ::step]
    elif longest < MIN_PIXELS:
        k = MIN_PIXELS // longest
        rgb = np.repeat(np.repeat(rgb, k, axis=0), k, axis=1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def coverage_picture(result: CoverageResult) -> bytes:
    """The RSRP map over the city as PNG bytes (north up)."""
    rsrp = result.rsrp_dbm
    heard = np.isfinite(rsrp) & result.outdoor
    colour = _ramp(np.nan_to_num(rsrp, nan=-200.0), rsrp_stops(result.settings.rsrp_threshold_dbm))
    rgb = overlay(base_map(result), colour, heard)
    return encode_png(fit(rgb))


def difference_picture(comparison: Comparison) -> bytes:
    """RSRP change B - A (dB, blue better, red worse) over the city as PNG bytes."""
    delta = comparison.rsrp_delta_db
    where = np.isfinite(delta)
    colour = _ramp(np.nan_to_num(delta), DELTA_STOPS)
    rgb = overlay(base_map(comparison.a), colour, where, alpha=0.85)
    return encode_png(fit(rgb))


# --- SVG charts ---------------------------------------------------------------------------------


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(label)}" '
            f'font-family="sans-serif" font-size="11">' + "".join(body) + "</svg>")


def histogram_svg(result: CoverageResult, width: int = 560, height: int = 220) -> str:
    """RSRP distribution over outdoor land (2 dB bins), the threshold marked."""
    values = result.rsrp_dbm[result.land]
    values = values[np.isfinite(values)]
    thr = result.settings.rsrp_threshold_dbm
    lo, hi = -140.0, -50.0
    edges = np.arange(lo, hi + 2, 2.0)
    counts, _ = np.histogram(np.clip(values, lo, hi - 1e-6), edges)
    share = counts / max(1, int(result.land.sum()))
    left, bottom, top = 40, height - 28, 12
    plot_w, plot_h = width - left - 10, bottom - top
    peak = max(float(share.max()) if len(share) else 0.0, 1e-9)
    bar_w = plot_w / len(counts)
    body = [f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#444"/>']
    stops = rsrp_stops(thr)
    for i, s in enumerate(share):
        h = plot_h * s / peak
        centre = edges[i] + 1.0
        r, g, b = (int(v) for v in _ramp(np.array([centre]), stops)[0])
        body.append(f'<rect x="{left + i * bar_w:.1f}" y="{bottom - h:.1f}" '
                    f'width="{bar_w - 1:.1f}" height="{h:.1f}" fill="rgb({r},{g},{b})">'
                    f"<title>{edges[i]:.0f} to {edges[i + 1]:.0f} dBm: {s:.1%}</title></rect>")
    for tick in range(int(lo), int(hi) + 1, 10):
        x = left + (tick - lo) / (hi - lo) * plot_w
        body.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{tick}</text>')
    x = left + (thr - lo) / (hi - lo) * plot_w
    body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#000" '
                f'stroke-dasharray="4 3"/><text x="{x + 4:.1f}" y="{top + 10}">threshold '
                f"{thr:g} dBm</text>")
    body.append(f'<text x="4" y="{top + 4}">{peak:.0%}</text>'
                f'<text x="{width - 12}" y="{height - 1}" text-anchor="end">RSRP (dBm)</text>')
    return _svg(width, height, body, "RSRP histogram")


def served_area_svg(per_cell: list[dict], width: int = 560, limit: int = 30) -> str:
    """Horizontal bars: the outdoor area each small cell serves best (km2)."""
    rows = sorted(per_cell, key=lambda c: -c["served_area_km2"])[:limit]
    height = 20 + 18 * max(1, len(rows))
    peak = max([r["served_area_km2"] for r in rows] + [1e-9])
    left = 110
    body = []
    for i, r in enumerate(rows):
        y = 10 + i * 18
        w = (width - left - 70) * r["served_area_km2"] / peak
        name = html.escape(str(r["name"] or r["id"]))[:16]
        body.append(f'<text x="{left - 6}" y="{y + 11}" text-anchor="end">{name}</text>'
                    f'<rect x="{left}" y="{y}" width="{w:.1f}" height="13" fill="#4a7fb0"/>'
                    f'<text x="{left + w + 4:.1f}" y="{y + 11}">'
                    f'{r["served_area_km2"]:.3f} km2 ({html.escape(r["band"])}, '
                    f'{r["scenario"]})</text>')
    if not rows:
        body.append('<text x="10" y="24">no small cells</text>')
    return _svg(width, height, body, "served area per cell")


def legend_svg(stops, label: str, width: int = 320) -> str:
    body = []
    lo, hi = stops[0][0], stops[-1][0]
    for i in range(100):
        v = lo + (hi - lo) * i / 99
        r, g, b = (int(c) for c in _ramp(np.array([v]), stops)[0])
        body.append(f'<rect x="{10 + i * 3}" y="4" width="3.2" height="12" '
                    f'fill="rgb({r},{g},{b})"/>')
    for value, _ in stops:
        x = 10 + (value - lo) / (hi - lo) * 297
        body.append(f'<text x="{x:.1f}" y="30" text-anchor="middle">{value:g}</text>')
    body.append(f'<text x="{width - 2}" y="44" text-anchor="end">{html.escape(label)}</text>')
    return _svg(width, 48, body, label)


# --- HTML ---------------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;font-size:13px}th{background:#f2f2f2}td.num{text-align:right}
.pictures{display:flex;gap:16px;flex-wrap:wrap}figure{margin:0}figcaption{font-size:12px;
color:#555}img{max-width:100%;border:1px solid #aaa;image-rendering:pixelated}
.note{color:#8a4b00}
"""

KEY_METRICS: tuple[tuple[str, str], ...] = (
    ("coverage_share", "Outdoor area covered (share, RSRP >= threshold)"),
    ("covered_area_km2", "Outdoor area covered (km2)"),
    ("outdoor_area_km2", "Outdoor land evaluated (km2)"),
    ("evaluated_area_km2", "Area evaluated (km2)"),
    ("rsrp_threshold_dbm", "RSRP threshold (dBm)"),
    ("median_rsrp_dbm", "Median RSRP (dBm)"),
    ("p5_rsrp_dbm", "5th percentile RSRP (dBm)"),
    ("no_signal_share", "Outdoor land with no cell in reach (share)"),
    ("median_sinr_db", "Median SINR (dB)"),
    ("median_throughput_mbps", "Median downlink throughput (Mbit/s)"),
    ("p5_throughput_mbps", "5th percentile throughput (Mbit/s)"),
    ("los_share", "Outdoor land in line of sight of a cell (share)"),
    ("cells", "Small cells"),
    ("cells_per_km2", "Small cells per km2"),
    ("elapsed_s", "Evaluation time (s)"),
)


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list], cls: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{_fmt(v)}</td>' if isinstance(v, int | float) and
            not isinstance(v, bool) else f"<td>{_fmt(v)}</td>" for v in row) + "</tr>"
        for row in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def metrics_table(metrics: dict) -> str:
    rows = [[label, metrics.get(key)] for key, label in KEY_METRICS]
    pop = metrics.get("population", {})
    rows.append(["Population covered", pop.get("covered")])
    rows.append(["Population covered (share)", pop.get("share")])
    return _table(["Metric", "Value"], rows, "metrics")


def _sections(result: CoverageResult) -> list[str]:
    m = result.metrics
    out = [f"<h2>Metrics</h2>{metrics_table(m)}"]
    spots = m.get("worst_spots", [])
    if spots:
        out.append("<h2>Worst spots</h2>" + _table(
            ["#", "Easting", "Northing", "Area (m2)", "Lowest RSRP (dBm)", "Mean RSRP (dBm)",
             "No signal (share)"],
            [[i + 1, s["x"], s["y"], s["area_m2"], s["min_rsrp_dbm"], s["mean_rsrp_dbm"],
              s["no_signal_share"]] for i, s in enumerate(spots)], "worst"))
    cells = m.get("per_cell", [])
    out.append("<h2>Small cells</h2>" + _table(
        ["Cell", "Band", "Model", "Served area (km2)", "Median RSRP (dBm)",
         "Median throughput (Mbit/s)"],
        [[c["name"] or c["id"], c["band"], c["scenario"], c["served_area_km2"],
          c["median_rsrp_dbm"], c["median_throughput_mbps"]] for c in cells], "cells")
        + served_area_svg(cells))
    anchors = m.get("anchors", [])
    if anchors:
        out.append("<h2>AR anchors</h2>" + _table(
            ["Anchor", "Visible from the street (share)", "Viewing cells",
             "Needs met (share)", "5th pct throughput (Mbit/s)", "95th pct latency (ms)",
             "Meets needs"],
            [[a["name"] or a["id"], a.get("visible_share"), a.get("viewing_cells"),
              a.get("requirements_ok_share"), a.get("p5_throughput_mbps"),
              a.get("p95_latency_ms"), a.get("meets")] for a in anchors], "anchors"))
    out.append(f"<h2>RSRP distribution</h2>{histogram_svg(result)}")
    notes = m.get("notes", [])
    if notes:
        out.append("<h2>Notes</h2><ul>" + "".join(
            f'<li class="note">{html.escape(n)}</li>' for n in notes) + "</ul>")
    return out


def _header(title: str, result: CoverageResult) -> str:
    s = result.settings
    xmin, ymin, xmax, ymax = result.bounds
    return (f"<h1>{html.escape(title)}</h1><p>Area EPSG:2326 {xmin:.0f}, {ymin:.0f} - "
            f"{xmax:.0f}, {ymax:.0f}; {result.resolution_m:g} m grid; users at "
            f"{s.ue_height_m:g} m; line of sight: {html.escape(s.los_mode)}; path loss 3GPP TR "
            f"38.901 (UMi/UMa). Generated {time.strftime('%Y-%m-%d %H:%M')}.</p>")


def _page(title: str, body: list[str]) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
            f"{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            + "".join(body) + "</body></html>\n")


def _figure(png: bytes, caption: str, legend: str = "") -> str:
    return (f'<figure><img src="{data_uri(png)}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption>{legend}</figure>")


def report_html(result: CoverageResult, title: str = "Coverage") -> str:
    thr = result.settings.rsrp_threshold_dbm
    picture = _figure(coverage_picture(result), "RSRP of the best server (north up)",
                      legend_svg(rsrp_stops(thr), "RSRP (dBm)"))
    return _page(title, [_header(title, result), f'<div class="pictures">{picture}</div>',
                         *_sections(result)])


def write_report(path: Path, result: CoverageResult, title: str = "Coverage") -> Path:
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(report_html(result, title), encoding="utf-8")
    return Path(path)


def comparison_html(comparison: Comparison, title: str = "Scenario comparison",
                    names: tuple[str, str] = ("A", "B")) -> str:
    a, b = comparison.a, comparison.b
    thr = a.settings.rsrp_threshold_dbm
    legend = legend_svg(rsrp_stops(thr), "RSRP (dBm)")
    pictures = [
        _figure(coverage_picture(a), f"{names[0]}: RSRP of the best server", legend),
        _figure(coverage_picture(b), f"{names[1]}: RSRP of the best server", legend),
        _figure(difference_picture(comparison), f"RSRP change {names[1]} - {names[0]}",
                legend_svg(DELTA_STOPS, "change (dB)")),
    ]
    summary = comparison.summary
    deltas = _table(["Metric", names[0], names[1], "Change"],
                    [[r["label"], r["a"], r["b"], r["delta"]] for r in comparison.table],
                    "deltas")
    facts = _table(["Change", "Value"], [
        ["Outdoor area newly covered (km2)", summary["gained_area_km2"]],
        ["Outdoor area no longer covered (km2)", summary["lost_area_km2"]],
        ["Mean RSRP change (dB)", summary["mean_rsrp_change_db"]],
        ["Mean throughput change (Mbit/s)", summary["mean_throughput_change_mbps"]],
    ], "summary")
    return _page(title, [_header(title, a), f'<div class="pictures">{"".join(pictures)}</div>',
                         f"<h2>Metric deltas</h2>{deltas}", f"<h2>Area changes</h2>{facts}",
                         f"<h2>{html.escape(names[0])}</h2>{metrics_table(a.metrics)}",
                         f"<h2>{html.escape(names[1])}</h2>{metrics_table(b.metrics)}"])


def write_comparison_report(path: Path, comparison: Comparison,
                            title: str = "Scenario comparison",
                            names: tuple[str, str] = ("A", "B")) -> Path:
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(comparison_html(comparison, title, names), encoding="utf-8")
    return Path(path)
