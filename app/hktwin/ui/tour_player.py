"""The outreach demo: a self-running tour, full screen, safe to leave alone at a kiosk.

`TourPlayer(window, tour)` plays a `hktwin.model.tour.Tour` on the main window: each timer tick
moves the tour's clock (times `time_scale`), sets the camera from the timeline, and on entering
a step shows its caption (English and Traditional Chinese in a real CJK font), its layers, the
twin's clock and runs its action from the step registry. Kiosk rules (`kiosk=True`):

- no dialogs: any dialog that opens (an error box, a file chooser) is logged and closed at once;
  an exception in a step is logged and that step is skipped; the tour carries on;
- any key, click, wheel or touch pauses the tour and hands the camera to the visitor; after
  `idle_resume_s` seconds without input the camera flies back into the tour where it paused;
- Esc three times within `ESC_WINDOW_S` seconds closes the window (and ends `hktwin demo`).

Also here: "Add keyframe here" (`add_keyframe_here`) and saving the tour; capturing a view as a
picture or a video is `ui.capture`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF, QPainter, QPainterPath
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from hktwin.model.camera import StreetPose
from hktwin.model.tour import (
    ACTIONS,
    Pose,
    Step,
    StepSkipped,
    Timeline,
    Tour,
    add_keyframe,
    as_orbit,
    interpolate_poses,
    ramp,
    register_action,
)
from hktwin.plugins import PluginError

log = logging.getLogger(__name__)

#: Families tried for captions, Traditional Chinese forms first (fonts-noto-cjk on Debian).
CJK_FAMILIES = ("Noto Sans CJK TC", "Noto Sans CJK HK", "Noto Sans TC", "Noto Sans HK",
                "Source Han Sans TC", "Noto Sans CJK JP", "Noto Sans CJK SC", "Microsoft JhengHei",
                "PingFang TC")
#: Player ticks per second.
FPS = 30
#: Seconds of no input after which a paused tour takes the camera back.
IDLE_RESUME_S = 45.0
#: Three presses of Esc within this many seconds exit the demo.
ESC_WINDOW_S = 3.0
#: Seconds the camera takes to fly back into the tour after the visitor leaves it.
RETURN_S = 3.0
#: The tour's clock moves at most this many real seconds per tick (a stall, say a long frame on
#: a busy machine, slows the tour instead of jumping); and never past the start of the step
#: after the next, so every step is entered.
MAX_TICK_S = 1.0

# A key bound to a menu shortcut (the window binds Esc) arrives as ShortcutOverride and never
# as KeyPress, so both count; one press seen as both is counted once (`_escape`).
_KEY_EVENTS = frozenset({QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride})
_INPUT_EVENTS = _KEY_EVENTS | {QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick,
                               QEvent.Type.Wheel, QEvent.Type.TouchBegin}


def cjk_family() -> str | None:
    """The first installed CJK font family of `CJK_FAMILIES`, or None."""
    installed = set(QFontDatabase.families())
    return next((f for f in CJK_FAMILIES if f in installed), None)


def caption_font(point_size: float = 22.0) -> QFont:
    family = cjk_family()
    if family is None:
        log.warning("no CJK font installed (install fonts-noto-cjk): Chinese captions may show "
                    "as boxes")
        font = QFont()
    else:
        font = QFont(family)
    font.setPointSizeF(point_size)
    font.setWeight(QFont.Weight.DemiBold)
    return font


class QtCaption(QWidget):
    """The caption band over the canvas: the step's text, the tour's title, a pause badge."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("tourCaption")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self.text = ""
        self.title = ""
        self.badge = ""
        self.font_ = caption_font()
        parent.installEventFilter(self)
        self._fit()
        self.show()

    def set_text(self, text: str, title: str = "", badge: str = "") -> None:
        self.text, self.title, self.badge = text, title, badge
        self._fit()
        self.update()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit()
        return False

    def _fit(self) -> None:
        self.setGeometry(self.parentWidget().rect())
        self.raise_()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        w, h = self.width(), self.height()
        # Type grows with the screen (22 pt at 800 px high), wraps within 90% of the width.
        font = QFont(self.font_)
        font.setPointSizeF(max(11.0, self.font_.pointSizeF() * min(h / 800.0, w / 1000.0)))
        small = QFont(font)
        small.setPointSizeF(font.pointSizeF() * 0.6)
        if self.text:
            fm = QFontMetricsF(font)
            pad = fm.height() * 0.6
            flags = int(Qt.AlignmentFlag.AlignCenter) | int(Qt.TextFlag.TextWordWrap)
            room = QRectF(0, 0, w * 0.9 - 2 * pad, h)
            text_rect = fm.boundingRect(room, flags, self.text)
            box = QRectF((w - text_rect.width()) / 2 - pad, h * 0.94 - text_rect.height() - 2 * pad,
                         text_rect.width() + 2 * pad, text_rect.height() + 2 * pad)
            path = QPainterPath()
            path.addRoundedRect(box, 14, 14)
            p.fillPath(path, QColor(10, 20, 35, 190))
            p.setFont(font)
            p.setPen(QColor(255, 255, 255))
            p.drawText(box.adjusted(pad, pad, -pad, -pad), flags, self.text)
        p.setFont(small)
        if self.title:
            p.setPen(QColor(255, 255, 255, 220))
            p.drawText(QRectF(24, 16, w - 48, 60), Qt.AlignmentFlag.AlignLeft, self.title)
        if self.badge:
            fm = QFontMetricsF(small)
            bw = fm.horizontalAdvance(self.badge) + 28
            r = QRectF(w - bw - 24, 16, bw, fm.height() + 12)
            path = QPainterPath()
            path.addRoundedRect(r, 8, 8)
            p.fillPath(path, QColor(200, 120, 0, 210))
            p.setPen(QColor(255, 255, 255))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, self.badge)
        p.end()


