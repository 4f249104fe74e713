"""Where a phone would really put an anchor, given its positioning error, and how stable that is.

A phone places world-anchored content from its estimated pose: content at geo position A is
put, in the phone's own frame, at R(heading error)(A - estimated position). Its motion tracking
is exact over a few metres, so in the world the content appears at

    W = P + R(-dh) (A - P - e)  (horizontal), z_W = z_A - e_z

for a true position P, a position error e and a heading error dh: shifted by -e and swung about
the viewer by the heading error (a card 20 m away moves 0.35 m per degree). Sampling errors
from an `ErrorModel` gives each anchor a cloud of placements; its *drift envelope* is the 95%
ellipse of that cloud and its *stability score* the share of placements that stay on the
intended surface:

- an anchor within `FACADE_TOL_M` of a building's wall is on that **facade**: a placement is
  stable when it stays within `FACADE_TOL_M` of the same wall and is not swallowed;
- otherwise it is in the **open** (a square, a street): stable when not swallowed and not
  out over the water;
- *swallowed*: more than `SWALLOW_TOL_M` inside a footprint, between its base and its roof.

Error models (`ERROR_MODELS`; 2-D normal per horizontal axis, normal heading and height):
- `vps`: visual positioning. Google's ARCore Geospatial API documents horizontal accuracy
  "typically better than 5 m, often around 1 m" and heading accuracy under 5 degrees. sigma
  1.0 m per axis gives a median error of 1.2 m and a 95th percentile of 2.4 m; heading sigma
  2 degrees keeps 95% under 4 degrees.
- `gnss-canyon`: satellite positioning and the compass between high-rises. Approximate:
  sigma 8 m per axis (median 9 m, 95th percentile 20 m; errors of tens of metres are common in
  street canyons, where reflected signals dominate) and 10 degrees of heading (magnetometers
  near steel and traffic).
- `none`: no error (the planned position).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from hktwin.analysis.ar.occlusion import anchor_centres
from hktwin.analysis.sites import ARAnchor
from hktwin.core.errors import DataError

if TYPE_CHECKING:
    from hktwin.geo.buildings import Buildings
    from hktwin.geo.terrain import Terrain

#: An anchor this close (m) to a wall is on that facade; placements must stay this close.
FACADE_TOL_M = 1.0
#: A placement deeper than this (m) inside a footprint is swallowed by the building.
SWALLOW_TOL_M = 0.3
#: Placements sampled per anchor by default.
N_SAMPLES = 256
#: Where a typical viewer stands (m from the anchor) when no viewer is given.
VIEW_DISTANCE_M = 20.0
#: chi-square quantile (2 degrees of freedom) of the 95% ellipse.
CHI2_95_2DOF = 5.991

Kind = Literal["facade", "open", "inside"]


@dataclass(frozen=True)
class ErrorModel:
    """A phone's positioning error: standard deviations of position (per axis) and heading."""

    name: str
    label: str
    horizontal_sigma_m: float
    heading_sigma_deg: float
    vertical_sigma_m: float = 0.0
    source: str = "approximate"

    @staticmethod
    def custom(horizontal_sigma_m: float, heading_sigma_deg: float,
               vertical_sigma_m: float = 0.0) -> ErrorModel:
        for name, value in (("horizontal_sigma_m", horizontal_sigma_m),
                            ("heading_sigma_deg", heading_sigma_deg),
                            ("vertical_sigma_m", vertical_sigma_m)):
            if not (math.isfinite(value) and value >= 0):
                raise DataError(None, f"{name} {value} is not a non-negative number",
                                "give a standard deviation >= 0", field=name)
        return ErrorModel("custom", f"Custom ({horizontal_sigma_m:g} m, {heading_sigma_deg:g} deg)",
                          horizontal_sigma_m, heading_sigma_deg, vertical_sigma_m, "user")


ERROR_MODELS: dict[str, ErrorModel] = {m.name: m for m in (
    ErrorModel("none", "No error", 0.0, 0.0, 0.0, "the planned position"),
    ErrorModel("vps", "Visual positioning (VPS)", 1.0, 2.0, 0.5,
               "Google ARCore Geospatial API: horizontal typically better than 5 m, often "
               "around 1 m; heading under 5 degrees"),
    ErrorModel("gnss-canyon", "GNSS in a street canyon", 8.0, 10.0, 2.0,
               "approximate: tens of metres are common between high-rises"),
)}


#: The positioning error the AR dock and `hktwin snapshot --ar-at` preview unless told otherwise.
DEFAULT_ERROR_MODEL = "vps"


def get_error_model(name: str) -> ErrorModel:
    try:
        return ERROR_MODELS[name]
    except KeyError:
        raise DataError(None, f"unknown positioning error model '{name}'",
                        f"use one of {', '.join(ERROR_MODELS)}", field="error_model") from None


