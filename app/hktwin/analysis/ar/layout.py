"""Which anchors a phone shows in a frame, where, and how: projection, occlusion, declutter.

Declutter rule: anchors that are hidden, behind the viewer, outside the frame or beyond their
`view_radius_m` are not shown. The rest are ranked by *effective distance*, distance divided by
relevance (an anchor twice as relevant counts as half as far; relevance 1 by default), and
taken in that order while a card's screen rectangle overlaps no card already taken, up to
`limit` cards. Cards are scaled by distance (their world width through the pinhole), clamped
to `MIN_CARD_PX..MAX_CARD_PX` wide so a far card stays legible and a near one does not fill
the screen.

What a card holds decides its shape (`card_kind`): a text card (title and body, `CARD_ASPECT`),
an image card (title, image, body: `IMAGE_CARD_ASPECT`) or, for an anchor with a model, the model
itself in 3-D (its occlusion is tested over its bounding box, `content_size_m` across) with a
short title card standing just above it (`TITLE_CARD_ASPECT`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hktwin.analysis.ar.occlusion import (
    CARD_ASPECT,
    CARD_SAMPLES,
    Occluder,
    Visibility,
    anchor_centres,
    occlusion,
)
from hktwin.analysis.ar.projection import PhoneCamera
from hktwin.analysis.sites import ARAnchor

#: How many cards show at once by default.
DEFAULT_LIMIT = 6
#: Height over width of an image card (title band, the image, body lines) and of a model's
#: title card.
IMAGE_CARD_ASPECT = 1.05
TITLE_CARD_ASPECT = 0.3
#: Gap between a model's top and its title card, as a share of the content size.
TITLE_GAP = 0.08
#: Card width on screen (px) is clamped to this range.
MIN_CARD_PX = 48.0
MAX_CARD_PX = 480.0


@dataclass(frozen=True)
class AnchorView:
    """One anchor in one frame."""

    id: str
    state: Visibility
    visible_fraction: float
    shown: bool  # drawn after declutter and the limit
    u: float  # card centre (px); NaN behind the viewer
    v: float
    rect: tuple[float, float, float, float]  # u0, v0, u1, v1 (px)
    depth_m: float  # along the view axis
    distance_m: float  # straight line from the eye
    scale: float  # drawn card width over its pinhole width (the clamp)
    reason: str = ""  # why not shown
    kind: str = "card"  # "card" (text), "image" or "model" (see `card_kind`)


def card_kind(anchor: ARAnchor, has_image: bool | None = None,
              has_model: bool | None = None) -> str:
    """"model", "image" or "card": what the anchor shows (`has_*` None: from its fields; a
    renderer passes whether the file actually loaded)."""
    model = bool(getattr(anchor, "model", "")) if has_model is None else has_model
    image = bool(getattr(anchor, "image", "")) if has_image is None else has_image
    return "model" if model else "image" if image else "card"


def card_geometry(anchors: Sequence[ARAnchor], kinds: Sequence[str]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per anchor: the card's centre (EPSG:2326), width (m) and aspect. A model's title card
    stands on top of the model (content centre + half the size + a gap)."""
    centres = anchor_centres(anchors)
    widths = np.array([a.content_size_m for a in anchors], np.float64)
    kinds = np.asarray(kinds)
    aspect = np.select([kinds == "image", kinds == "model"],
                       [IMAGE_CARD_ASPECT, TITLE_CARD_ASPECT], CARD_ASPECT)
    model = kinds == "model"
    lift = widths * (0.5 + TITLE_GAP) + widths * aspect / 2
    centres = centres.copy()
    centres[model, 2] += lift[model]
    return centres, widths, aspect


