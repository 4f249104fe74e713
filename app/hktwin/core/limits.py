"""Values that cannot be real in Hong Kong, checked at import and parse (documented in
docs/reliability.md). Anything outside is refused or masked, naming the file, field and value.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: Ground height (m above HKPD): the deepest dredged channel is ~-30 m, Tai Mo Shan 957 m; the
#: margins leave room for seabed DTMs and survey noise.
TERRAIN_M = (-100.0, 1200.0)
#: Height of a building above its base (m): the tallest, ICC, is 484 m.
BUILDING_HEIGHT_M = (0.0, 1000.0)
#: Air temperature (degC): Hong Kong's records are 0.0 and 39.0 degC.
TEMPERATURE_C = (-20.0, 60.0)
#: Road traffic speed (km/h): the fastest limit is 110 km/h.
SPEED_KMH = (0.0, 200.0)
#: Raster values this large are nodata sentinels (float32 max 3.4e38 and the like), not data.
SENTINEL_ABS = 1e30
#: Integer nodata sentinels GIS software writes when a file declares none.
SENTINELS = (-9999.0, -32767.0, -32768.0, -99999.0)


def is_sentinel(values: np.ndarray) -> np.ndarray:
    """True where a raster value is nodata in disguise: +-inf, >= 1e30 in size, or one of the
    usual integer sentinels."""
    import numpy as np

    v = np.asarray(values)
    with np.errstate(invalid="ignore"):
        return (np.isinf(v) | (np.abs(v) >= SENTINEL_ABS) | np.isin(v, SENTINELS))


def outside(values: np.ndarray, limits: tuple[float, float]) -> np.ndarray:
    """True where a value is a number outside `limits` (NaN is not outside: it is missing)."""
    import numpy as np

    v = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (v < limits[0]) | (v > limits[1]) | np.isinf(v)


def in_range(value: float | None, limits: tuple[float, float]) -> bool:
    """A single reading: None (missing) passes; anything else must be finite inside `limits`."""
    if value is None:
        return True
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(v) and limits[0] <= v <= limits[1]