def sample_errors(model: ErrorModel, n: int = N_SAMPLES, seed: int = 0) -> np.ndarray:
    """(n, 4) errors: east, north, up (m) and heading (degrees). Row 0 is always no error."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 4))
    z[0] = 0.0
    sig = np.array([model.horizontal_sigma_m, model.horizontal_sigma_m, model.vertical_sigma_m,
                    model.heading_sigma_deg])
    return z * sig


def placements(centres: np.ndarray, viewers: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """(N, S, 3) where phones put each anchor: centres (N, 3), viewers (N, S, 2) or (N, 2)."""
    c = np.asarray(centres, np.float64).reshape(-1, 3)
    p = np.asarray(viewers, np.float64)
    if p.ndim == 2:
        p = np.broadcast_to(p[:, None, :], (len(c), len(errors), 2))
    dh = np.radians(errors[:, 3])[None, :]
    rel_x = c[:, None, 0] - p[..., 0] - errors[None, :, 0]
    rel_y = c[:, None, 1] - p[..., 1] - errors[None, :, 1]
    # R(-dh) for compass angles: a heading error turning clockwise moves content anticlockwise.
    cos, sin = np.cos(dh), np.sin(dh)
    wx = p[..., 0] + cos * rel_x - sin * rel_y
    wy = p[..., 1] + sin * rel_x + cos * rel_y
    wz = np.broadcast_to(c[:, None, 2] - errors[None, :, 2], wx.shape)
    return np.stack([wx, wy, wz], axis=-1)


@dataclass(frozen=True)
class DriftEnvelope:
    """The 95% ellipse of an anchor's placements about its planned position (horizontal)."""

    mean_dx: float
    mean_dy: float
    semi_major_m: float
    semi_minor_m: float
    angle_deg: float  # compass bearing of the major axis
    radius95_m: float  # 95th percentile of the horizontal displacement
    median_m: float = 0.0  # median horizontal displacement

    def outline(self, cx: float, cy: float, n: int = 48) -> np.ndarray:
        """(n, 2) points of the ellipse around (cx, cy), EPSG:2326."""
        t = np.linspace(0, 2 * np.pi, n, endpoint=False)
        a = math.radians(self.angle_deg)
        major = np.array([math.sin(a), math.cos(a)])
        minor = np.array([math.cos(a), -math.sin(a)])
        pts = (self.semi_major_m * np.cos(t)[:, None] * major
               + self.semi_minor_m * np.sin(t)[:, None] * minor)
        return pts + np.array([cx + self.mean_dx, cy + self.mean_dy])


def envelopes(centres: np.ndarray, placed: np.ndarray) -> list[DriftEnvelope]:
    """The drift envelope of each anchor from its placements (N, S, 3)."""
    d = placed[..., :2] - np.asarray(centres, np.float64)[:, None, :2]
    mean = d.mean(axis=1)
    dc = d - mean[:, None, :]
    cov = np.einsum("nsi,nsj->nij", dc, dc) / max(d.shape[1] - 1, 1)
    vals, vecs = np.linalg.eigh(cov)  # ascending
    dist = np.hypot(d[..., 0], d[..., 1])
    r95 = np.percentile(dist, 95, axis=1)
    r50 = np.median(dist, axis=1)
    out = []
    for i in range(len(d)):
        major = vecs[i][:, 1]
        out.append(DriftEnvelope(
            float(mean[i, 0]), float(mean[i, 1]),
            float(math.sqrt(max(vals[i, 1], 0.0) * CHI2_95_2DOF)),
            float(math.sqrt(max(vals[i, 0], 0.0) * CHI2_95_2DOF)),
            float(math.degrees(math.atan2(major[0], major[1])) % 180.0), float(r95[i]),
            float(r50[i])))
    return out


@dataclass(frozen=True)
class AnchorStability:
    """How well an anchor holds its place under a positioning error model."""

    id: str
    name: str
    kind: Kind
    score: float  # share of placements on the intended surface, 0..1
    swallowed_share: float
    off_surface_share: float  # not swallowed, but off the facade or out over the water
    envelope: DriftEnvelope
    model: str
    placements: np.ndarray = field(repr=False, compare=False,
                                   default_factory=lambda: np.zeros((0, 3)))

    def row(self) -> dict:
        """What the planning panel, the report and anchor_stability.csv list (`ROW_FIELDS`).
        `stability` is the on-target share (with the swallowed and off-surface shares it
        sums to 1, except for an anchor inside a building, which scores 0)."""
        e = self.envelope
        return {"id": self.id, "name": self.name, "surface": self.kind,
                "stability": round(self.score, 3),
                "swallowed_share": round(self.swallowed_share, 3),
                "off_surface_share": round(self.off_surface_share, 3),
                "drift_median_m": round(e.median_m, 2),
                "drift_r95_m": round(e.radius95_m, 2),
                "ellipse_major_m": round(e.semi_major_m, 2),
                "ellipse_minor_m": round(e.semi_minor_m, 2), "error_model": self.model}