def card_rects(camera: PhoneCamera, centres: np.ndarray, widths: np.ndarray,
               aspect: float | np.ndarray = CARD_ASPECT
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Screen rectangles (N, 4), centres u, v and depth of cards of `widths` metres."""
    u, v, depth = camera.project(centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = camera.focal_px * np.asarray(widths, np.float64) / depth
    w = np.clip(np.nan_to_num(w, nan=0.0), MIN_CARD_PX, MAX_CARD_PX)
    h = w * aspect
    rects = np.stack([u - w / 2, v - h / 2, u + w / 2, v + h / 2], axis=1)
    return rects, u, v, depth


def declutter(rects: np.ndarray, rank: np.ndarray, eligible: np.ndarray, limit: int
              ) -> np.ndarray:
    """Indices chosen: in `rank` order (smaller first), eligible, no overlap, at most `limit`.

    The pairwise overlap of the rectangles is one array; the greedy pick walks the anchors
    (tens), not pixels.
    """
    rects = np.asarray(rects, np.float64).reshape(-1, 4)
    n = len(rects)
    if n == 0 or limit <= 0:
        return np.zeros(0, np.int64)
    overlap = ((rects[:, None, 0] < rects[None, :, 2]) & (rects[None, :, 0] < rects[:, None, 2])
               & (rects[:, None, 1] < rects[None, :, 3]) & (rects[None, :, 1] < rects[:, None, 3]))
    order = np.argsort(np.where(eligible, rank, np.inf), kind="stable")
    taken: list[int] = []
    blocked = np.zeros(n, bool)
    for i in order:
        if not eligible[i] or len(taken) >= limit:
            break
        if blocked[i]:
            continue
        taken.append(int(i))
        blocked |= overlap[i]
    return np.array(taken, np.int64)


def layout_anchors(camera: PhoneCamera, anchors: Sequence[ARAnchor], occluder: Occluder,
                   limit: int = DEFAULT_LIMIT, relevance: Sequence[float] | None = None,
                   n_samples: int = CARD_SAMPLES, kinds: Sequence[str] | None = None
                   ) -> list[AnchorView]:
    """Every anchor's state in this frame; `shown` marks the ones to draw.

    `kinds` (one per anchor, see `card_kind`; default from the anchors' fields) shapes each
    card. The anchor's content (the card, or the model) is what is tested for occlusion and
    for lying in the frame; `rect` is its card's (a model's title card, above it)."""
    if not anchors:
        return []
    kinds = [card_kind(a) for a in anchors] if kinds is None else list(kinds)
    content = anchor_centres(anchors)
    centres, widths, aspect = card_geometry(anchors, kinds)
    is_model = np.array([k == "model" for k in kinds])
    radius = np.array([a.view_radius_m for a in anchors], np.float64)
    rel = np.ones(len(anchors)) if relevance is None else np.asarray(relevance, np.float64)
    rects, _, _, _ = card_rects(camera, centres, widths, aspect)
    u, v, depth = camera.project(content)
    dist = np.linalg.norm(content - camera.eye, axis=1)
    in_view = (depth > 0.5) & camera.in_frame(u, v, margin_px=0.0)
    occ = occlusion(camera.eye, content, widths, occluder, n_samples,
                    aspect=np.where(is_model, 1.0, aspect))
    state = np.where(in_view, occ.state, Visibility.OUT_OF_VIEW)
    in_range = dist <= radius
    eligible = in_view & (occ.state != Visibility.HIDDEN) & in_range & (rel > 0)
    chosen = declutter(rects, dist / np.maximum(rel, 1e-9), eligible, limit)
    shown = np.zeros(len(anchors), bool)
    shown[chosen] = True
    with np.errstate(divide="ignore", invalid="ignore"):
        pinhole = camera.focal_px * widths / depth
        scale = np.where(depth > 0, (rects[:, 2] - rects[:, 0]) / pinhole, np.nan)
    out = []
    for i, a in enumerate(anchors):
        if shown[i]:
            reason = ""
        elif not in_view[i]:
            reason = "out of view"
        elif occ.state[i] == Visibility.HIDDEN:
            reason = "hidden by the city"
        elif not in_range[i]:
            reason = "beyond its view radius"
        elif rel[i] <= 0:
            reason = "relevance 0"
        elif eligible[i] and len(chosen) >= limit:
            reason = "over the limit" if _overlaps_none(i, chosen, rects) else "overlaps a card"
        else:
            reason = "overlaps a card"
        out.append(AnchorView(a.id, Visibility(int(state[i])), float(occ.visible_fraction[i]),
                              bool(shown[i]), float(u[i]), float(v[i]),
                              tuple(float(r) for r in rects[i]),  # type: ignore[arg-type]
                              float(depth[i]), float(dist[i]), float(scale[i]), reason,
                              kinds[i]))
    return out


def _overlaps_none(i: int, chosen: np.ndarray, rects: np.ndarray) -> bool:
    r = rects[i]
    c = rects[chosen]
    hit = (r[0] < c[:, 2]) & (c[:, 0] < r[2]) & (r[1] < c[:, 3]) & (c[:, 1] < r[3])
    return not bool(hit.any())
