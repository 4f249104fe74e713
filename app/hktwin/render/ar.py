"""The AR street view drawn: a street view of the scene graph through a phone's lens, the
scenario's AR anchors as world-anchored cards (title, wrapped body text, an optional image) or
small 3-D models, a HUD, and the viewer's cone on the overview.

What is shown where comes from `analysis.ar` (no GL there): the phone's pinhole camera
(`PhoneCamera`, whose field of view the street camera copies, so drawn and computed pixels are
the same), occlusion of each card against the city (hidden cards are not drawn, partly hidden
ones are ghosted), the declutter rule, and the HUD readings (`hud_at`, `nearest_live`). This
module only turns those into vispy visuals; it holds no Qt, so the window and
`hktwin snapshot --ar-at` draw the same picture.

Content (`analysis.ar.content`): a card's image is an `Image` visual laid in the card, scaled
and ghosted with it; a model is a `Mesh` in the street view's 3-D scene at the anchor, depth
tested against the city (so a building in front covers it) and, like its title card, not drawn
when the analysis calls it hidden and translucent when ghosted. Visuals come from pools bounded
by the card limit: two labels, one image and one model per card at most. A content file that
cannot be used is logged once and left out; the card is drawn without it.
"""

from __future__ import annotations

import logging
import math
import textwrap
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from vispy import scene

from hktwin.model.camera import StreetPose, street_pose_at
from hktwin.render.fonts import canvas_fonts
from hktwin.render.scene import CityCanvas

CARD_FILL = (1.0, 1.0, 1.0, 0.92)
CARD_EDGE = (0.0, 0.62, 0.72, 1.0)
GHOST_ALPHA = 0.38
HUD_FILL = (0.05, 0.07, 0.1, 0.62)
HUD_TEXT = (1.0, 1.0, 1.0, 1.0)
PHONE_BODY = (0.07, 0.07, 0.08, 1.0)
CONE_COLOR = (0.95, 0.25, 0.55, 1.0)
CONE_LENGTH_M = 120.0
OCCLUDER_RADIUS_M = 800.0
OCCLUDER_REBUILD_M = 250.0
#: A card's image is uploaded at most this many pixels a side (cards are at most 480 px wide).
CARD_IMAGE_PX = 512
#: Body lines a card shows, by kind (see `analysis.ar.layout.card_kind`).
BODY_LINES = {"card": 4, "image": 2, "model": 1}

log = logging.getLogger(__name__)


def _overlay(visual: Any, order: int) -> Any:
    """A 2-D visual drawn over the 3-D picture: no depth test (so no depth written either)."""
    visual.set_gl_state("translucent", depth_test=False)
    visual.order = order
    return visual