class TourPlayer(QObject):
    """Plays a tour on a main window (see the module docstring)."""

    step_entered = Signal(int)
    paused_changed = Signal(bool)
    looped = Signal(int)
    step_failed = Signal(int, str)

    def __init__(self, window: Any, tour: Tour, *, lang: str = "both", time_scale: float = 1.0,
                 idle_resume_s: float = IDLE_RESUME_S, kiosk: bool = True,
                 fps: float = FPS) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.twin = window.twin
        self.tour = tour
        terrain = self.twin.city.terrain if self.twin.city is not None else None
        self._ground = ((lambda x, y: float(terrain.height_at(x, y)))
                        if terrain is not None else None)
        #: Tour indices still played: a step whose feature is missing leaves for good.
        self.active: list[int] = list(range(len(tour.steps)))
        self.timeline = self._build()
        self.lang = lang
        self.time_scale = float(time_scale)
        self.idle_resume_s = idle_resume_s
        self.kiosk = kiosk
        self.t = 0.0  # seconds into the current loop, in tour time
        self.elapsed = 0.0  # tour seconds played in all
        self.playing = False
        self.current = -1  # tour index of the step entered
        self.loops = 0  # loops completed
        self.entered: list[int] = []  # every step entered, in order (tests and logs)
        self.errors: list[tuple[int, str]] = []
        self.closed_dialogs: list[str] = []
        self._last = time.monotonic()
        self._idle_since = time.monotonic()
        self._escapes: list[float] = []
        self._return_from: Pose | None = None
        self._return_t0 = 0.0
        self._leave: list = []  # what the current step undoes when the tour moves on
        self.caption = QtCaption(window.canvas.native)
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, int(1000 / fps)))
        self.timer.timeout.connect(self.tick)
        self.idle_timer = QTimer(self)
        self.idle_timer.setInterval(250)
        self.idle_timer.timeout.connect(self._check_idle)
        QApplication.instance().installEventFilter(self)
        self.session.tour = tour

    # -- control ---------------------------------------------------------------------------------
    def start(self) -> None:
        self.playing = True
        self._last = time.monotonic()
        self.timer.start()
        self.idle_timer.start()
        self.tick()

    def stop(self) -> None:
        self._run_leave()
        self.timer.stop()
        self.idle_timer.stop()
        self.playing = False
        self.caption.hide()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    @property
    def active_now(self) -> bool:
        """Whether the player still runs (playing or paused for a visitor)."""
        return self.timer.isActive()

    def pause(self) -> None:
        """Hand the camera to the visitor."""
        if not self.playing:
            return
        self.playing = False
        self.window.flight.timer.stop()
        self._show_caption()
        self.paused_changed.emit(True)
        log.info("tour paused at %.1f s: the visitor has the camera", self.t)

    def resume(self) -> None:
        """Take the camera back: fly from where the visitor left it into the tour."""
        if self.playing:
            return
        self._return_from = self.twin.camera
        self._return_t0 = time.monotonic()
        self.playing = True
        self._last = time.monotonic()
        self._show_caption()
        self.paused_changed.emit(False)
        log.info("tour resumed at %.1f s", self.t)

    def _build(self) -> Timeline:
        tour = replace(self.tour, steps=tuple(self.tour.steps[i] for i in self.active))
        return Timeline.build(tour, self._ground)

    def _position(self) -> int:
        """Where the current step sits among the active ones."""
        k, _ = self.timeline.step_at(self.t)
        return k

    def _start_of(self, k: int) -> float:
        """Loop time at which the k-th active step begins (its flight in)."""
        for seg in self.timeline.segments:
            if seg.step >= k:
                return seg.t0
        return self.timeline.duration

    def skip_step(self, drop: bool = False) -> None:
        """Go on to the next step; `drop` leaves this step out of the tour from now on. The
        camera flies from where it is into the next step, so a skip never jumps."""
        k = self._position()
        self._return_from = self.twin.camera
        self._return_t0 = time.monotonic()
        if drop and self.current in self.active:
            self.active.remove(self.current)
            if not self.active:
                log.error("every step of the tour was skipped: the tour stops")
                self.playing = False
                self.timer.stop()
                return
            self.timeline = self._build()
            self.t = self._start_of(k) + 1e-6  # the step that took its place
        else:
            self.t = self._start_of(k + 1) + 1e-6
        self._wrap()

    def _wrap(self) -> None:
        duration = self.timeline.duration
        while duration > 0 and self.t >= duration:
            if not self.tour.loop:
                self.t = duration
                self.playing = False
                return
            self.t -= duration
            self.loops += 1
            log.info("tour loop %d done", self.loops)
            self.looped.emit(self.loops)

    # -- the clock of the tour -------------------------------------------------------------------
    def tick(self) -> None:
        now = time.monotonic()
        dt, self._last = now - self._last, now
        if not self.playing:
            return
        k = self._position()
        n = len(self.active)
        # However long the frame, the tour may enter the next step but never jump over it.
        limit = (self._start_of(k + 2) if k + 2 <= n
                 else self.timeline.duration + self._start_of(k + 2 - n)) - 1e-6
        step_s = max(0.0, min(min(dt, MAX_TICK_S) * self.time_scale, limit - self.t))
        self.t += step_s
        self.elapsed += step_s
        self._wrap()
        index = self.active[self._position()]
        if index != self.current:
            self._enter(index)
            if not self.playing or self.active[self._position()] != index:
                return  # skipped: the next tick enters what follows
        try:
            pose = self.timeline.pose_at(self.t)
            if self._return_from is not None:
                u = (now - self._return_t0) / RETURN_S
                if u >= 1.0:
                    self._return_from = None
                else:
                    pose = interpolate_poses(self._return_from, pose, ramp(u))
            self.apply_pose(pose)
        except Exception as exc:  # a kiosk never stops: log, skip the step, carry on
            self._fail(index, exc)

    def apply_pose(self, pose: Pose) -> None:
        """Show a pose on the overview; a street pose also becomes the twin's street-level eye
        (`twin.street`, what the AR view draws) while the overview follows the walker."""
        if isinstance(pose, StreetPose):
            if hasattr(self.twin, "street") and self.twin.street != pose:
                self.twin.street = pose
            self.twin.camera = as_orbit(pose)
            return
        self.twin.camera = pose

    def on_leave(self, undo) -> None:
        """Call `undo()` when the tour leaves the current step (a step action's clean-up)."""
        self._leave.append(undo)

    def _run_leave(self) -> None:
        hooks, self._leave = self._leave, []
        for undo in hooks:
            try:
                undo()
            except Exception as exc:
                log.error("tour: undoing step %d failed: %s", self.current, exc)

    def _run_action(self, step: Step) -> None:
        """The step's action: a built-in one gets the player; a plugin's (`[[tour]]` in its
        manifest) gets the session and may return an undo, run when the step is left."""
        handler = ACTIONS.get(step.action)
        if handler is not None:
            handler(self, step.params)
            return
        from hktwin.plugins import tour_step, tour_step_names

        plugin_step = tour_step(step.action)
        if plugin_step is None:
            known = ", ".join(sorted([*ACTIONS, *tour_step_names()]))
            raise StepSkipped(f"no step kind is called {step.action!r} (known: {known})")
        undo = plugin_step(self.session, step.params)
        if callable(undo):
            self._leave.append(undo)

    def _enter(self, index: int) -> None:
        self._run_leave()
        self.current = index
        self.entered.append(index)
        step = self.tour.steps[index]
        log.info("tour step %d: %s", index, step.name)
        self._show_caption()
        try:
            self._apply_layers(step)
            self._apply_clock(step)
            if step.action:
                self._run_action(step)
        except (StepSkipped, PluginError) as exc:
            log.info("tour step %d (%s) skipped: %s", index, step.name, exc)
            self.errors.append((index, f"skipped: {exc}"))
            self.step_failed.emit(index, str(exc))
            self.skip_step(drop=True)
        except Exception as exc:
            self._fail(index, exc)
        self.step_entered.emit(index)

    def _fail(self, index: int, exc: BaseException) -> None:
        name = self.tour.steps[index].name if 0 <= index < len(self.tour.steps) else "?"
        log.error("tour step %d (%s) failed and is skipped: %s", index, name, exc,
                  exc_info=(type(exc), exc, exc.__traceback__))
        self.errors.append((index, f"{type(exc).__name__}: {exc}"))
        self.step_failed.emit(index, str(exc))
        if self.current == index:
            self.skip_step()

    def _show_caption(self) -> None:
        step = self.tour.steps[self.current] if self.current >= 0 else None
        title = self.tour.title.get("en", "")
        zh = self.tour.title.get("zh-Hant", "")
        if self.lang == "zh-Hant":
            title = zh or title
        elif self.lang == "both" and zh:
            title = f"{title}  {zh}"
        badge = "" if self.playing else "Paused: explore! 暫停：請自由探索"
        self.caption.set_text(step.caption_text(self.lang) if step else "", title, badge)

    def _apply_layers(self, step: Step) -> None:
        if not (step.show or step.hide):
            return
        for layer in self.twin.layers:
            if layer.name in step.show or layer.kind in step.show:
                layer.visible = True
            elif layer.name in step.hide or layer.kind in step.hide:
                layer.visible = False

    def _apply_clock(self, step: Step) -> None:
        clock = self.twin.clock
        if step.clock == "live":
            clock.go_live()
        elif step.clock is not None:
            clock.playing = False
            clock.seek(step.clock)
        if step.clock_speed is not None:
            clock.speed = step.clock_speed * self.time_scale
            clock.playing = step.clock_speed > 0

    # -- kiosk -----------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        etype = event.type()
        if self.kiosk and etype == QEvent.Type.Show and isinstance(obj, QDialog):
            text = obj.windowTitle()
            text = getattr(obj, "text", lambda: "")() or text
            log.warning("kiosk: a dialog was closed unseen: %s", text)
            self.closed_dialogs.append(str(text))
            QTimer.singleShot(0, obj.reject)
            return False
        if etype in _INPUT_EVENTS and self.timer.isActive():
            if not self._within_window(obj):
                return False
            self._idle_since = time.monotonic()
            if etype in _KEY_EVENTS and event.key() == Qt.Key.Key_Escape \
                    and not event.isAutoRepeat():
                self._escape()
            self.pause()
        elif etype == QEvent.Type.MouseMove and not self.playing:
            self._idle_since = time.monotonic()
        return False

    def _within_window(self, obj: QObject) -> bool:
        while obj is not None:
            if obj is self.window:
                return True
            obj = obj.parent()
        return False

    def _escape(self) -> None:
        now = time.monotonic()
        if self._escapes and now - self._escapes[-1] < 0.03:
            return  # the same press, seen as ShortcutOverride and as KeyPress
        self._escapes = [t for t in self._escapes if now - t <= ESC_WINDOW_S] + [now]
        if len(self._escapes) >= 3:
            self.stop()
            if self.kiosk:
                log.info("Esc pressed three times: leaving the demo")
                QTimer.singleShot(0, self.window.close)
            else:
                log.info("Esc pressed three times: the tour stops")

    def _check_idle(self) -> None:
        if not self.playing and time.monotonic() - self._idle_since >= self.idle_resume_s:
            self.resume()


