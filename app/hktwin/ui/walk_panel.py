"""Walks in the AR dock: draw a path on the overview, play it at walking speed, record it.

The walk itself is session state (`session.walks.Walk`, `window.session.walk`), drawn on the
overview by `render.walk_visuals.WalkOverlay`; this module holds only the Qt parts:

- drawing: while "Draw walk" is on, a click on the overview adds the ground point under it
  (the overview's own picking, `ground_at`); Enter or a double-click ends, Backspace removes
  the last point, Esc puts back the walk as it was. Those keys are taken from the window's
  shortcuts while drawing (Esc is also "Stop Placing").
- playing: a `QTimer` on the GUI thread (rendering must be there) moves `twin.street` along
  the sampled path at 1.4 m/s times the chosen speed; the AR picture, the overview's dot and
  cone follow `twin.street`. The slider shows and scrubs the position.
- recording: one frame per timer tick (the window stays responsive) through
  `ui.capture.FrameRecording` (`analysis.ar.record.VideoWriter`, a cancellable
  `QProgressDialog`); a cancelled or failed recording leaves no file, and a write error is a
  message, not a traceback.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from hktwin.core.errors import HKTwinError
from hktwin.ui.capture import FrameRecording

log = logging.getLogger(__name__)

SPEEDS = (1, 2, 4, 8)
PLAY_DT_S = 0.1  # the played path's time step: a position every 0.14 m at walking pace
TICK_MS = 40
MAX_TICK_S = 0.25  # a slow frame does not make the walker jump further than this
RECORD_FPS = 10.0
CLICK_PX = 4.0
_DRAW_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape, Qt.Key.Key_Backspace)


def walk_overlay(window: Any) -> Any:
    """The window's walk drawn on the overview (made once, kept while the window lives)."""
    overlay = getattr(window, "walk_overlay", None)
    if overlay is None and window.canvas.city_scene is not None:
        from hktwin.render.walk_visuals import WalkOverlay

        overlay = window.walk_overlay = WalkOverlay(window.canvas, window.session.walk)
        window.twin.events.city.connect(lambda *_: overlay.update())
    return overlay


class WalkPlayer(QObject):
    """Walks `twin.street` along a sampled path on a GUI-thread timer."""

    moved = Signal(int)  # index along the path
    state_changed = Signal(str)  # "playing", "paused", "stopped"

    def __init__(self, twin: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.twin = twin
        self.path: Any = None
        self.t_s = 0.0
        self.speed = 1.0
        self.state = "stopped"
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()

    @property
    def index(self) -> int:
        if self.path is None or not len(self.path):
            return 0
        return int(min(round(self.t_s / PLAY_DT_S), len(self.path) - 1))

    def set_path(self, path: Any) -> None:
        self.stop()
        self.path, self.t_s = path, 0.0

    def play(self) -> None:
        if self.path is None:
            return
        if self.index >= len(self.path) - 1:
            self.t_s = 0.0  # played to the end: start again
        self._set_state("playing")
        self._clock.start()
        self.timer.start()
        self._show()

    def pause(self) -> None:
        if self.state == "playing":
            self.timer.stop()
            self._set_state("paused")

    def stop(self) -> None:
        """Stop and go back to the start of the walk."""
        self.timer.stop()
        self.t_s = 0.0
        self._set_state("stopped")

    def step(self, seconds: float) -> None:
        """Walk on by `seconds` of walking (times the speed); stops at the end."""
        if self.path is None:
            return
        self.t_s = min(self.t_s + seconds * self.speed, self.path.duration_s)
        self._show()
        if self.index >= len(self.path) - 1:
            self.timer.stop()
            self._set_state("paused")

    def seek(self, index: int) -> None:
        if self.path is None:
            return
        self.t_s = float(np.clip(index, 0, len(self.path) - 1)) * PLAY_DT_S
        self._show()

    def _tick(self) -> None:
        elapsed = self._clock.restart() / 1000.0
        self.step(min(elapsed, MAX_TICK_S))

    def _show(self) -> None:
        from hktwin.model.camera import StreetPose

        i, p = self.index, self.path
        pose = self.twin.street
        pitch = pose.pitch if pose is not None else 0.0
        self.twin.street = StreetPose(float(p.x[i]), float(p.y[i]), float(p.heading[i]), pitch,
                                      ground=float(p.ground[i]))
        self.moved.emit(i)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)


