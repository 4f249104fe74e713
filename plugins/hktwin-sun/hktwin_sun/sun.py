"""The sun's position over Hong Kong, by NREL's Solar Position Algorithm (Reda and Andreas 2004)
as pvlib implements it (`pvlib.solarposition.spa_python`): elevation with refraction and
azimuth clockwise from north, in degrees."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np

HKT = timezone(timedelta(hours=8))
#: Hong Kong Observatory headquarters, Tsim Sha Tsui: the default observer
HK_LAT, HK_LON, HK_ALT_M = 22.3019, 114.1742, 32.0


def _as_hkt(when: datetime) -> datetime:
    return when.replace(tzinfo=HKT) if when.tzinfo is None else when


def sun_positions(times: list[datetime], lat: float = HK_LAT, lon: float = HK_LON,
                  altitude_m: float = HK_ALT_M, pressure_pa: float = 101325.0,
                  temperature_c: float = 23.0) -> tuple[np.ndarray, np.ndarray]:
    """(apparent elevation, azimuth) in degrees for each time (naive times are Hong Kong
    Time). Refraction uses Hong Kong's mean temperature and sea-level pressure by default."""
    import pandas as pd
    from pvlib import solarposition

    index = pd.DatetimeIndex([_as_hkt(t) for t in times])
    pos = solarposition.spa_python(index, lat, lon, altitude=altitude_m,
                                   temperature=temperature_c, pressure=pressure_pa)
    return (pos["apparent_elevation"].to_numpy(np.float64),
            pos["azimuth"].to_numpy(np.float64))


def sun_position(when: datetime, lat: float = HK_LAT, lon: float = HK_LON) -> tuple[float, float]:
    """(elevation, azimuth) in degrees at one time."""
    elevation, azimuth = sun_positions([when], lat, lon)
    return float(elevation[0]), float(azimuth[0])


def day_times(day: date, step_minutes: int = 30) -> list[datetime]:
    """The times of a Hong Kong day, every `step_minutes` from 00:00."""
    start = datetime(day.year, day.month, day.day, tzinfo=HKT)
    return [start + timedelta(minutes=m) for m in range(0, 24 * 60, step_minutes)]