# -- built-in step kinds ------------------------------------------------------------------------


def _action_live_data(player: TourPlayer, params: Mapping[str, Any]) -> None:
    """Play the recorded day (the feed store's history) at `speed` times real time."""
    clock = player.twin.clock
    if clock.start is None or clock.end is None:
        raise StepSkipped("no recorded live data in this pack")
    if not any(getattr(layer, "source", "") for layer in player.twin.layers):
        raise StepSkipped("no live layers are open")
    clock.seek(clock.start)
    clock.speed = float(params.get("speed", 900.0)) * player.time_scale
    clock.playing = True


def _action_coverage(player: TourPlayer, params: Mapping[str, Any]) -> None:
    """Evaluate a sample deployment (once per tour) and show its coverage; later loops show the
    evaluated layer again. `scenario`: a shipped scenario's name (resources/scenarios) or a
    path; else `cells`: [[lon, lat], ...] placed as lamppost cells. `resolution_m`: the grid."""
    planning = getattr(player.session, "planning", None)
    if planning is None or player.twin.city is None:
        raise StepSkipped("planning is not available")
    layer = next((la for la in player.twin.layers if la.kind == "coverage"), None)
    if layer is not None:
        layer.visible = True
        return
    if getattr(player, "_placed_sample", False):
        return  # evaluating: the layer joins when it is done
    if "scenario" in params:
        from hktwin.core.paths import resources_dir

        name = str(params["scenario"])
        path = Path(name)
        if not path.is_file():
            path = Path(resources_dir()) / "scenarios" / f"{name}.hktwin.json"
        if not path.is_file():
            raise StepSkipped(f"no scenario {name!r}")
        planning.open(path)
    else:
        _place_cells(player, planning, params.get("cells", []))
    player._placed_sample = True
    if "resolution_m" in params:
        planning.resolution_m = float(params["resolution_m"])
    if planning.evaluate() is None:
        raise StepSkipped("the evaluation could not start")