class WalkRecording(FrameRecording):
    """A walk recorded to MP4 or GIF: one frame per position of `path`, the phone's picture as
    `preview` draws it there, one frame per timer tick (`ui.capture.FrameRecording`, which
    owns the cancellable progress dialog and the writer). The viewer is put back where it
    stood when the recording ends."""

    def __init__(self, window: Any, preview: Any, path: Any, out: Path, fps: float,
                 dialog: bool = True) -> None:
        start = window.twin.street

        def render(i: int) -> np.ndarray:
            from hktwin.model.camera import StreetPose

            pitch = start.pitch if start is not None else 0.0
            window.twin.street = StreetPose(float(path.x[i]), float(path.y[i]),
                                            float(path.heading[i]), pitch,
                                            ground=float(path.ground[i]))
            box = preview.street.box
            x, y = (int(v) for v in box.pos)
            w, h = (int(v) for v in box.size)
            return np.asarray(window.canvas.render())[y:y + h, x:x + w, :3]

        super().__init__(render, len(path), out, fps, parent=window, title="Record walk",
                         dialog=dialog)
        self.window, self.path, self._start_pose = window, path, start

    def _end(self, written: Path | None) -> None:
        if self._start_pose is not None:
            self.window.twin.street = self._start_pose
        super()._end(written)


class _DrawKeys(QObject):
    """While drawing, Enter, Esc and Backspace go to the walk, not to the window's shortcuts."""

    def __init__(self, panel: WalkPanel) -> None:
        super().__init__(panel)
        self.panel = panel

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if not self.panel.drawing or event.type() not in (QEvent.Type.ShortcutOverride,
                                                          QEvent.Type.KeyPress):
            return False
        if event.key() not in _DRAW_KEYS:
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            event.accept()  # the key comes to the canvas as a key press
            return True
        self.panel.draw_key(event.key())
        return True


