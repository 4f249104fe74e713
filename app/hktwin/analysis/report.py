"""Self-contained reports a planner can hand on: HTML (one file, nothing fetched) and the same
page printed to PDF by headless Chromium.

The coverage map is one inline SVG: a PNG raster (the basemap and the coverage, drawn with
numpy) with vector marks over it (sites and their labels, scale bar, north arrow) and the legend
below. The raster is always drawn at the picture's size, never at the grid's: each pixel reads
the grid cell under its centre, so a 40 km x 40 km evaluation costs what a 2 km one costs.

Basemap: a hillshade of the terrain (sun in the north-west, the cartographic convention), the
sea in blue, buildings grey with dark edges, the pack's roads white with a dark casing. Over it
the RSRP ramp (`analysis.colormap`, the window's) on outdoor land where a cell is heard, a grey
hatch on land no cell reaches; the sea is never coloured as uncovered land. PNGs are encoded
with Pillow when it is there, otherwise with the small zlib encoder below.
"""

from __future__ import annotations

import base64
import html
import math
import os
import shutil
import struct
import subprocess
import tempfile
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

#: Width of a map in pixels (its raster and its SVG), and the bounds of its height.
PICTURE_WIDTH = 1200
PICTURE_HEIGHT_RANGE = (300, 2400)
#: Colours of the basemap and of land no cell reaches (RGB 0..255).
LAND_RGB = (232.0, 228.0, 216.0)
SEA_RGB = (170.0, 200.0, 226.0)
BUILDING_RGB = (205.0, 205.0, 210.0)
BUILDING_EDGE_RGB = (110.0, 110.0, 120.0)
ROAD_RGB = (255.0, 255.0, 255.0)
ROAD_CASING_RGB = (120.0, 120.0, 120.0)
NO_SIGNAL_RGB = (130.0, 130.0, 140.0)
#: Opacity of the coverage colours over the basemap.
COVERAGE_ALPHA = 0.78
#: Sites are labelled on the map up to this many (beyond, the marks alone stay readable).
MAX_LABELS = 40
#: Environment variable: "0" writes no PDF beside the HTML report (the tests set it).
PDF_ENV = "HKTWIN_REPORT_PDF"
#: Environment variable naming the browser that prints the PDF (else chromium on the PATH).
BROWSER_ENV = "HKTWIN_BROWSER"


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


# --- The map raster -----------------------------------------------------------------------------


class MapFrame:
    """Pixels of a map over a result's grid: which grid row and column each pixel reads."""

    def __init__(self, result: CoverageResult, width: int = PICTURE_WIDTH) -> None:
        rows, cols = result.grid.shape
        lo, hi = PICTURE_HEIGHT_RANGE
        self.width = int(width)
        self.height = int(min(max(round(width * rows / cols), lo), hi))
        self.rows = np.minimum(((np.arange(self.height) + 0.5) * rows / self.height)
                               .astype(np.intp), rows - 1)
        self.cols = np.minimum(((np.arange(self.width) + 0.5) * cols / self.width)
                               .astype(np.intp), cols - 1)
        self.bounds = result.bounds
        xmin, ymin, xmax, ymax = self.bounds
        self.pixel_m = ((xmax - xmin) / self.width, (ymax - ymin) / self.height)

    def take(self, array: np.ndarray) -> np.ndarray:
        """The grid array read at every pixel (height x width): a gather, no full-size copy."""
        return array[self.rows[:, None], self.cols[None, :]]

    def xy(self, x: float, y: float) -> tuple[float, float]:
        """Pixel position of a point (EPSG:2326)."""
        xmin, ymin, xmax, ymax = self.bounds
        return ((x - xmin) / (xmax - xmin) * self.width, (ymax - y) / (ymax - ymin) * self.height)

    @property
    def transform(self):
        from affine import Affine

        xmin, _, _, ymax = self.bounds
        return Affine(self.pixel_m[0], 0.0, xmin, 0.0, -self.pixel_m[1], ymax)