def _place_cells(player: TourPlayer, planning: Any, cells: Any) -> None:
    from hktwin.geo.crs import from_wgs84

    if not cells:
        raise StepSkipped("the step names no scenario and no cells (params)")
    terrain = player.twin.city.terrain
    for lon, lat in cells:
        x, y = (float(v) for v in from_wgs84(lon, lat))
        z = float(terrain.height_at(x, y))
        planning.editor.place("cell", x, y, z if math.isfinite(z) else 0.0, select=False)


def _action_ar_walk(player: TourPlayer, params: Mapping[str, Any]) -> None:
    """Open the AR street view (helper C's `ui.ar_view`) for the walk; it closes when the
    tour moves on."""
    try:
        from hktwin.ui.ar_view import toggle_ar_view
    except ImportError:
        raise StepSkipped("the AR street view is not in this build") from None
    if getattr(player.window, "ar_view", None) is None:
        toggle_ar_view(player.window)
    device = params.get("device")
    view = player.window.ar_view
    if device and hasattr(view, "preview"):
        view.preview.set_device(str(device), params.get("orientation"))
    player.on_leave(lambda: _close_ar_view(player.window))


def _close_ar_view(window: Any) -> None:
    from hktwin.ui.ar_view import toggle_ar_view

    if getattr(window, "ar_view", None) is not None:
        toggle_ar_view(window)
    if hasattr(window.twin, "street"):
        window.twin.street = None


