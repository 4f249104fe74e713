"""Building footprints (Lands Department or any polygon file) -> the pack's building schema.

Heights, per building, from the first source that has a usable value:
  1. the field named with `--height-field` (metres above the base), when given;
  2. `TopHeight - BaseHeight` (the Lands Department's fields, both in mPD);
  3. a storey count (`Storeys`, `NUMSTOREY`, ...) x `storey_height` (3.0 m, a typical Hong Kong
     floor-to-floor height);
  4. a `height` field already in metres (a pack's own buildings file);
  5. otherwise `default_height`, with a warning that counts the buildings affected.
The base is `BaseHeight` when present, else the lowest terrain sampled along the footprint's
outline (every cell) and at a point inside it, so no wall floats above a slope.

MultiPolygons become one building per part (each keeps `source_id`), holes are kept, invalid
rings are repaired with `shapely.make_valid` (their polygon parts kept) and footprints that
cannot be repaired are reported by id. All of it is column-wise: no Python loop over buildings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from hktwin.core.errors import DataError
from hktwin.core.limits import BUILDING_HEIGHT_M
from hktwin.core.progress import Progress, no_progress
from hktwin.geo.importers.common import (
    ImportOptions,
    LayerResult,
    SourceTable,
    find_column,
    numeric,
    read_source_vector,
    write_geoparquet,
)
from hktwin.geo.importers.detect import Source
from hktwin.geo.terrain import Terrain

TerrainSource = Terrain | Callable[[], Terrain | None] | None

TOP_FIELDS = ("TopHeight", "TOPHEIGHT", "top_height", "ROOF_HEIGHT", "roofheight")
BASE_FIELDS = ("BaseHeight", "BASEHEIGHT", "base_height", "base", "GROUND_HEIGHT")
STOREY_FIELDS = ("Storeys", "NUMSTOREY", "NUM_STOREY", "NO_OF_STOREY", "NUMBER_OF_STOREYS",
                 "STOREY", "FLOORS", "NUM_FLOORS", "NumberOfFloors")
HEIGHT_FIELDS = ("height", "BLDG_HEIGHT", "BUILDING_HEIGHT", "HEIGHT_M")
NAME_FIELDS = ("name", "EnglishBuildingName", "ENGLISHBUILDINGNAME", "BuildingName_EN",
               "BuildingName", "BUILDINGNAME", "NAME_EN", "ENAME", "BLDG_NAME",
               "ChineseBuildingName", "CHINESEBUILDINGNAME")
KIND_FIELDS = ("kind", "BuildingBlockType", "BUILDINGBLOCKTYPE", "BUILDINGSTRUCTURETYPE",
               "BuildingType", "BLDG_TYPE", "USAGE")
DISTRICT_FIELDS = ("district", "DISTRICT", "DC_ENG", "DISTRICT_E")
ID_FIELDS = ("BuildingID", "BUILDINGID", "BUILDING_ID", "BLDG_ID", "building_id", "BuildingCSUID",
             "OBJECTID", "FID", "id")
#: Keywords of building types -> the kinds the renderer colours.
KIND_WORDS = (
    ("resid", "residential"), ("domestic", "residential"), ("flat", "residential"),
    ("comm", "commercial"), ("office", "commercial"), ("retail", "commercial"),
    ("hotel", "commercial"), ("shop", "commercial"), ("indus", "industrial"),
    ("godown", "industrial"), ("warehouse", "industrial"), ("factory", "industrial"),
    ("village", "village"), ("house", "village"), ("gov", "public"), ("public", "public"),
    ("school", "public"), ("hospital", "public"), ("instit", "public"), ("landmark", "landmark"),
)
HEIGHT_FROM = np.array(["none", "field", "TopHeight-BaseHeight", "storeys", "height",
                        "default"], dtype=object)


def import_buildings(sources: list[Source], out_path: Path, name: str, options: ImportOptions,
                     terrain: TerrainSource = None,
                     progress: Progress = no_progress) -> LayerResult:
    """Read, normalise and write every footprint of `sources` as one buildings layer.

    `terrain` (or a function returning it, called only when some footprint lacks a BaseHeight,
    since a territory DTM takes a while to read) stands the buildings on the ground.
    """
    parts: list[dict[str, np.ndarray]] = []
    warnings: list[str] = []
    stats = {"features": 0, "repaired": 0, "unrepairable": 0, "not_polygons": 0}
    for i, source in enumerate(sources):
        options.check_cancel()
        progress(i / len(sources), f"Reading {source.path.name}")
        table = read_source_vector(source.path, source.gdal_path, options)
        progress((i + 0.5) / len(sources), f"Normalising {len(table)} footprints")
        parts.append(_normalise(table, options, terrain, warnings, stats))
    columns = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    geometry = columns.pop("geometry")
    n = len(geometry)
    if n == 0:
        raise DataError(sources[0].path, "no building footprint polygons", "give the footprint "
                        "layer (polygons)", field="geometry")
    heights_from = columns.pop("height_from")
    columns = {"building_id": np.arange(1, n + 1, dtype=np.int64), **columns}
    if not np.any(columns["district"] != ""):
        del columns["district"]  # optional in the pack schema: only when the source names it
    options.check_cancel()
    progress(0.9, f"Writing {n} buildings")
    write_geoparquet(out_path, geometry, columns)
    import shapely

    used, counts = np.unique(heights_from, return_counts=True)
    stats["height_from"] = {str(HEIGHT_FROM[u]): int(c) for u, c in zip(used, counts,
                                                                          strict=True)}
    stats["buildings"] = n
    return LayerResult(name=name, kind="buildings", path=out_path.name,
                       sources=[s.path.name for s in sources], count=n,
                       extent=tuple(float(v) for v in shapely.total_bounds(geometry)),
                       stats=stats, warnings=warnings)


def _normalise(table: SourceTable, options: ImportOptions, terrain: TerrainSource,
               warnings: list[str], stats: dict) -> dict[str, np.ndarray]:
    """One source's rows -> exploded, repaired footprints with the pack's columns."""
    path, n = table.path, len(table)
    stats["features"] += n
    warnings.extend(table.notes)
    height, height_from = _heights(table, options, warnings)
    missing = height_from == 0
    if missing.any():
        height[missing] = options.default_height
        height_from[missing] = 5
        warnings.append(f"{path} [height]: {int(missing.sum())} of {n} buildings have no usable "
                        "height (no TopHeight/BaseHeight, storey count or height field, or only "
                        "values that cannot be real); they stand "
                        f"{options.default_height:g} m tall. Fix: name the field holding "
                        "heights with --height-field")
    geometry, row, repaired, lost = _polygons(table.geometry)
    stats["repaired"] += repaired
    if len(lost):
        stats["unrepairable"] += len(lost)
        ids = ", ".join(str(v) for v in table.fids[lost[:10]])
        more = f" and {len(lost) - 10} more" if len(lost) > 10 else ""
        warnings.append(f"{path} [geometry]: {len(lost)} footprint(s) are not polygons or cannot "
                        f"be repaired and were skipped (feature ids {ids}{more}). Fix: redraw "
                        "them in a GIS and import again")
    base = _base(table, geometry, row, terrain, warnings)
    source_id = _source_ids(table)
    out = {
        "geometry": geometry,
        "source_id": source_id[row],
        "name": _text(table, NAME_FIELDS)[row],
        "kind": _kinds(table)[row],
        "base": base.astype(np.float32),
        "height": height[row].astype(np.float32),
        "height_from": height_from[row],
    }
    district = find_column(table.columns, DISTRICT_FIELDS)
    out["district"] = (_text(table, (district,)) if district else
                       np.full(n, "", dtype=object))[row]
    return out


# --- heights --------------------------------------------------------------------------------


def _heights(table: SourceTable, options: ImportOptions,
             warnings: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Height above the base (m) and where it came from (index into HEIGHT_FROM; 0 = none).

    A negative height or one beyond `BUILDING_HEIGHT_M` (1000 m) cannot be real: it is not
    used (the next source of heights, or the default, serves) and a warning names the file,
    the field, how many, and an example value with its feature id."""
    n = len(table)
    height = np.full(n, np.nan)
    origin = np.zeros(n, np.int8)
    notes = warnings if warnings is not None else []

    def take(values: np.ndarray, code: int, field: str = "") -> None:
        free = (origin == 0) & np.isfinite(values)
        negative = free & (values < 0)
        tall = free & (values > BUILDING_HEIGHT_M[1])
        for bad, what in ((negative, "a negative height"),
                          (tall, f"a height taller than {BUILDING_HEIGHT_M[1]:g} m")):
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                notes.append(f"{table.path} [{field or HEIGHT_FROM[code]}]: {int(bad.sum())} "
                             f"building(s) have {what} (e.g. {values[i]:g} m, feature id "
                             f"{table.fids[i]}), which cannot be real; it was not used. Fix: "
                             "correct the value in the source")
        ok = free & (values > 0) & ~tall
        height[ok] = values[ok]
        origin[ok] = code

    if options.height_field:
        column = table.find(options.height_field)
        if column is None:
            fields = ", ".join(list(table.columns)[:12])
            raise DataError(table.path, f"no field named '{options.height_field}' (fields: "
                            f"{fields})", "name one of the file's fields with --height-field",
                            field=options.height_field)
        take(numeric(table, column), 1, column)
    top, base = table.find(*TOP_FIELDS), table.find(*BASE_FIELDS)
    if top and base:
        take(numeric(table, top) - numeric(table, base), 2, f"{top}-{base}")
    storeys = table.find(*STOREY_FIELDS)
    if storeys:
        take(numeric(table, storeys) * options.storey_height, 3, storeys)
    plain = table.find(*HEIGHT_FIELDS)
    if plain:
        take(numeric(table, plain), 4, plain)
    return height, origin