def _hillshade(ground: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Lambert shading (0..1) for a sun 45 degrees up in the north-west."""
    z = np.nan_to_num(ground.astype(np.float64), nan=0.0)
    if min(z.shape) < 2:
        return np.ones(z.shape)
    dz_drow, dz_dcol = np.gradient(z, dy, dx)
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


def _road_masks(frame: MapFrame, roads) -> tuple[np.ndarray, np.ndarray] | None:
    """(core, casing) pixel masks of the road lines, or None without roads."""
    if roads is None or len(roads) == 0:
        return None
    from rasterio.features import rasterize
    from scipy import ndimage

    lines = rasterize(((g, 1) for g in roads), out_shape=(frame.height, frame.width),
                      transform=frame.transform, all_touched=True, dtype="uint8") > 0
    core = ndimage.binary_dilation(lines, iterations=1)
    casing = ndimage.binary_dilation(core, iterations=1) & ~core
    return core, casing


def base_map(result: CoverageResult, frame: MapFrame | None = None) -> np.ndarray:
    """The city underneath at the frame's pixels: hillshaded land, sea, buildings (float RGB)."""
    frame = frame or MapFrame(result)
    ground = frame.take(result.ground)
    shade = _hillshade(ground, *frame.pixel_m)[..., None]
    land = np.array(LAND_RGB) * (0.55 + 0.45 * shade)
    sea = np.array(SEA_RGB) * (0.92 + 0.08 * shade)
    rgb = np.where(~(ground > 0)[..., None], sea, land)
    buildings = np.isfinite(ground) & ~frame.take(result.outdoor)
    rgb[buildings] = BUILDING_RGB
    if max(frame.pixel_m) <= 8.0:  # edges only where a footprint spans several pixels
        rgb[_edges(buildings)] = BUILDING_EDGE_RGB
    return rgb


def _hatch(shape: tuple[int, int], period: int = 7) -> np.ndarray:
    r, c = np.indices(shape)
    return (r + c) % period < 2


def overlay(base: np.ndarray, colour: np.ndarray, where: np.ndarray,
            alpha: float = COVERAGE_ALPHA) -> np.ndarray:
    out = base.copy()
    out[where] = (1 - alpha) * base[where] + alpha * colour[where]
    return out


def _finish(rgb: np.ndarray, frame: MapFrame, result: CoverageResult) -> bytes:
    roads = _road_masks(frame, getattr(result, "roads", None))
    if roads is not None:
        core, casing = roads
        rgb[casing] = 0.4 * rgb[casing] + 0.6 * np.array(ROAD_CASING_RGB)
        rgb[core] = 0.15 * rgb[core] + 0.85 * np.array(ROAD_RGB)
    return encode_png(np.clip(rgb, 0, 255).astype(np.uint8))


def coverage_raster(result: CoverageResult, frame: MapFrame | None = None) -> bytes:
    """The RSRP map over the basemap as PNG bytes (north up, `frame`'s size)."""
    frame = frame or MapFrame(result)
    land = frame.take(result.land)
    rsrp = frame.take(result.rsrp_dbm)
    heard = land & np.isfinite(rsrp)
    colour = _ramp(np.nan_to_num(rsrp, nan=-200.0), rsrp_stops(result.settings.rsrp_threshold_dbm))
    rgb = overlay(base_map(result, frame), colour, heard)
    unreached = land & ~heard & _hatch(land.shape)
    rgb[unreached] = NO_SIGNAL_RGB
    return _finish(rgb, frame, result)


def difference_raster(comparison: Comparison, frame: MapFrame | None = None) -> bytes:
    """RSRP change B - A (dB, blue better, red worse) on land as PNG bytes."""
    a = comparison.a
    frame = frame or MapFrame(a)
    delta = frame.take(comparison.rsrp_delta_db)
    where = np.isfinite(delta) & frame.take(a.land & comparison.b.land)
    colour = _ramp(np.nan_to_num(delta), DELTA_STOPS)
    return _finish(overlay(base_map(a, frame), colour, where, alpha=0.85), frame, a)


def coverage_picture(result: CoverageResult) -> bytes:
    """The coverage raster alone as PNG bytes (kept for callers that want just the image)."""
    return coverage_raster(result)


def difference_picture(comparison: Comparison) -> bytes:
    return difference_raster(comparison)


# --- The map figure (SVG) -----------------------------------------------------------------------


def _nice_length(span_m: float) -> float:
    """A 1-2-5 length of at most a fifth of `span_m` (the scale bar)."""
    target = span_m / 5
    base = 10 ** math.floor(math.log10(target))
    return max(m * base for m in (1, 2, 5) if m * base <= target)


def _length_text(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def _halo_text(x: float, y: float, text: str, size: int = 13, anchor: str = "start",
               weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="#111" stroke="#fff" stroke-width="3.5" '
            f'stroke-linejoin="round" paint-order="stroke">{html.escape(text)}</text>')


def _site_marks(frame: MapFrame, result: CoverageResult) -> list[str]:
    """Small cells as ringed dots (a tick towards a sector's azimuth), AR anchors as diamonds,
    each labelled with its name (or id) while there are few enough to read."""
    out = []
    xmin, ymin, xmax, ymax = frame.bounds
    inside = [c for c in result.cells if xmin <= c.x <= xmax and ymin <= c.y <= ymax]
    label = len(inside) <= MAX_LABELS
    for c in inside:
        px, py = frame.xy(c.x, c.y)
        colour = "#1f4e9c" if c.band == "n78" else "#8e24aa"
        if c.azimuth_deg is not None:
            az = math.radians(c.azimuth_deg)
            out.append(f'<line x1="{px:.1f}" y1="{py:.1f}" x2="{px + 17 * math.sin(az):.1f}" '
                       f'y2="{py - 17 * math.cos(az):.1f}" stroke="#111" stroke-width="3" '
                       f'stroke-linecap="round"/>')
        out.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="7" fill="#fff" stroke="#111" '
                   f'stroke-width="2"/><circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" '
                   f'fill="{colour}"><title>{html.escape(c.name or c.id)} ({c.band})</title>'
                   "</circle>")
        if label:
            out.append(_halo_text(px + 11, py + 4, c.name or c.id))
    for a in getattr(result, "anchors", ()):
        if not (xmin <= a.x <= xmax and ymin <= a.y <= ymax):
            continue
        px, py = frame.xy(a.x, a.y)
        out.append(f'<path d="M{px:.1f},{py - 7:.1f} l7,7 l-7,7 l-7,-7 z" fill="#e91e63" '
                   f'stroke="#fff" stroke-width="1.5"><title>AR anchor '
                   f'{html.escape(a.name or a.id)}</title></path>')
        if label:
            out.append(_halo_text(px - 10, py + 18, a.name or a.id, size=12, anchor="end"))
    return out


def _scale_bar(frame: MapFrame) -> str:
    xmin, _, xmax, _ = frame.bounds
    length = _nice_length(xmax - xmin)
    px = length / (xmax - xmin) * frame.width
    x0, y0 = 16, frame.height - 26
    half = px / 2
    return (f'<g aria-label="scale bar"><rect x="{x0 - 8}" y="{y0 - 22}" width="{px + 16:.1f}" '
            f'height="40" rx="4" fill="#fff" fill-opacity="0.85"/>'
            f'<rect x="{x0}" y="{y0}" width="{half:.1f}" height="7" fill="#111"/>'
            f'<rect x="{x0 + half:.1f}" y="{y0}" width="{half:.1f}" height="7" fill="#fff" '
            f'stroke="#111"/><rect x="{x0}" y="{y0}" width="{px:.1f}" height="7" fill="none" '
            f'stroke="#111"/><text x="{x0}" y="{y0 - 6}" font-size="12">0</text>'
            f'<text x="{x0 + px:.1f}" y="{y0 - 6}" font-size="12" text-anchor="end">'
            f"{_length_text(length)}</text></g>")


def _north_arrow(frame: MapFrame) -> str:
    x, y = frame.width - 34, 40
    return (f'<g aria-label="north arrow"><circle cx="{x}" cy="{y}" r="24" fill="#fff" '
            f'fill-opacity="0.85" stroke="#555"/><path d="M{x},{y - 18} l9,24 l-9,-6 l-9,6 z" '
            f'fill="#111"/><text x="{x}" y="{y + 19}" font-size="12" font-weight="bold" '
            f'text-anchor="middle">N</text></g>')


def _ramp_legend(stops, label: str, width: int, y0: float, swatches: list[tuple[str, str]],
                 marks: list[tuple[float, str]] = ()) -> list[str]:
    """A colour bar over `stops` with a tick at each stop, the unit, and swatches after it."""
    lo, hi = stops[0][0], stops[-1][0]
    bar_x, bar_w = 20, min(520, width * 0.48)
    body = [f'<text x="{bar_x}" y="{y0 + 14}" font-size="13" font-weight="bold">'
            f"{html.escape(label)}</text>"]
    n = 120
    for i in range(n):
        v = lo + (hi - lo) * (i + 0.5) / n
        r, g, b = (int(c) for c in _ramp(np.array([v]), stops)[0])
        body.append(f'<rect x="{bar_x + i * bar_w / n:.2f}" y="{y0 + 28}" '
                    f'width="{bar_w / n + 0.4:.2f}" height="14" fill="rgb({r},{g},{b})"/>')
    body.append(f'<rect x="{bar_x}" y="{y0 + 28}" width="{bar_w:.1f}" height="14" fill="none" '
                f'stroke="#555"/>')
    for value, _ in stops:
        x = bar_x + (value - lo) / (hi - lo) * bar_w
        body.append(f'<line x1="{x:.1f}" y1="{y0 + 42}" x2="{x:.1f}" y2="{y0 + 47}" '
                    f'stroke="#555"/><text x="{x:.1f}" y="{y0 + 60}" font-size="12" '
                    f'text-anchor="middle">{value:g}</text>')
    text_x = bar_x + _text_width(label, 13) + 30  # marks are explained after the label
    for value, text in marks:
        x = bar_x + (value - lo) / (hi - lo) * bar_w
        body.append(f'<path d="M{x:.1f},{y0 + 27} l-5,-7 h10 z" fill="#111"/>'
                    f'<path d="M{text_x:.1f},{y0 + 14} l-5,-7 h10 z" fill="#111"/>'
                    f'<text x="{text_x + 9:.1f}" y="{y0 + 14}" font-size="12">'
                    f"{html.escape(text)}</text>")
        text_x += 30 + _text_width(text)
    x = bar_x + bar_w + 40
    for fill, text in swatches:
        body.append(f'<rect x="{x:.1f}" y="{y0 + 28}" width="22" height="14" fill="{fill}" '
                    f'stroke="#555"/><text x="{x + 28:.1f}" y="{y0 + 40}" font-size="12">'
                    f"{html.escape(text)}</text>")
        x += 44 + 7 * len(text)
    return body


_PATTERNS = ('<defs><pattern id="nosignal" width="7" height="7" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(-45)"><rect width="7" height="7" fill="rgb(232,228,216)"/>'
             '<rect width="2" height="7" fill="rgb(130,130,140)"/></pattern></defs>')


def map_svg(png: bytes, frame: MapFrame, result: CoverageResult, label: str, legend: list[str],
            caption: str) -> str:
    """One map figure: the raster, the site marks, scale bar, north arrow, legend below."""
    legend_h = 76
    w, h = frame.width, frame.height
    body = [_PATTERNS,
            f'<image href="{data_uri(png)}" x="0" y="0" width="{w}" height="{h}" '
            f'preserveAspectRatio="none"/>',
            f'<rect x="0.5" y="0.5" width="{w - 1}" height="{h - 1}" fill="none" stroke="#888"/>',
            *_site_marks(frame, result), _scale_bar(frame), _north_arrow(frame),
            f'<g transform="translate(0,{h})">', *legend, "</g>"]
    svg = (f'<svg class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h + legend_h}" '
           f'width="{w}" height="{h + legend_h}" role="img" aria-label="{html.escape(label)}" '
           f'font-family="sans-serif">' + "".join(body) + "</svg>")
    return f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>"


def coverage_figure(result: CoverageResult, caption: str) -> str:
    frame = MapFrame(result)
    thr = result.settings.rsrp_threshold_dbm
    legend = _ramp_legend(rsrp_stops(thr), "RSRP of the best server (dBm)", frame.width, 4,
                          [("url(#nosignal)", "no cell in reach"),
                           ("rgb(170,200,226)", "sea"), ("rgb(205,205,210)", "building")],
                          marks=[(thr, f"coverage threshold {thr:g} dBm")])
    return map_svg(coverage_raster(result, frame), frame, result, "coverage map", legend, caption)


def difference_figure(comparison: Comparison, caption: str) -> str:
    frame = MapFrame(comparison.a)
    legend = _ramp_legend(DELTA_STOPS, "RSRP change (dB): red worse, blue better", frame.width,
                          4, [("rgb(170,200,226)", "sea"), ("rgb(205,205,210)", "building")])
    return map_svg(difference_raster(comparison, frame), frame, comparison.b, "difference map",
                   legend, caption)


# --- SVG charts ---------------------------------------------------------------------------------


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    """A chart that scales to its container's width (viewBox) and never overflows it."""
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
            f'{height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{html.escape(label)}" font-family="sans-serif" font-size="12">'
            + "".join(body) + "</svg>")


