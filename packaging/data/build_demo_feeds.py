"""Build the demo city's recorded day of live feeds (resources/demo_city/feeds).

Run:  python packaging/data/build_demo_feeds.py [--out resources/demo_city/feeds]

Why this exists: on a bare machine with no network the app still has to show live layers (traffic
speeds on the roads, temperatures, rain, air quality) moving through a day. Nothing here was
recorded from the real feeds: every value is SIMULATED, deterministically (seeded RNG), and every
row says so (attrs "simulated": true).

What it writes:
- td_links.csv - a link table in exactly the format of the Transport Department's
  tsm_link_and_node_info_v2.csv, for the demo city's own 27 trunk roads (roads.parquet) cut into
  links of about 400-800 m in both directions; nodes only on land, shared where roads meet.
- link_limits.csv - each link's speed limit (km/h), which the TD table does not carry.
- recorded-day.parquet - one weekday, Friday 2026-11-20 00:00-24:00 Hong Kong time, of
  td-speedmap (every 5 minutes), hko-rhrread and aqhi (hourly) rows.
- README.md - what all this is, with the row counts and the simulated incidents.

The rows are made by writing each simulated document in its published format (speedmap.xml,
the rhrread JSON, the AQHI RSS) and running it through the app's own parsers, so the keys, units
and attrs are exactly those a live recording has.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import sys
import textwrap
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import rasterio
import shapely
from scipy import ndimage

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "app"))

from hktwin.feeds import aqhi, hko, stations, td_speedmap  # noqa: E402
from hktwin.feeds.base import Observation  # noqa: E402
from hktwin.feeds.xmlsafe import HKT  # noqa: E402
from hktwin.geo.crs import to_wgs84  # noqa: E402

CITY = REPO / "resources" / "demo_city"
DEFAULT_OUT = CITY / "feeds"
SEED = 20261120
DAY = datetime(2026, 11, 20, tzinfo=HKT)  # a Friday
TD_STEP_S = 300
TD_STEPS = 24 * 3600 // TD_STEP_S  # 288

TD_HEADER = ["Link ID", "Start Node", "Start Node Eastings", "Start Node Northings",
             "Start Node Latitude", "Start Node Longitude", "End Node", "End Node Eastings",
             "End Node Northings", "End Node Latitude", "End Node Longitude", "Region",
             "Road Type"]
FIRST_NODE = 900001
LINK_TARGET_M = 800.0  # sections are cut into ceil(length / this) links
MIN_LINK_M = 250.0  # no cut this close to another
JUNCTION_M = 30.0  # a road end this close to another road is a junction on it
SEA_END_SEARCH_M = 250.0  # a road end at sea joins another road's land vertex this close

#: Region of the TD tables by District Council region / district (as in the real link table:
#: Kwai Chung links are ST, Tsuen Wan and Tuen Mun TM).
REGION_OF_DISTRICT = {
    "Sha Tin": "ST", "Tai Po": "ST", "North": "ST", "Sai Kung": "ST", "Kwai Tsing": "ST",
    "Tsuen Wan": "TM", "Tuen Mun": "TM", "Yuen Long": "TM", "Islands": "TM"}
REGION_OF_AREA = {"Hong Kong Island": "HK", "Kowloon": "K"}

#: Speed limit (km/h, approximate typical posted values) and congestion severity (the fraction of
#: free-flow speed lost at the height of a peak, before the per-link factors) per demo road.
#: crossing: a cross-harbour tunnel, congested both ways in both peaks.
ROAD_PROFILES: dict[str, tuple[int, float, bool]] = {
    "Connaught Road - Harcourt Road - Gloucester Road": (70, 0.55, False),
    "Island Eastern Corridor": (70, 0.45, False),
    "Nathan Road": (50, 0.62, False),
    "Cross-Harbour Tunnel": (70, 0.75, True),
    "Western Harbour Crossing": (80, 0.55, True),
    "Eastern Harbour Crossing": (70, 0.70, True),
    "West Kowloon Highway": (80, 0.30, False),
    "Tsing Sha Highway": (80, 0.30, False),
    "Stonecutters Bridge": (80, 0.25, False),
    "Lantau Link (Tsing Ma Bridge - Kap Shui Mun Bridge)": (80, 0.20, False),
    "North Lantau Highway": (110, 0.15, False),
    "Ting Kau Bridge": (80, 0.30, False),
    "Tuen Mun Road": (80, 0.50, False),
    "Castle Peak Road (Sham Shui Po - Tsuen Wan)": (70, 0.50, False),
    "Tolo Highway": (100, 0.30, False),
    "Fanling Highway": (100, 0.25, False),
    "San Tin Highway": (100, 0.20, False),
    "Yuen Long Highway": (80, 0.30, False),
    "Tai Lam Tunnel": (80, 0.20, False),
    "Tai Po Road": (70, 0.45, False),
    "Lion Rock Tunnel Road": (70, 0.60, False),
    "Kwun Tong Road": (70, 0.55, False),
    "Lung Cheung Road": (70, 0.50, False),
    "Tseung Kwan O Tunnel Road": (70, 0.60, False),
    "Aberdeen Tunnel": (70, 0.50, False),
    "Tsuen Wan Road": (80, 0.45, False),
    "Hong Kong-Zhuhai-Macao Bridge Hong Kong Link Road": (100, 0.08, False),
}
KIND_PROFILES = {"street": (50, 0.6, False), "trunk": (70, 0.5, False),
                 "expressway": (100, 0.3, False), "tunnel": (70, 0.6, False),
                 "bridge": (80, 0.25, False)}
#: Where the morning traffic heads: between Central and Tsim Sha Tsui.
CORE_XY = (835400.0, 817600.0)

#: TD saturation levels: in the archived speedmap snapshots they are fixed speed thresholds per
#: road type (MAJOR ROUTE: BAD below 25 km/h, AVERAGE 25-49, GOOD from 50; URBAN ROAD: 15 / 30).
SATURATION_THRESHOLDS = {"MAJOR ROUTE": (25, 50), "URBAN ROAD": (15, 30)}

#: The stations that report temperature in rhrread, as the API spells them (lang=en), with an
#: approximate ground height (m) where known; the rest take the demo terrain's height.
TEMPERATURE_STATIONS = [
    "King's Park", "Hong Kong Observatory", "Wong Chuk Hang", "Ta Kwu Ling", "Lau Fau Shan",
    "Tai Po", "Sha Tin", "Tuen Mun", "Tseung Kwan O", "Sai Kung", "Cheung Chau", "Chek Lap Kok",
    "Tsing Yi", "Shek Kong", "Tsuen Wan Ho Koon", "Tsuen Wan Shing Mun Valley", "Hong Kong Park",
    "Shau Kei Wan", "Kowloon City", "Happy Valley", "Wong Tai Sin", "Stanley", "Kwun Tong",
    "Sham Shui Po", "Kai Tak Runway Park", "Yuen Long Park", "Tai Mei Tuk"]
STATION_HEIGHT_M = {"Hong Kong Observatory": 32.0, "King's Park": 65.0,
                    "Tsuen Wan Ho Koon": 215.0, "Cheung Chau": 72.0}
#: Diurnal range relative to the city's: inland valleys swing more, small islands less.
INLAND = {"Ta Kwu Ling", "Lau Fau Shan", "Shek Kong", "Yuen Long Park", "Tuen Mun",
          "Tsuen Wan Shing Mun Valley", "Sha Tin", "Tai Po"}
MARITIME = {"Cheung Chau", "Stanley", "Chek Lap Kok", "Sai Kung", "Tai Mei Tuk",
            "Kai Tak Runway Park"}
URBAN_CORE = {"Hong Kong Observatory", "King's Park", "Kowloon City", "Sham Shui Po",
              "Happy Valley", "Hong Kong Park", "Kwun Tong", "Wong Tai Sin", "Shau Kei Wan"}
#: rhrread rainfall districts, as the API spells them (lang=en).
RAIN_DISTRICTS = [
    "Central & Western District", "Eastern District", "Kwai Tsing", "Islands District",
    "North District", "Sai Kung", "Sha Tin", "Southern District", "Tai Po", "Tsuen Wan",
    "Tuen Mun", "Wan Chai", "Yuen Long", "Yau Tsim Mong", "Sham Shui Po", "Kowloon City",
    "Wong Tai Sin", "Kwun Tong"]
T_MIN, T_MAX, T_MEAN = 19.5, 24.8, 22.0  # degC at sea level, a fine late-November day
LAPSE_C_PER_M = 0.006


# --- links ---------------------------------------------------------------------------------------

@dataclass
class Link:
    link_id: str
    start: int
    end: int
    road: int
    road_name: str
    kind: str
    road_type: str
    region: str
    limit: int
    severity: float
    crossing: bool
    length_m: float
    seq: int  # position along the road in its own direction of travel
    forward: bool  # drawn direction of the road's LineString
    inbound: float = 0.0  # +1 heading for the core, -1 away, 0 neither


@dataclass
class Network:
    nodes: dict[int, tuple[float, float]] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)


def _profile(name: str, kind: str) -> tuple[int, float, bool]:
    return ROAD_PROFILES.get(name) or KIND_PROFILES.get(kind, (70, 0.5, False))


def _inside(land, x: float, y: float) -> bool:
    return bool(shapely.contains_xy(land, x, y))


def _push_onto_land(land, point: np.ndarray, line) -> np.ndarray | None:
    """The land point nearest `point`, 0.5 m inside, if it stays within the junction distance."""
    near = np.array(shapely.get_coordinates(shapely.shortest_line(
        shapely.Point(point), land.boundary))[1])
    step = near - point
    norm = float(np.hypot(*step)) or 1.0
    candidate = near + step / norm * 0.5
    if _inside(land, *candidate) and line.distance(shapely.Point(candidate)) < JUNCTION_M - 0.5:
        return candidate
    return None


def build_network(roads: gpd.GeoDataFrame, land, districts: gpd.GeoDataFrame) -> Network:
    """Cut every road into links with nodes on land; both directions of travel."""
    lines = list(roads.geometry)
    coords = [np.asarray(shapely.get_coordinates(g)) for g in lines]
    arcs = [np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(c, axis=0).T))]) for c in coords]
    on_land = [shapely.contains_xy(land, c[:, 0], c[:, 1]) for c in coords]

    # 1. Where each road starts and ends: (arc position on the road, node position).
    ends: list[list[tuple[float, np.ndarray]]] = []
    forced: list[list[tuple[float, np.ndarray]]] = [[] for _ in lines]
    for i, c in enumerate(coords):
        pair = []
        for at_end in (False, True):
            k = len(c) - 1 if at_end else 0
            point = c[k]
            if on_land[i][k]:
                pair.append((arcs[i][k], point))
                continue
            # at sea: join a land vertex of another road close by (a junction)...
            best = None
            for j, cj in enumerate(coords):
                if j == i:
                    continue
                d = np.hypot(*(cj - point).T)
                d[~on_land[j]] = np.inf
                m = int(np.argmin(d))
                if d[m] < SEA_END_SEARCH_M and (best is None or d[m] < best[0]):
                    best = (d[m], j, m)
            if best is not None:
                _, j, m = best
                forced[j].append((arcs[j][m], coords[j][m]))
                pair.append((arcs[i][k], coords[j][m]))
                continue
            # ... or step onto the shore a few metres away, or drop the part at sea.
            pushed = _push_onto_land(land, point, lines[i])
            if pushed is not None:
                pair.append((arcs[i][k], pushed))
                continue
            run = np.flatnonzero(on_land[i])
            k = int(run[-1] if at_end else run[0])
            pair.append((arcs[i][k], c[k]))
        ends.append(pair)

    # 2. Road ends on another road's side are junctions there too.
    for i, pair in enumerate(ends):
        for _, point in pair:
            p = shapely.Point(point)
            for j, line in enumerate(lines):
                if j == i or line.distance(p) > JUNCTION_M:
                    continue
                s = float(line.project(p))
                if min(s - ends[j][0][0], ends[j][1][0] - s) < MIN_LINK_M:
                    continue  # at (or beyond) that road's own end: merged below
                forced[j].append((s, point))

    # 3. Nodes: road ends and junctions within JUNCTION_M of each other are one node.
    net = Network()
    node_xy: list[np.ndarray] = []

    def node_at(point: np.ndarray) -> int:
        for n, q in enumerate(node_xy):
            if np.hypot(*(q - point)) <= JUNCTION_M:
                return FIRST_NODE + n
        node_xy.append(np.asarray(point, dtype=float))
        net.nodes[FIRST_NODE + len(node_xy) - 1] = (float(point[0]), float(point[1]))
        return FIRST_NODE + len(node_xy) - 1

    for pair in ends:
        for _, point in pair:
            node_at(point)

    # 4. Cut each road between its ends and junctions, at land vertices.
    region_of = _region_lookup(districts)
    for i, row in enumerate(roads.itertuples()):
        limit, severity, crossing = _profile(row.name, row.kind)
        road_type = "URBAN ROAD" if row.kind == "street" else "MAJOR ROUTE"
        (s0, p0), (s1, p1) = ends[i]
        cuts = [(s0, node_at(p0))]
        for s, point in sorted(forced[i], key=lambda t: t[0]):
            if s - cuts[-1][0] >= MIN_LINK_M and s1 - s >= MIN_LINK_M:
                cuts.append((s, node_at(point)))
        cuts.append((s1, node_at(p1)))
        stops = [cuts[0]]
        for (sa, _), (sb, nb) in itertools.pairwise(cuts):
            n = max(1, math.ceil((sb - sa) / LINK_TARGET_M))
            for q in range(1, n):
                ideal = sa + (sb - sa) * q / n
                ok = (on_land[i] & (arcs[i] - stops[-1][0] >= MIN_LINK_M)
                      & (sb - arcs[i] >= MIN_LINK_M)
                      & (np.abs(arcs[i] - ideal) <= 0.3 * (sb - sa) / n))
                if ok.any():
                    k = int(np.flatnonzero(ok)[np.argmin(np.abs(arcs[i][ok] - ideal))])
                    stops.append((float(arcs[i][k]), node_at(coords[i][k])))
            stops.append((sb, nb))
        # both directions of travel
        mids = []
        for (sa, _), (sb, _) in itertools.pairwise(stops):
            mids.append(np.asarray(shapely.get_coordinates(
                lines[i].interpolate((sa + sb) / 2))[0]))
        regions = region_of(np.array(mids))
        n_links = len(stops) - 1
        for forward in (True, False):
            order = range(n_links) if forward else range(n_links - 1, -1, -1)
            for seq, q in enumerate(order):
                (sa, na), (sb, nb) = stops[q], stops[q + 1]
                a, b = (na, nb) if forward else (nb, na)
                if a == b:
                    continue
                net.links.append(Link(
                    f"{a}-{b}", a, b, i, row.name, row.kind, road_type, regions[q], limit,
                    severity, crossing, sb - sa, seq, forward))
    ids = [lk.link_id for lk in net.links]
    if len(set(ids)) != len(ids):
        raise RuntimeError("duplicate link ids")
    used = {n for lk in net.links for n in (lk.start, lk.end)}
    net.nodes = {n: xy for n, xy in net.nodes.items() if n in used}
    for lk in net.links:
        (xa, ya), (xb, yb) = net.nodes[lk.start], net.nodes[lk.end]
        mx, my = (xa + xb) / 2 - CORE_XY[0], (ya + yb) / 2 - CORE_XY[1]
        dx, dy = xb - xa, yb - ya
        dist = math.hypot(mx, my)
        heading = -(dx * mx + dy * my) / ((math.hypot(dx, dy) or 1.0) * (dist or 1.0))
        lk.inbound = 0.0 if dist < 2500 or lk.crossing else float(np.clip(heading * 2, -1, 1))
    return net


def _region_lookup(districts: gpd.GeoDataFrame):
    """Function: (n, 2) points -> TD region codes (nearest district for points at sea)."""
    polys = list(districts.geometry)
    codes = []
    for row in districts.itertuples():
        code = REGION_OF_AREA.get(row.region) or REGION_OF_DISTRICT.get(row.name_en)
        if code is None:
            raise KeyError(f"no TD region for district {row.name_en} ({row.region})")
        codes.append(code)

    def lookup(points: np.ndarray) -> list[str]:
        out = []
        for x, y in points:
            p = shapely.Point(x, y)
            d = [g.distance(p) for g in polys]
            out.append(codes[int(np.argmin(d))])
        return out

    return lookup


def _trim(text: str) -> str:
    """Trailing zeros dropped, as in TD's table (815671.02, 22.2851425)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def write_links(net: Network, out: Path) -> None:
    ids = sorted(net.nodes)
    lon, lat = to_wgs84([net.nodes[n][0] for n in ids], [net.nodes[n][1] for n in ids])
    where = {n: (net.nodes[n][0], net.nodes[n][1], float(la), float(lo))
             for n, lo, la in zip(ids, lon, lat, strict=True)}

    def node_fields(n: int) -> list[str]:
        x, y, la, lo = where[n]
        return [str(n), *(_trim(f"{v:.{p}f}") for v, p in ((x, 3), (y, 3), (la, 8), (lo, 8)))]

    with (out / "td_links.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(TD_HEADER)
        for lk in net.links:
            w.writerow([lk.link_id, *node_fields(lk.start), *node_fields(lk.end), lk.region,
                        lk.road_type])
    with (out / "link_limits.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["Link ID", "speed_limit_kmh"])
        for lk in net.links:
            w.writerow([lk.link_id, lk.limit])


# --- traffic -------------------------------------------------------------------------------------

def _bump(h: np.ndarray, centre: float, half_width: float) -> np.ndarray:
    """A flat-topped peak (super-Gaussian)."""
    return np.exp(-(((h - centre) / half_width) ** 4))


def _smoothstep(h: np.ndarray, a: float, b: float) -> np.ndarray:
    t = np.clip((h - a) / (b - a), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def demand(h: np.ndarray, inbound: float, crossing: bool) -> np.ndarray:
    """Traffic pressure 0..1 through the day: AM peak 07:30-09:30, PM peak 17:30-19:30."""
    am, pm = _bump(h, 8.5, 1.1), _bump(h, 18.6, 1.25)
    day = 0.38 * _smoothstep(h, 6.0, 9.0) * (1 - _smoothstep(h, 20.0, 23.5))
    if crossing:
        w_am = w_pm = 1.0
    else:  # tidal: towards the core in the morning, away in the evening
        w_am = 0.8 + 0.2 * inbound - 0.15 * max(-inbound, 0)
        w_pm = 0.8 - 0.15 * max(inbound, 0) + 0.2 * max(-inbound, 0)
    return np.clip(day + (1 - 0.38) * (w_am * am + w_pm * pm), 0, 1)


@dataclass
class Incident:
    link: int
    start_h: float
    minutes: int
    crawl_kmh: float


def simulate_speeds(net: Network, rng: np.random.Generator) -> tuple[np.ndarray, list[Incident]]:
    """Speeds (km/h, integers) of every link at every 5-minute step: (links, 288)."""
    h = np.arange(TD_STEPS) * TD_STEP_S / 3600.0
    n = len(net.links)
    speeds = np.zeros((n, TD_STEPS))
    # Smooth noise: correlated along each road (in travel order) and over ~15 minutes.
    groups: dict[tuple[int, bool], list[int]] = {}
    for idx, lk in enumerate(net.links):
        groups.setdefault((lk.road, lk.forward), []).append(idx)
    noise = np.zeros((n, TD_STEPS))
    bottleneck = np.zeros(n)
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda m: net.links[m].seq)
        field_ = ndimage.gaussian_filter(rng.standard_normal((len(members) + 6, TD_STEPS + 24)),
                                         (1.2, 3.0), mode="wrap")[3:-3, 12:-12]
        field_ /= field_.std() or 1.0
        noise[members] = field_
        along = ndimage.gaussian_filter1d(rng.standard_normal(len(members) + 4), 1.0)[2:-2]
        bottleneck[members] = np.clip(np.exp(0.25 * along / (along.std() or 1.0)), 0.6, 1.5)
    night = 1 - _smoothstep(h, 5.0, 6.5) + _smoothstep(h, 22.5, 24.0)
    for idx, lk in enumerate(net.links):
        (xa, ya), (xb, yb) = net.nodes[lk.start], net.nodes[lk.end]
        core = math.hypot((xa + xb) / 2 - CORE_XY[0], (ya + yb) / 2 - CORE_XY[1])
        severity = lk.severity * (0.75 + 0.4 * math.exp(-core / 7000.0)) * bottleneck[idx]
        severity = min(severity, 0.8)
        if lk.road_type == "URBAN ROAD":
            free = lk.limit * rng.uniform(0.82, 0.92)
        elif lk.kind == "expressway" or lk.kind == "bridge":
            free = lk.limit * rng.uniform(0.93, 1.0)
        else:
            free = lk.limit * rng.uniform(0.88, 0.97)
        free_t = free * (1 + 0.05 * night)  # emptier roads overnight
        d = demand(h, lk.inbound, lk.crossing)
        base = free_t * np.maximum(1 - severity * d, 0.1)
        wobble = 1 + (0.03 + 0.2 * severity * d) * noise[idx]
        speeds[idx] = base * wobble + rng.normal(0, 1.0, TD_STEPS)
    incidents = _incidents(net, rng)
    for inc in incidents:
        _apply_incident(net, speeds, inc, h, groups, rng)
    limits = np.array([lk.limit for lk in net.links], dtype=float)[:, None]
    return np.clip(np.rint(speeds), 2, limits + 12), incidents


def _incidents(net: Network, rng: np.random.Generator) -> list[Incident]:
    """Five breakdowns or collisions on different roads, one in each part of the day."""
    roads_done: set[int] = set()
    out: list[Incident] = []
    windows = ((6.5, 9.5), (10.0, 13.0), (13.0, 16.5), (16.5, 19.5), (19.5, 22.0))
    starts = [rng.uniform(a, b) for a, b in windows]
    weights = np.array([0.2 if lk.kind == "bridge" else 1.0 for lk in net.links])
    for start in starts:
        while True:
            m = int(rng.choice(len(net.links), p=weights / weights.sum()))
            if net.links[m].road not in roads_done and net.links[m].seq > 0:
                break
        roads_done.add(net.links[m].road)
        out.append(Incident(m, round(float(start) * 12) / 12, int(rng.integers(4, 13)) * 5,
                            float(rng.uniform(4, 12))))
    return out


def _apply_incident(net: Network, speeds: np.ndarray, inc: Incident, h: np.ndarray,
                    groups: dict[tuple[int, bool], list[int]], rng: np.random.Generator) -> None:
    """Crawl on the link for the incident's duration, a queue on the link before, recovery."""
    lk = net.links[inc.link]
    end_h = inc.start_h + inc.minutes / 60
    ramp = np.clip((h - inc.start_h + 5 / 60) / (10 / 60), 0, 1)
    clear = np.clip(1 - (h - end_h) / (15 / 60), 0, 1)
    weight = np.minimum(ramp, clear)
    crawl = inc.crawl_kmh + rng.normal(0, 1.5, len(h))
    speeds[inc.link] = (1 - weight) * speeds[inc.link] + weight * np.minimum(
        speeds[inc.link], crawl)
    before = [m for m in groups[(lk.road, lk.forward)] if net.links[m].seq == lk.seq - 1]
    for m in before:  # the queue backs up into the link before, a little later
        late = np.clip((h - inc.start_h - 10 / 60) / (10 / 60), 0, 1)
        w = np.minimum(late, np.clip(1 - (h - end_h - 5 / 60) / (15 / 60), 0, 1))
        speeds[m] = speeds[m] * (1 - 0.5 * w)


def saturation(speed: float, road_type: str) -> str:
    bad, good = SATURATION_THRESHOLDS[road_type]
    if speed < bad:
        return "TRAFFIC BAD"
    return "TRAFFIC AVERAGE" if speed < good else "TRAFFIC GOOD"


def td_rows(net: Network, speeds: np.ndarray) -> list[Observation]:
    """One speedmap.xml per 5 minutes, run through the app's parser."""
    rows: list[Observation] = []
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<jtis_speedlist>\n'
    for k in range(TD_STEPS):
        stamp = (DAY + timedelta(seconds=k * TD_STEP_S)).strftime("%Y-%m-%dT%H:%M:%S")
        parts = [head]
        for idx, lk in enumerate(net.links):
            v = int(speeds[idx, k])
            parts.append(
                f"<jtis_speedmap><LINK_ID>{lk.link_id}</LINK_ID><REGION>{lk.region}</REGION>"
                f"<ROAD_TYPE>{lk.road_type}</ROAD_TYPE><ROAD_SATURATION_LEVEL>"
                f"{saturation(v, lk.road_type)}</ROAD_SATURATION_LEVEL>"
                f"<TRAFFIC_SPEED>{v}</TRAFFIC_SPEED><CAPTURE_DATE>{stamp}</CAPTURE_DATE>"
                "</jtis_speedmap>\n")
        parts.append("</jtis_speedlist>\n")
        rows.extend(td_speedmap.parse("".join(parts).encode()))
    return rows


# --- weather -------------------------------------------------------------------------------------

def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def rain_rate(x: np.ndarray, y: np.ndarray, h: float) -> np.ndarray:
    """mm/h: one afternoon shower band drifting east across the New Territories."""
    env = _smoothstep(np.array(h), 13.3, 14.8) * (1 - _smoothstep(np.array(h), 17.3, 18.8))
    centre = 806000.0 + 9000.0 * (h - 13.5)
    band = np.exp(-0.5 * ((x - centre) / 3500.0) ** 2)
    north = np.exp(-(((y - 832000.0) / 5000.0) ** 2))
    cells = 0.65 + 0.35 * np.sin(x / 2300.0 + y / 1700.0 + h)
    rate = 10.0 * env * band * north * cells
    return np.where(rate < 0.5, 0.0, rate)


def _district_samples(districts: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """About 40 land points per district (rain-gauge stand-ins), by District Council code."""
    out = {}
    for row in districts.itertuples():
        g = row.geometry
        x0, y0, x1, y1 = g.bounds
        step = max(x1 - x0, y1 - y0) / 10
        xs, ys = np.meshgrid(np.arange(x0 + step / 2, x1, step), np.arange(y0 + step / 2, y1, step))
        inside = shapely.contains_xy(g, xs.ravel(), ys.ravel())
        pts = np.column_stack([xs.ravel()[inside], ys.ravel()[inside]])
        if len(pts) == 0:
            pts = np.asarray(shapely.get_coordinates(g.representative_point()))
        out[row.code] = pts
    return out


def _station_heights() -> dict[str, float]:
    with rasterio.open(CITY / "terrain.tif") as dem:
        heights = {}
        for name in TEMPERATURE_STATIONS:
            if name in STATION_HEIGHT_M:
                heights[name] = STATION_HEIGHT_M[name]
                continue
            x, y = stations.coordinates(name, "weather")
            (v,) = next(dem.sample([(x, y)]))
            heights[name] = max(float(v), 2.0)
        return heights


def temperature(name: str, height: float, h: float, rain: float) -> float:
    """degC: a November diurnal curve, the station's range, lapse rate and shower cooling."""
    if 6.5 <= h <= 14.5:
        base = T_MIN + (T_MAX - T_MIN) * (1 - math.cos(math.pi * (h - 6.5) / 8)) / 2
    else:
        since = (h - 14.5) % 24
        base = T_MIN + (T_MAX - T_MIN) * (1 + math.cos(math.pi * since / 16)) / 2
    amp = 1.35 if name in INLAND else 0.7 if name in MARITIME else 1.0
    t = T_MEAN + amp * (base - T_MEAN)
    if name in URBAN_CORE:
        t += 0.6 * (base < T_MEAN)  # the city keeps its warmth at night
    return t - LAPSE_C_PER_M * height - 2.0 * min(rain / 3.0, 1.0)


def uv_desc(v: int) -> str:
    return ("low" if v <= 2 else "moderate" if v <= 5 else "high" if v <= 7
            else "very high" if v <= 10 else "extreme")


def hko_rows(districts: gpd.GeoDataFrame, rng: np.random.Generator) -> tuple[list[Observation],
                                                                             list[str]]:
    """24 hourly rhrread documents, run through the app's parser; also the rainy districts."""
    heights = _station_heights()
    where = {n: stations.coordinates(n, "weather") for n in TEMPERATURE_STATIONS}
    samples = _district_samples(districts)
    offsets = {n: float(rng.normal(0, 0.35)) for n in TEMPERATURE_STATIONS}
    rows: list[Observation] = []
    rainy: set[str] = set()
    for hour in range(24):
        record = DAY + timedelta(hours=hour)
        temps = []
        for name in TEMPERATURE_STATIONS:
            x, y = where[name]
            r = float(rain_rate(np.array([x]), np.array([y]), hour - 0.25)[0])
            t = temperature(name, heights[name], hour, r) + offsets[name] + rng.normal(0, 0.2)
            temps.append({"place": name, "value": round(t), "unit": "C"})
        t_hko = temperature("Hong Kong Observatory", heights["Hong Kong Observatory"], hour, 0.0)
        cloud = 5.0 * float(_bump(np.array(hour), 16.0, 2.0))
        rh = round(min(max(82 - 3.2 * (t_hko - T_MIN) + cloud + rng.normal(0, 1), 50), 97))
        # rainfall over the hour ending at hour:45, the max and min over each district's gauges
        start, end = record - timedelta(minutes=60) + timedelta(minutes=45), record + timedelta(
            minutes=45)
        rain = []
        for spelled in RAIN_DISTRICTS:
            code = stations.place(spelled, "district").code
            pts = samples[code]
            steps = [hour - 0.25 + q / 12 for q in range(12)]
            total = sum(rain_rate(pts[:, 0], pts[:, 1], s) for s in steps) / 12
            hi, lo = round(float(total.max())), round(float(total.min()))
            entry = {"unit": "mm", "place": spelled, "max": hi, "main": "FALSE"}
            if hi > 0:
                entry["min"] = lo
                rainy.add(stations.canonical_place(spelled, "district"))
            rain.append(entry)
        showers = 14 <= hour <= 18
        if 7 <= hour <= 17:
            icon = 53 if showers else 51 if hour < 10 else 50
        else:
            icon = 77 if not showers else 53
        doc = {
            "rainfall": {"data": rain, "startTime": _iso(start), "endTime": _iso(end)},
            "warningMessage": "", "icon": [icon], "iconUpdateTime": _iso(record),
            "updateTime": _iso(record + timedelta(minutes=2)),
            "temperature": {"data": temps, "recordTime": _iso(record)},
            "tcmessage": "", "mintempFrom00To09": "", "rainfallFrom00To12": "",
            "rainfallLastMonth": "", "rainfallJanuaryToLastMonth": "",
            "humidity": {"recordTime": _iso(record),
                         "data": [{"unit": "percent", "value": rh,
                                   "place": "Hong Kong Observatory"}]},
        }
        if 8 <= hour <= 18:  # "During the past hour", daylight only
            mid = hour - 0.5
            uv = 6.5 * max(0.0, math.cos(math.pi * (mid - 12.5) / 11.0)) ** 1.6
            uv *= 0.75 if showers else 1.0
            v = round(uv)
            doc["uvindex"] = {"data": [{"place": "King's Park", "value": v, "desc": uv_desc(v)}],
                              "recordDesc": "During the past hour"}
        else:
            doc["uvindex"] = ""
        rows.extend(hko.parse_rhrread(json.dumps(doc).encode()))
    return rows, sorted(rainy)


# --- air quality ---------------------------------------------------------------------------------

#: (base, rush-hour weight, afternoon weight) for the AQHI: roadside stations sit higher and
#: follow the traffic; the north-west takes the regional autumn haze in the afternoon.
AQHI_PROFILES = {"roadside": (3.8, 2.6, 0.8), "general": (3.0, 0.6, 1.2),
                 "north-west": (3.3, 0.4, 2.0), "remote": (2.4, 0.0, 1.3),
                 "south": (2.7, 0.3, 1.0)}
AQHI_GROUP = {"Yuen Long": "north-west", "Tuen Mun": "north-west", "Tung Chung": "north-west",
              "North": "north-west", "Tap Mun": "remote", "Southern": "south"}


def aqhi_rows(rng: np.random.Generator) -> list[Observation]:
    """24 hourly AQHI RSS documents (pubDate hh:30), run through the app's parser."""
    table = stations.aqhi_stations()
    hours = np.arange(24, dtype=float) + 0.5
    rush = 0.9 * _bump(hours, 9.0, 1.3) + 1.0 * _bump(hours, 19.0, 1.4)
    afternoon = _bump(hours, 15.0, 2.5)
    night = _bump(hours, 3.5, 2.5)
    values: dict[str, np.ndarray] = {}
    for name, place in table.items():
        group = "roadside" if place.station_type == "roadside" else AQHI_GROUP.get(name,
                                                                                    "general")
        base, w_rush, w_aft = AQHI_PROFILES[group]
        wash = np.array([float(rain_rate(np.array([place.easting]), np.array([place.northing]),
                                         h).max()) for h in hours])
        drift = ndimage.gaussian_filter1d(rng.standard_normal(30), 2.0)[3:27]
        drift /= drift.std() or 1.0
        v = (base + w_rush * rush + w_aft * afternoon - (0.3 + 0.2 * w_rush) * night
             + 0.35 * drift - 1.2 * np.minimum(wash, 1.0))
        values[name] = np.clip(np.rint(v), 2, 7).astype(int)
    rows: list[Observation] = []
    for hour in range(24):
        when = DAY + timedelta(hours=hour, minutes=30)
        stamp = when.strftime("%a, %d %b %Y %H:%M:%S +0800")
        items = []
        for name, place in table.items():
            v = int(values[name][hour])
            band = aqhi.band_of(v)
            kind = "Roadside Stations" if place.station_type == "roadside" else "General Stations"
            items.append(
                f"<item><title>{escape(name)} : {v} : {band}</title>"
                '<guid isPermaLink="true">http://www.aqhi.gov.hk/</guid>'
                "<link>http://www.aqhi.gov.hk</link>"
                f"<pubDate>{stamp}</pubDate><description><![CDATA[{name} - {kind}: {v} {band}"
                f" - {when.strftime('%a, %d %b %Y %H:%M')}]]></description></item>")
        doc = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
               "<title>Environmental Protection Department - AQHI</title>"
               f"<pubDate>{stamp}</pubDate><lastBuildDate>{stamp}</lastBuildDate>"
               + "".join(items) + "</channel></rss>\n")
        rows.extend(aqhi.parse(doc.encode()))
    return rows


# --- output --------------------------------------------------------------------------------------

def to_table(rows: list[Observation]) -> pa.Table:
    """The recorded-day columns, every row marked simulated, sorted by source, time and key."""
    records = sorted(
        ((o.source, int(o.observed_at.timestamp()), o.key,
          math.nan if o.value is None else float(o.value), o.unit,
          json.dumps({**o.attrs, "simulated": True}, sort_keys=True, separators=(",", ":"),
                     ensure_ascii=False)) for o in rows),
        key=lambda r: (r[0], r[1], r[2]))
    cols = list(zip(*records, strict=True))
    schema = pa.schema([("source", pa.string()), ("key", pa.string()),
                        ("observed_at", pa.int64()), ("value", pa.float64()),
                        ("unit", pa.string()), ("attrs", pa.string())],
                       metadata={"hktwin.simulated": "true",
                                 "hktwin.day": DAY.date().isoformat(),
                                 "hktwin.built_by": "packaging/data/build_demo_feeds.py"})
    return pa.table([pa.array(cols[0]), pa.array(cols[2]), pa.array(cols[1], pa.int64()),
                     pa.array(cols[3], pa.float64()), pa.array(cols[4]), pa.array(cols[5])],
                    schema=schema)


def _reflow(text: str, width: int = 98) -> str:
    """Markdown paragraphs and bullets re-wrapped (after the numbers went in); tables kept."""
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            out.append(textwrap.fill(
                " ".join(line.strip() for line in block), width,
                subsequent_indent="  " if block[0].startswith("- ") else "",
                break_long_words=False, break_on_hyphens=False))
            block.clear()

    for line in text.splitlines():
        if not line.strip() or line.startswith(("|", "#")):
            flush()
            out.append(line)
        else:
            if line.startswith("- "):
                flush()
            block.append(line)
    flush()
    return "\n".join(out) + "\n"


def write_readme(out: Path, net: Network, table: pa.Table, incidents: list[Incident],
                 rainy: list[str]) -> None:
    counts = {s: 0 for s in ("td-speedmap", "hko-rhrread", "aqhi")}
    for s in table.column("source").to_pylist():
        counts[s] += 1
    n_links = len(net.links)
    lengths = np.array([lk.length_m for lk in net.links])
    by_type = {t: sum(lk.road_type == t for lk in net.links) for t in ("MAJOR ROUTE",
                                                                       "URBAN ROAD")}
    by_region = {r: sum(lk.region == r for lk in net.links) for r in ("HK", "K", "ST", "TM")}
    size = (out / "recorded-day.parquet").stat().st_size
    rainy_text = ", ".join(rainy)
    hko_keys = ("`temperature:<station>` (27 stations), `humidity:Hong Kong Observatory`, "
                "`rainfall:<district>` (18), `uvindex:King's Park` (08:00-18:00), `summary`")
    inc_lines = []
    for inc in incidents:
        lk = net.links[inc.link]
        start = DAY + timedelta(hours=inc.start_h)
        inc_lines.append(f"| {start:%H:%M} | {inc.minutes} min | {lk.link_id} | {lk.road_name} "
                         f"| {inc.crawl_kmh:.0f} km/h |")
    text = f"""# Demo city feeds - a SIMULATED recorded day

**Every value in these files is SIMULATED.** Nothing was recorded from the real Transport
Department, Hong Kong Observatory or Environmental Protection Department feeds. The files let the
app replay a plausible day of live layers on a machine with no network; do not use them for
anything else. Every row of `recorded-day.parquet` carries `"simulated": true` in its attrs.

Rebuild with `python packaging/data/build_demo_feeds.py` (deterministic and seeded, seed {SEED};
reads `../roads.parquet`, `../land.parquet`, `../districts.parquet`, `../terrain.tif` and the
station tables in `resources/stations/`).

The day: **Friday {DAY:%Y-%m-%d}, 00:00 to 24:00 Hong Kong time (+08:00)**.

## Files

- `td_links.csv` - the demo road network as a Transport Department link table, in exactly the
  format (header and columns) of TD's `tsm_link_and_node_info_v2.csv`: `Link ID` is
  `START-END`, node ids from {FIRST_NODE}, eastings/northings in HK1980 Grid (EPSG:2326),
  latitude/longitude WGS84 (`hktwin.geo.crs.to_wgs84`), `Region` HK / K / ST / TM, `Road Type`
  MAJOR ROUTE or URBAN ROAD. {n_links} links ({by_type["MAJOR ROUTE"]} MAJOR ROUTE,
  {by_type["URBAN ROAD"]} URBAN ROAD; HK {by_region["HK"]}, K {by_region["K"]},
  ST {by_region["ST"]}, TM {by_region["TM"]}) on {len(net.nodes)} nodes: each of the 27 roads
  of `roads.parquet` cut into links of about 400-800 m (median {np.median(lengths):.0f} m) in both
  directions of travel. Nodes lie on land only (on a road vertex, or within 30 m of the road
  where a tunnel or bridge end meets the shore), so tunnel and bridge crossings are single long
  links (longest {lengths.max():.0f} m); the Hong Kong-Zhuhai-Macao Bridge viaduct west of the
  boundary crossing facilities island is left out. Roads that meet share their node.
- `link_limits.csv` - `Link ID`, `speed_limit_kmh`: the speed limit of each link (the TD table
  has none). Typical posted values per road (50 on Nathan Road, 70-80 on trunk
  roads, tunnels and bridges, 100-110 on the New Territories expressways); approximate.
- `recorded-day.parquet` - {table.num_rows} rows ({size / 1e6:.2f} MB, zstd, dictionary-encoded
  strings), columns `source` (str), `key` (str), `observed_at` (int64, epoch seconds UTC),
  `value` (float64, NaN for none), `unit` (str), `attrs` (str, a JSON object with sorted keys).
  Sorted by source, time and key. Keys, units and attrs are those of the app's parsers: each
  simulated document was written in its published format and parsed by
  `hktwin.feeds.td_speedmap`, `hktwin.feeds.hko` and `hktwin.feeds.aqhi`.

| source | cadence | rows | keys |
|---|---|---|---|
| `td-speedmap` | every 5 minutes, 00:00-23:55 | {counts["td-speedmap"]} | the {n_links} link ids |
| `hko-rhrread` | hourly | {counts["hko-rhrread"]} | {hko_keys} |
| `aqhi` | hourly, at hh:30 | {counts["aqhi"]} | the 18 EPD stations |

## How the values were made

- **Traffic speeds** (km/h, integers as TD publishes). Each link flows near its limit overnight
  (urban roads at 82-92 % of it for the signals, expressways up to 5 % over at night). A demand
  curve with a morning peak (07:30-09:30) and an evening peak (17:30-19:30) slows each link by a
  severity set per road (strongest on Nathan Road and the cross-harbour tunnels, weakest on the
  airport and bridge roads), scaled up near Central / Tsim Sha Tsui and by a smooth per-link
  bottleneck factor. Peaks are tidal: heavier towards the core in the morning and away from it in
  the evening, both ways through the harbour tunnels. Noise is smooth, correlated over ~15 minutes
  and along each road, larger in congestion, plus +-1 km/h reading jitter. Speeds are clipped
  to 2 km/h .. limit + 12. `saturation` follows TD's fixed thresholds per road type as read in
  archived speedmap snapshots: MAJOR ROUTE BAD below 25 km/h, AVERAGE 25-49, GOOD from 50; URBAN
  ROAD BAD below 15, AVERAGE 15-29, GOOD from 30.
- **Incidents**: five links crawl for 20-60 minutes (the link before each one queues too, a
  little later, and both recover over ~15 minutes):

| start | for | link | road | crawl |
|---|---|---|---|---|
{chr(10).join(inc_lines)}

- **Weather** (hko-rhrread, one document per hour: temperatures at hh:00, rainfall for the hour
  ending hh:45, summary and UV at hh:02). Temperatures (integers, as published) follow a fine
  late-November curve, {T_MIN}-{T_MAX} degC at sea level (minimum about 06:30, maximum about
  14:30), with a wider range at inland stations and a narrower one on the islands, a warmer urban
  night, a lapse rate of {LAPSE_C_PER_M * 100:.1f} degC per 100 m (station heights: HKO 32 m,
  King's Park 65 m, Cheung Chau 72 m, Tsuen Wan Ho Koon 215 m, the rest read off the demo
  terrain) and up to 2 degC of cooling under the shower band. Relative humidity at the
  Observatory only (as the real report has it) runs about 65-85 %. Rainfall is 0 mm everywhere
  except one shower band that drifts east across the New Territories between about 14:00 and
  18:30 and wets {rainy_text}; values are the district maximum and minimum over ~40 points.
  The summary row carries the weather icon (sunny periods, showers in the afternoon, mainly fine
  at night) and no warnings.
- **Air quality** (aqhi, integers 2-7 as in the current-AQHI RSS): roadside stations (Causeway
  Bay, Central, Mong Kok) higher with morning and evening rush-hour bumps; general stations
  with a smaller bump and an afternoon rise, strongest in the north-west (regional haze); remote
  Tap Mun starts lowest but still gets an afternoon (ozone) rise; the shower band washes the air
  a little. Bands as the parser sets them
  (Low 1-3, Moderate 4-6, High 7).

Approximate by design: road geometry is the demo city's; speed limits, severities, station
heights and all weather and air-quality values are plausible, not measured.
"""
    (out / "README.md").write_text(_reflow(text), encoding="utf-8")


def build(out: Path) -> dict[str, object]:
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    roads = gpd.read_parquet(CITY / "roads.parquet")
    land = shapely.union_all(gpd.read_parquet(CITY / "land.parquet").geometry.values)
    shapely.prepare(land)
    districts = gpd.read_parquet(CITY / "districts.parquet")
    net = build_network(roads, land, districts)
    write_links(net, out)
    speeds, incidents = simulate_speeds(net, rng)
    rows = td_rows(net, speeds)
    weather, rainy = hko_rows(districts, rng)
    air = aqhi_rows(rng)
    table = to_table(rows + weather + air)
    pq.write_table(table, out / "recorded-day.parquet", compression="zstd",
                   compression_level=19, use_dictionary=True, row_group_size=1 << 20)
    write_readme(out, net, table, incidents, rainy)
    return {"links": len(net.links), "nodes": len(net.nodes), "rows": table.num_rows,
            "td": len(rows), "hko": len(weather), "aqhi": len(air),
            "seconds": round(time.perf_counter() - t0, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    print(build(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
