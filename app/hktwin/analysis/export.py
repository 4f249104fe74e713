"""Files a coverage evaluation leaves behind: metrics.json, coverage.tif, sites.gpkg, the
report and (when the metrics carry a `stability` entry) anchor_stability.csv.

Every file is written to a temporary name beside its target and moved into place
(`core.files.atomic_path`), so a crash never leaves half a file under the real name; a full
disk is reported as such. `session.evaluation` writes them together as a set (staged in a
folder beside the output folder, then moved in), so a failed run leaves the previous set whole.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np

from hktwin.analysis.coverage import CoverageResult
from hktwin.analysis.sites import SiteSet
from hktwin.core.files import atomic_path, atomic_write_text

__all__ = ["atomic_path", "json_ready", "write_coverage_tif", "write_geotiff", "write_metrics",
           "write_outputs", "write_sites_gpkg", "write_stability_csv"]

CRS = "EPSG:2326"


def json_ready(value):
    """NaN and infinities as null, numpy scalars as Python numbers (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_metrics(path: Path, metrics: dict) -> Path:
    text = json.dumps(json_ready(metrics), indent=2, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def write_geotiff(path: Path, data: np.ndarray, result: CoverageResult,
                  description: str = "RSRP of the best server (dBm)", units: str = "dBm") -> Path:
    """One float32 band on the result's grid, EPSG:2326, nodata NaN, deflate-compressed."""
    import rasterio

    rows, cols = result.grid.shape
    profile = {"driver": "GTiff", "width": cols, "height": rows, "count": 1,
               "dtype": "float32", "crs": CRS, "transform": result.transform,
               "nodata": float("nan"), "compress": "deflate", "predictor": 3,
               "tiled": rows >= 256 and cols >= 256}
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(np.asarray(data, np.float32), 1)
        dst.set_band_description(1, description)
        dst.update_tags(1, units=units)
        dst.update_tags(rsrp_threshold_dbm=str(result.settings.rsrp_threshold_dbm),
                        software="HK Twin coverage engine (3GPP TR 38.901)")
    return Path(path)


def write_coverage_tif(path: Path, result: CoverageResult) -> Path:
    """`coverage.tif`: the best server's RSRP (dBm), NaN in buildings and where none is heard."""
    return write_geotiff(path, result.rsrp_dbm, result)


def _rows(items, extra=None) -> tuple[list[dict], list]:
    import shapely

    records, points = [], []
    for i, item in enumerate(items):
        record = {k: (np.nan if v is None else v) for k, v in asdict(item).items()}
        if extra is not None:
            record.update(extra[i])
        records.append(record)
        points.append(shapely.Point(item.x, item.y))
    return records, points


def write_sites_gpkg(path: Path, sites: SiteSet, result: CoverageResult | None = None) -> Path:
    """`sites.gpkg`: layers `cells`, `anchors`, `sensors` (points with every attribute; cells
    carry the scenario and served area, anchors their verdict, when `result` is given)."""
    import geopandas as gpd

    extra_cells = extra_anchors = None
    if result is not None and result.metrics:
        per_cell = {c["id"]: c for c in result.metrics.get("per_cell", [])}
        extra_cells = [{"scenario": per_cell.get(c.id, {}).get("scenario", ""),
                        "served_area_km2": per_cell.get(c.id, {}).get("served_area_km2", np.nan)}
                       for c in sites.cells]
        verdicts = {a["id"]: a for a in result.metrics.get("anchors", [])}
        extra_anchors = [{"visible_share": _num(verdicts.get(a.id, {}).get("visible_share")),
                          "meets": bool(verdicts.get(a.id, {}).get("meets", False))}
                         for a in sites.anchors]
    layers = {"cells": _rows(sites.cells, extra_cells),
              "anchors": _rows(sites.anchors, extra_anchors),
              "sensors": _rows(sites.sensors)}
    with atomic_path(path) as tmp:
        try:
            written = False
            for name, (records, points) in layers.items():
                if not records:
                    continue
                frame = gpd.GeoDataFrame(records, geometry=points, crs=CRS)
                frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio",
                              **({"append": True} if written else {}))
                written = True
            if not written:  # an empty scenario still gets a readable (empty) cells layer
                gpd.GeoDataFrame({"id": []}, geometry=[], crs=CRS).to_file(
                    tmp, layer="cells", driver="GPKG", engine="pyogrio")
        except Exception as exc:
            # SQLite under GDAL words a full disk in many ways ("no such table: gpkg_contents"
            # when its first tables could not be written): on a nearly full device, it is that.
            if _nearly_full(Path(path).parent):
                from hktwin.core.files import DiskFullError

                raise DiskFullError(path) from exc
            raise
    return Path(path)


def _nearly_full(folder: Path) -> bool:
    import shutil

    from hktwin.core.files import NEARLY_FULL_BYTES

    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def _num(value) -> float:
    return np.nan if value is None else float(value)


def write_outputs(folder: Path, result: CoverageResult, sites: SiteSet,
                  title: str = "Coverage") -> dict[str, Path]:
    """metrics.json, coverage.tif, sites.gpkg, report.html and (with `metrics["stability"]`)
    anchor_stability.csv in `folder` (created)."""
    from hktwin.analysis.report import write_report
    from hktwin.core.files import os_error

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, folder, "create the output folder") from exc
    written = {
        "metrics": write_metrics(folder / "metrics.json", result.metrics),
        "coverage": write_coverage_tif(folder / "coverage.tif", result),
        "sites": write_sites_gpkg(folder / "sites.gpkg", sites, result),
        "report": write_report(folder / "report.html", result, title=title),
    }
    stability = result.metrics.get("stability")
    if stability is not None:
        written["stability"] = write_stability_csv(folder / "anchor_stability.csv", stability)
    return written


def write_stability_csv(path: Path, stability: dict) -> Path:
    """`anchor_stability.csv`: metrics.json's `stability.rows`, one line per anchor and error
    model (a header only when the scenario has no anchors)."""
    from hktwin.analysis.ar.localisation import stability_csv

    return atomic_write_text(path, stability_csv(stability.get("rows", [])))