def histogram_svg(result: CoverageResult, width: int = 900, height: int = 260) -> str:
    """RSRP distribution over outdoor land (2 dB bins) as shares of it, the threshold marked."""
    values = result.rsrp_dbm[result.land]
    values = values[np.isfinite(values)]
    thr = result.settings.rsrp_threshold_dbm
    lo, hi = -140.0, -50.0
    edges = np.arange(lo, hi + 2, 2.0)
    counts, _ = np.histogram(np.clip(values, lo, hi - 1e-6), edges)
    share = counts / max(1, int(result.land.sum()))
    left, right, bottom, top = 52, 16, height - 40, 22
    plot_w, plot_h = width - left - right, bottom - top
    peak = max(float(share.max()) if len(share) else 0.0, 1e-9)
    bar_w = plot_w / len(counts)
    body = [f'<line x1="{left}" y1="{bottom}" x2="{width - right}" y2="{bottom}" stroke="#444"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#444"/>']
    stops = rsrp_stops(thr)
    for i, s in enumerate(share):
        h = plot_h * s / peak
        r, g, b = (int(v) for v in _ramp(np.array([edges[i] + 1.0]), stops)[0])
        body.append(f'<rect x="{left + i * bar_w:.1f}" y="{bottom - h:.1f}" '
                    f'width="{bar_w - 1:.1f}" height="{h:.1f}" fill="rgb({r},{g},{b})">'
                    f"<title>{edges[i]:.0f} to {edges[i + 1]:.0f} dBm: {s:.1%}</title></rect>")
    for tick in range(int(lo), int(hi) + 1, 10):
        x = left + (tick - lo) / (hi - lo) * plot_w
        body.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{tick}</text>')
    x = left + (thr - lo) / (hi - lo) * plot_w
    body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#000" '
                f'stroke-dasharray="4 3"/><text x="{x + 5:.1f}" y="{top + 12}">threshold '
                f"{thr:g} dBm</text>")
    body.append(f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak:.0%}</text>'
                f'<text x="{left - 6}" y="{bottom}" text-anchor="end">0%</text>'
                f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
                "RSRP of the best server (dBm); bar height: share of outdoor land</text>")
    return _svg(width, height, body, "RSRP histogram")


