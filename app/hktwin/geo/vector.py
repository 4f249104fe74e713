"""Reading vector layers into EPSG:2326 `VectorTable`s.

GeoParquet (the data packs' own format) is read with pyarrow and shapely alone: importing
geopandas costs ~0.7 s, more than reading a whole city, and opening a pack must be fast. Other
formats (GeoJSON, GeoPackage, Shapefile, FileGDB...) go through geopandas and pyogrio.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hktwin.core.errors import DataError
from hktwin.geo.crs import HK1980

_GEOMETRY_FAMILIES = {
    "polygon": (3, 6),  # shapely type ids: Polygon, MultiPolygon
    "line": (1, 2, 5),  # LineString, LinearRing, MultiLineString
    "point": (0, 4),  # Point, MultiPoint
}


@dataclass(eq=False)
class VectorTable:
    """Geometries (shapely, EPSG:2326) with attribute columns, one row per feature."""

    geometry: np.ndarray
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    source: Path | None = None

    def __len__(self) -> int:
        return len(self.geometry)

    def __contains__(self, column: str) -> bool:
        return column in self.columns

    def __getitem__(self, column: str) -> np.ndarray:
        return self.columns[column]

    def take(self, rows: np.ndarray) -> VectorTable:
        return VectorTable(self.geometry[rows], {k: v[rows] for k, v in self.columns.items()},
                           self.source)

    def to_geodataframe(self):
        """The same table as a GeoDataFrame, for scripts and notebooks."""
        import geopandas as gpd

        return gpd.GeoDataFrame(self.columns, geometry=list(self.geometry), crs=HK1980)


def read_vector(path: str | Path, expect: str | None = None) -> VectorTable:
    """Read a vector file, reproject it to EPSG:2326 and keep the `expect`ed geometry family.

    Raises `DataError` naming the file for a missing or unreadable file, no CRS or no usable
    geometry.
    """
    import shapely

    path = Path(path)
    if not path.exists():
        raise DataError(path, "vector file not found", "check the data pack's manifest.json")
    try:
        if path.suffix.lower() == ".parquet":
            table = _read_geoparquet(path)
        else:
            table = _read_with_geopandas(path)
    except DataError:
        raise
    except Exception as exc:  # pyogrio, pyarrow and GDAL raise many unrelated types
        raise DataError(path, f"cannot read the vector file ({exc})",
                        "replace it with an intact copy or export it again") from exc
    geoms = table.geometry
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if expect is not None:
        keep &= np.isin(shapely.get_type_id(geoms), _GEOMETRY_FAMILIES[expect])
    if not keep.any() and expect is not None:
        raise DataError(path, f"no usable {expect} geometry", f"give a file with {expect} features")
    return table if keep.all() else table.take(np.flatnonzero(keep))


def _read_geoparquet(path: Path) -> VectorTable:
    import pyarrow.parquet as pq
    import shapely

    pf = pq.ParquetFile(path).read()  # read_table would import pyarrow.dataset and pandas
    meta = json.loads((pf.schema.metadata or {}).get(b"geo", b"{}"))
    geom_col = meta.get("primary_column", "geometry")
    if geom_col not in pf.column_names:
        raise DataError(path, "no geometry column (not a GeoParquet file)",
                        "write it with GeoPandas' to_parquet or GDAL's Parquet driver")
    geometry = shapely.from_wkb(_to_numpy(pf.column(geom_col)))
    columns = {name: _to_numpy(pf.column(name)) for name in pf.column_names if name != geom_col}
    # GeoParquet: a missing "crs" means OGC:CRS84 (longitude, latitude).
    crs = meta.get("columns", {}).get(geom_col, {}).get("crs", "OGC:CRS84")
    if crs is None:
        raise DataError(path, "the file has no CRS", "set its CRS (e.g. EPSG:2326 or EPSG:4326)")
    if not _is_hk1980(crs):
        geometry = _reproject(geometry, crs)
    return VectorTable(geometry, columns, path)


def _to_numpy(column) -> np.ndarray:
    """A pyarrow column as numpy without pyarrow's pandas-backed conversion (importing pandas
    costs ~0.25 s, a quarter of opening the demo city): plain numbers are viewed from their
    buffer, anything else goes through Python objects."""
    array = column.combine_chunks()
    dtype = _NUMPY_TYPES.get(str(array.type))
    if dtype is not None and array.null_count == 0:
        data = np.frombuffer(array.buffers()[1], dtype=dtype)
        return data[array.offset : array.offset + len(array)]
    return np.array(array.to_pylist(), dtype=object)


_NUMPY_TYPES = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
                "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32,
                "uint64": np.uint64, "float": np.float32, "double": np.float64}


def _is_hk1980(crs) -> bool:
    if isinstance(crs, dict):
        ident = crs.get("id", {})
        return ident.get("authority") == "EPSG" and ident.get("code") == 2326
    return str(crs).upper() in ("EPSG:2326",)


def _reproject(geometry: np.ndarray, crs) -> np.ndarray:
    import shapely
    from pyproj import CRS, Transformer

    source = CRS.from_user_input(json.dumps(crs) if isinstance(crs, dict) else crs)
    transformer = Transformer.from_crs(source, HK1980, always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(
        transformer.transform(xy[:, 0], xy[:, 1])))


def _read_with_geopandas(path: Path) -> VectorTable:
    import geopandas as gpd

    gdf = gpd.read_file(path, engine="pyogrio")
    if gdf.crs is None:
        raise DataError(path, "the file has no CRS", "set its CRS (e.g. EPSG:2326 or EPSG:4326)")
    if gdf.crs.to_epsg() != 2326:
        gdf = gdf.to_crs(HK1980)
    columns = {name: gdf[name].to_numpy() for name in gdf.columns if name != gdf.geometry.name}
    return VectorTable(np.asarray(gdf.geometry.values, dtype=object), columns, path)
