"""Reading vector layers (any format GDAL reads) into EPSG:2326 GeoDataFrames."""

from __future__ import annotations

from pathlib import Path

from hktwin.core.errors import DataError
from hktwin.geo.crs import HK1980

_GEOMETRY_FAMILIES = {
    "polygon": {"Polygon", "MultiPolygon"},
    "line": {"LineString", "MultiLineString"},
    "point": {"Point", "MultiPoint"},
}


def read_vector(path: str | Path, expect: str | None = None):
    """Read a vector file, reproject it to EPSG:2326 and check its geometry family.

    Raises `DataError` naming the file for a missing file, an unreadable one, no CRS or no
    usable geometry.
    """
    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise DataError(path, "vector file not found", "check the data pack's manifest.json")
    try:
        if path.suffix.lower() == ".parquet":
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio, pyarrow and GDAL raise many unrelated types
        raise DataError(path, f"cannot read the vector file ({exc})",
                        "replace it with an intact copy or export it again") from exc
    if gdf.crs is None:
        raise DataError(path, "the file has no CRS", "set its CRS (e.g. EPSG:2326 or EPSG:4326)")
    if gdf.crs.to_epsg() != 2326:
        gdf = gdf.to_crs(HK1980)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if expect is not None:
        allowed = _GEOMETRY_FAMILIES[expect]
        gdf = gdf[gdf.geom_type.isin(allowed)]
        if len(gdf) == 0:
            raise DataError(path, f"no usable {expect} geometry",
                            f"give a file with {expect} features")
    return gdf
