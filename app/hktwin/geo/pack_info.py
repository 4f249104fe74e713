"""What `hktwin data info DIR` reports: a pack's layers with kind, file, CRS, extent and size.

Read from file headers only (Parquet footers, GeoTIFF tags), so it answers in a fraction of a
second even for a territory-wide pack, and it reports a broken layer instead of stopping at it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hktwin.core.errors import DataError
from hktwin.geo.pack import RASTER_SUFFIXES, pack_file, read_manifest


def pack_info(pack_dir: str | Path) -> dict[str, Any]:
    """The pack's manifest facts plus, per layer, what its file holds (or its `problem`)."""
    pack_dir = Path(pack_dir)
    manifest = read_manifest(pack_dir)
    layers = []
    for name, entry in manifest["layers"].items():
        file = pack_file(pack_dir, entry["path"], f"layers.{name}.path")
        info: dict[str, Any] = {"name": name, "kind": entry["kind"], "file": entry["path"]}
        try:
            if not file.exists():
                raise DataError(file, "file not found", "rebuild the pack or restore the file")
            info["bytes"] = file.stat().st_size
            if file.suffix.lower() in RASTER_SUFFIXES:
                info.update(_raster_info(file))
            elif file.suffix.lower() == ".parquet":
                info.update(_parquet_info(file))
            else:
                info.update(_ogr_info(file))
        except DataError as exc:
            info["problem"] = exc.message
        layers.append(info)
    return {
        "pack": str(pack_dir),
        "name": manifest.get("name", pack_dir.name),
        "format": manifest["format"],
        "version": manifest["version"],
        "approximate": bool(manifest.get("approximate", False)),
        "crs": manifest.get("crs", "EPSG:2326"),
        "bounds": manifest.get("bounds"),
        "layers": layers,
        "feeds": manifest.get("feeds", {}),
    }


def format_info(info: dict[str, Any]) -> list[str]:
    """The same facts as aligned text lines for a terminal."""
    lines = [f"{info['name']}  ({info['pack']}, format {info['format']} v{info['version']}"
             f"{', approximate' if info['approximate'] else ''})"]
    if info.get("bounds"):
        lines.append("bounds " + " ".join(f"{v:.0f}" for v in info["bounds"]) + f" {info['crs']}")
    for layer in info["layers"]:
        if "problem" in layer:
            what = f"PROBLEM: {layer['problem']}"
        elif "size" in layer:
            what = (f"{layer['size'][0]} x {layer['size'][1]} cells of {layer['resolution']:g} m"
                    f"{', COG' if layer.get('cog') else ''}")
        else:
            what = f"{layer.get('features', '?')} features ({', '.join(layer.get('geometry', []))})"
        lines.append(f"  {layer['name']:<24} {layer['kind']:<11} {layer['file']:<30} "
                     f"{layer.get('crs', '?'):<10} {what}")
    return lines


def _raster_info(file: Path) -> dict[str, Any]:
    import rasterio
    from rasterio.errors import RasterioError

    try:
        with rasterio.open(file) as ds:
            t = ds.transform
            return {"crs": _crs_name(ds.crs), "extent": [round(v, 3) for v in ds.bounds],
                    "size": [ds.width, ds.height], "resolution": abs(t.a),
                    "dtype": ds.dtypes[0], "nodata": None if ds.nodata is None else
                    str(ds.nodata), "overviews": ds.overviews(1),
                    "cog": ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"}
    except RasterioError as exc:
        raise DataError(file, f"cannot read the raster ({exc})", "rebuild the pack") from exc


def _parquet_info(file: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(file).metadata
    except Exception as exc:
        raise DataError(file, f"cannot read the Parquet file ({exc})", "rebuild the pack") from exc
    geo = json.loads((meta.metadata or {}).get(b"geo", b"{}"))
    column = geo.get("columns", {}).get(geo.get("primary_column", "geometry"), {})
    crs = column.get("crs", "OGC:CRS84")
    out: dict[str, Any] = {"crs": _crs_name(crs), "features": meta.num_rows,
                           "geometry": column.get("geometry_types", []),
                           "columns": [n for n in meta.schema.names if n != "geometry"]}
    if column.get("bbox"):
        out["extent"] = [round(v, 3) for v in column["bbox"]]
    return out


def _ogr_info(file: Path) -> dict[str, Any]:
    import pyogrio

    try:
        info = pyogrio.read_info(file, force_total_bounds=True)
    except Exception as exc:
        raise DataError(file, f"cannot read the vector file ({exc})", "rebuild the pack") from exc
    return {"crs": info.get("crs"), "features": int(info["features"]),
            "geometry": [info.get("geometry_type")], "columns": list(info["fields"]),
            "extent": [round(float(v), 3) for v in info["total_bounds"]]}


def _crs_name(crs) -> str | None:
    """'EPSG:2326' for the usual cases (PROJJSON, rasterio CRS), else the CRS as text."""
    if crs is None:
        return None
    if isinstance(crs, dict):
        ident = crs.get("id", {})
        if ident.get("authority") and ident.get("code"):
            return f"{ident['authority']}:{ident['code']}"
        return crs.get("name", "unknown")
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    return f"EPSG:{epsg}" if epsg else str(crs)