class WalkPanel(QWidget):
    """The walk's controls in the AR dock."""

    def __init__(self, window: Any, ar_view: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.ar_view = ar_view
        self.twin = window.twin
        self.walk = window.session.walk
        self.canvas = window.canvas
        self.drawing = False
        self.recording: WalkRecording | None = None
        self._before_drawing: tuple = ()
        self._press: tuple[float, float] | None = None
        self.overlay = walk_overlay(window)
        self.player = WalkPlayer(self.twin, self)

        self.draw_button = QPushButton("Draw walk")
        self.draw_button.setObjectName("walkDraw")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("Click on the map to add points · Enter or double-click "
                                    "ends · Backspace removes the last · Esc cancels")
        self.draw_button.toggled.connect(self._on_draw_toggled)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.walk.clear)
        self.play_button = QPushButton("Play walk")
        self.play_button.setObjectName("walkPlay")
        self.play_button.clicked.connect(self.toggle_play)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("walkStop")
        self.stop_button.clicked.connect(self.stop)
        self.speed = QComboBox()
        self.speed.setObjectName("walkSpeed")
        for s in SPEEDS:
            self.speed.addItem(f"{s}x", float(s))
        self.speed.currentIndexChanged.connect(self._on_speed)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("walkPosition")
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._on_slider)
        self.where = QLabel("")
        self.where.setObjectName("walkWhere")
        self.record_button = QPushButton("Record walk...")
        self.record_button.setObjectName("walkRecord")
        self.record_button.clicked.connect(lambda: self.record_dialog())
        self.report_button = QPushButton("Walk report")
        self.report_button.clicked.connect(lambda: open_walk_report(window))

        row = QHBoxLayout()
        row.addWidget(self.draw_button)
        row.addWidget(self.clear_button)
        grid = QGridLayout()
        grid.addWidget(self.play_button, 0, 0)
        grid.addWidget(self.stop_button, 0, 1)
        grid.addWidget(self.speed, 0, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        title = QLabel("<b>Walk</b>")
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addLayout(grid)
        layout.addWidget(self.slider)
        layout.addWidget(self.where)
        row2 = QHBoxLayout()
        row2.addWidget(self.record_button)
        row2.addWidget(self.report_button)
        layout.addLayout(row2)

        self.player.moved.connect(self._on_moved)
        self.player.state_changed.connect(self._on_state)
        self.walk.changed.connect(self._on_walk_changed)
        self._keys = _DrawKeys(self)
        self.canvas.native.installEventFilter(self._keys)
        self.canvas.events.mouse_press.connect(self._on_mouse_press, position="first")
        self.canvas.events.mouse_release.connect(self._on_mouse_release, position="first")
        self.canvas.events.mouse_double_click.connect(self._on_double_click, position="first")
        self._on_walk_changed(self.walk.points)

    # -- drawing -------------------------------------------------------------------------------
    def start_drawing(self) -> None:
        self.draw_button.setChecked(True)

    def finish_drawing(self) -> None:
        """End drawing, keeping the points; the viewer stands at the walk's start."""
        was = self.drawing
        self.drawing = False
        self.draw_button.setChecked(False)
        if was and self.player.path is not None:
            self.player.seek(0)

    def cancel_drawing(self) -> None:
        """End drawing and put back the walk as it was before."""
        if self.drawing:
            self.drawing = False
            self.walk.set_points(self._before_drawing)
        self.draw_button.setChecked(False)

    def _on_draw_toggled(self, on: bool) -> None:
        if on and not self.drawing:
            self.player.stop()
            self.ar_view.pick_button.setChecked(False)
            self._before_drawing = self.walk.points
            self.drawing = True
            self.canvas.native.setFocus()
            self.window._show_status("Drawing a walk: click on the map to add points; Enter "
                                     "ends, Backspace removes the last, Esc cancels")
        elif not on:
            self.drawing = False

    def add_point_at(self, pos: tuple[float, float]) -> bool:
        """Add the ground under canvas pixel `pos` to the walk (what a click does)."""
        scene_ = self.canvas.city_scene
        if scene_ is None or self.canvas.view_at(pos) is not scene_:
            return False
        ground = scene_.ground_at(pos)
        if ground is None:
            return False
        self.walk.add(ground[0], ground[1])
        return True

    def draw_key(self, key: int) -> None:
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.finish_drawing()
        elif key == Qt.Key.Key_Escape:
            self.cancel_drawing()
        elif key == Qt.Key.Key_Backspace:
            self.walk.remove_last()

    def _on_mouse_press(self, event) -> None:
        self._press = tuple(event.pos[:2]) if self.drawing and event.button == 1 else None

    def _on_mouse_release(self, event) -> None:
        if not self.drawing or self._press is None or event.button != 1:
            return
        pos = tuple(event.pos[:2])
        moved = math.dist(pos, self._press)
        self._press = None
        # a click adds a point; a drag still moves the camera
        if moved <= CLICK_PX and self.add_point_at(pos):
            self.window._press_pos = None  # the click is the walk's, not a selection
            event.handled = True

    def _on_double_click(self, event) -> None:
        if self.drawing:
            self.finish_drawing()
            event.handled = True

    # -- playing -------------------------------------------------------------------------------
    def sampled(self, speed_m_s: float | None = None, dt_s: float = PLAY_DT_S) -> Any:
        """The walk sampled on the ground every `dt_s` seconds (None without a walk)."""
        from hktwin.analysis.ar.walk import WALK_SPEED_M_S, sample_path

        if not self.walk.walkable:
            return None
        city = self.twin.city
        return sample_path(self.walk.points, speed_m_s or WALK_SPEED_M_S, dt_s,
                           ground=city.terrain.height_at if city is not None else None)

    def play(self) -> None:
        if self.player.path is None:
            self.player.set_path(self.sampled())
        if self.player.path is None:
            self.window._show_status("Draw a walk of two or more points first")
            return
        self.finish_drawing()
        self.player.play()

    def toggle_play(self) -> None:
        self.player.pause() if self.player.state == "playing" else self.play()

    def stop(self) -> None:
        self.player.stop()
        if self.player.path is not None:
            self.player.seek(0)

    def _on_speed(self, *_: object) -> None:
        self.player.speed = float(self.speed.currentData())

    def _on_slider(self, value: int) -> None:
        if self.player.path is not None and value != self.player.index:
            self.player.seek(value)

    def _on_moved(self, index: int) -> None:
        path = self.player.path
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        t = path.t_s[index]
        self.where.setText(f"{path.distance_m[index]:.0f} m of {path.distance_m[-1]:.0f} m · "
                           f"{int(t // 60)}:{int(t % 60):02d} of "
                           f"{int(path.duration_s // 60)}:{int(path.duration_s % 60):02d}")

    def _on_state(self, state: str) -> None:
        self.play_button.setText("Pause" if state == "playing" else "Play walk")

    def _on_walk_changed(self, points: tuple) -> None:
        self.player.set_path(None)
        path = self.sampled() if self.walk.walkable else None
        self.player.path = path
        self.slider.setRange(0, len(path) - 1 if path is not None else 0)
        self.slider.setValue(0)
        for w in (self.play_button, self.stop_button, self.record_button, self.slider):
            w.setEnabled(path is not None)
        self.where.setText(f"{len(points)} points · {self.walk.length_m:.0f} m · "
                           f"{self.walk.length_m / 1.4 / 60:.1f} min at walking pace"
                           if points else "No walk: press Draw walk and click on the map")

    # -- recording -----------------------------------------------------------------------------
    def record_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Record walk", "walk.mp4",
                                              "Video (*.mp4 *.gif)")
        if path:
            self.start_recording(Path(path))

    def start_recording(self, out: Path, fps: float = RECORD_FPS,
                        dialog: bool = True) -> WalkRecording | None:
        """Record the walk to `out` (.mp4 or .gif) at the chosen speed, `fps` frames a second
        of the walk as played; None (and a message) when it cannot start."""
        if self.recording is not None and not self.recording.done:
            return None
        path = self.sampled(speed_m_s=1.4 * self.player.speed, dt_s=1.0 / fps)
        if path is None:
            self.window._show_status("Draw a walk of two or more points first")
            return None
        self.player.pause()
        try:
            self.recording = WalkRecording(self.window, self.ar_view.preview, path, out, fps,
                                           dialog=dialog)
        except (HKTwinError, OSError) as exc:
            self._tell_failure(str(exc))
            return None
        self.recording.finished.connect(self._on_recorded)
        self.window._show_status(f"Recording {out.name}: {len(path)} frames")
        return self.recording

    def _on_recorded(self, written: Path | None) -> None:
        rec = self.recording
        if written is not None:
            self.window._show_status(f"Saved {written} ({rec.frame} frames)")
        elif rec is not None and rec.error:
            self._tell_failure(rec.error)
        else:
            self.window._show_status("Recording cancelled; no file was written")

    def _tell_failure(self, message: str) -> None:
        self.window._show_status(f"Cannot record the walk: {message}")
        self.window._warn("Cannot record the walk", message)

    def close_panel(self) -> None:
        self.player.stop()
        if self.recording is not None:
            self.recording.cancel()
        self.walk.changed.disconnect(self._on_walk_changed)
        self.canvas.native.removeEventFilter(self._keys)
        for signal, slot in ((self.canvas.events.mouse_press, self._on_mouse_press),
                             (self.canvas.events.mouse_release, self._on_mouse_release),
                             (self.canvas.events.mouse_double_click, self._on_double_click)):
            signal.disconnect(slot)


