"""The buildings table: footprints with base and height in metres, read from any vector file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hktwin.core.errors import DataError
from hktwin.core.limits import BUILDING_HEIGHT_M, TERRAIN_M
from hktwin.geo.vector import read_vector


@dataclass(frozen=True, eq=False)
class Buildings:
    """Column arrays, one row per building, in EPSG:2326.

    `base` is the ground height at the footprint and `height` the height above it, so the roof
    stands at `base + height` above the Hong Kong Principal Datum.
    """

    ids: np.ndarray  # int64
    names: np.ndarray  # object (str)
    kinds: np.ndarray  # object (str)
    base: np.ndarray  # float32
    height: np.ndarray  # float32
    footprints: np.ndarray  # shapely Polygons
    centroid_x: np.ndarray  # float64
    centroid_y: np.ndarray  # float64
    source: Path | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def row_of(self, building_id: int) -> int:
        """Row index of a building id (ids are sorted at load time)."""
        row = int(np.searchsorted(self.ids, building_id))
        if row >= len(self.ids) or self.ids[row] != building_id:
            raise KeyError(building_id)
        return row

    def describe(self, building_id: int) -> dict[str, object]:
        """The attributes an inspector shows for one building."""
        row = self.row_of(building_id)
        return {
            "id": int(self.ids[row]),
            "name": str(self.names[row]) or "(unnamed)",
            "kind": str(self.kinds[row]),
            "height_m": float(self.height[row]),
            "base_m": float(self.base[row]),
            "roof_m": float(self.base[row] + self.height[row]),
            "easting": float(self.centroid_x[row]),
            "northing": float(self.centroid_y[row]),
        }


REQUIRED = ("building_id", "base", "height")


def _check_values(path: str | Path, table) -> None:
    """Refuse a pack whose buildings cannot be real: heights not in (0, 1000] m, bases outside
    the terrain limits (an importer never writes them; a crafted or damaged file does)."""
    for column, (lo, hi), strict_low in (("height", BUILDING_HEIGHT_M, True),
                                         ("base", TERRAIN_M, False)):
        values = np.asarray(table[column], dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(values) | (values > hi) | \
                ((values <= lo) if strict_low else (values < lo))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            ident = table["building_id"][i]
            raise DataError(path, f"building {ident} has a {column} of {values[i]:g} m, outside "
                            f"{lo:g}..{hi:g} m ({int(bad.sum())} such buildings)",
                            "import the buildings again with `hktwin data import`",
                            field=column)


def read_buildings(path: str | Path) -> Buildings:
    """Read a buildings layer in the data-pack schema (`building_id`, `base`, `height`, ...)."""
    import shapely

    table = read_vector(path, expect="polygon")
    missing = [c for c in REQUIRED if c not in table]
    if missing:
        raise DataError(path, f"missing column(s) {', '.join(missing)}",
                        "import the file with `hktwin data import --as buildings`",
                        field=missing[0])
    for column in ("base", "height"):
        if not np.issubdtype(np.asarray(table[column]).dtype, np.number):
            raise DataError(path, f"column '{column}' is not numeric", "store heights in metres",
                            field=column)
    _check_values(path, table)
    table = table.take(np.argsort(table["building_id"], kind="stable"))
    footprints = shapely.orient_polygons(table.geometry, exterior_cw=False)
    centroids = shapely.centroid(footprints)
    n = len(table)
    return Buildings(
        ids=np.asarray(table["building_id"], dtype=np.int64),
        names=np.asarray(table["name"] if "name" in table else [""] * n, dtype=object),
        kinds=np.asarray(table["kind"] if "kind" in table else ["building"] * n, dtype=object),
        base=np.asarray(table["base"], dtype=np.float32),
        height=np.asarray(table["height"], dtype=np.float32),
        footprints=footprints,
        centroid_x=shapely.get_x(centroids),
        centroid_y=shapely.get_y(centroids),
        source=Path(path),
    )