def _text_width(text: str, size: float = 12) -> float:
    """A generous estimate of a sans-serif string's width in pixels."""
    return 0.62 * size * len(text)


def served_area_svg(per_cell: list[dict], width: int = 900, limit: int = 30) -> str:
    """Horizontal bars: the outdoor area each small cell serves best (km2). The label column is
    as wide as the longest name, so no name is cut off (very long ones end in an ellipsis with
    the full name as a tooltip)."""
    rows = sorted(per_cell, key=lambda c: -c["served_area_km2"])[:limit]
    names = [str(r["name"] or r["id"]) for r in rows]
    shown = [n if len(n) <= 40 else n[:39] + "…" for n in names]
    values = [f'{r["served_area_km2"]:.3f} km² ({r["band"]}, {r["scenario"]})' for r in rows]
    left = 12 + max([_text_width(n) for n in shown] + [40.0])
    right = 10 + max([_text_width(v) for v in values] + [40.0])
    height = 24 + 20 * max(1, len(rows))
    peak = max([r["served_area_km2"] for r in rows] + [1e-9])
    body = []
    for i, r in enumerate(rows):
        y = 12 + i * 20
        w = max(0.0, (width - left - right) * r["served_area_km2"] / peak)
        body.append(f'<text x="{left - 6:.1f}" y="{y + 11}" text-anchor="end">'
                    f"<title>{html.escape(names[i])}</title>{html.escape(shown[i])}</text>"
                    f'<rect x="{left:.1f}" y="{y}" width="{w:.1f}" height="14" fill="#4a7fb0"/>'
                    f'<text x="{left + w + 4:.1f}" y="{y + 11}">{html.escape(values[i])}</text>')
    if not rows:
        body.append('<text x="10" y="24">no small cells</text>')
    return _svg(width, height, body, "served area per cell")


