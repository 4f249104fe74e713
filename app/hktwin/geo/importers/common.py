"""What every importer shares: options, the record of one written layer, CRS handling, reading
a source vector file into EPSG:2326 and writing GeoParquet.

Everything is column-wise (pyogrio's raw reader, shapely's array functions, pyarrow), so a
territory of 342,000 footprints is read, reprojected and written without a Python loop over
features.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hktwin.core.errors import Cancelled, DataError
from hktwin.geo.crs import HK1980

#: A generous box around Hong Kong in EPSG:2326 (metres). Data that lands wholly outside it after
#: reprojection was declared in the wrong CRS, and a pack built from it would show nothing.
HK_ENVELOPE = (760_000.0, 760_000.0, 900_000.0, 880_000.0)


@dataclass
class ImportOptions:
    """Choices the user can make on the command line or in the import dialog."""

    height_field: str | None = None  # buildings: a field holding the height above the base (m)
    crs: str | None = None  # the sources' CRS, for files with none (ESRI ASCII) or a wrong one
    name: str | None = None  # layer name; an existing layer of that name is replaced
    layer: str | None = None  # the layer to read from a multi-layer file (GeoPackage, FileGDB)
    storey_height: float = 3.0  # metres per storey when only a storey count is known
    default_height: float = 10.0  # metres, for footprints with no height information at all
    cancel: threading.Event | None = None

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled("import cancelled")


@dataclass
class LayerResult:
    """One layer written into the pack's staging folder, with what the manifest records."""

    name: str
    kind: str
    path: str  # relative to the pack folder
    sources: list[str]
    count: int | None = None  # features (vectors)
    extent: tuple[float, float, float, float] | None = None
    size: tuple[int, int] | None = None  # columns, rows (rasters)
    resolution: float | None = None  # metres per cell (rasters)
    stats: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    replaced: str | None = None  # the name of the layer this one replaced

    def manifest_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": self.path, "kind": self.kind, "crs": HK1980,
                                 "sources": self.sources}
        if self.count is not None:
            entry["count"] = self.count
        if self.extent is not None:
            entry["extent"] = [round(float(v), 3) for v in self.extent]
        if self.size is not None:
            entry["size"] = list(self.size)
            entry["resolution"] = self.resolution
        if self.stats:
            entry["stats"] = self.stats
        return entry


# --- CRS ------------------------------------------------------------------------------------


def parse_crs(text: str, where: Path | str | None = None, field_name: str = "--crs"):
    """A pyproj CRS from user text ('EPSG:2326', WKT, PROJ JSON), or a DataError saying why not."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return CRS.from_user_input(text)
    except CRSError as exc:
        raise DataError(where, f"'{str(text)[:60]}' is not a coordinate reference system GDAL or "
                        f"PROJ knows ({exc})", "give an EPSG code such as EPSG:2326 (HK1980 Grid) "
                        "or EPSG:4326 (longitude/latitude)", field=field_name) from exc


def is_hk1980(crs) -> bool:
    return crs is not None and crs.to_epsg() == 2326


def no_crs_error(path: Path, detail: str = "") -> DataError:
    prj = path.with_suffix(".prj")
    if prj.exists():
        problem = f"the CRS in {prj.name} cannot be read{detail}"
    else:
        problem = f"the file declares no coordinate reference system{detail}"
    return DataError(path, problem, "declare it with --crs EPSG:2326 (HK1980 Grid) or --crs "
                     "EPSG:4326 (longitude/latitude), or put a valid .prj beside the file",
                     field="crs")


def check_geographic_range(path: Path, crs, bounds) -> None:
    """Refuse projected metres labelled as degrees: a GeoJSON written in HK1980 Grid without a
    `crs` member reads as WGS84, and reprojecting 836000 'degrees' gives nonsense."""
    if crs is None or not crs.is_geographic:
        return
    xmin, ymin, xmax, ymax = bounds
    if xmin < -180.5 or xmax > 360.5 or ymin < -90.5 or ymax > 90.5:
        hint = (" They look like HK1980 Grid metres" if 700_000 < xmax < 900_000 else "")
        raise DataError(path, f"the coordinates (x {xmin:.0f}..{xmax:.0f}, y "
                        f"{ymin:.0f}..{ymax:.0f}) are not longitude/latitude, yet the file's CRS "
                        f"is {crs.to_string()}."
                        + hint, "declare the CRS the coordinates are in, e.g. --crs EPSG:2326",
                        field="crs")


def check_in_hong_kong(path: Path, bounds, crs_name: str) -> None:
    """Refuse data that lands wholly outside Hong Kong once in EPSG:2326 (a wrong CRS)."""
    xmin, ymin, xmax, ymax = bounds
    ex0, ey0, ex1, ey1 = HK_ENVELOPE
    finite = all(np.isfinite(v) for v in bounds)
    if not finite or xmax < ex0 or xmin > ex1 or ymax < ey0 or ymin > ey1:
        raise DataError(path, f"after reprojection from {crs_name} the data lies at x "
                        f"{xmin:.0f}..{xmax:.0f}, y {ymin:.0f}..{ymax:.0f} (EPSG:2326), outside "
                        "Hong Kong", "check the file's CRS; declare the right one with --crs",
                        field="crs")


def reproject(geometry: np.ndarray, crs) -> np.ndarray:
    """Geometries from `crs` to EPSG:2326 (vectorised over all coordinates at once)."""
    import shapely
    from pyproj import Transformer

    if is_hk1980(crs):
        return geometry
    transformer = Transformer.from_crs(crs, HK1980, always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(
        transformer.transform(xy[:, 0], xy[:, 1])))


# --- reading a source vector ----------------------------------------------------------------


@dataclass
class SourceTable:
    """A source file's features, already in EPSG:2326; `columns` keep the source field names."""

    path: Path
    geometry: np.ndarray
    columns: dict[str, np.ndarray]
    fids: np.ndarray  # the source's feature ids (or 0..n-1), to report problems by id
    crs_name: str
    notes: list[str] = field(default_factory=list)  # warnings for the import report

    def __len__(self) -> int:
        return len(self.geometry)

    def find(self, *candidates: str) -> str | None:
        """The first column named like one of `candidates` (case and '_'/' ' insensitive)."""
        return find_column(self.columns, candidates)