def _base(table: SourceTable, geometry: np.ndarray, row: np.ndarray, terrain: TerrainSource,
          warnings: list[str]) -> np.ndarray:
    """Ground height per output footprint: BaseHeight, else the terrain's minimum under it."""
    column = table.find(*BASE_FIELDS)
    base = numeric(table, column)[row] if column else np.full(len(row), np.nan)
    need = ~np.isfinite(base)
    if not need.any():
        return base
    if callable(terrain):
        terrain = terrain()
    if terrain is None:
        base[need] = 0.0
        warnings.append(f"{table.path} [base]: {int(need.sum())} buildings have no BaseHeight "
                        "and the pack has no terrain to stand them on; their base is 0 m. Fix: "
                        "import the DTM first (or in the same command)")
        return base
    # One base per source feature: every part of a MultiPolygon stands on its lowest ground.
    per_part = ground_under(geometry[need], terrain)
    lowest = np.full(len(table), np.nan)
    np.fmin.at(lowest, row[need], per_part)
    ground = lowest[row[need]]
    off = ~np.isfinite(ground)
    if off.any():
        ground[off] = 0.0
        warnings.append(f"{table.path} [base]: {int(off.sum())} buildings lie off the terrain "
                        "(or over nodata); their base is 0 m. Fix: import a DTM that covers them")
    base[need] = ground
    return base