# -- menu commands -----------------------------------------------------------------------------

def open_walk_report(window: Any) -> Any:
    from hktwin.ui.walk_report import show_walk_report

    return show_walk_report(window)


def open_walk(window: Any, path: Path | None = None) -> bool:
    """File > Open Walk...: read a GeoJSON LineString (EPSG:2326) as the walk; a bad file is
    told in the status bar and a message, the walk stays as it was."""
    if path is None:
        chosen, _ = QFileDialog.getOpenFileName(window, "Open a walk", "",
                                                "GeoJSON walk (*.geojson *.json)")
        if not chosen:
            return False
        path = Path(chosen)
    try:
        window.session.walk.load(path)
    except HKTwinError as exc:
        window._show_status(f"Cannot open the walk: {exc}")
        window._warn("Cannot open the walk", str(exc))
        return False
    walk_overlay(window)
    window._show_status(f"Opened walk {Path(path).name}: {len(window.session.walk)} points, "
                        f"{window.session.walk.length_m:.0f} m")
    return True


def save_walk(window: Any, path: Path | None = None) -> Path | None:
    """File > Save Walk...: the walk as a GeoJSON LineString (EPSG:2326)."""
    walk = window.session.walk
    if path is None:
        chosen, _ = QFileDialog.getSaveFileName(window, "Save the walk",
                                                str(walk.path or "walk.geojson"),
                                                "GeoJSON walk (*.geojson)")
        if not chosen:
            return None
        path = Path(chosen)
    try:
        out = walk.save(path)
    except (HKTwinError, OSError) as exc:
        window._show_status(f"Cannot save the walk: {exc}")
        window._warn("Cannot save the walk", str(exc))
        return None
    window._show_status(f"Saved walk {out}")
    return out