def legend_svg(stops, label: str, width: int = 420) -> str:
    """A stand-alone colour bar (kept for callers outside the report)."""
    return _svg(width, 68, _ramp_legend(stops, label, width * 2, 0, []), label)


# --- HTML ---------------------------------------------------------------------------------------

STYLE = """
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:24px auto;padding:0 20px;
color:#222;max-width:1200px}
h1{font-size:26px;margin-bottom:4px}h2{font-size:18px;margin-top:30px}
.lead{color:#444;font-size:14px;margin-top:0}
table{border-collapse:collapse;margin:8px 0;max-width:100%}td,th{border:1px solid #ccc;
padding:4px 9px;text-align:left;font-size:13px;vertical-align:top}th{background:#f2f2f2}
td.num{text-align:right;white-space:nowrap}
figure{margin:0 0 18px 0}figcaption{font-size:13px;color:#555;margin-top:4px}
svg.map,svg.chart{display:block;max-width:100%;height:auto}
.note{color:#8a4b00}
td.poor{background:#fbe3df;color:#9c1c0c;font-weight:bold}
p.explain{font-size:13px;color:#333;max-width:1100px}
@page{size:A4;margin:12mm}
.keep{break-inside:avoid}
@media print{body{margin:0;padding:0;max-width:none}h2{break-after:avoid}
figure,table,svg{break-inside:avoid}td,th{font-size:11px;padding:3px 6px}}
"""

#: (key, label, kind) of the headline metrics; kind "share" prints a percentage as the CLI does.
KEY_METRICS: tuple[tuple[str, str, str], ...] = (
    ("coverage_share", "Outdoor land covered (RSRP at or above the threshold)", "share"),
    ("covered_area_km2", "Outdoor land covered (km²)", ""),
    ("outdoor_area_km2", "Outdoor land evaluated (km²)", ""),
    ("evaluated_area_km2", "Area evaluated, sea and buildings included (km²)", ""),
    ("rsrp_threshold_dbm", "Coverage threshold, RSRP (dBm)", ""),
    ("median_rsrp_dbm", "Median RSRP (dBm)", ""),
    ("p5_rsrp_dbm", "5th percentile RSRP (dBm)", ""),
    ("no_signal_share", "Outdoor land beyond every cell's reach", "share"),
    ("median_sinr_db", "Median SINR (dB)", ""),
    ("median_throughput_mbps", "Median downlink throughput (Mbit/s)", ""),
    ("p5_throughput_mbps", "5th percentile throughput (Mbit/s)", ""),
    ("los_share", "Outdoor land in line of sight of a cell", "share"),
    ("los_source", "Line of sight decided by", ""),
    ("cells", "Small cells", ""),
    ("cells_per_km2", "Small cells per km²", ""),
    ("elapsed_s", "Evaluation time (s)", ""),
)