def ground_under(footprints: np.ndarray, terrain: Terrain) -> np.ndarray:
    """The lowest terrain height along each footprint's rings (densified to the cell size) and
    at a point inside it; NaN where all of them are off the terrain."""
    import shapely

    dense = shapely.segmentize(footprints, terrain.cell_size)
    coords, owner = shapely.get_coordinates(dense, return_index=True)
    heights = terrain.height_at(coords[:, 0], coords[:, 1])
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    lowest = np.full(len(footprints), np.nan)
    with np.errstate(invalid="ignore"):
        lowest[owner[starts]] = np.fmin.reduceat(heights, starts)
    inside = shapely.point_on_surface(footprints)
    return np.fmin(lowest, terrain.height_at(shapely.get_x(inside), shapely.get_y(inside)))


# --- geometry -------------------------------------------------------------------------------


def _polygons(geometry: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """Valid single Polygons (holes kept) and the source row of each; invalid footprints are
    repaired with make_valid. Returns (polygons, rows, repaired count, rows with nothing left)."""
    import shapely

    geometry = geometry.copy()
    invalid = ~shapely.is_valid(geometry)
    if invalid.any():
        geometry[invalid] = shapely.make_valid(geometry[invalid], method="structure",
                                               keep_collapsed=False)
    parts, row = shapely.get_parts(geometry, return_index=True)
    parts, inner = shapely.get_parts(parts, return_index=True)  # collections of multipolygons
    row = row[inner]
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0.0)
    parts, row = parts[keep], row[keep]
    has = np.zeros(len(geometry), bool)
    has[row] = True
    return parts, row, int(invalid.sum()), np.flatnonzero(~has)


# --- attributes -----------------------------------------------------------------------------


def _text(table: SourceTable, candidates) -> np.ndarray:
    """Text from the first candidate field, blanks filled from the next ones (an English
    building name, else the Chinese one); "" where none has a value."""
    import pandas as pd

    out = np.full(len(table), "", dtype=object)
    for name in dict.fromkeys(find_column(table.columns, (c,)) for c in candidates):
        if name is None:
            continue
        values = np.asarray(table.columns[name], dtype=object)
        blank = pd.isna(values)
        values = values.astype(str).astype(object)
        values[blank] = ""
        empty = out == ""
        out[empty] = values[empty]
        if not (out == "").any():
            break
    return out


def _kinds(table: SourceTable) -> np.ndarray:
    raw = _text(table, KIND_FIELDS)
    uniques, inverse = np.unique(raw.astype(str), return_inverse=True)
    mapped = np.array([_kind_of(u) for u in uniques], dtype=object)  # a few distinct types
    return mapped[inverse]


def _kind_of(value: str) -> str:
    low = value.lower()
    for word, kind in KIND_WORDS:
        if word in low:
            return kind
    return low.strip() or "building"


def _source_ids(table: SourceTable) -> np.ndarray:
    column = table.find(*ID_FIELDS)
    if column is None:
        return np.asarray(table.fids, dtype=np.int64)
    values = np.asarray(table.columns[column])
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    if values.dtype.kind == "f" and np.all(np.isfinite(values)) and np.all(values == np.round(
            values)):
        return values.astype(np.int64)
    return _text(table, (column,))
