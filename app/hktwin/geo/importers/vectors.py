"""Roads, districts, stations, population and any other vector -> one GeoParquet layer.

Each kind keeps the geometry family it is drawn with (roads: lines, districts and population:
polygons, stations: points; `vector` keeps everything) and gains the few normalised columns the
app reads by name, beside all of the source's own fields:

- roads from the Transport Department's link-and-node CSV: one straight line per link between
  its start and end nodes (HK1980 Grid), with `link_id`, `region`, `road_type`;
- districts: `name_en`, `name_zh`, `code` (from DC_ENG / DC_CHIN / DC_CODE and the like), which
  the rainfall layer joins on;
- stations: `name` (from `Facility Name`, `NAME_EN`, ...);
- population: `population` (from `t_pop`) and `density_per_km2` (from the polygon's area).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hktwin.core.errors import DataError
from hktwin.core.progress import Progress, no_progress
from hktwin.geo.importers.common import (
    ImportOptions,
    LayerResult,
    SourceTable,
    clean_columns,
    find_column,
    numeric,
    read_source_vector,
    write_geoparquet,
)
from hktwin.geo.importers.detect import POPULATION_FIELDS, Source

#: Geometry families each kind keeps (shapely type ids).
FAMILIES = {"roads": (1, 2, 5), "districts": (3, 6), "population": (3, 6), "stations": (0, 4)}
FAMILY_WORDS = {"roads": "line", "districts": "polygon", "population": "polygon",
                "stations": "point"}
NAME_EN = ("name_en", "DC_ENG", "ENAME", "NAME_EN", "DISTRICT_E", "district", "name", "NAME")
NAME_ZH = ("name_zh", "DC_CHIN", "CNAME", "NAME_TC", "NAME_ZH", "DISTRICT_C")
CODE = ("code", "DC_CODE", "DISTRICT_CODE", "CODE")
STATION_NAME = ("name", "Facility Name", "NAME_EN", "STATION_NAME", "StationName", "Station",
                "ENAME", "NAME")


def import_vector(source: Source, out_path: Path, name: str, kind: str, options: ImportOptions,
                  progress: Progress = no_progress) -> LayerResult:
    """Read one vector source, keep the geometry its kind draws and write GeoParquet."""
    progress(0.0, f"Reading {source.path.name}")
    warnings: list[str] = []
    if source.form == "td-links":
        geometry, columns = _td_links(source.path)
    else:
        table = read_source_vector(source.path, source.gdal_path, options)
        warnings.extend(table.notes)
        geometry, columns = table.geometry, clean_columns(table.columns)
        geometry, columns = _keep_family(source.path, kind, geometry, columns, warnings)
        columns = _normalise(source.path, kind, geometry, columns)
    options.check_cancel()
    progress(0.8, f"Writing {len(geometry)} features")
    write_geoparquet(out_path, geometry, columns)
    import shapely

    return LayerResult(name=name, kind=kind, path=out_path.name, sources=[source.path.name],
                       count=len(geometry),
                       extent=tuple(float(v) for v in shapely.total_bounds(geometry)),
                       warnings=warnings)


def _td_links(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    from hktwin.geo.td_links import read_td_links

    links = read_td_links(path)
    columns = {"link_id": links.ids, "region": links.region, "road_type": links.road_type,
               "speed_limit_kmh": links.limits}
    return links.lines(), columns


def _keep_family(path: Path, kind: str, geometry: np.ndarray, columns: dict,
                 warnings: list[str]) -> tuple[np.ndarray, dict]:
    import shapely

    family = FAMILIES.get(kind)
    if family is None:
        return geometry, columns
    keep = np.isin(shapely.get_type_id(geometry), family)
    if not keep.any():
        raise DataError(path, f"no {FAMILY_WORDS[kind]} geometry, which a {kind} layer needs",
                        "give another file, or import this one with --as vector",
                        field="geometry")
    if not keep.all():
        warnings.append(f"{path} [geometry]: {int((~keep).sum())} features are not "
                        f"{FAMILY_WORDS[kind]}s and were left out of the {kind} layer. Fix: "
                        "import the file with --as vector to keep every feature")
        geometry = geometry[keep]
        columns = {k: v[keep] for k, v in columns.items()}
    return geometry, columns


def _normalise(path: Path, kind: str, geometry: np.ndarray, columns: dict) -> dict:
    if kind == "districts":
        extra = {"name_en": _text(columns, NAME_EN, len(geometry)),
                 "name_zh": _text(columns, NAME_ZH, len(geometry)),
                 "code": _text(columns, CODE, len(geometry))}
        return {**extra, **{k: v for k, v in columns.items() if k not in extra}}
    if kind == "stations":
        return {"name": _text(columns, STATION_NAME, len(geometry)),
                **{k: v for k, v in columns.items() if k != "name"}}
    if kind == "population":
        return _population(path, geometry, columns)
    return columns


def _population(path: Path, geometry: np.ndarray, columns: dict) -> dict:
    import shapely

    column = find_column(columns, POPULATION_FIELDS)
    if column is None:
        raise DataError(path, "no population field (t_pop, population)", "give census polygons "
                        "with a t_pop field, or import the file with --as vector",
                        field="t_pop")
    table = SourceTable(path, geometry, columns, np.arange(len(geometry)), "EPSG:2326")
    people = numeric(table, column)
    area_km2 = shapely.area(geometry) / 1e6
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(area_km2 > 0, people / area_km2, np.nan)
    return {"population": people, "density_per_km2": density,
            **{k: v for k, v in columns.items() if k not in ("population", "density_per_km2")}}


def _text(columns: dict, candidates, n: int) -> np.ndarray:
    import pandas as pd

    column = find_column(columns, candidates)
    if column is None:
        return np.full(n, "", dtype=object)
    values = np.asarray(columns[column], dtype=object)
    blank = pd.isna(values)
    values = values.astype(str).astype(object)
    values[blank] = ""
    return values
