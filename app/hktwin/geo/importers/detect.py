"""What a file is, decided from its content rather than its name.

Official downloads arrive with names like `Whole_HK_DTM_5m.zip`, `tsm_link_and_node_info_v2.csv`
or `Building_Footprint.gdb`; the bytes say more than the suffix. The order of the tests:
empty -> zip (look inside) -> TIFF / ESRI ASCII grid / other GDAL raster -> TD link-and-node CSV
-> GeoParquet -> any GDAL vector, whose geometry and fields pick the kind (building heights ->
buildings, `t_pop` -> population, district names -> districts, points -> stations, lines ->
roads). `--as KIND` overrides the kind, but not the form: a raster cannot become buildings.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from hktwin.core.errors import DataError
from hktwin.core.files import read_bounded
from hktwin.geo.importers import KINDS
from hktwin.geo.importers.ascii_grid import looks_like_ascii_grid
from hktwin.geo.importers.common import find_column, short_error

#: Fields that mark a building footprint layer (Lands Department names first).
BUILDING_FIELDS = ("TopHeight", "BaseHeight", "TOPHEIGHT", "BASEHEIGHT", "Storeys", "NUMSTOREY",
                   "NUM_STOREY", "NO_OF_STOREY", "BuildingBlockType", "BUILDINGSTRUCTUREID",
                   "roof_height", "building_id")
POPULATION_FIELDS = ("t_pop", "population", "pop_total", "TOTAL_POP")
DISTRICT_FIELDS = ("DC_ENG", "DC_CODE", "DC_CHIN", "district", "ENAME", "DISTRICT_E", "NAME_EN",
                   "name_en")
TD_LINK_COLUMNS = ("Link ID", "Start Node Eastings", "Start Node Northings",
                   "End Node Eastings", "End Node Northings")
_RASTER_HINTS = ("pop", "density", "census")
_VECTOR_MEMBERS = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".kml", ".gml", ".tab",
                   ".parquet", ".csv")
_RASTER_MEMBERS = (".asc", ".tif", ".tiff", ".img", ".dem")
RASTER_FORMS = ("raster", "ascii-grid")


@dataclass(frozen=True)
class Source:
    """One input: the file given, how to read it (`form`) and the layer kind it becomes."""

    path: Path
    form: str  # "raster" | "ascii-grid" | "vector" | "td-links"
    kind: str
    member: str | None = None  # the file inside a zip archive
    geometry: str | None = None  # "polygon" | "line" | "point" for vectors
    importer: str | None = None  # a plugin's importer (`plugin:name`) for form "plugin"

    @property
    def gdal_path(self) -> str:
        """The path GDAL (rasterio, pyogrio) opens: a /vsizip/ path for a zip member."""
        if self.member:
            return f"/vsizip/{self.path.resolve()}/{self.member}"
        return str(self.path)

    @property
    def is_raster(self) -> bool:
        return self.form in RASTER_FORMS


def detect(path: str | Path, as_kind: str | None = None,
           height_field: str | None = None, layer: str | None = None) -> Source:
    """Inspect a file (and `layer` of a multi-layer one) and decide its form and kind; raises
    DataError naming the file."""
    path = Path(path)
    if as_kind is not None and as_kind not in KINDS:
        plugin = _plugin_source(path, as_kind)
        if plugin is not None:
            return plugin
        from hktwin.plugins import importer_names

        raise DataError(path, f"unknown kind '{as_kind}'",
                        f"use one of {', '.join((*KINDS, *importer_names()))}", field="--as")
    try:
        return _detect(path, as_kind, height_field, layer)
    except DataError:
        plugin = _plugin_source(path) if as_kind is None and path.is_file() else None
        if plugin is None:
            raise
        return plugin


def _plugin_source(path: Path, as_kind: str | None = None) -> Source | None:
    """The file as a plugin importer's input: the importer named `as_kind`, else the first
    whose `detect` takes the file; it writes a layer of the kind its manifest names (`kind`,
    default its name), which that plugin's `[[pack_kinds]]` reader reads back."""
    from hktwin.plugins import importer_for

    c = importer_for(path, as_kind)
    if c is None:
        return None
    if not path.is_file():
        raise DataError(path, "file not found", "check the path")
    return Source(path, "plugin", str(c.meta.get("kind", c.name)), importer=c.id)


