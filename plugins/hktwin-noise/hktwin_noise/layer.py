"""The noise layer: L10 per road link and per street cell, recomputed when the speeds change.

Street cells are squares of `CELL_M` within `BAND_M` of a link; each cell hears every link
within the band (energy sum), each attenuated by CRTN's distance correction. The pairs and their
corrections are computed once, so new live speeds cost one vectorised pass.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

import hktwin.plugins as hp
from hktwin_noise import crtn

CELL_M = 25.0
BAND_M = 75.0
SPEED_SOURCES = ("td-speed", "td-speedmap")


def _arr(*shape: int, dtype: Any = np.float64) -> Any:
    return field(default_factory=lambda: np.zeros(shape, dtype), repr=False)


@hp.evented
@dataclass(eq=False)
class NoiseLayer(hp.Layer):
    """Road links (EPSG:2326 ends `link_a`, `link_b`) with flows, speeds and L10; street cells
    (scene coordinates) with the L10 they receive. `flow_counted` is False where the flow was
    estimated from the road type."""

    link_ids: np.ndarray = _arr(0, dtype=object)
    link_a: np.ndarray = _arr(0, 2)
    link_b: np.ndarray = _arr(0, 2)
    road_type: np.ndarray = _arr(0, dtype=object)
    flow: np.ndarray = _arr(0)
    heavy_pct: np.ndarray = _arr(0)
    flow_counted: np.ndarray = _arr(0, dtype=bool)
    limit_kmh: np.ndarray = _arr(0)
    speed_kmh: np.ndarray = _arr(0)
    live_speed: np.ndarray = _arr(0, dtype=bool)
    link_l10: np.ndarray = _arr(0)
    cell_xy: np.ndarray = _arr(0, 2)
    cell_z: np.ndarray = _arr(0)
    cell_size: float = CELL_M
    cell_l10: np.ndarray = _arr(0)
    pair_cell: np.ndarray = _arr(0, dtype=np.int64)
    pair_link: np.ndarray = _arr(0, dtype=np.int64)
    pair_correction: np.ndarray = _arr(0)
    threshold: float = crtn.LIMIT_DBA
    kind: ClassVar[str] = "road noise"

    @property
    def legend(self) -> str:
        n = len(self.link_ids)
        estimated = int((~self.flow_counted).sum()) if n else 0
        live = int(self.live_speed.sum()) if n else 0
        flows = ("flows estimated from the road type (no counts)" if estimated == n else
                 f"flows of {estimated} of {n} links estimated from the road type")
        speeds = f"live speeds on {live} links, speed limits elsewhere" if live else \
            "speed limits (no live speeds yet)"
        return (f"L10(18 h) dB(A), UK CRTN; {flows}; {speeds}; free field, 1.5 m; "
                f"green < 60, yellow 60-65, orange 65-{self.threshold:.0f}, "
                f"red > {self.threshold:.0f} (exceeds), purple > {self.threshold + 5:.0f}")

    @property
    def summary(self) -> str:
        over = int((self.cell_l10 > self.threshold).sum())
        return f"{len(self.link_ids)} links, {len(self.cell_l10):,} cells, {over:,} over " \
               f"{self.threshold:.0f} dB(A). {self.legend}"

    def set_speeds(self, speeds: dict[str, float]) -> None:
        """Use these live speeds (km/h by link id); other links keep their limit."""
        live = np.array([speeds.get(k, np.nan) for k in self.link_ids], np.float64)
        ok = np.isfinite(live) & (live > 0)
        self.live_speed = ok
        self.speed_kmh = np.where(ok, live, self.limit_kmh)
        self.recompute()

    def recompute(self) -> None:
        self.link_l10 = crtn.link_l10(self.flow, self.speed_kmh, self.heavy_pct)
        levels = self.link_l10[self.pair_link] + self.pair_correction
        self.cell_l10 = crtn.combine(levels, self.pair_cell, len(self.cell_xy))

    def loudest_link(self, cell: int) -> int:
        """The link that contributes most at a street cell."""
        pairs = np.flatnonzero(self.pair_cell == cell)
        levels = self.link_l10[self.pair_link[pairs]] + self.pair_correction[pairs]
        return int(self.pair_link[pairs[np.argmax(levels)]])

    def describe(self, cell: int) -> dict[str, Any]:
        """What the inspector shows for a street cell: its L10 and the loudest link there."""
        link = self.loudest_link(cell)
        rows = dict(inspector_rows(self, link))
        return {"name": f"Street cell near link {self.link_ids[link]}",
                "kind": "road noise (CRTN L10)", "key": str(self.link_ids[link]),
                "value": round(float(self.cell_l10[cell]), 1), "unit": "dB(A)",
                "exceeds": bool(self.cell_l10[cell] > self.threshold),
                **{k: v for k, v in rows.items() if k != "Link"}}

    def exceeding_links(self) -> np.ndarray:
        """Indices of links whose L10 at 10 m from the kerb exceeds the threshold."""
        return np.flatnonzero(self.link_l10 > self.threshold)


def read_links(path: Path) -> dict[str, np.ndarray]:
    """The TD link table (Link ID, Start/End Node Eastings/Northings, Road Type)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    get = lambda key: [r[key] for r in rows]  # noqa: E731
    return {
        "id": np.array(get("Link ID"), object),
        "a": np.column_stack([np.array(get("Start Node Eastings"), float),
                              np.array(get("Start Node Northings"), float)]).reshape(-1, 2),
        "b": np.column_stack([np.array(get("End Node Eastings"), float),
                              np.array(get("End Node Northings"), float)]).reshape(-1, 2),
        "road_type": np.array(get("Road Type") if rows and "Road Type" in rows[0]
                              else [""] * len(rows), object),
    }


