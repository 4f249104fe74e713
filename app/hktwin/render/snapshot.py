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

from hktwin.core.files import atomic_path
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
    if city_notice(loaded.city):
        canvas.set_notice(city_notice(loaded.city))
    start = time.perf_counter()
    image = canvas.render()
    image = np.array(image)  # writable
    image[..., 3] = 255  # a snapshot is opaque: blended text leaves no see-through pixels
    frame_ms = (time.perf_counter() - start) * 1000.0
    progress(1.0, "Rendered")
    return Snapshot(image=image, canvas=canvas, frame_ms=frame_ms)


def render_ar(
    x: float,
    y: float,
    heading: float,
    pitch: float = 0.0,
    device: str = "generic-phone",
    scenario: str | Path | None = None,
    pack: str | Path | None = None,
    size: tuple[int, int] | None = None,
    progress: Progress = no_progress,
    cache: Path | bool | None = True,
    when: datetime | None = None,
    show: Sequence[str] = (),
    hide: Sequence[str] = (),
    positioning: str | None = None,
) -> Snapshot:
    """The AR street view at (x, y) in EPSG:2326, eye 1.6 m above the ground, looking along
    `heading` and `pitch` through `device`'s lens, with the scenario's anchors and the HUD.

    `positioning` names a phone's positioning error (`analysis.ar.localisation`: "vps",
    "gnss-canyon"; None or "off": none): each shown anchor is drawn with its drift envelope and
    its stability on the card (`hktwin snapshot --ar-at` asks for "vps" unless told otherwise).

    `size` defaults to the device's screen held upright (portrait, 1280 px tall); a wider than
    tall size holds it in landscape. With a scenario that has small cells, the HUD's signal is
    that of the scenario's coverage evaluation at the spot (evaluated on the same lattice in a
    small window around it, so the numbers are those of the whole evaluation's cell there).
    """
    from hktwin.analysis.ar.devices import get_device
    from hktwin.model.loading import load_city, load_live
    from hktwin.model.twin import Twin

    preset = get_device(device)
    if positioning == "off":
        positioning = None
    if positioning is not None:
        from hktwin.analysis.ar.localisation import get_error_model

        get_error_model(positioning)  # an unknown model is refused before anything loads
    select_headless_backend()
    from hktwin.render.ar import ArPreview
    from hktwin.render.scene import CityCanvas

    loaded = load_city(pack, progress=sub_progress(progress, 0.0, 0.6), cache=cache)
    loaded = load_live(loaded, sub_progress(progress, 0.6, 0.7))
    city = loaded.city
    check_street_spot(city, x, y)
    twin = Twin(city=city)
    twin.layers.extend([*loaded.layers, *loaded.live_layers])
    feeds = None
    if loaded.store is not None and loaded.live_layers:  # the pack's recorded day, for the HUD
        from hktwin.session.feeds import FeedService

        feeds = FeedService(twin.clock)
        feeds.bind(loaded.store, loaded.live_layers)
    if when is not None:
        twin.clock.seek(when)
    set_visibility(twin.layers, show, hide)
    anchors, coverage = [], None
    if scenario is not None:
        anchors, coverage = _scenario_at(scenario, city, x, y,
                                         sub_progress(progress, 0.7, 0.9))
    if size is None:
        size = preset.image_size("portrait", 1280)
    orientation = "landscape" if size[0] > size[1] else "portrait"
    progress(0.9, "Rendering the AR view")
    canvas = CityCanvas(twin, size=size, show=False, overview=False)
    preview = ArPreview(canvas, device=device, orientation=orientation, framed=False,
                        anchors=anchors, coverage=coverage,
                        content_dir=None if scenario is None else Path(scenario).parent)
    preview.set_error_model(positioning)  # drawn by the first frame, once it stands
    preview.stand_at(x, y, heading, pitch)
    start = time.perf_counter()
    image = np.array(canvas.render())
    image[..., 3] = 255
    frame_ms = (time.perf_counter() - start) * 1000.0
    progress(1.0, "Rendered")
    shot = Snapshot(image=image, canvas=canvas, frame_ms=frame_ms)
    shot.preview = preview  # type: ignore[attr-defined]
    if feeds is not None:
        feeds.close()
    return shot


def check_street_spot(city, x: float, y: float) -> None:
    """Refuse a spot outside the city or inside a building, saying which."""
    import shapely

    from hktwin.core.errors import DataError

    xmin, ymin, xmax, ymax = city.bounds
    if not (xmin <= x <= xmax and ymin <= y <= ymax):
        raise DataError(None, f"the spot {x:.0f},{y:.0f} is outside the city "
                        f"({xmin:.0f}..{xmax:.0f} E, {ymin:.0f}..{ymax:.0f} N)",
                        "give an easting,northing in EPSG:2326 inside the pack", field="--ar-at")
    b = city.buildings
    if b is not None and len(b):
        inside = np.flatnonzero(shapely.contains_xy(b.footprints, x, y))
        if len(inside):
            name = str(b.names[inside[0]]) or f"building {b.ids[inside[0]]}"
            raise DataError(None, f"the spot {x:.0f},{y:.0f} is inside {name}",
                            "stand in a street or square: move a few metres", field="--ar-at")


def _scenario_at(scenario: str | Path, city, x: float, y: float, progress: Progress):
    """The scenario's AR anchors, and its coverage around (x, y) when it has small cells."""
    from hktwin.model.scenario_io import load_scenario

    sc = load_scenario(Path(scenario))
    anchors = list(sc.anchors)
    if not len(sc.cells):
        return anchors, None
    from hktwin.analysis.coverage import EvaluationSettings
    from hktwin.session.evaluation import evaluate_scenario

    half = 40.0
    settings = EvaluationSettings(bounds=(x - half, y - half, x + half, y + half),
                                  resolution_m=5.0)
    ev = evaluate_scenario(sc, scenario_path=scenario, pack=city.path, city=city,
                           settings=settings, progress=progress)
    return anchors, ev.result


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


def city_notice(city) -> str:
    """The corner notice of a city: what is approximate, what official ("" for none)."""
    if getattr(city, "base", None) is not None:
        from hktwin.geo.compose import official_notice

        return f"HK Twin · {city.name} · {official_notice(city)}"
    return approximate_notice(city.name) if city.approximate else ""


def approximate_notice(city_name: str) -> str:
    """The unobtrusive line every view of an approximate pack carries."""
    return f"HK Twin · {city_name} · not for planning: import official data"


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write an RGBA array as PNG, atomically."""
    from vispy.io import write_png as _write_png

    with atomic_path(path) as tmp:  # no temporary left behind when the write fails
        _write_png(str(tmp), image)