def _action_traffic_forecast(player: TourPlayer, params: Mapping[str, Any]) -> None:
    """Show where traffic will be slow in `minutes` (30). Where the live binding forecasts past
    the last reading (issue 11: `clock.forecast_from` and a forecaster), the clock is set that
    far past it and the traffic layers show the forecast as the time bar would; else the
    window's forecast view or layer; else the AI demo model's median forecast is painted on the
    traffic layer (computed once in the background)."""
    from datetime import timedelta

    minutes = int(params.get("minutes", 30))
    clock = player.twin.clock
    binding = getattr(getattr(player.session, "feeds", None), "binding", None)
    origin = getattr(clock, "forecast_from", None)
    if origin is not None and getattr(binding, "forecaster", None) is not None:
        clock.playing = False
        clock.seek(origin + timedelta(minutes=minutes))
        return
    show = getattr(player.window, "show_traffic_forecast", None)
    if callable(show):
        show(**dict(params))
        return
    layers = [layer for layer in player.twin.layers
              if "forecast" in layer.name.lower() or "forecast" in layer.kind]
    if layers:
        for layer in layers:
            layer.visible = True
        return
    from hktwin.model.live_layers import TrafficLayer

    traffic = player.twin.layers.of_type(TrafficLayer)
    if not traffic:
        raise StepSkipped("no traffic layer to show a forecast on")
    try:
        from hktwin.ai import traffic as ai_traffic
        from hktwin.ai.demo import demo_history, demo_model
    except ImportError:
        raise StepSkipped("the AI traffic forecast is not in this build") from None
    clock.playing = False  # the recorded day must not repaint the layer under the forecast

    def paint(fc) -> None:
        if player.current < 0 or player.tour.steps[player.current].action != "traffic-forecast":
            return  # the tour moved on meanwhile
        h = list(fc.horizons_min).index(min(fc.horizons_min, key=lambda m: abs(m - minutes)))
        when = clock.time
        values = {k: (float(v) if np.isfinite(v) else None, when, {})
                  for k, v in zip(fc.link_ids, fc.p50[h], strict=True)}
        for layer in traffic:
            layer.update(values)
        log.info("tour: traffic forecast %d min ahead shown on %d links", fc.horizons_min[h],
                 len(values))

    cached = getattr(player, "_forecast", None)
    if cached is not None:
        paint(cached)
    else:
        def work(progress, cancel):
            history, _ = demo_history()
            return ai_traffic.forecast(demo_model(progress), history)

        def done(fc) -> None:
            player._forecast = fc
            paint(fc)

        if player.session.tasks.submit("tour-forecast", work, on_done=done,
                                       on_failed=lambda m: log.error("tour: forecast failed: %s",
                                                                     m)) is None:
            raise StepSkipped("a forecast is already being computed")
    player.on_leave(lambda: _reread_live(player))


