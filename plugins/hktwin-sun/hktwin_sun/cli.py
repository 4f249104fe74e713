"""`hktwin sun`: the sun's position at a time, or the share of an area in shadow over a day."""

from __future__ import annotations

import argparse
import json
from datetime import date, datetime
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("sun", help="sun position, and the share of an area in shadow over a day")
    p.add_argument("--time", type=datetime.fromisoformat,
                   help="a time (ISO 8601, Hong Kong Time unless an offset is given)")
    p.add_argument("--date", type=date.fromisoformat, help="a day for the shadow share")
    p.add_argument("--area", help="xmin,ymin,xmax,ymax in EPSG:2326 metres")
    p.add_argument("--step", type=int, default=30, help="minutes between samples (30)")
    p.add_argument("--pack", type=Path, help="data pack folder (default: the demo city)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    import hktwin.plugins as hp
    from hktwin_sun import sun

    out: dict = {}
    if args.time is not None:
        elevation, azimuth = sun.sun_position(args.time)
        out["sun"] = {"time": sun._as_hkt(args.time).isoformat(),
                      "elevation_deg": round(elevation, 4), "azimuth_deg": round(azimuth, 4)}
    if args.area is not None:
        import shapely

        from hktwin_sun.layer import day_shadow_share

        try:
            box = [float(v) for v in args.area.split(",")]
            assert len(box) == 4 and box[0] < box[2] and box[1] < box[3]
        except (ValueError, AssertionError):
            raise hp.DataError(None, f"--area '{args.area}' is not xmin,ymin,xmax,ymax",
                               "give four numbers in EPSG:2326 metres", field="--area") from None
        city = hp.open_pack(args.pack)
        day = args.date or (args.time.date() if args.time else date.today())
        result = day_shadow_share(city.buildings, shapely.box(*box), day, args.step)
        out["shadow"] = {"date": day.isoformat(), "area": box,
                         "daylight_mean_share": round(result.daylight_mean_share, 4),
                         "area_weighted_sun_hours": round(result.sunlit_hours, 2),
                         "series": [{"time": t.strftime("%H:%M"), "elevation": round(float(e), 2),
                                     "share": round(float(s), 4)}
                                    for t, e, s in zip(result.times, result.elevation,
                                                       result.share, strict=True) if e > 0]}
    if not out:
        raise hp.DataError(None, "nothing to compute", "give --time and/or --area",
                           field="sun")
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    if "sun" in out:
        s = out["sun"]
        print(f"{s['time']}: sun {s['elevation_deg']:.2f} deg up, azimuth {s['azimuth_deg']:.2f}")
    if "shadow" in out:
        s = out["shadow"]
        print(f"{s['date']}: {s['daylight_mean_share']:.0%} of the open ground in shadow on "
              f"average in daylight; {s['area_weighted_sun_hours']:.1f} area-weighted sun hours")
        for row in s["series"]:
            print(f"  {row['time']}  sun {row['elevation']:5.1f} deg  shadow {row['share']:.0%}")
    return 0
