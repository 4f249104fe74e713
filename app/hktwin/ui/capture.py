"""Capturing what a view shows: a picture larger than the screen, and a video recorded a frame
per timer tick so the window never freezes.

- `capture_view(canvas, size)` draws the canvas again at `size` pixels (real detail, not an
  enlarged screenshot) and returns the RGB image.
- `FrameRecording` writes frames `render(i)` to MP4 or GIF (`analysis.ar.record.VideoWriter`)
  one per event-loop turn, with a progress dialog whose Cancel removes the partial file; a
  write error (a full disk, a folder gone) ends it with a message, never a traceback. The walk
  recorder and View > Record View both use it.
- `capture_view_dialog` / `record_view_dialog`: the View menu's Capture View and Record View.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from hktwin.core.errors import HKTwinError

log = logging.getLogger(__name__)

#: The largest capture a side (GL drivers refuse larger framebuffers).
MAX_CAPTURE_PX = 8192


def capture_view(canvas: Any, size: tuple[int, int]) -> np.ndarray:
    """The canvas drawn at `size` (width, height) pixels, larger than the screen if asked: an
    RGB array.

    The scene is drawn again at that size: the canvas is resized for the one frame and put
    back. A canvas may be larger than the screen (only the window is bound by it), and vispy's
    `render(size=...)` alone would draw the views at their on-screen pixel size in a corner of
    the bigger image. A size of another shape than the canvas shows more to the sides (or
    above and below), as a wider screen would.
    """
    w, h = (int(v) for v in size)
    old = tuple(canvas.size)
    scale = canvas.pixel_scale or 1.0
    want = (max(1, round(w / scale)), max(1, round(h / scale)))
    try:
        if want != old:
            canvas.size = want
        image = canvas.render(alpha=False)
    finally:
        if tuple(canvas.size) != old:
            canvas.size = old
    if image.shape[:2] != (h, w):  # a fractional pixel scale: trim or pad to the exact size
        out = np.zeros((h, w, 3), np.uint8)
        hh, ww = min(h, image.shape[0]), min(w, image.shape[1])
        out[:hh, :ww] = image[:hh, :ww]
        image = out
    return image


class FrameRecording(QObject):
    """Writes `n_frames` frames of `render(i)` to `out` (MP4 or GIF) one per timer tick, with
    a cancellable progress dialog (`parent` given). `finished(path or None)` fires once;
    `error` holds the message of a failure. `render` runs on the GUI thread (it draws)."""

    finished = Signal(object)

    def __init__(self, render: Callable[[int], np.ndarray], n_frames: int, out: Path,
                 fps: float, parent: QWidget | None = None, title: str = "Record",
                 dialog: bool = True) -> None:
        from hktwin.analysis.ar.record import VideoWriter

        super().__init__(parent)
        self.render, self.n_frames, self.out = render, int(n_frames), Path(out)
        self.frame = 0
        self.error: str | None = None
        self.done = False
        self.writer = VideoWriter(self.out, fps)  # a bad name or folder raises here
        self.dialog: QProgressDialog | None = None
        if dialog and parent is not None:
            self.dialog = QProgressDialog(f"Recording {self.out.name}...", "Cancel", 0,
                                          self.n_frames, parent)
            self.dialog.setObjectName("recordProgress")
            self.dialog.setWindowTitle(title)
            self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
            self.dialog.setMinimumDuration(0)
            self.dialog.setAutoClose(False)
            self.dialog.setAutoReset(False)
            self.dialog.canceled.connect(self.cancel)
            self.dialog.show()
        self.timer = QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._next)
        self.timer.start()
        # The window closing or the app quitting mid-recording leaves no temporary file.
        writer, state = self.writer, self.__dict__  # plain Python: alive after the QObject
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.cancel)
        if parent is not None:
            parent.destroyed.connect(lambda *_: None if state["done"] else writer.abort())

    def _next(self) -> None:
        if self.done:
            return
        try:
            if self.frame < self.n_frames:
                self.writer.append(self.render(self.frame))
                self.frame += 1
                if self.dialog is not None:
                    self.dialog.setValue(self.frame)
                    self.dialog.setLabelText(f"Recording {self.out.name}: frame {self.frame} "
                                             f"of {self.n_frames}")
                return
            self._end(self.writer.close())
        except (HKTwinError, OSError, RuntimeError, ValueError) as exc:
            log.warning("recording %s failed: %s", self.out, exc)
            self.writer.abort()
            self.error = str(exc)
            self._end(None)

    def cancel(self) -> None:
        if not self.done:
            self.writer.abort()
            self._end(None)

    def _end(self, written: Path | None) -> None:
        self.done = True
        self.timer.stop()
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        self.finished.emit(written)


def capture_view_dialog(window: Any) -> Path | None:
    """View > Capture View...: a PNG of the canvas at a size the user chooses (any size up to
    8192 px a side, larger than the screen)."""
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    from hktwin.render.snapshot import write_png

    text, ok = QInputDialog.getText(window, "Capture view", "Size (WIDTHxHEIGHT, pixels):",
                                    text="3840x2160")
    if not ok:
        return None
    try:
        size = tuple(int(v) for v in text.lower().replace(" ", "").split("x"))
        if len(size) != 2 or not all(16 <= v <= MAX_CAPTURE_PX for v in size):
            raise ValueError
    except ValueError:
        window._show_status(f"Capture: '{text}' is not WIDTHxHEIGHT within "
                            f"16..{MAX_CAPTURE_PX} pixels")
        return None
    path, _ = QFileDialog.getSaveFileName(window, "Save capture", "hktwin-view.png",
                                          "PNG (*.png)")
    if not path:
        return None
    write_png(path, capture_view(window.canvas, size))
    window._show_status(f"Saved {path} ({size[0]}x{size[1]})")
    return Path(path)


def record_view(window: Any, out: str | Path, seconds: float, fps: float = 25.0,
                size: tuple[int, int] | None = None,
                before_frame: Callable[[int, float], None] | None = None,
                dialog: bool = True) -> FrameRecording:
    """Record the canvas as it moves (the tour, a flight, the visitor) for `seconds` to MP4 or
    GIF, a frame per event-loop turn (the scene moves on between frames as it would on
    screen); `before_frame(i, t)` may move the scene for frame i (a scripted flight).
    `finished(path or None)` tells the end."""
    def frame(i: int) -> np.ndarray:
        if before_frame is not None:
            before_frame(i, i / fps)
        return capture_view(window.canvas, size or window.canvas.size)

    recording = FrameRecording(frame, max(1, round(seconds * fps)), Path(out), fps,
                               parent=window, title="Record view", dialog=dialog)

    def said(written: Path | None) -> None:
        window._show_status(f"Saved {written}" if written is not None else
                            f"Recording failed: {recording.error}" if recording.error else
                            "Recording cancelled")

    recording.finished.connect(said)
    window.view_recording = recording
    return recording


def record_view_dialog(window: Any) -> FrameRecording | None:
    """View > Record View...: how many seconds, then where (MP4 or GIF)."""
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    seconds, ok = QInputDialog.getDouble(window, "Record view", "Seconds:", 10.0, 0.5, 600.0, 1)
    if not ok:
        return None
    path, _ = QFileDialog.getSaveFileName(window, "Save video", "hktwin-view.mp4",
                                          "Video (*.mp4 *.gif)")
    if not path:
        return None
    fps = 25.0 if path.lower().endswith(".mp4") else 10.0
    try:
        return record_view(window, path, seconds, fps, size=tuple(window.canvas.size))
    except HKTwinError as exc:  # a bad name or folder
        window._show_status(f"Cannot record: {exc}")
        return None
