"""Fixtures written in code for the importer tests: a small DTM, Lands Department style
footprints, ESRI ASCII grids, and a way to prove a pack was left untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from packs import CELL, COLS, ROWS, X0, Y0, tiny_heights

NORTH = Y0 + ROWS * CELL


def write_dtm(path: Path, nodata_box: bool = True, crs: str | None = "EPSG:2326") -> Path:
    """The tiny island's heights as a LandsD-style GeoTIFF: float32, nodata -9999 (a box of it)."""
    import rasterio
    from affine import Affine

    heights = tiny_heights()
    if nodata_box:
        heights = heights.copy()
        heights[:10, :10] = -9999.0
    with rasterio.open(path, "w", driver="GTiff", width=COLS, height=ROWS, count=1,
                       dtype="float32", crs=crs, nodata=-9999.0,
                       transform=Affine(CELL, 0, X0, 0, -CELL, NORTH)) as dst:
        dst.write(heights, 1)
    return path


def write_asc(path: Path, heights: np.ndarray, west: float, south: float, cell: float,
              nodata: float = -9999.0, prj: bool = False, center: bool = False) -> Path:
    """An ESRI ASCII grid (optionally with a .prj naming EPSG:2326)."""
    rows, cols = heights.shape
    corner = ("xllcenter", "yllcenter") if center else ("xllcorner", "yllcorner")
    offset = cell / 2 if center else 0.0
    header = (f"ncols {cols}\nnrows {rows}\n{corner[0]} {west + offset}\n"
              f"{corner[1]} {south + offset}\ncellsize {cell}\nNODATA_value {nodata:g}\n")
    body = "\n".join(" ".join(f"{v:g}" for v in row) for row in heights)
    path.write_text(header + body + "\n")
    if prj:
        from pyproj import CRS

        path.with_suffix(".prj").write_text(CRS.from_epsg(2326).to_wkt("WKT1_ESRI"))
    return path


def footprints_gdf(fields: dict, geometries: list, crs="EPSG:2326"):
    import geopandas as gpd

    return gpd.GeoDataFrame(fields, geometry=geometries, crs=crs)


def box_row(n: int, x0: float = X0 + 500.0, y0: float = Y0 + 1500.0, size: float = 20.0):
    """`n` square footprints in a row on the tiny island's flat shore."""
    import shapely

    xs = x0 + np.arange(n) * (size * 2)
    return list(shapely.box(xs, y0, xs + size, y0 + size))


def tree_state(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under `folder` with its SHA-256 and mtime, to show nothing changed."""
    state = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            state[str(p.relative_to(folder))] = (hashlib.sha256(p.read_bytes()).hexdigest(),
                                                 p.stat().st_mtime_ns)
    return state


def siblings(folder: Path) -> list[str]:
    """Names beside the pack folder (a leftover temporary folder would show here)."""
    return sorted(p.name for p in folder.parent.iterdir())
