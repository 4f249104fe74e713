"""Render the city to an image with no window: vispy's EGL backend (surfaceless Mesa or a GPU),
or an X server when EGL is missing."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from hktwin.core.progress import Progress, no_progress, sub_progress

DEFAULT_SIZE = (1280, 800)


def select_headless_backend() -> str:
    """Choose and activate the vispy backend for offscreen rendering; returns its name."""
    import vispy
    from vispy.app import _default_app

    if _default_app.default_app is not None:  # a window already runs: render with its backend
        return _default_app.default_app.backend_name
    os.environ.setdefault("EGL_PLATFORM", "surfaceless")
    try:
        vispy.use("egl")
        return "egl"
    except Exception as egl_error:
        if not os.environ.get("DISPLAY"):
            raise RuntimeError(
                f"cannot render offscreen: EGL is unavailable ({egl_error}) and no DISPLAY is set;"
                " install libegl1 and libgl1-mesa-dri, or run under Xvfb"
            ) from egl_error
        vispy.use("pyside6")
        return "pyside6"


@dataclass
class Snapshot:
    """An RGBA image of the city, the canvas it was drawn on (for projecting points) and the
    time the first frame took, shader compilation and uploads included."""

    image: np.ndarray
    canvas: object
    frame_ms: float


def render_city(
    pack: str | Path | None = None,
    view: str = "harbour",
    size: tuple[int, int] = DEFAULT_SIZE,
    progress: Progress = no_progress,
    cache: Path | bool | None = True,
    show: Sequence[str] = (),
    hide: Sequence[str] = (),
    when: datetime | None = None,
) -> Snapshot:
    """Load a pack and draw it from a named view; the same scene the window shows.

    `show` / `hide` name layers to turn on or off (a plugin's hidden layer, say); `when` sets
    the twin's clock (the time live and time-dependent layers such as shadows show).
    """
    from hktwin.model.loading import load_city
    from hktwin.model.twin import Twin

    select_headless_backend()
    from hktwin.render.scene import CityCanvas

    loaded = load_city(pack, progress=sub_progress(progress, 0.0, 0.85), cache=cache)
    twin = Twin(city=loaded.city)
    twin.go_to(view)
    if when is not None:
        twin.clock.seek(when)
    twin.layers.extend(loaded.layers)
    set_visibility(twin.layers, show, hide)
    progress(0.9, "Rendering")
    canvas = CityCanvas(twin, size=size, show=False)
    if loaded.city.approximate:
        canvas.set_notice(approximate_notice(loaded.city.name))
        back_notice(canvas)
    start = time.perf_counter()
    image = canvas.render()
    image = np.array(image)  # writable
    image[..., 3] = 255  # a snapshot is opaque: blended text leaves no see-through pixels
    frame_ms = (time.perf_counter() - start) * 1000.0
    progress(1.0, "Rendered")
    return Snapshot(image=image, canvas=canvas, frame_ms=frame_ms)


def set_visibility(layers, show: Sequence[str], hide: Sequence[str]) -> None:
    """Turn the named layers on or off; an unknown name is refused with the known ones."""
    from hktwin.core.errors import DataError

    for names, visible in ((show, True), (hide, False)):
        for name in names:
            layer = layers.get(name)
            if layer is None:
                raise DataError(None, f"no layer called '{name}'",
                                f"choose one of: {', '.join(layers.names())}", field="--show")
            layer.visible = visible


def back_notice(canvas) -> None:
    """Make the corner notice readable over any scene yet small: solid dark text on a light,
    slightly translucent box just larger than the text (the notice is anchored at its right
    end, `canvas.notice.pos`)."""
    from vispy import scene

    text = canvas.notice
    text.color = (0.05, 0.07, 0.10, 1.0)
    text.font_size = 9
    size_px = text.font_size * 96.0 / 72.0
    right, bottom = text.pos[0][:2]
    width = 0.47 * size_px * len(text.text) + 14
    height = size_px + 9
    # Canvas pixels grow downwards, so the text hangs below its anchor point.
    box = scene.visuals.Rectangle(center=(right + 6 - width / 2, bottom + size_px / 2 + 1),
                                  width=width, height=height, radius=3,
                                  color=(1.0, 1.0, 1.0, 0.82), border_color=None,
                                  parent=canvas.scene)
    box.order = text.order - 1


def approximate_notice(city_name: str) -> str:
    """The unobtrusive line every view of an approximate pack carries."""
    return f"HK Twin · {city_name} · not for planning: import official data"


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write an RGBA array as PNG, atomically."""
    from vispy.io import write_png as _write_png

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    _write_png(str(tmp), image)
    os.replace(tmp, path)