def _detect(path: Path, as_kind: str | None, height_field: str | None,
            layer: str | None) -> Source:
    """The app's own formats: see the module docstring."""
    if not path.exists():
        raise DataError(path, "file not found", "check the path")
    if path.is_dir():
        if path.suffix.lower() == ".gdb":  # an ESRI file geodatabase is a folder
            return _choose(_vector(path, str(path), layer=layer), as_kind, height_field)
        raise DataError(path, "is a folder, not a data file", "give the files inside it")
    if path.stat().st_size == 0:
        raise DataError(path, "the file is empty (0 bytes)",
                        "download or export it again; an interrupted download leaves empty files")
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(b"PK\x03\x04"):
        source = _zip_member(path)
    elif head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        source = _raster(path, str(path), "raster")
    elif looks_like_ascii_grid(head):
        source = Source(path, "ascii-grid", "terrain")
    elif _is_td_links(head):
        source = Source(path, "td-links", "roads", geometry="line")
    elif head.startswith(b"PAR1"):
        source = _vector(path, str(path))
    else:
        source = _other(path, head, layer)
    return _choose(source, as_kind, height_field)


def _choose(source: Source, as_kind: str | None, height_field: str | None) -> Source:
    if as_kind is None:
        if height_field and source.geometry == "polygon":
            return replace(source, kind="buildings")
        return source
    if source.is_raster and as_kind not in ("terrain", "population", "raster"):
        raise DataError(source.path, f"is a raster; it cannot be imported as {as_kind}",
                        "use --as terrain, population or raster, or give a vector file",
                        field="--as")
    if not source.is_raster and as_kind in ("terrain", "raster"):
        raise DataError(source.path, f"is a vector file; it cannot be imported as {as_kind}",
                        "give a GeoTIFF or an ESRI ASCII grid for a raster layer", field="--as")
    if as_kind == "buildings" and source.geometry not in ("polygon", None):
        raise DataError(source.path, f"holds {source.geometry}s, but buildings need footprint "
                        "polygons", "give the footprint layer, or another --as", field="--as")
    return replace(source, kind=as_kind)


def _is_td_links(head: bytes) -> bool:
    first = head.splitlines()[0] if head else b""
    text = first.decode("utf-8-sig", "replace")
    return all(col in text for col in TD_LINK_COLUMNS)


def _zip_member(path: Path) -> Source:
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if not n.endswith("/")]
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(path, f"the zip archive is damaged ({exc})",
                        "download it again") from exc
    rasters = [n for n in names if n.lower().endswith(_RASTER_MEMBERS)]
    vectors = [n for n in names if n.lower().endswith(_VECTOR_MEMBERS)]
    gdbs = sorted({n.split(".gdb/")[0] + ".gdb" for n in names if ".gdb/" in n.lower()})
    found = rasters + vectors + gdbs
    if len(found) != 1:
        what = ", ".join(found[:6]) if found else "no raster or vector file"
        raise DataError(path, f"the archive holds {what}",
                        "unzip it and import the data file(s) you want")
    member = found[0]
    if member.lower().endswith(".asc"):
        with zipfile.ZipFile(path) as z, z.open(member) as f:
            if not looks_like_ascii_grid(f.read(256)):
                raise DataError(path, f"{member} in the archive is not an ESRI ASCII grid",
                                "unzip it and check the file")
        return Source(path, "ascii-grid", "terrain", member=member)
    probe = Source(path, "vector", "vector", member=member)
    if member.lower().endswith(_RASTER_MEMBERS):
        return _raster(path, probe.gdal_path, "raster", member)
    return _vector(path, probe.gdal_path, member)


def _raster(path: Path, gdal_path: str, form: str, member: str | None = None) -> Source:
    import rasterio
    from rasterio.errors import RasterioError

    try:
        with rasterio.open(gdal_path) as ds:
            descriptions = [d or "" for d in (ds.descriptions or ())]
            tags = [f"{k}={v}" for k, v in ds.tags().items()]
    except RasterioError as exc:
        raise DataError(path, f"not a readable raster ({_short(exc)}); the file is corrupt or "
                        "not a GeoTIFF", "download or export it again") from exc
    text = " ".join([path.name, member or "", *descriptions, *tags]).lower()
    kind = "population" if any(h in text for h in _RASTER_HINTS) else "terrain"
    return Source(path, form, kind, member=member)


def _other(path: Path, head: bytes, layer: str | None = None) -> Source:
    """A file whose first bytes name no format: try GDAL's vector drivers, then its raster ones."""
    try:
        return _vector(path, str(path), layer=layer)
    except DataError as vector_error:
        import rasterio
        from rasterio.errors import RasterioError

        try:
            with rasterio.open(path):
                pass
        except RasterioError:
            if path.suffix.lower() == ".csv":
                raise DataError(path, "a CSV without map geometry (not a TD link-and-node table)",
                                "give tsm_link_and_node_info_v2.csv, or convert the table to "
                                "GeoJSON or GeoPackage with its coordinates") from vector_error
            raise vector_error from None
        return _raster(path, str(path), "raster")