def _reread_live(player: TourPlayer) -> None:
    """The recorded values come back on the live layers (the binding reads them at the clock)."""
    binding = getattr(getattr(player.session, "feeds", None), "binding", None)
    if binding is not None:
        binding.refresh()


register_action("live-data", _action_live_data, "play the recorded day (params: speed)")
register_action("coverage", _action_coverage, "evaluate a sample deployment and show its "
                "coverage (params: scenario or cells = [[lon, lat]], resolution_m)")
register_action("ar-walk", _action_ar_walk, "open the AR street view during a street walk")
register_action("traffic-forecast", _action_traffic_forecast, "show the traffic forecast")


# -- keyframes, capture ---------------------------------------------------------------------------


def add_keyframe_here(window: Any) -> Tour:
    """Append the current view (camera, layers, clock) to the session's tour."""
    street = getattr(window.twin, "street", None)
    camera = street if street is not None and getattr(window, "ar_view", None) is not None \
        else None
    tour = add_keyframe(window.session.tour, window.twin, camera=camera,
                        name=f"Keyframe {len(getattr(window.session.tour, 'steps', ())) + 1}")
    window.session.tour = tour
    status = getattr(window, "_show_status", None)
    if callable(status):
        status(f"Keyframe {len(tour.steps)} added to the tour")
    return tour