def anchor_stability(anchors: Sequence[ARAnchor], buildings: Buildings | None,
                     model: ErrorModel | str = "vps", terrain: Terrain | None = None,
                     viewer: tuple[float, float] | None = None, n: int = N_SAMPLES,
                     seed: int = 0, view_distance_m: float = VIEW_DISTANCE_M
                     ) -> list[AnchorStability]:
    """Stability score and drift envelope of each anchor (vectorised over anchors x samples).

    `viewer` is where the phone is (the AR view's eye); without one, a viewer stands
    `view_distance_m` in front of each facade anchor (out along the wall's normal) or at a
    random bearing around an open one, re-drawn per sample.
    """
    import shapely

    model = get_error_model(model) if isinstance(model, str) else model
    if not anchors:
        return []
    centres = anchor_centres(anchors)
    errors = sample_errors(model, n, seed)
    fps, base, top = _local_buildings(buildings, centres, model, view_distance_m)
    tree = shapely.STRtree(fps) if len(fps) else None
    walls = shapely.boundary(fps) if len(fps) else np.zeros(0, object)

    # The intended surface: the nearest wall within FACADE_TOL_M below its roof.
    kind = np.full(len(centres), "open", object)
    owner = np.full(len(centres), -1, np.int64)
    normal = np.zeros((len(centres), 2))
    if tree is not None:
        pts = shapely.points(centres[:, :2])
        ai, bi = tree.query_nearest(pts, max_distance=FACADE_TOL_M, all_matches=False)
        inside = shapely.contains(fps[bi], pts[ai])
        wall_d = shapely.distance(walls[bi], pts[ai])
        below_roof = centres[ai, 2] <= top[bi] + 0.01
        on_wall = below_roof & (wall_d <= FACADE_TOL_M)
        kind[ai[on_wall]] = "facade"
        kind[ai[below_roof & inside & ~on_wall]] = "inside"
        owner[ai[on_wall]] = bi[on_wall]
        if on_wall.any():
            f_ai, f_bi = ai[on_wall], bi[on_wall]
            near = shapely.get_coordinates(shapely.shortest_line(walls[f_bi], pts[f_ai]))[0::2]
            normal[f_ai] = _outward_normal(fps[f_bi], walls[f_bi], near)

    rng = np.random.default_rng(seed + 1)
    if viewer is not None:
        viewers = np.broadcast_to(np.asarray(viewer, np.float64), (len(centres), 2))
        placed = placements(centres, viewers, errors)
    else:
        bearing = rng.uniform(0, 2 * np.pi, (len(centres), n))
        dirs = np.stack([np.sin(bearing), np.cos(bearing)], axis=-1)
        facade = kind == "facade"
        dirs[facade] = normal[facade][:, None, :]
        viewers = centres[:, None, :2] + view_distance_m * dirs
        placed = placements(centres, viewers, errors)

    flat = placed.reshape(-1, 3)
    anchor_of = np.repeat(np.arange(len(centres)), n)
    swallowed = np.zeros(len(flat), bool)
    off = np.zeros(len(flat), bool)
    if tree is not None:
        fpts = shapely.points(flat[:, :2])
        pi, bi = tree.query(fpts, predicate="within")
        if len(pi):
            depth = shapely.distance(walls[bi], fpts[pi])
            z = flat[pi, 2]
            deep = (depth > SWALLOW_TOL_M) & (z >= base[bi] - 1.0) & (z <= top[bi])
            swallowed[pi[deep]] = True
        on_facade = owner[anchor_of] >= 0
        if on_facade.any():
            d_wall = shapely.distance(walls[owner[anchor_of[on_facade]]], fpts[on_facade])
            off[np.flatnonzero(on_facade)[d_wall > FACADE_TOL_M]] = True
    if terrain is not None:
        open_pts = kind[anchor_of] != "facade"
        ground = terrain.height_at(flat[:, 0], flat[:, 1])
        with np.errstate(invalid="ignore"):
            off |= open_pts & (ground <= 0.0)
    swallowed = swallowed.reshape(len(centres), n)
    off = off.reshape(len(centres), n) & ~swallowed
    bad = swallowed | off
    inside = kind == "inside"
    bad[inside] = True
    envs = envelopes(centres, placed)
    return [AnchorStability(a.id, a.name, kind[i], float(1.0 - bad[i].mean()),
                            float(swallowed[i].mean()), float(off[i].mean()), envs[i],
                            model.name, placed[i])
            for i, a in enumerate(anchors)]