def _quads(rects: np.ndarray, colors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two triangles per rectangle (u0, v0, u1, v1), one colour per rectangle."""
    u0, v0, u1, v1 = np.asarray(rects, np.float32).reshape(-1, 4).T
    verts = np.stack([np.stack([u0, v0], 1), np.stack([u1, v0], 1), np.stack([u1, v1], 1),
                      np.stack([u0, v1], 1)], 1).reshape(-1, 2)
    base = np.arange(len(u0), dtype=np.uint32)[:, None] * 4
    faces = (base + np.array([[0, 1, 2], [0, 2, 3]], np.uint32).reshape(1, -1)).reshape(-1, 3)
    cols = np.repeat(np.asarray(colors, np.float32).reshape(-1, 4), 4, axis=0)
    return np.column_stack([verts, np.zeros(len(verts), np.float32)]), faces, cols


class ArPreview:
    """The AR street view of a `CityCanvas`: a street view at `twin.street`, cards and a HUD.

    `framed` draws the phone's body around the picture (the window); without it the picture
    fills the canvas or side area (the headless snapshot). `coverage` is the current
    `CoverageResult` (or None: the HUD says "not evaluated"); `anchors` the AR anchors to show
    (default: the scenario's, from the Sites layer); `content_dir` the folder their relative
    `image` / `model` paths are taken from (default: the scenario file's folder).
    """

    def __init__(self, canvas: CityCanvas, device: str = "generic-phone",
                 orientation: str = "portrait", framed: bool = True,
                 anchors: Sequence[Any] | None = None, coverage: Any = None,
                 content_dir: str | Path | None = None) -> None:
        from hktwin.analysis.ar.devices import get_device

        self.canvas = canvas
        self.twin = canvas.twin
        self.preset = get_device(device)
        self.orientation = orientation
        self.framed = framed
        self._anchors = anchors
        self._content_dir = None if content_dir is None else Path(content_dir)
        self.coverage = coverage
        self.limit = 6
        #: Content files that could not be used (one line each, logged once), newest last.
        self.content_warnings: list[str] = []
        self.content: dict[str, Any] = {}  # anchor id -> AnchorContent, newest frame
        #: Positioning error to preview ("vps", "gnss-canyon" or an ErrorModel; None: off):
        #: each shown anchor gets its drift envelope drawn and its stability on its card.
        self.error_model: Any = None
        self.stability: dict[str, Any] = {}
        self.views: list = []  # the analysis' AnchorView per anchor, newest frame
        self.hud_lines: list[str] = []
        self._occluder = None
        self._occluder_at: tuple[float, float] | None = None
        self._frame = None
        if framed:  # the phone's body: four bezels round the screen (the sky shows through)
            self._frame = _overlay(scene.visuals.Mesh(parent=canvas.scene), -10)
        self.street = canvas.add_street_view()
        self.street.place = self._place
        box = self.street.box
        self._cards = _overlay(scene.visuals.Mesh(parent=box), 20)
        self._edges = _overlay(scene.visuals.Line(connect="segments", width=2.0, method="gl",
                                                  parent=box), 21)
        self._card_texts: list[scene.visuals.Text] = []
        self._card_images: list[scene.visuals.Image] = []
        self._models: list[scene.visuals.Mesh] = []
        self._drift = _overlay(scene.visuals.Line(connect="segments", width=2.0, method="gl",
                                                  parent=box), 19)
        self._drift.visible = False
        self._hud_panel = _overlay(scene.visuals.Mesh(parent=box), 30)
        self._hud_text = _overlay(scene.visuals.Text(
            color=HUD_TEXT, font_size=8, anchor_x="left", anchor_y="center",
            font_manager=canvas_fonts(canvas), parent=box), 31)
        self._cone = None
        if canvas.city_scene is not None:
            overview = canvas.city_scene.box.scene
            self._cone = scene.visuals.Line(connect="segments", width=3.0, method="gl",
                                            color=CONE_COLOR, parent=overview)
            self._cone.set_gl_state("translucent", depth_test=False)
            self._cone.order = 500
            self._viewer = scene.visuals.Markers(parent=overview)
            self._viewer.set_gl_state("translucent", depth_test=False)
            self._viewer.order = 501
        self.twin.events.street.connect(self._on_street)
        self.twin.events.city.connect(self._on_city)
        canvas._layout()
        if self.twin.street is not None:
            self._on_street(self.twin.street)

    # -- the lens and the layout ---------------------------------------------------------------
    @property
    def device(self) -> str:
        return self.preset.name

    def set_device(self, name: str, orientation: str | None = None) -> None:
        from hktwin.analysis.ar.devices import get_device

        self.preset = get_device(name)
        if orientation is not None:
            self.orientation = orientation
        self.canvas._layout()
        self.refresh()

    def aspect(self) -> float:
        w, h = self.preset.image_size(self.orientation)
        return w / h

    def _place(self, rect: tuple[float, float, float, float]) -> None:
        """Lay the phone out in the area the canvas gives side views (keeping its aspect)."""
        x, y, w, h = rect
        box = self.street.box
        if not self.framed:
            box.pos, box.size = (x, y), (w, h)
        else:
            bezel = 14.0
            aspect = self.aspect()
            sw = max(min(w - 2 * bezel - 16, (h - 2 * bezel - 16) * aspect), 32.0)
            sh = sw / aspect
            sx, sy = x + (w - sw) / 2, y + (h - sh) / 2
            box.pos, box.size = (sx, sy), (sw, sh)
            ox, oy, ow, oh = sx - bezel, sy - bezel * 2.2, sw + 2 * bezel, sh + bezel * 4.4
            bezels = np.array([[ox, oy, ox + ow, sy], [ox, sy + sh, ox + ow, oy + oh],
                               [ox, sy, sx, sy + sh], [sx + sw, sy, ox + ow, sy + sh]])
            verts, faces, cols = _quads(bezels, np.tile(np.array([PHONE_BODY]), (4, 1)))
            self._frame.set_data(vertices=verts, faces=faces, vertex_colors=cols)
        if self.twin.street is not None:
            self._apply(self.twin.street)

    def camera(self, pose: StreetPose | None = None):
        """The analysis' `PhoneCamera` for the picture as drawn (its pixels are the box's)."""
        from hktwin.analysis.ar.projection import PhoneCamera

        pose = pose or self.twin.street
        w, h = (max(round(float(v)), 1) for v in self.street.box.size)
        return PhoneCamera(pose.x, pose.y, pose.ground + pose.height, pose.heading, pose.pitch,
                           self.preset.fov_long_deg, w, h)

    # -- following the model -------------------------------------------------------------------
    def _on_city(self, city: object) -> None:
        self._occluder = None

    def _on_street(self, pose: StreetPose | None) -> None:
        if pose is None:
            return
        self._apply(pose)

    def _apply(self, pose: StreetPose) -> None:
        cam = self.camera(pose)
        fitted = pose.moved(hfov=cam.hfov_deg) if abs(pose.hfov - cam.hfov_deg) > 1e-6 else pose
        self.street.pose = fitted
        self.refresh()

    def stand_at(self, x: float, y: float, heading: float, pitch: float = 0.0) -> StreetPose:
        """Put the viewer at (x, y) on the ground, eye 1.6 m up; sets `twin.street`."""
        city = self.twin.city
        pose = street_pose_at(x, y, heading, pitch, terrain=city.terrain if city else None)
        self.twin.street = pose
        return pose

    def _scenario(self) -> Any:
        from hktwin.model.analysis_layers import SitesLayer

        for layer in self.twin.layers.of_type(SitesLayer):
            if layer.scenario is not None:
                return layer.scenario
        return None

    def anchors(self) -> list:
        if self._anchors is not None:
            return list(self._anchors)
        scenario = self._scenario()
        return [] if scenario is None else list(scenario.anchors)

    def content_dir(self) -> Path:
        """The folder relative content paths are taken from: the one given, else the folder
        of the scenario file the anchors were read from (`scenario_io.content_base`)."""
        if self._content_dir is not None:
            return self._content_dir
        from hktwin.model.scenario_io import content_base

        return content_base(self._scenario())

    def set_content_dir(self, folder: str | Path | None) -> None:
        self._content_dir = None if folder is None else Path(folder)
        self.refresh()

    def load_content(self, anchors: Sequence[Any]) -> dict[str, Any]:
        """Each content anchor's `AnchorContent` (files cached by path and mtime); a file that
        cannot be used is warned about once and left out. The view asks only for anchors
        within their viewing radius (a scenario may hold thousands)."""
        from hktwin.analysis.ar.content import anchor_content

        base = self.content_dir()
        out = {}
        for anchor in anchors:
            if not (getattr(anchor, "image", "") or getattr(anchor, "model", "")):
                continue
            loaded = anchor_content(anchor, base)
            for error in loaded.errors:
                if error.message not in self.content_warnings:
                    self.content_warnings.append(error.message)
                    log.warning("AR content left out: %s", error.message)
            out[anchor.id] = loaded
        return out

    def set_anchors(self, anchors: Sequence[Any] | None) -> None:
        self._anchors = anchors
        self.refresh()

    def set_error_model(self, model: Any) -> None:
        """Preview positioning error (see `error_model`); None turns it off."""
        self.error_model = model
        self.refresh()

    def set_coverage(self, result: Any) -> None:
        self.coverage = result
        self.refresh()

    def occluder(self):
        """The city's surfaces near the viewer (rebuilt when it has walked far)."""
        from hktwin.analysis.ar.occlusion import Occluder

        pose, city = self.twin.street, self.twin.city
        here = (pose.x, pose.y)
        if (self._occluder is None or self._occluder_at is None
                or math.dist(here, self._occluder_at) > OCCLUDER_REBUILD_M):
            self._occluder = Occluder.from_city(city, around=here, radius_m=OCCLUDER_RADIUS_M)
            self._occluder_at = here
        return self._occluder

    # -- drawing -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Lay out the cards, write the HUD and move the overview's cone for the current eye."""
        pose = self.twin.street
        if pose is None or self.twin.city is None:
            return
        self._draw_cards(pose)
        self._draw_hud(pose)
        self._draw_cone(pose)
        self.canvas.update()

    def _draw_cards(self, pose: StreetPose) -> None:
        from hktwin.analysis.ar.layout import card_kind, layout_anchors
        from hktwin.analysis.ar.occlusion import Visibility

        anchors = self.anchors()
        cam = self.camera(pose)
        self.content = self.load_content(
            [a for a in anchors if math.hypot(a.x - pose.x, a.y - pose.y)
             <= a.view_radius_m + a.content_size_m])  # only what can be shown from here
        kinds = []
        for a in anchors:  # by what loaded; an anchor out of reach by its fields
            c = self.content.get(a.id)
            kinds.append(card_kind(a) if c is None else card_kind(
                a, has_image=c.image is not None, has_model=c.model is not None))
        self.views = (layout_anchors(cam, anchors, self.occluder(), self.limit, kinds=kinds)
                      if anchors else [])
        shown = [(a, v) for a, v in zip(anchors, self.views, strict=True) if v.shown]
        for visual in (*self._card_texts, *self._card_images):
            visual.visible = False
        self._draw_drift(pose, cam, [a for a, _ in shown])
        self._draw_models(shown)
        if not shown:
            self._cards.visible = self._edges.visible = False
            return
        rects = np.array([v.rect for _, v in shown], np.float32)
        ghost = np.array([v.state == Visibility.GHOSTED for _, v in shown])
        fill = np.tile(np.array(CARD_FILL, np.float32), (len(shown), 1))
        fill[ghost, 3] = GHOST_ALPHA
        verts, faces, cols = _quads(rects, fill)
        self._cards.set_data(vertices=verts, faces=faces, vertex_colors=cols)
        self._cards.visible = True
        u0, v0, u1, v1 = rects.T
        corners = np.stack([np.stack([u0, v0], 1), np.stack([u1, v0], 1), np.stack([u1, v1], 1),
                            np.stack([u0, v1], 1)], 1)
        edges = np.stack([corners, np.roll(corners, -1, axis=1)], 2).reshape(-1, 2)
        edge_rgba = np.repeat(np.where(ghost[:, None], np.array([[*CARD_EDGE[:3], GHOST_ALPHA]]),
                                       np.array([CARD_EDGE])), 8, axis=0)
        self._edges.set_data(pos=edges, color=edge_rgba)
        self._edges.visible = True
        n = n_images = 0
        for (anchor, view), g in zip(shown, ghost, strict=True):
            alpha = GHOST_ALPHA + 0.2 if g else 1.0
            lines = self._card_lines(anchor, view)
            for line, (x, y), fs, color in lines:
                text = self._card_text(n)
                text.text, text.color, text.font_size = line, (*color, alpha), fs
                text.pos = (x, y)
                text.visible = True
                n += 1
            loaded = self.content.get(anchor.id)
            if view.kind == "image" and loaded is not None and loaded.image is not None:
                self._draw_card_image(n_images, loaded.image, view.rect,
                                      GHOST_ALPHA if g else 1.0)
                n_images += 1

    def _card_lines(self, anchor: Any, view: Any) -> list:
        """(text, (x, y), font size, rgb) of a card's title and body, the body wrapped to the
        card's width and cut to the lines its kind has room for."""
        u0, v0, u1, v1 = view.rect
        w, h = u1 - u0, v1 - v0
        size = float(np.clip(w / 14.0, 5.0, 16.0))
        body_size = size * 0.7
        title_chars = max(int(w * 0.94 / (size * 96.0 / 72.0 * 0.55)), 6)
        title = anchor.name or anchor.id
        if len(title) > title_chars:  # cut to the card's width (it is not wrapped)
            title = title[: title_chars - 1].rstrip() + "…"
        body = [ln for ln in getattr(anchor, "text", "").splitlines() if ln.strip()] or [
            f"{view.distance_m:.0f} m · needs {anchor.required_dl_mbps:.0f} Mbit/s"]
        px_per_char = body_size * 96.0 / 72.0 * 0.52  # a proportional font's mean advance
        width_chars = max(int(w * 0.9 / px_per_char), 8)
        wrapped = [part for ln in body for part in textwrap.wrap(ln, width_chars) or [""]]
        held = self.stability.get(anchor.id)
        keep = BODY_LINES.get(view.kind, 3) - (held is not None and view.kind != "model")
        if len(wrapped) > keep:
            wrapped = [*wrapped[: keep - 1], textwrap.shorten(
                " ".join(wrapped[keep - 1:]), width_chars, placeholder=" …")] if keep else []
        if held is not None:  # the positioning preview's score: always on the card
            stability = f"stability {held.score:.0%}"
            wrapped = [stability] if view.kind == "model" else [*wrapped, stability]
        cx = (u0 + u1) / 2
        title_rgb, body_rgb = (0.05, 0.2, 0.25), (0.15, 0.15, 0.15)
        # Where the title and the middle of the body sit, as shares of the card's height.
        title_at, body_at = {"image": (0.1, 0.89),  # title band, the image, body band
                             "model": (0.33, 0.77)}.get(view.kind, (0.24, 0.67))
        out = [(title, (cx, v0 + h * title_at), size, title_rgb)]
        if wrapped:  # one label, its lines centred on the body's place
            out.append(("\n".join(wrapped), (cx, v0 + h * body_at), body_size, body_rgb))
        return out

    def _draw_card_image(self, i: int, image: Any, rect: Sequence[float], alpha: float) -> None:
        """The i-th card image: fitted into the card's middle band, keeping its aspect."""
        from vispy.visuals.transforms import STTransform

        while len(self._card_images) <= i:
            visual = _overlay(scene.visuals.Image(interpolation="linear",
                                                  parent=self.street.box), 21)
            visual.transform = STTransform()  # one per visual, moved (a new one re-links)
            visual.unfreeze()
            visual._hk_key = None
            visual.freeze()
            self._card_images.append(visual)
        visual = self._card_images[i]
        rgba = image.fitted(CARD_IMAGE_PX)
        key = (id(rgba), alpha)
        if visual._hk_key != key:
            data = rgba
            if alpha < 1.0:
                data = rgba.copy()
                data[..., 3] = (data[..., 3] * alpha).astype(np.uint8)
            visual.set_data(data)
            visual._hk_key = key
        u0, v0, u1, v1 = rect
        w, h = u1 - u0, v1 - v0
        band_top, band_h, band_w = v0 + h * 0.2, h * 0.56, w * 0.92
        ih, iw = rgba.shape[:2]
        scale = min(band_w / iw, band_h / ih)
        x0 = (u0 + u1) / 2 - iw * scale / 2
        y0 = band_top + (band_h - ih * scale) / 2
        visual.transform.scale = (scale, scale, 1.0)
        visual.transform.translate = (x0, y0, 0.0)
        visual.visible = True

    def _draw_models(self, shown: list) -> None:
        """Each shown model anchor's mesh at its place in the street view's 3-D scene:
        standing with its middle at the content centre, opaque when the analysis sees it whole,
        translucent when ghosted (hidden ones are not shown, so not drawn)."""
        from hktwin.analysis.ar.occlusion import Visibility

        models = [(a, v, self.content[a.id].model) for a, v in shown
                  if v.kind == "model" and a.id in self.content
                  and self.content[a.id].model is not None]
        for mesh in self._models:
            mesh.visible = False
        ox, oy = self.twin.origin
        for i, (anchor, view, model) in enumerate(models):
            mesh = self._model_mesh(i)
            ghost = view.state == Visibility.GHOSTED
            key = (id(model), ghost)
            if mesh._hk_key != key:
                alpha = GHOST_ALPHA if ghost else 1.0
                if model.face_colors is not None:
                    colours = model.face_colors.copy()
                    colours[:, 3] *= alpha
                    mesh.set_data(vertices=model.vertices, faces=model.faces,
                                  face_colors=colours)
                else:
                    colours = model.vertex_colors.copy()
                    colours[:, 3] *= alpha
                    mesh.set_data(vertices=model.vertices, faces=model.faces,
                                  vertex_colors=colours)
                if ghost:  # blended over the city, still hidden where a building is nearer
                    mesh.set_gl_state("translucent", depth_test=True, depth_mask=False,
                                      cull_face=False)
                else:
                    mesh.set_gl_state("opaque", depth_test=True, cull_face=False)
                mesh._hk_key = key
            base = anchor.ground_m + anchor.height_m - anchor.content_size_m / 2
            mesh.transform.translate = (anchor.x - ox, anchor.y - oy, base)
            mesh.visible = True

    def _model_mesh(self, i: int) -> Any:
        """The i-th model's mesh (made once, reused frame after frame)."""
        from vispy.visuals.transforms import STTransform

        while len(self._models) <= i:
            mesh = scene.visuals.Mesh(shading="flat", parent=self.street.box.scene)
            mesh.transform = STTransform()
            mesh.order = 40  # after the city, so a ghosted one blends over it
            mesh.unfreeze()
            mesh._hk_key = None
            mesh.freeze()
            self._models.append(mesh)
        return self._models[i]

    def _draw_drift(self, pose: StreetPose, cam: Any, anchors: list) -> None:
        """Where a phone would place each shown anchor under the error model: its 95% drift
        ellipse at the anchor's height, projected into the picture."""
        self.stability = {}
        if self.error_model is None or not anchors:
            self._drift.visible = False
            return
        from hktwin.analysis.ar.localisation import anchor_stability

        city = self.twin.city
        held = anchor_stability(anchors, city.buildings, self.error_model, city.terrain,
                                viewer=(pose.x, pose.y))
        self.stability = {h.id: h for h in held}
        segments = []
        for anchor, h in zip(anchors, held, strict=True):
            ring = h.envelope.outline(anchor.x, anchor.y)
            z = np.full(len(ring), anchor.ground_m + anchor.height_m)
            u, v, depth = cam.project(np.column_stack([ring, z]))
            uv = np.column_stack([u, v])
            ok = (depth > 0.5) & np.isfinite(u)
            pairs = np.stack([uv, np.roll(uv, -1, axis=0)], axis=1)
            keep = ok & np.roll(ok, -1)
            segments.append(pairs[keep].reshape(-1, 2))
        pts = np.concatenate(segments) if segments else np.zeros((0, 2))
        if not len(pts):
            self._drift.visible = False
            return
        self._drift.set_data(pos=pts, color=(1.0, 0.55, 0.1, 0.95))
        self._drift.visible = True

    def _card_text(self, i: int) -> Any:
        """The i-th label of the cards (made once, reused frame after frame)."""
        while len(self._card_texts) <= i:
            self._card_texts.append(_overlay(scene.visuals.Text(
                "", anchor_x="center", anchor_y="center", font_manager=canvas_fonts(self.canvas),
                parent=self.street.box), 22))
        return self._card_texts[i]

    def hud_text(self, pose: StreetPose) -> list[str]:
        """The HUD's lines: signal at the spot, the nearest live data, the twin's clock."""
        from hktwin.analysis.ar.hud import hud_at, nearest_live

        lines = hud_at(self.coverage, pose.x, pose.y).lines()
        lines += [r.line() for r in nearest_live(self._live_series(), pose.x, pose.y)]
        t: datetime = self.twin.clock.time
        lines.append(f"Twin clock {t:%Y-%m-%d %H:%M}")
        return lines

    def _live_series(self) -> list:
        from hktwin.analysis.ar.hud import LiveSeries
        from hktwin.model.live_layers import StationsLayer, TrafficLayer

        ox, oy = self.twin.origin
        out = []
        for layer in self.twin.layers:
            if isinstance(layer, StationsLayer) and len(layer.positions):
                label = "AQHI" if layer.style == "aqhi" else "Temperature"
                unit = "" if layer.style == "aqhi" else "°C"
                pts = layer.positions[:, :2].astype(np.float64) + np.array([ox, oy])
                names = [str(n) for n in getattr(layer, "names", [])] or []
                out.append(LiveSeries(label, unit, np.asarray(layer.values), points=pts,
                                      keys=names))
            elif isinstance(layer, TrafficLayer) and len(layer.segments):
                seg = layer.segments[..., :2].astype(np.float64) + np.array([ox, oy])
                values = np.asarray(layer.values, np.float64)[layer.segment_link]
                keys = [str(k) for k in np.asarray(getattr(layer, "keys", []))]
                seg_keys = ([keys[i] for i in layer.segment_link] if keys else [])
                out.append(LiveSeries("Speed", "km/h", values, segments=seg, keys=seg_keys,
                                      max_distance_m=300.0))
        return out

    def _draw_hud(self, pose: StreetPose) -> None:
        self.hud_lines = self.hud_text(pose)
        w, h = self.street.box.size
        size = float(np.clip(min(w, h) / 48.0, 6.0, 11.0))
        line_px = size * 2.1
        top = 10.0
        pos = np.array([(12.0, top + 5 + (i + 0.5) * line_px)
                        for i in range(len(self.hud_lines))])
        self._hud_text.text = self.hud_lines
        self._hud_text.pos = pos
        self._hud_text.font_size = size
        width = min(w - 12, max(len(s) for s in self.hud_lines) * size * 1.05 + 16)
        panel = np.array([[6.0, top, 6.0 + width, top + 10 + len(self.hud_lines) * line_px]])
        verts, faces, cols = _quads(panel, np.array([HUD_FILL]))
        self._hud_panel.set_data(vertices=verts, faces=faces, vertex_colors=cols)

    def _draw_cone(self, pose: StreetPose) -> None:
        if self._cone is None:
            return
        ox, oy = self.twin.origin
        z = pose.ground + 3.0
        eye = np.array([pose.x - ox, pose.y - oy, z])
        ends = []
        for d in (-pose.hfov / 2, pose.hfov / 2):
            h = math.radians(pose.heading + d)
            ends.append(eye + CONE_LENGTH_M * np.array([math.sin(h), math.cos(h), 0.0]))
        seg = np.array([eye, ends[0], eye, ends[1], ends[0], ends[1]])
        self._cone.set_data(pos=seg)
        self._viewer.set_data(eye[None, :], face_color=CONE_COLOR, edge_color="white",
                              size=14, edge_width=2)

    def viewer_pixel(self) -> np.ndarray | None:
        """Canvas pixel of the viewer on the overview (for dragging it), if there is one."""
        pose = self.twin.street
        if pose is None or self.canvas.city_scene is None:
            return None
        return self.canvas.city_scene.project(np.array([[pose.x, pose.y, pose.ground + 3.0]]))[0]

    def record_walk(self, path, out, pitch: float = 0.0, fps: float = 10.0,
                    progress=None, cancelled=None):
        """Walk `path` (an `analysis.ar.walk.WalkPath`) and record what the phone shows to
        `out` (.mp4 or .gif): one frame per step of the path, the HUD and cards as at each
        step. The viewer is left at the end of the walk."""
        from hktwin.analysis.ar.record import record_video

        def frame(i: int) -> np.ndarray:
            self.twin.street = StreetPose(float(path.x[i]), float(path.y[i]),
                                          float(path.heading[i]), pitch,
                                          ground=float(path.ground[i]))
            x, y = (int(v) for v in self.street.box.pos)
            w, h = (int(v) for v in self.street.box.size)
            return np.asarray(self.canvas.render())[y:y + h, x:x + w, :3]

        return record_video(out, frame, len(path), fps=fps, progress=progress,
                            cancelled=cancelled)

    def close(self) -> None:
        self.twin.events.street.disconnect(self._on_street)
        self.twin.events.city.disconnect(self._on_city)
        for node in (self._cone, getattr(self, "_viewer", None), self._frame, *self._models,
                     *self._card_images):
            if node is not None:
                node.parent = None
        self._models, self._card_images = [], []
        self.canvas.remove_view(self.street)