def read_limits(path: Path | None) -> dict[str, float]:
    if path is None or not Path(path).exists():
        return {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return {r["Link ID"]: float(r["speed_limit_kmh"]) for r in csv.DictReader(fh)}


def street_cells(a: np.ndarray, b: np.ndarray, cell: float = CELL_M, band: float = BAND_M
                 ) -> np.ndarray:
    """Centres (m, 2) of the grid cells within `band` of any segment a-b (EPSG:2326)."""
    length = np.hypot(*(b - a).T)
    steps = np.maximum(np.ceil(length / cell).astype(np.int64), 1) + 1
    seg = np.repeat(np.arange(len(a)), steps)
    t = np.concatenate([np.linspace(0.0, 1.0, s) for s in steps]) if len(a) else np.zeros(0)
    along = a[seg] + (b - a)[seg] * t[:, None]
    offsets = np.arange(-band, band + cell, cell)
    ox, oy = np.meshgrid(offsets, offsets)
    keep = np.hypot(ox, oy) <= band + cell / 2
    disc = np.column_stack([ox[keep], oy[keep]])
    pts = (along[:, None, :] + disc[None, :, :]).reshape(-1, 2)
    ij = np.floor(pts / cell).astype(np.int64)
    # one int64 key per cell: a 1-D unique is ~20x quicker than unique rows
    key = np.unique((ij[:, 0] << 32) + (ij[:, 1] & 0xFFFFFFFF))
    i, j = key >> 32, (key & 0xFFFFFFFF).astype(np.int64)
    j = np.where(j >= 1 << 31, j - (1 << 32), j)
    return (np.column_stack([i, j]) + 0.5) * cell


def build_noise_layer(links: dict[str, np.ndarray], limits: dict[str, float],
                      origin: tuple[float, float], height_at=None, name: str = "Road noise"
                      ) -> NoiseLayer:
    """A noise layer over these links: cells, the cell-link pairs and distance corrections."""
    import shapely

    a, b = links["a"], links["b"]
    flow, heavy = crtn.assumed_flows(links["road_type"])
    limit = np.array([limits.get(k, 50.0) for k in links["id"]], np.float64)
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    cells = street_cells(a, b)
    points = shapely.points(cells)
    tree = shapely.STRtree(lines)
    cell_idx, link_idx = tree.query(points, predicate="dwithin", distance=BAND_M)
    dist = shapely.distance(points[cell_idx], lines[link_idx])
    # keep cells that some link reaches, renumbered
    used, pair_cell = np.unique(cell_idx, return_inverse=True)
    cells = cells[used]
    z = np.zeros(len(cells))
    if height_at is not None and len(cells):
        z = np.nan_to_num(np.asarray(height_at(cells[:, 0], cells[:, 1]), float), nan=0.0)
    layer = NoiseLayer(  # off until asked for: it would hide the traffic colours under it
        name, visible=False, link_ids=links["id"], link_a=a, link_b=b, road_type=links["road_type"],
        flow=flow, heavy_pct=heavy, flow_counted=np.zeros(len(a), bool), limit_kmh=limit,
        speed_kmh=limit.copy(), live_speed=np.zeros(len(a), bool),
        cell_xy=cells - np.asarray(origin, float), cell_z=np.maximum(z, 0.0) + 3.0,
        pair_cell=pair_cell.astype(np.int64), pair_link=link_idx.astype(np.int64),
        pair_correction=crtn.distance_correction(dist - 3.5),
    )
    layer.recompute()
    return layer


def make_layers(city: hp.CityModel) -> list[hp.Layer]:
    """The factory HK Twin calls for a loaded city: one noise layer when it has a link table."""
    path = getattr(city, "feeds", {}).get("links")
    if path is None or not Path(path).exists():
        return []
    links = read_links(Path(path))
    limits = read_limits(city.feeds.get("limits"))
    return [build_noise_layer(links, limits, city.origin, city.terrain.height_at)]


def inspector_rows(layer: NoiseLayer, index: int) -> list[tuple[str, str]]:
    """Inspector rows for link `index`."""
    estimated = "" if layer.flow_counted[index] else " (estimated from road type)"
    speed = "live" if layer.live_speed[index] else "speed limit"
    return [("Link", str(layer.link_ids[index])),
            ("Road type", str(layer.road_type[index])),
            ("18-hour flow", f"{layer.flow[index]:,.0f}{estimated}"),
            ("Heavy vehicles", f"{layer.heavy_pct[index]:.0f} %"),
            ("Speed", f"{layer.speed_kmh[index]:.0f} km/h ({speed})"),
            ("L10 at 10 m", f"{layer.link_l10[index]:.1f} dB(A)")]


def run_analysis(twin: hp.Twin, **params: Any) -> hp.AnalysisResult:
    """Noise over the twin's city at the speeds its traffic layer shows now."""
    city = twin.city
    layers = make_layers(city) if city is not None else []
    if not layers:
        return hp.AnalysisResult(legend="no road link table in this pack")
    layer = layers[0]
    speeds = live_speeds(twin)
    if speeds:
        layer.set_speeds(speeds)
    over = layer.cell_l10 > layer.threshold
    return hp.AnalysisResult(
        layers=[layer], legend=layer.legend,
        metrics={"links": float(len(layer.link_ids)),
                 "links_over_limit": float(len(layer.exceeding_links())),
                 "max_link_l10_dba": float(layer.link_l10.max()),
                 "cells_over_limit_share": float(over.mean()) if len(over) else 0.0})


def live_speeds(twin: Any) -> dict[str, float]:
    """Speeds (km/h by link id) from the twin's live traffic layer, if it has one with data."""
    for other in getattr(twin, "layers", []):
        if getattr(other, "source", None) in SPEED_SOURCES and len(getattr(other, "keys", [])):
            values = np.asarray(other.values, float)
            return {str(k): float(v) for k, v in zip(other.keys, values, strict=False)
                    if np.isfinite(v)}
    return {}


def pick(layer: NoiseLayer, ray: Any) -> Any:
    """The street cell drawn nearest the cursor, within 12 px (picked on screen, like links)."""
    if len(layer.cell_xy) == 0:
        return None
    centres = np.column_stack([layer.cell_xy, layer.cell_z])
    px = ray.project(centres)
    d = np.hypot(px[:, 0] - ray.pixel[0], px[:, 1] - ray.pixel[1])
    i = int(np.nanargmin(d))
    if not d[i] <= 12.0:
        return None
    return hp.Hit(layer, "link", i, float(np.linalg.norm(centres[i] - ray.origin)), centres[i],
                  float(d[i]))