def _local_buildings(buildings: Buildings | None, centres: np.ndarray, model: ErrorModel,
                     view_distance_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Footprints, base and roof of buildings any placement could reach."""
    import shapely

    if buildings is None or len(buildings) == 0:
        return np.zeros(0, object), np.zeros(0), np.zeros(0)
    reach = (5 * model.horizontal_sigma_m + FACADE_TOL_M + 2.0
             + view_distance_m * math.radians(5 * model.heading_sigma_deg))
    lo_x, lo_y, hi_x, hi_y = shapely.bounds(buildings.footprints).T
    keep = np.zeros(len(buildings), bool)
    for x, y in centres[:, :2]:  # per anchor (tens), vectorised over buildings
        keep |= ((hi_x >= x - reach) & (lo_x <= x + reach)
                 & (hi_y >= y - reach) & (lo_y <= y + reach))
    rows = np.flatnonzero(keep)
    base = buildings.base[rows].astype(np.float64)
    return buildings.footprints[rows], base, base + buildings.height[rows]


def _outward_normal(fps: np.ndarray, walls: np.ndarray, near: np.ndarray) -> np.ndarray:
    """Unit normals (k, 2) of the walls at `near`, pointing out of the footprints."""
    import shapely

    # The wall's direction at the nearest point, from points a little either side along it.
    s = shapely.line_locate_point(walls, shapely.points(near))
    length = shapely.length(walls)
    a = shapely.get_coordinates(shapely.line_interpolate_point(walls, (s - 0.5) % length))
    b = shapely.get_coordinates(shapely.line_interpolate_point(walls, (s + 0.5) % length))
    t = b - a
    nrm = np.stack([t[:, 1], -t[:, 0]], axis=1)
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
    flip = shapely.contains(fps, shapely.points(near + 0.25 * nrm))  # points into the building
    nrm[flip] *= -1
    return nrm


def stability_rows(anchors: Sequence[ARAnchor], city, model: ErrorModel | str = "vps",
                   n: int = N_SAMPLES, seed: int = 0) -> list[dict]:
    """The planning panel's and the report's table: one `AnchorStability.row()` per anchor of
    a scenario in a `CityModel` (its buildings and terrain)."""
    return [s.row() for s in anchor_stability(anchors, city.buildings, model, city.terrain, n=n,
                                              seed=seed)]


#: The columns of `AnchorStability.row()`, in order (anchor_stability.csv's header).
ROW_FIELDS = ("id", "name", "surface", "error_model", "stability", "swallowed_share",
              "off_surface_share", "drift_median_m", "drift_r95_m", "ellipse_major_m",
              "ellipse_minor_m")
#: The error models an evaluation scores every anchor under.
EVALUATED_MODELS = ("vps", "gnss-canyon")
#: A stability below this is poor (the planning panel marks it, the report says so).
POOR_STABILITY = 0.5


def stability_metrics(anchors: Sequence[ARAnchor], city, models: Sequence[str] = EVALUATED_MODELS,
                      n: int = N_SAMPLES, seed: int = 0, progress=None) -> dict:
    """metrics.json's `stability` entry: the error models used (sigmas and sources), the
    sampling (n, seed: the same inputs give the same figures) and one `row()` per anchor and
    model (anchor order, then model order). Anchors without a city are not scored."""
    out: dict = {
        "samples": n, "seed": seed, "poor_below": POOR_STABILITY,
        "facade_tolerance_m": FACADE_TOL_M, "swallow_depth_m": SWALLOW_TOL_M,
        "viewer": f"{VIEW_DISTANCE_M:g} m in front of a facade anchor, at a random bearing "
                  "around an open one",
        "models": {name: {"label": m.label, "horizontal_sigma_m": m.horizontal_sigma_m,
                          "heading_sigma_deg": m.heading_sigma_deg,
                          "vertical_sigma_m": m.vertical_sigma_m, "source": m.source}
                   for name in models for m in (get_error_model(name),)},
        "rows": [],
    }
    if not anchors or city is None:
        return out
    per_model = []
    for k, name in enumerate(models):
        if progress is not None:
            progress(k / len(models), f"Anchor stability under {get_error_model(name).label}")
        per_model.append(stability_rows(anchors, city, name, n=n, seed=seed))
    out["rows"] = [{key: rows[i][key] for key in ROW_FIELDS}
                   for i in range(len(anchors)) for rows in per_model]
    return out


def stability_csv(rows: Sequence[dict]) -> str:
    """anchor_stability.csv: a header of `ROW_FIELDS`, one line per anchor and model."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ROW_FIELDS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