def percent(value) -> str:
    """A share as the CLI prints it (45.2%), or n/a."""
    return "n/a" if value is None else f"{value:.1%}"


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


class _Num(str):
    """Pre-formatted text that is still a number (right-aligned)."""


def _table(headers: list[str], rows: list[list], cls: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)

    def cell(v) -> str:
        if isinstance(v, _Num):
            return f'<td class="num">{html.escape(v)}</td>'
        if isinstance(v, int | float) and not isinstance(v, bool):
            return f'<td class="num">{_fmt(v)}</td>'
        return f"<td>{_fmt(v)}</td>"

    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def metrics_table(metrics: dict) -> str:
    rows = [[label, _Num(percent(metrics.get(key))) if kind == "share" else metrics.get(key)]
            for key, label, kind in KEY_METRICS]
    pop = metrics.get("population", {})
    rows.append(["Population covered", pop.get("covered")])
    rows.append(["Population covered (share of the people in the area)",
                 _Num(percent(pop.get("share")))])
    return _table(["Metric", "Value"], rows, "metrics")


def _worst_spots(m: dict) -> str:
    spots = m.get("worst_spots", [])
    beyond = m.get("beyond_reach_km2")
    text = ("<p>Connected clusters of uncovered outdoor land where a cell is in reach but the "
            "signal is below the threshold (large ones cut at a 250 m lattice), largest first. "
            "The position is the spot's point nearest its centroid.")
    if beyond:
        text += (f" Outdoor land beyond every cell's reach ({beyond:g} km², "
                 f"{percent(m.get('no_signal_share'))}) is the plan's edge, not listed.")
    text += "</p>"
    if not spots:
        return (f'<div class="keep"><h2>Worst spots</h2>{text}<p>None: every outdoor cell in '
                "reach is covered.</p></div>")
    rows = []
    for i, s in enumerate(spots):
        street = s.get("street")
        where = "n/a" if street is None else f"{street} ({s['street_distance_m']:.0f} m)"
        rows.append([i + 1, where, _Num(f"{s['x']:.0f}, {s['y']:.0f}"),
                     _Num(f"{s['lat']:.5f}, {s['lon']:.5f}"), _Num(f"{s['area_m2']:,.0f}"),
                     _Num(f"{s['min_rsrp_dbm']:.1f} / {s['mean_rsrp_dbm']:.1f}")])
    return '<div class="keep"><h2>Worst spots</h2>' + text + _table(
        ["#", "Nearest road", "HK1980 E, N (m)", "WGS84 lat, lon", "Area (m²)",
         "RSRP lowest / mean (dBm)"], rows, "worst") + "</div>"


def _sections(result: CoverageResult) -> list[str]:
    m = result.metrics
    out = [f"<h2>Metrics</h2>{metrics_table(m)}", _worst_spots(m)]
    cells = m.get("per_cell", [])
    out.append("<h2>Small cells</h2>" + _table(
        ["Cell", "Band", "Path-loss model", "Served area (km²)", "Median RSRP (dBm)",
         "Median throughput (Mbit/s)"],
        [[c["name"] or c["id"], c["band"], c["scenario"], c["served_area_km2"],
          c["median_rsrp_dbm"], c["median_throughput_mbps"]] for c in cells], "cells")
        + '<div class="keep"><p>Outdoor land each cell serves best:</p>'
        + served_area_svg(cells) + "</div>")
    anchors = m.get("anchors", [])
    if anchors:
        out.append("<h2>AR anchors</h2>" + _table(
            ["Anchor", "Street within its view radius that sees it", "Street area it is seen "
             "from (m²)", "Of that, where its needs are met", "5th pct throughput (Mbit/s)",
             "95th pct latency (ms)", "Meets needs"],
            [[a["name"] or a["id"], _Num(percent(a.get("visible_share"))),
              a.get("viewing_area_m2"), _Num(percent(a.get("requirements_ok_share"))),
              a.get("p5_throughput_mbps"), a.get("p95_latency_ms"), a.get("meets")]
             for a in anchors], "anchors"))
    stability = _stability_section(m.get("stability"))
    if stability:
        out.append(stability)
    out.append(f"<h2>RSRP distribution</h2>{histogram_svg(result)}")
    notes = m.get("notes", [])
    if notes:
        out.append("<h2>Notes</h2><ul>" + "".join(
            f'<li class="note">{html.escape(n)}</li>' for n in notes) + "</ul>")
    return out


