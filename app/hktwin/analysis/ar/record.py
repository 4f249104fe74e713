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


def record_video(path: str | os.PathLike[str], render: Callable[[int], np.ndarray],
                 n_frames: int, fps: float = 25.0, progress: Progress | None = None,
                 cancelled: Callable[[], bool] | None = None) -> Path:
    """Render `n_frames` frames with `render(i)` and write them to `path` (.mp4 or .gif)."""
    import imageio.v2 as iio

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise DataError(path, f"cannot write video as '{suffix or 'no suffix'}'",
                        "name the file .mp4 or .gif", field="out")
    if n_frames < 1 or not fps > 0:
        raise DataError(path, f"{n_frames} frames at {fps} fps is not a video",
                        "record at least one frame at a positive frame rate")
    progress = progress or no_progress
    with atomic_path(path) as tmp:  # a cancelled or failed recording leaves no half file
        if suffix == ".mp4":
            writer = iio.get_writer(tmp, format="FFMPEG", fps=fps, codec="libx264", quality=7,
                                    pixelformat="yuv420p", macro_block_size=1,
                                    ffmpeg_log_level="error")
        else:
            writer = iio.get_writer(tmp, format="GIF", mode="I", duration=1000.0 / fps, loop=0)
        try:
            _write_frames(writer, path, render, n_frames, progress, cancelled)
        finally:
            writer.close()
    return path


def _write_frames(writer, path: Path, render: Callable[[int], np.ndarray], n_frames: int,
                  progress: Progress, cancelled: Callable[[], bool] | None) -> None:
    size = None
    for i in range(n_frames):
        if cancelled is not None and cancelled():
            raise Cancelled(f"recording cancelled after {i} of {n_frames} frames")
        frame = _even(render(i))
        if size is None:
            size = frame.shape
        elif frame.shape != size:
            raise DataError(path, f"frame {i} is {frame.shape[1]}x{frame.shape[0]}, the "
                            f"first was {size[1]}x{size[0]}", "render every frame at one size")
        writer.append_data(frame)
        progress((i + 1) / n_frames, f"frame {i + 1} of {n_frames}")
