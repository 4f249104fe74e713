"""`hktwin snapshot`: render the city to a PNG with no window (EGL surfaceless)."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hktwin.commands.common import UsageError, check_pack, size_arg
from hktwin.model.camera import HOME_VIEW, VIEW_NAMES


def time_arg(text: str) -> datetime:
    """An ISO 8601 time; without an offset it is Hong Kong Time."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an ISO 8601 time such as "
                                         "2026-06-21T16:00") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone(timedelta(hours=8)))


#: `--positioning` values: the error models of `analysis.ar.localisation`, or off.
POSITIONING = ("vps", "gnss-canyon", "off")
DEFAULT_ERROR_MODEL = "vps"  # = analysis.ar.localisation.DEFAULT_ERROR_MODEL (kept light)


def register(sub) -> None:
    snap = sub.add_parser("snapshot", help="render the city to a PNG with no window")
    snap.add_argument("--out", required=True, help="PNG file to write")
    snap.add_argument("--size", type=size_arg, default=None,
                      help="WIDTHxHEIGHT (1280x800; with --ar-at the device's screen, upright)")
    snap.add_argument("--view", choices=VIEW_NAMES, default=HOME_VIEW, help="named view")
    snap.add_argument("--pack", type=Path, help="data pack folder (default: the demo city)")
    snap.add_argument("--show", action="append", default=[], metavar="LAYER",
                      help="turn this layer on (repeatable), e.g. a plugin's 'Sun and shadow'")
    snap.add_argument("--hide", action="append", default=[], metavar="LAYER",
                      help="turn this layer off (repeatable)")
    snap.add_argument("--time", type=time_arg, help="the clock's time, ISO 8601 "
                      "(2026-06-21T16:00; Hong Kong Time unless an offset is given)")
    ar = snap.add_argument_group("AR street view")
    ar.add_argument("--ar-at", type=point_arg, metavar="EASTING,NORTHING",
                    help="render the AR street view standing here (EPSG:2326), eye 1.6 m up")
    ar.add_argument("--heading", type=float, help="compass bearing the phone faces (degrees)")
    ar.add_argument("--pitch", type=float, default=0.0,
                    help="degrees above the horizon, -30..60 (0: level)")
    ar.add_argument("--device", default="generic-phone",
                    help="phone or tablet preset (iphone-15, pixel-8, ipad, ...) or custom:FOV")
    ar.add_argument("--scenario", type=Path,
                    help="scenario file whose AR anchors (and coverage, for the HUD) to show")
    ar.add_argument("--positioning", choices=POSITIONING, default=DEFAULT_ERROR_MODEL,
                    help="the phone's positioning error to preview: each anchor's drift "
                    "envelope and stability on its card (default: %(default)s; off: the "
                    "planned positions only)")


def point_arg(text: str) -> tuple[float, float]:
    """EASTING,NORTHING in metres."""
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not EASTING,NORTHING such as "
                                         "834025,816005") from None
    return x, y


def _check_out(text: str) -> Path:
    """The PNG to write, refused before any rendering when it cannot be written: empty, an
    existing folder, not .png, under a file or a system folder, in a missing folder."""
    from hktwin.core.files import check_output_file

    if text is not None and str(text).strip() and not str(text).lower().endswith(".png"):
        raise UsageError(f"--out must name a .png file, not '{text}'")
    return check_output_file(text, "--out", ".png")


def _write(out: Path, image) -> None:
    """`render.snapshot.write_png`, with its temporary file removed and one line on failure."""
    import contextlib
    import os

    from hktwin.core.files import os_error
    from hktwin.render.snapshot import write_png

    try:
        write_png(out, image)
    except OSError as exc:
        with contextlib.suppress(OSError):
            out.with_name(f".{out.name}.{os.getpid()}.tmp").unlink()
        raise os_error(exc, out) from exc


def run(args: argparse.Namespace) -> int:
    from hktwin.core.progress import TerminalProgress
    from hktwin.render.snapshot import render_city

    out = args.out = _check_out(args.out)
    check_pack(args.pack)
    if args.ar_at is not None:
        return _run_ar(args)
    if args.heading is not None or args.scenario is not None:
        raise UsageError("--heading and --scenario go with --ar-at EASTING,NORTHING")
    if args.positioning != DEFAULT_ERROR_MODEL:
        raise UsageError("--positioning goes with --ar-at EASTING,NORTHING")
    args.size = args.size or (1280, 800)
    shot = render_city(args.pack, args.view, args.size, progress=TerminalProgress(),
                       show=args.show, hide=args.hide, when=args.time)
    _write(out, shot.image)
    print(f"wrote {out} ({args.size[0]}x{args.size[1]}, view {args.view})")
    return 0


def _run_ar(args: argparse.Namespace) -> int:
    from hktwin.analysis.ar.devices import get_device
    from hktwin.core.progress import TerminalProgress
    from hktwin.render.snapshot import render_ar

    if args.heading is None:
        raise UsageError("--ar-at needs --heading DEG (the compass bearing the phone faces)")
    if not -30.0 <= args.pitch <= 60.0:
        raise UsageError(f"--pitch {args.pitch:g} is outside -30..60 degrees")
    if args.scenario is not None and not args.scenario.is_file():
        raise UsageError(f"--scenario: no such file: {args.scenario}")
    get_device(args.device)  # an unknown device is refused before anything loads
    x, y = args.ar_at
    shot = render_ar(x, y, args.heading, args.pitch, args.device, args.scenario, args.pack,
                     args.size, progress=TerminalProgress(), when=args.time, show=args.show,
                     hide=args.hide, positioning=args.positioning)
    _write(args.out, shot.image)
    h, w = shot.image.shape[:2]
    shown = sum(v.shown for v in shot.preview.views)
    held = shot.preview.stability
    stability = "".join(f", {k} stability {v.score:.0%}" for k, v in held.items())
    print(f"wrote {args.out} ({w}x{h}, AR at {x:.0f},{y:.0f} heading {args.heading:g}, "
          f"{args.device}, {shown} of {len(shot.preview.views)} anchors shown, positioning "
          f"{args.positioning}{stability})")
    return 0