#: Short names of the positioning error models in the stability table's headers.
MODEL_SHORT = {"vps": "VPS", "gnss-canyon": "GNSS canyon", "none": "exact"}


def _stability_section(stability: dict | None) -> str:
    """"AR anchor stability": one row per anchor, each error model's stability (the share of
    sampled placements on the intended facade or square), drift and what went wrong, poor
    scores marked; then how the figures were made and where the error models come from."""
    if not stability or not stability.get("rows"):
        return ""
    models = list(stability.get("models", {})) or sorted({r["error_model"]
                                                          for r in stability["rows"]})
    poor = float(stability.get("poor_below", 0.5))
    by_anchor: dict[str, dict] = {}
    for row in stability["rows"]:
        entry = by_anchor.setdefault(row["id"], {"row": row, "models": {}})
        entry["models"][row["error_model"]] = row
    head = ["Anchor", "Surface"]
    for name in models:
        short = MODEL_SHORT.get(name, name)
        head += [f"{short}: stability", f"{short}: drift median / 95% (m)",
                 f"{short}: swallowed / off surface"]
    lines = []
    for anchor_id, entry in by_anchor.items():
        first = entry["row"]
        label = (f"{html.escape(first['name'])} ({html.escape(anchor_id)})" if first.get("name")
                 else html.escape(anchor_id))
        cells = [f"<td>{label}</td>", f"<td>{html.escape(str(first['surface']))}</td>"]
        for name in models:
            r = entry["models"].get(name)
            if r is None:
                cells += ['<td class="num">n/a</td>'] * 3
                continue
            cls = "num poor" if r["stability"] < poor else "num"
            cells += [f'<td class="{cls}">{percent(r["stability"])}</td>',
                      f'<td class="num">{r["drift_median_m"]:.1f} / {r["drift_r95_m"]:.1f}</td>',
                      f'<td class="num">{percent(r["swallowed_share"])} / '
                      f'{percent(r["off_surface_share"])}</td>']
        lines.append("<tr>" + "".join(cells) + "</tr>")
    table = ('<table class="stability"><tr>' + "".join(f"<th>{html.escape(h)}</th>" for h in head)
             + "</tr>" + "".join(lines) + "</table>")
    sources = "; ".join(
        f"<b>{html.escape(d.get('label', name))}</b>: {d['horizontal_sigma_m']:g} m per "
        f"horizontal axis, {d['heading_sigma_deg']:g}° of "
        f"heading and {d['vertical_sigma_m']:g} m of height (one standard deviation); source: "
        f"{html.escape(d.get('source', 'approximate'))}"
        for name, d in stability.get("models", {}).items())
    text = (
        '<p class="explain">A phone places world-anchored content from its own estimate of '
        "where it stands and which way it faces, so the content lands shifted by the position "
        "error and swung about the viewer by the heading error. For each anchor "
        f"{int(stability.get('samples', 0))} errors were drawn (seed "
        f"{int(stability.get('seed', 0))}, so the figures repeat) with the viewer "
        f"{html.escape(str(stability.get('viewer', '')))}. <i>Stability</i> is the share of "
        "those placements that stay on the intended surface: within "
        f"{float(stability.get('facade_tolerance_m', 1.0)):g} m of the same wall for an "
        "anchor on a facade, on open ground (not swallowed by a building, not out over the "
        "water) for one in a square or street. <i>Swallowed</i>: more than "
        f"{float(stability.get('swallow_depth_m', 0.3)):g} m inside a building. "
        "<i>Drift</i>: the median and 95th percentile of how far the content moves "
        f"horizontally. Scores under {poor:.0%} are marked. Error models: {sources}.</p>")
    return f'<div class="keep"><h2>AR anchor stability</h2>{table}{text}</div>'


def _header(title: str, result: CoverageResult, kind: str = "5G coverage report") -> str:
    s = result.settings
    xmin, ymin, xmax, ymax = result.bounds
    los = result.metrics.get("los_source") or s.los_mode
    return (f"<h1>{html.escape(title)}</h1><p class=\"lead\">{html.escape(kind)}. Area "
            f"EPSG:2326 (HK1980 Grid) {xmin:.0f}, {ymin:.0f} - {xmax:.0f}, {ymax:.0f} "
            f"({(xmax - xmin) / 1000:g} km x {(ymax - ymin) / 1000:g} km); "
            f"{result.resolution_m:g} m grid; users at {s.ue_height_m:g} m; line of sight: "
            f"{html.escape(los)}; path loss 3GPP TR 38.901 (UMi/UMa). Generated "
            f"{time.strftime('%Y-%m-%d %H:%M')}.</p>")