def _vector(path: Path, gdal_path: str, member: str | None = None,
            layer: str | None = None) -> Source:
    if gdal_path.lower().endswith(".parquet"):
        fields, geometry = _parquet_info(path)
    else:
        fields, geometry = _ogr_info(path, gdal_path, layer)
    return Source(path, "vector", _vector_kind(fields, geometry), member=member,
                  geometry=geometry)


def _vector_kind(fields, geometry: str | None) -> str:
    if geometry == "polygon":
        if find_column(fields, BUILDING_FIELDS):
            return "buildings"
        if find_column(fields, POPULATION_FIELDS):
            return "population"
        if find_column(fields, DISTRICT_FIELDS):
            return "districts"
        return "vector"
    if geometry == "point":
        return "stations"
    if geometry == "line":
        return "roads"
    return "vector"


_FAMILY = {"point": "point", "multipoint": "point", "linestring": "line",
           "multilinestring": "line", "polygon": "polygon", "multipolygon": "polygon"}


def _family_from_name(name: str | None) -> str | None:
    if not name:
        return None
    key = name.lower().replace("3d ", "").replace(" z", "").replace(" m", "").replace(" ", "")
    return _FAMILY.get(key)


def _family_from_ids(type_ids) -> str | None:
    import numpy as np

    ids = np.asarray(type_ids)
    ids = ids[ids >= 0]
    if len(ids) == 0:
        return None
    counts = {"point": np.isin(ids, (0, 4)).sum(), "line": np.isin(ids, (1, 2, 5)).sum(),
              "polygon": np.isin(ids, (3, 6)).sum()}
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def _ogr_info(path: Path, gdal_path: str, layer: str | None = None):
    import warnings

    import pyogrio
    import shapely
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        with warnings.catch_warnings():  # "more than one layer": the import report says it
            warnings.simplefilter("ignore", UserWarning)
            info = pyogrio.read_info(gdal_path, layer=layer)
    except DataLayerError as exc:
        _check_prj(path, exc)
        if layer is None:
            raise DataError(path, f"cannot read the vector file ({_short(exc)})",
                            "check that the file is complete; export it again") from exc
        try:
            names = ", ".join(str(n) for n, _ in pyogrio.list_layers(gdal_path)[:10])
        except Exception:
            names = "?"
        raise DataError(path, f"no layer named '{layer}' (layers: {names})",
                        "name one of its layers with --layer", field="--layer") from exc
    except DataSourceError as exc:
        _check_prj(path, exc)
        raise DataError(path, f"not a vector or raster format HK Twin can read ({_short(exc)})",
                        "give a GeoTIFF, ESRI ASCII grid, GeoJSON, GeoPackage, Shapefile, "
                        "FileGDB or GeoParquet file") from exc
    fields = list(info.get("fields", []))
    geometry = _family_from_name(info.get("geometry_type"))
    if geometry is None and info.get("geometry_type") not in (None, "None"):
        # Mixed or unknown (GeoJSON with Polygons and MultiPolygons): look at some features.
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                _, _, wkb, _ = pyogrio.raw.read(gdal_path, layer=layer, max_features=500,
                                                columns=[])
        except Exception:  # the full read reports the problem with more context
            wkb = None
        if wkb is not None:
            geometry = _family_from_ids(shapely.get_type_id(shapely.from_wkb(
                wkb, on_invalid="ignore")))
    return fields, geometry


def _check_prj(path: Path, exc: Exception) -> None:
    """GDAL refuses a whole Shapefile over a garbled .prj; say that, not 'unreadable'."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    prj = path.with_suffix(".prj")
    if not prj.is_file():
        return
    try:
        CRS.from_user_input(read_bounded(prj, 1 << 20, "projection file").decode(
            "utf-8", "replace"))
    except CRSError:
        raise DataError(path, f"the CRS in {prj.name} cannot be read ({_short(exc)})",
                        f"fix {prj.name}, or delete it and declare the CRS with --crs EPSG:2326",
                        field="crs") from exc


def _parquet_info(path: Path):
    import json

    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:
        raise DataError(path, f"cannot read the Parquet file ({_short(exc)})",
                        "export it again") from exc
    meta = json.loads((schema.metadata or {}).get(b"geo", b"{}"))
    primary = meta.get("primary_column", "geometry")
    types = meta.get("columns", {}).get(primary, {}).get("geometry_types", [])
    families = {_family_from_name(t) for t in types} - {None}
    geometry = families.pop() if len(families) == 1 else None
    return [n for n in schema.names if n != primary], geometry


def _short(exc: BaseException) -> str:
    return short_error(exc)