def play_tour_here(window: Any) -> TourPlayer | None:
    """View > Play Tour: preview the session's tour (or one chosen from a file) in the window,
    as a presenter would: any input pauses it, Esc three times stops it, dialogs stay allowed.
    Chosen again while playing, it stops."""
    player = getattr(window, "tour_player", None)
    if player is not None and player.active_now:
        player.stop()
        window.tour_player = None
        return None
    tour = window.session.tour
    if tour is None:
        from PySide6.QtWidgets import QFileDialog

        from hktwin.core.errors import HKTwinError
        from hktwin.core.paths import resources_dir
        from hktwin.model.tour import load_tour

        path, _ = QFileDialog.getOpenFileName(window, "Play tour", str(resources_dir() / "tours"),
                                              "Tour (*.toml)")
        if not path:
            return None
        try:
            tour = load_tour(path)
        except HKTwinError as exc:
            window._show_status(f"Cannot play the tour: {exc}")
            return None
    player = TourPlayer(window, tour, kiosk=False)
    window.tour_player = player
    player.start()
    return player


def save_tour_dialog(window: Any) -> Path | None:
    """Ask where to save the session's tour and write it (TOML)."""
    from PySide6.QtWidgets import QFileDialog

    from hktwin.model.tour import save_tour

    tour = window.session.tour
    if tour is None:
        window._show_status("No tour yet: use View > Add Keyframe Here first")
        return None
    path, _ = QFileDialog.getSaveFileName(window, "Save tour", "tour.toml", "Tour (*.toml)")
    if not path:
        return None
    save_tour(tour, path)
    window._show_status(f"Saved the tour to {path}")
    return Path(path)


#: Menu entries a kiosk visitor may still use by their keys: moving the camera and the views.
KIOSK_ALLOWED = ("Pan ", "Zoom ", "Turn ", "Tilt ", " view", "Home")


def lock_for_kiosk(window: Any) -> list[str]:
    """Disable every menu shortcut but the camera's (no Quit, no Open, no leaving full screen):
    the hidden menus' actions still answer their keys. Returns the titles disabled."""
    from PySide6.QtGui import QAction

    off = []
    for action in window.findChildren(QAction):
        text = action.text().replace("&", "")
        if action.shortcut().isEmpty() or any(word in text for word in KIOSK_ALLOWED):
            continue
        action.setEnabled(False)
        off.append(text)
    log.info("kiosk: %d menu shortcuts disabled", len(off))
    return off


def run_demo(tour_path: Path | None = None, lang: str = "both", time_scale: float = 1.0,
             pack: Path | None = None, idle_resume_s: float = IDLE_RESUME_S,
             full_screen: bool = True, exit_after_s: float | None = None) -> int:
    """`hktwin demo`: open the window full screen on the demo city and play the tour."""
    import sys

    from hktwin.core.errors import HKTwinError
    from hktwin.core.paths import resources_dir
    from hktwin.model.tour import load_tour
    from hktwin.ui.app import display_problem

    problem = display_problem()
    if problem:
        raise HKTwinError(problem)
    if not logging.getLogger().handlers:  # a kiosk's log is its only error report
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    tour = load_tour(tour_path or Path(resources_dir()) / "tours" / "hong-kong.toml")
    import vispy

    vispy.use("pyside6")
    from hktwin.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("HK Twin")
    previous_hook = sys.excepthook

    def log_exceptions(kind, value, tb) -> None:  # kiosk: log, never a dialog, never exit
        log.error("uncaught error in the demo: %s", value, exc_info=(kind, value, tb))

    sys.excepthook = log_exceptions
    window = MainWindow(initial_view="harbour")
    for dock in window.docks.values():
        dock.hide()
    window.menuBar().hide()
    window.statusBar().hide()
    lock_for_kiosk(window)
    holder: dict[str, TourPlayer] = {}

    def begin(*_: object) -> None:
        if "player" not in holder:
            player = TourPlayer(window, tour, lang=lang, time_scale=time_scale,
                                idle_resume_s=idle_resume_s)
            holder["player"] = player
            player.start()

    window.session.live_added.connect(lambda *_: QTimer.singleShot(0, begin))
    window.session.load_failed.connect(lambda *_: QTimer.singleShot(0, begin))
    window.load_pack(pack)
    window.showFullScreen() if full_screen else window.show()
    if exit_after_s is not None:
        QTimer.singleShot(int(exit_after_s * 1000), window.close)
    try:
        return app.exec()
    finally:
        sys.excepthook = previous_hook
        player = holder.get("player")
        if player is not None:
            player.stop()
            log.info("demo ended: %d steps entered, %d loops, %d step errors",
                     len(player.entered), player.loops, len(player.errors))