def _page(title: str, body: list[str]) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
            f"{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            + "".join(body) + "</body></html>\n")


def report_html(result: CoverageResult, title: str = "Coverage") -> str:
    figure = coverage_figure(result, "RSRP of the best server, north up. Dots: small cells "
                                     "(a tick shows a sector's direction); diamonds: AR anchors.")
    return _page(title, [_header(title, result), figure, *_sections(result)])


def write_report(path: Path, result: CoverageResult, title: str = "Coverage",
                 pdf: bool | None = None) -> Path:
    """report.html, and beside it report.pdf (the same page printed by headless Chromium) unless
    `pdf` is False (None: unless HKTWIN_REPORT_PDF=0). Without a browser, only the HTML."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(report_html(result, title), encoding="utf-8")
    if _want_pdf(pdf):
        write_pdf(path)
    return path


def comparison_html(comparison: Comparison, title: str = "Scenario comparison",
                    names: tuple[str, str] = ("A", "B")) -> str:
    a, b = comparison.a, comparison.b
    figures = [
        coverage_figure(a, f"{names[0]}: RSRP of the best server"),
        coverage_figure(b, f"{names[1]}: RSRP of the best server"),
        difference_figure(comparison, f"RSRP change {names[1]} - {names[0]}"),
    ]
    summary = comparison.summary
    shares = {key for key, _, kind in KEY_METRICS if kind == "share"} | {"population.share"}

    def show(row: dict, key: str):
        value = row[key]
        if row["metric"] in shares and value is not None:
            return _Num(f"{value * 100:+.1f} points" if key == "delta" else percent(value))
        return value

    deltas = _table(["Metric", names[0], names[1], "Change"],
                    [[r["label"], show(r, "a"), show(r, "b"), show(r, "delta")]
                     for r in comparison.table], "deltas")
    facts = _table(["Change", "Value"], [
        ["Outdoor land newly covered (km²)", summary["gained_area_km2"]],
        ["Outdoor land no longer covered (km²)", summary["lost_area_km2"]],
        ["Mean RSRP change (dB)", summary["mean_rsrp_change_db"]],
        ["Mean throughput change (Mbit/s)", summary["mean_throughput_change_mbps"]],
    ], "summary")
    return _page(title, [_header(title, a, "5G coverage comparison"), *figures,
                         f"<h2>Metric deltas</h2>{deltas}", f"<h2>Area changes</h2>{facts}",
                         f"<h2>{html.escape(names[0])}</h2>{metrics_table(a.metrics)}",
                         f"<h2>{html.escape(names[1])}</h2>{metrics_table(b.metrics)}"])


def write_comparison_report(path: Path, comparison: Comparison,
                            title: str = "Scenario comparison",
                            names: tuple[str, str] = ("A", "B"),
                            pdf: bool | None = None) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(comparison_html(comparison, title, names), encoding="utf-8")
    if _want_pdf(pdf):
        write_pdf(path)
    return path


# --- PDF ----------------------------------------------------------------------------------------


def _want_pdf(pdf: bool | None) -> bool:
    return pdf if pdf is not None else os.environ.get(PDF_ENV, "1") != "0"


def find_browser() -> str | None:
    """A Chromium-family browser to print with: $HKTWIN_BROWSER, else chromium on the PATH."""
    named = os.environ.get(BROWSER_ENV)
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def headless_args(browser: str, profile: str) -> list[str]:
    """A headless browser run that touches no network, no GPU and no user profile."""
    return [browser, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}"]


def write_pdf(html_path: Path, pdf_path: Path | None = None, timeout_s: float = 120.0
              ) -> Path | None:
    """Print an HTML report to PDF (A4, no header or footer) with headless Chromium: the same
    page, so the same content. Returns the PDF's path, or None when no browser is installed or
    it failed (the HTML report stands on its own)."""
    html_path = Path(html_path)
    pdf_path = Path(pdf_path) if pdf_path is not None else html_path.with_suffix(".pdf")
    browser = find_browser()
    if browser is None:
        return None
    with tempfile.TemporaryDirectory(prefix="hktwin-browser-") as work:
        printed = Path(work) / "page.pdf"
        cmd = [*headless_args(browser, str(Path(work) / "profile")), "--no-pdf-header-footer",
               f"--print-to-pdf={printed}", html_path.resolve().as_uri()]
        try:
            subprocess.run(cmd, check=True, timeout=timeout_s, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            return None
        if not printed.is_file() or printed.stat().st_size == 0:
            return None
        with atomic_path(pdf_path) as tmp:
            shutil.copyfile(printed, tmp)
    return pdf_path
