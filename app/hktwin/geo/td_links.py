"""The Transport Department's link and node table (`tsm_link_and_node_info_v2.csv` layout):
each road link of the speed feeds as a straight line between two nodes in HK1980 Grid."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hktwin.core.errors import DataError

_COLUMNS = ("Link ID", "Start Node Eastings", "Start Node Northings", "End Node Eastings",
            "End Node Northings", "Region", "Road Type")
#: Speed limits assumed when a pack gives none, by TD road type (km/h).
DEFAULT_LIMITS = {"MAJOR ROUTE": 80.0, "URBAN ROAD": 50.0}
#: The regions of the TD speed map (the table's `Region` codes).
REGIONS = {"HK": "Hong Kong Island", "K": "Kowloon", "ST": "Sha Tin", "TM": "Tuen Mun"}


@dataclass(frozen=True, eq=False)
class LinkTable:
    ids: np.ndarray  # object (str)
    start: np.ndarray  # (n, 2) float64, EPSG:2326
    end: np.ndarray  # (n, 2)
    region: np.ndarray  # object
    road_type: np.ndarray  # object
    limits: np.ndarray  # float32 km/h

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def names(self) -> np.ndarray:
        """What a person reads for each link: its road type and region, then its id (the TD id
        is two node numbers, e.g. "Major route, Hong Kong Island (link 722-50059)")."""
        out = []
        for i, region, kind in zip(self.ids, self.region, self.road_type, strict=True):
            where = REGIONS.get(str(region).upper(), str(region))
            what = str(kind).capitalize()
            head = ", ".join(p for p in (what, where) if p)
            out.append(f"{head} (link {i})" if head else f"Link {i}")
        return np.array(out, dtype=object)

    def lines(self) -> np.ndarray:
        import shapely

        return shapely.linestrings(np.stack([self.start, self.end], axis=1))


def read_td_links(path: str | Path, limits_path: str | Path | None = None) -> LinkTable:
    """Read a TD link-and-node CSV (and optionally a `Link ID,speed_limit_kmh` CSV)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise DataError(path, f"cannot read the link table ({exc})", "check the pack") from exc
    missing = [c for c in _COLUMNS if rows and c not in rows[0]]
    if not rows or missing:
        raise DataError(path, f"not a TD link table (missing {', '.join(missing) or 'rows'})",
                        "give tsm_link_and_node_info_v2.csv or a file with its header",
                        field=missing[0] if missing else None)
    try:
        coords = np.array([[float(r[c]) for c in _COLUMNS[1:5]] for r in rows])
    except ValueError as exc:
        raise DataError(path, f"a node coordinate is not a number ({exc})",
                        "fix the row or export the table again") from exc
    road_type = np.array([r["Road Type"].strip() for r in rows], dtype=object)
    limits = np.array([DEFAULT_LIMITS.get(t, 50.0) for t in road_type], np.float32)
    ids = np.array([r["Link ID"].strip() for r in rows], dtype=object)
    if limits_path is not None and Path(limits_path).exists():
        with Path(limits_path).open(encoding="utf-8", newline="") as f:
            given = {r["Link ID"].strip(): float(r["speed_limit_kmh"]) for r in csv.DictReader(f)}
        limits = np.array([given.get(i, lim) for i, lim in zip(ids, limits, strict=True)],
                          np.float32)
    return LinkTable(ids, coords[:, 0:2], coords[:, 2:4],
                     np.array([r["Region"].strip() for r in rows], dtype=object), road_type,
                     limits)
