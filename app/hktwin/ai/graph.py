"""The road graph between links: who feeds a link (upstream) and whom it feeds (downstream).

Why: congestion travels upstream as a queue and a jam ahead is the best early sign of one here,
so the forecast reads its neighbours' recent state. Sources: the TD link and node table (links
whose end node is another's start node are consecutive), or an edge list CSV `from,to[,weight]`
between link ids (`to` lies downstream of `from`; give both directions for an undirected sensor
graph). Without either, links have no neighbours and the forecast uses the network-wide state.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hktwin.core.errors import DataError


@dataclass(frozen=True)
class LinkGraph:
    """Weighted directed edges between link indexes of a list of link ids."""

    link_ids: tuple[str, ...]
    src: np.ndarray  # int (E,), upstream link
    dst: np.ndarray  # int (E,), downstream link
    weight: np.ndarray  # float (E,)

    @property
    def n_edges(self) -> int:
        return int(self.src.size)

    def reindex(self, link_ids: tuple[str, ...]) -> LinkGraph:
        """The same edges over another list of ids (edges to ids not in it are dropped)."""
        pos = {k: i for i, k in enumerate(link_ids)}
        old = np.array([pos.get(k, -1) for k in self.link_ids], dtype=np.int64)
        if old.size == 0:
            return empty_graph(link_ids)
        s, d = old[self.src], old[self.dst]
        keep = (s >= 0) & (d >= 0)
        return LinkGraph(link_ids, s[keep], d[keep], self.weight[keep])

    def to_json(self) -> dict:
        return {"src": [self.link_ids[i] for i in self.src],
                "dst": [self.link_ids[i] for i in self.dst],
                "weight": [float(w) for w in self.weight]}

    @staticmethod
    def from_json(link_ids: tuple[str, ...], data: dict) -> LinkGraph:
        pos = {k: i for i, k in enumerate(link_ids)}
        pairs = [(pos.get(a, -1), pos.get(b, -1), w)
                 for a, b, w in zip(data["src"], data["dst"], data["weight"], strict=True)]
        pairs = [p for p in pairs if p[0] >= 0 and p[1] >= 0]
        if not pairs:
            return empty_graph(link_ids)
        s, d, w = (np.array(v) for v in zip(*pairs, strict=True))
        return LinkGraph(link_ids, s.astype(np.int64), d.astype(np.int64), w.astype(float))

    def mean_of(self, values: np.ndarray, direction: str) -> np.ndarray:
        """Per link, the weighted mean of its upstream ('up') or downstream ('down') neighbours'
        values (`values` is (..., L); NaN readings are left out; NaN where none)."""
        import scipy.sparse as sp

        n = len(self.link_ids)
        rows, cols = (self.dst, self.src) if direction == "up" else (self.src, self.dst)
        a = sp.csr_matrix((self.weight, (rows, cols)), shape=(n, n), dtype=np.float64)
        flat = values.reshape(-1, n)
        ok = np.isfinite(flat)
        num = (a @ np.where(ok, flat, 0.0).T).T
        den = (a @ ok.T.astype(np.float64)).T
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(den > 0, num / den, np.nan)
        return out.reshape(values.shape).astype(np.float32)


def empty_graph(link_ids: tuple[str, ...]) -> LinkGraph:
    z = np.zeros(0, dtype=np.int64)
    return LinkGraph(tuple(link_ids), z, z.copy(), np.zeros(0))


def from_td_links(path: str | os.PathLike[str], link_ids: tuple[str, ...]) -> LinkGraph:
    """Consecutive links of a TD link and node table (`Link ID`, `Start Node`, `End Node`)."""
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        need = {"Link ID", "Start Node", "End Node"}
        if not need <= set(reader.fieldnames or ()):
            raise DataError(path, "not a TD link table (needs Link ID, Start Node, End Node)",
                            field="header")
        rows = [(r["Link ID"].strip(), r["Start Node"].strip(), r["End Node"].strip())
                for r in reader]
    starts: dict[str, list[str]] = {}
    for link, a, _b in rows:
        starts.setdefault(a, []).append(link)
    pairs = [(link, nxt) for link, a, b in rows for nxt in starts.get(b, ())
             if nxt != link and not _reverse(link, nxt, rows)]
    return _graph(link_ids, pairs, [1.0] * len(pairs))


def from_link_ids(link_ids: tuple[str, ...]) -> LinkGraph:
    """Consecutive links read from TD-style ids `START-END` (the TD table's own Link ID form),
    so a store of TD speeds has its road graph without the link table; empty for other ids."""
    parts = [k.split("-") for k in link_ids]
    if not parts or not all(len(p) == 2 and p[0].isdigit() and p[1].isdigit() for p in parts):
        return empty_graph(link_ids)
    rows = [(k, p[0], p[1]) for k, p in zip(link_ids, parts, strict=True)]
    starts: dict[str, list[str]] = {}
    for link, a, _b in rows:
        starts.setdefault(a, []).append(link)
    pairs = [(link, nxt) for link, a, b in rows for nxt in starts.get(b, ())
             if nxt != link and not _reverse(link, nxt, rows)]
    return _graph(link_ids, pairs, [1.0] * len(pairs))


def _reverse(a: str, b: str, rows) -> bool:
    # A U-turn onto the same road's other direction is not "downstream" in any useful sense.
    return a.split("-")[::-1] == b.split("-")


def read_edges(path: str | os.PathLike[str], link_ids: tuple[str, ...]) -> LinkGraph:
    """An edge list CSV `from,to[,weight]` of link ids, or a TD link table (detected)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "no such file", "give an edge list CSV from,to[,weight]")
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise DataError(path, "empty file", "give an edge list CSV from,to[,weight]") from None
        if "link id" in header and "start node" in header:
            f.close()
            return from_td_links(path, link_ids)
        if header[:2] != ["from", "to"]:
            raise DataError(path, f"the header is '{','.join(header)}'",
                            "the header must be from,to or from,to,weight", field="header")
        has_w = len(header) > 2 and header[2] == "weight"
        pairs, weights = [], []
        for n, row in enumerate(reader, start=2):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 2 or not row[0].strip() or not row[1].strip():
                raise DataError(path, f"row {n}: needs a from and a to link id", field="from")
            w = 1.0
            if has_w and len(row) > 2 and row[2].strip():
                try:
                    w = float(row[2])
                except ValueError:
                    raise DataError(path, f"row {n}: weight '{row[2]}' is not a number",
                                    field="weight") from None
                if not np.isfinite(w) or w < 0:
                    raise DataError(path, f"row {n}: weight {row[2]} must be finite and >= 0",
                                    field="weight")
            pairs.append((row[0].strip(), row[1].strip()))
            weights.append(w)
    graph = _graph(link_ids, pairs, weights)
    if pairs and graph.n_edges == 0:
        raise DataError(path, "no edge joins two links of the history",
                        "the from/to columns must hold the history's link ids", field="from")
    return graph


def _graph(link_ids: tuple[str, ...], pairs: list[tuple[str, str]], weights: list[float]
           ) -> LinkGraph:
    pos = {k: i for i, k in enumerate(link_ids)}
    keep = [(pos[a], pos[b], w) for (a, b), w in zip(pairs, weights, strict=True)
            if a in pos and b in pos and a != b]
    if not keep:
        return empty_graph(link_ids)
    s, d, w = (np.array(v) for v in zip(*keep, strict=True))
    return LinkGraph(tuple(link_ids), s.astype(np.int64), d.astype(np.int64), w.astype(float))