def _norm(name: str) -> str:
    return name.lower().replace("_", "").replace(" ", "").replace("-", "")


def find_column(columns, candidates) -> str | None:
    by_norm = {_norm(c): c for c in columns}
    for cand in candidates:
        hit = by_norm.get(_norm(cand))
        if hit is not None:
            return hit
    return None


def read_source_vector(path: Path, gdal_path: str, options: ImportOptions) -> SourceTable:
    """Read every feature of a vector file (any GDAL format, or GeoParquet), drop features with
    no geometry, reproject to EPSG:2326 and check the result lies in Hong Kong."""
    import shapely

    if gdal_path.lower().endswith(".parquet"):
        geometry, columns, fids, crs = _read_parquet(path)
        notes = []
    else:
        layer, notes = _choose_layer(path, gdal_path, options.layer)
        geometry, columns, fids, crs = _read_ogr(path, gdal_path, layer)
    if options.crs:
        crs = parse_crs(options.crs, path)
    n_all = len(geometry)
    keep = ~(shapely.is_missing(geometry) | shapely.is_empty(geometry))
    if not keep.any():
        raise DataError(path, f"no usable geometry ({n_all} feature(s), none with a shape)",
                        "export the layer with its geometry, or give another file",
                        field="geometry")
    if not keep.all():
        geometry = geometry[keep]
        columns = {k: v[keep] for k, v in columns.items()}
        fids = fids[keep]
    if crs is None:
        raise no_crs_error(path)
    bounds = shapely.total_bounds(geometry)
    check_geographic_range(path, crs, bounds)
    geometry = reproject(geometry, crs)
    crs_name = crs.to_string()
    check_in_hong_kong(path, shapely.total_bounds(geometry), crs_name)
    return SourceTable(path, geometry, columns, fids, crs_name, notes)


