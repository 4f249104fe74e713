"""Write frames to an MP4 (H.264 through imageio-ffmpeg) or an animated GIF, with progress.

The frames come from a callable (the renderer's offscreen snapshot, a walk's frame at time t),
so this module knows nothing about drawing. `record_video(path, render, n_frames, fps)` calls
`render(i)` for each frame index and writes the RGB(A) uint8 image it returns; the file type
follows the suffix. Frames are padded to even sizes (H.264 in yuv420p needs them). The file is
written to a temporary name and moved into place, so a cancelled or failed recording leaves no
half file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hktwin.core.errors import Cancelled, DataError
from hktwin.core.files import atomic_path
from hktwin.core.progress import Progress, no_progress

VIDEO_SUFFIXES = (".mp4", ".gif")


def _even(frame: np.ndarray) -> np.ndarray:
    rgb = np.ascontiguousarray(np.asarray(frame)[..., :3], dtype=np.uint8)
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return rgb


class VideoWriter:
    """An MP4 or GIF written one frame at a time, for a caller that draws frames between other
    work (the window renders one per timer tick so it never freezes). Written to a temporary
    name: `close()` moves it into place, `abort()` removes it (a cancelled recording leaves
    no half file)."""

    def __init__(self, path: str | os.PathLike[str], fps: float = 25.0) -> None:
        import imageio.v2 as iio

        self.path = path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in VIDEO_SUFFIXES:
            raise DataError(path, f"cannot write video as '{suffix or 'no suffix'}'",
                            "name the file .mp4 or .gif", field="out")
        if not fps > 0:
            raise DataError(path, f"{fps} fps is not a frame rate", "record at a positive "
                            "frame rate")
        self.n_frames = 0
        self._size: tuple[int, ...] | None = None
        self._atomic = atomic_path(path)
        tmp = self._atomic.__enter__()
        try:
            if suffix == ".mp4":
                self._writer = iio.get_writer(tmp, format="FFMPEG", fps=fps, codec="libx264",
                                              quality=7, pixelformat="yuv420p",
                                              macro_block_size=1, ffmpeg_log_level="error")
            else:
                self._writer = iio.get_writer(tmp, format="GIF", mode="I",
                                              duration=1000.0 / fps, loop=0)
        except BaseException as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise

    def append(self, frame: np.ndarray) -> None:
        """Add one RGB(A) uint8 frame; every frame must have the first one's size."""
        frame = _even(frame)
        if self._size is None:
            self._size = frame.shape
        elif frame.shape != self._size:
            raise DataError(self.path, f"frame {self.n_frames} is {frame.shape[1]}x"
                            f"{frame.shape[0]}, the first was {self._size[1]}x{self._size[0]}",
                            "render every frame at one size")
        self._writer.append_data(frame)
        self.n_frames += 1

    def close(self) -> Path:
        """Finish the file and move it into place."""
        try:
            self._writer.close()
        except BaseException as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._atomic.__exit__(None, None, None)
        return self.path

    def abort(self) -> None:
        """Stop and remove the partial file."""
        import contextlib

        with contextlib.suppress(Exception):
            self._writer.close()
        stop = Cancelled("recording stopped")
        with contextlib.suppress(Cancelled):
            self._atomic.__exit__(Cancelled, stop, None)


def record_video(path: str | os.PathLike[str], render: Callable[[int], np.ndarray],
                 n_frames: int, fps: float = 25.0, progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None) -> Path:
    """Render `n_frames` frames with `render(i)` and write them to `path` (.mp4 or .gif)."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise DataError(path, f"cannot write video as '{path.suffix.lower() or 'no suffix'}'",
                        "name the file .mp4 or .gif", field="out")
    if n_frames < 1 or not fps > 0:
        raise DataError(path, f"{n_frames} frames at {fps} fps is not a video",
                        "record at least one frame at a positive frame rate")
    progress = progress or no_progress
    writer = VideoWriter(path, fps)
    try:
        for i in range(n_frames):
            if cancelled is not None and cancelled():
                raise Cancelled(f"recording cancelled after {i} of {n_frames} frames")
            writer.append(render(i))
            progress((i + 1) / n_frames, f"frame {i + 1} of {n_frames}")
    except BaseException:
        writer.abort()
        raise
    return writer.close()