def _choose_layer(path: Path, gdal_path: str, layer: str | None) -> tuple[str | None, list[str]]:
    """The layer to read: the one asked for, else the first with geometry (noted when the file
    holds several, e.g. a GeoPackage or FileGDB)."""
    import pyogrio

    try:
        layers = pyogrio.list_layers(gdal_path)
    except Exception:  # the read reports an unreadable file with more context
        return layer, []
    names = [str(n) for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise DataError(path, f"no layer named '{layer}' (layers: {', '.join(names[:10])})",
                            "name one of its layers with --layer", field="--layer")
        return layer, []
    if len(layers) <= 1:
        return None, []
    with_geometry = [str(n) for n, g in layers if g not in (None, "None", "")]
    chosen = (with_geometry or names)[0]
    return chosen, [f"{path} [layer]: the file holds {len(names)} layers "
                    f"({', '.join(names[:8])}); imported '{chosen}'. Fix: choose another with "
                    "--layer"]


def numeric(table: SourceTable, column: str) -> np.ndarray:
    """A field as float64 with NaN for blanks; text that is no number is refused by name."""
    values = np.asarray(table.columns[column])
    if values.dtype.kind in "biuf":
        return values.astype(np.float64)
    if values.dtype.kind == "b":
        raise DataError(table.path, f"field '{column}' holds true/false, not metres",
                        "name a numeric field with --height-field", field=column)
    import pandas as pd

    series = pd.Series(values, dtype=object)
    blank = series.isna() | (series.astype(str).str.strip() == "")
    number = pd.to_numeric(series.where(~blank), errors="coerce").to_numpy(np.float64)
    bad = np.isnan(number) & ~blank.to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(table.path, f"field '{column}' holds text ('{str(values[first])[:30]}' "
                        f"in feature {table.fids[first]}; {int(bad.sum())} of {len(values)} "
                        "values are not numbers)", "fix or clear those values, or name another "
                        "field with --height-field", field=column)
    return number


def _read_ogr(path: Path, gdal_path: str, layer: str | None):
    import pyogrio
    import shapely
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        meta, fids, wkb, field_data = pyogrio.raw.read(gdal_path, layer=layer, return_fids=True)
    except (DataSourceError, DataLayerError) as exc:
        raise DataError(path, f"cannot read the vector file ({_first_line(exc)})",
                        "check that the file is complete; export it again as GeoPackage or "
                        "GeoJSON") from exc
    except Exception as exc:  # GDAL surfaces odd failures as many types
        raise DataError(path, f"cannot read the vector file ({_first_line(exc)})",
                        "export it again as GeoPackage or GeoJSON") from exc
    if wkb is None:
        raise DataError(path, "the file has no geometry column", "export the layer with its "
                        "geometry (a table of attributes alone cannot be placed on the map)",
                        field="geometry")
    geometry = shapely.from_wkb(wkb, on_invalid="ignore")
    columns = {name: np.asarray(values) for name, values in zip(meta["fields"], field_data,
                                                                strict=True)}
    crs = None
    if meta.get("crs"):
        try:
            crs = parse_crs(meta["crs"], path, "crs")
        except DataError:
            crs = None
    if fids is None or len(fids) != len(geometry):
        fids = np.arange(len(geometry))
    return geometry, columns, np.asarray(fids), crs


def _read_parquet(path: Path):
    import pyarrow.parquet as pq
    import shapely

    from hktwin.geo.vector import _to_numpy

    try:
        table = pq.ParquetFile(path).read()
    except Exception as exc:
        raise DataError(path, f"cannot read the Parquet file ({_first_line(exc)})",
                        "export it again") from exc
    meta = json.loads((table.schema.metadata or {}).get(b"geo", b"{}"))
    geom_col = meta.get("primary_column", "geometry")
    if geom_col not in table.column_names:
        raise DataError(path, "no geometry column (not a GeoParquet file)",
                        "write it with GeoPandas' to_parquet or GDAL's Parquet driver",
                        field="geometry")
    geometry = shapely.from_wkb(_to_numpy(table.column(geom_col)), on_invalid="ignore")
    columns = {n: _to_numpy(table.column(n)) for n in table.column_names if n != geom_col}
    column_meta = meta.get("columns", {}).get(geom_col, {})
    crs_value = column_meta.get("crs", "OGC:CRS84")  # GeoParquet: absent means CRS84
    crs = None
    if crs_value is not None:
        crs = parse_crs(json.dumps(crs_value) if isinstance(crs_value, dict) else crs_value, path,
                        "crs")
    return geometry, columns, np.arange(len(geometry)), crs


def short_error(exc: BaseException, limit: int = 160) -> str:
    """The useful first line of a library error: GDAL's own message where rasterio wraps it
    ('Read failed. See previous exception'), without GDAL's advice about driver prefixes."""
    while "previous exception" in str(exc) and (exc.__cause__ or exc.__context__):
        exc = exc.__cause__ or exc.__context__
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    if "not recognized as" in text:
        text = "GDAL recognises no format in it"
    return text[:limit]


_first_line = short_error


# --- writing GeoParquet ---------------------------------------------------------------------


def _projjson_2326() -> dict:
    from pyproj import CRS

    return CRS.from_epsg(2326).to_json_dict()


_TYPE_NAMES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint",
               5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}


def arrow_column(values: np.ndarray):
    """A pyarrow array from a numpy column; mixed or odd objects become text."""
    import pyarrow as pa

    values = np.asarray(values)
    if values.dtype.kind in "biuf":
        return pa.array(values)
    if values.dtype.kind in "mM":
        return pa.array(values.astype(str))
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        import pandas as pd

        text = np.where(pd.isna(values), None, values.astype(str))
        return pa.array(text, type=pa.string(), from_pandas=True)


def write_geoparquet(path: Path, geometry: np.ndarray, columns: dict[str, np.ndarray]) -> None:
    """GeoParquet 1.0 in EPSG:2326, written with pyarrow alone (no pandas round trip)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    names = [n for n in columns if n != "geometry"]
    arrays = [arrow_column(columns[n]) for n in names]
    wkb = shapely.to_wkb(geometry)
    arrays.append(pa.array(wkb, type=pa.binary()))
    names.append("geometry")
    types = sorted({_TYPE_NAMES.get(int(t), "Unknown")
                    for t in np.unique(shapely.get_type_id(geometry))})
    bbox = [float(v) for v in shapely.total_bounds(geometry)] if len(geometry) else []
    geo = {"version": "1.0.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "geometry_types": types,
                                    "crs": _projjson_2326(), "bbox": bbox}}}
    table = pa.Table.from_arrays(arrays, names=names)
    table = table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    path.unlink(missing_ok=True)  # never write through a hard link into the live pack
    pq.write_table(table, path, compression="zstd")


def clean_columns(columns: dict[str, np.ndarray], drop: set[str] | None = None):
    """Source attributes as pack columns: unique names, no geometry, nothing unwritable."""
    out = {}
    for name, values in columns.items():
        if drop and name in drop:
            continue
        key = str(name) or "field"
        if key.lower() == "geometry":
            key = f"{key}_attr"
        while key in out:
            key += "_"
        out[key] = values
    return out
