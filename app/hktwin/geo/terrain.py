"""A terrain raster in EPSG:2326 and height sampling on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from hktwin.core.errors import DataError
from hktwin.core.limits import SENTINEL_ABS


@dataclass(frozen=True, eq=False)
class Terrain:
    """Heights (rows x cols, north-up, float32 metres) on a regular grid.

    `origin_x, origin_y` is the outer corner of the top-left cell (the GDAL convention);
    cells are `cell_size` metres square.
    """

    heights: np.ndarray
    origin_x: float
    origin_y: float
    cell_size: float

    @property
    def shape(self) -> tuple[int, int]:
        return self.heights.shape  # type: ignore[return-value]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        rows, cols = self.shape
        return (
            self.origin_x,
            self.origin_y - rows * self.cell_size,
            self.origin_x + cols * self.cell_size,
            self.origin_y,
        )

    def cell_centres(self, step: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Easting of every `step`-th column centre and northing of every `step`-th row centre."""
        rows, cols = self.shape
        xs = self.origin_x + (np.arange(0, cols, step) + 0.5) * self.cell_size
        ys = self.origin_y - (np.arange(0, rows, step) + 0.5) * self.cell_size
        return xs, ys

    def height_at(self, easting: ArrayLike, northing: ArrayLike) -> np.ndarray:
        """Bilinear height at points (arrays in, arrays out); NaN outside the raster."""
        x = np.asarray(easting, dtype=np.float64)
        y = np.asarray(northing, dtype=np.float64)
        rows, cols = self.shape
        # Continuous index of cell centres: centre of cell (0, 0) sits at (0, 0).
        fc = (x - self.origin_x) / self.cell_size - 0.5
        fr = (self.origin_y - y) / self.cell_size - 0.5
        inside = (fc >= -0.5) & (fc <= cols - 0.5) & (fr >= -0.5) & (fr <= rows - 0.5)
        fc = np.clip(fc, 0, cols - 1)
        fr = np.clip(fr, 0, rows - 1)
        c0 = np.minimum(np.floor(fc).astype(np.intp), max(cols - 2, 0))
        r0 = np.minimum(np.floor(fr).astype(np.intp), max(rows - 2, 0))
        c1 = np.minimum(c0 + 1, cols - 1)
        r1 = np.minimum(r0 + 1, rows - 1)
        tc = fc - c0
        tr = fr - r0
        h = self.heights
        top = h[r0, c0] * (1 - tc) + h[r0, c1] * tc
        bottom = h[r1, c0] * (1 - tc) + h[r1, c1] * tc
        out = top * (1 - tr) + bottom * tr
        return np.where(inside, out, np.nan)


def read_terrain(path: str | Path) -> Terrain:
    """Read a single-band north-up GeoTIFF in EPSG:2326 into memory.

    Nodata cells become NaN, and so do infinite and +-3.4e38-like values (nodata in disguise).
    Every way the file can be unusable raises `DataError` naming it.
    """
    import rasterio
    from rasterio.errors import RasterioError

    path = Path(path)
    if not path.exists():
        raise DataError(path, "terrain file not found", "check the data pack's manifest.json")
    try:
        with rasterio.open(path) as src:
            if src.count < 1:
                raise DataError(path, "the raster has no band", "export the DTM as a 1-band raster")
            if src.crs is None:
                raise DataError(
                    path, "the raster has no CRS", "assign EPSG:2326 (e.g. gdal_edit.py -a_srs)"
                )
            if src.crs.to_epsg() != 2326:
                raise DataError(
                    path,
                    f"the raster is in {src.crs.to_string()}, not EPSG:2326",
                    "reproject it to EPSG:2326 (hktwin data import does this)",
                )
            t = src.transform
            if t.b != 0 or t.d != 0 or abs(t.a) != abs(t.e) or t.e >= 0:
                raise DataError(path, "the raster is rotated or its cells are not square",
                                "warp it to a north-up square grid")
            # One float32 array, nodata set to NaN in place: a masked read and its copies cost
            # ~4x the plain read on the whole-territory DTM. GDAL decompresses on every core.
            with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"):
                heights = src.read(1, out_dtype=np.float32)
            if src.nodata is not None and not np.isnan(src.nodata):
                heights[heights == np.float32(src.nodata)] = np.nan
            # Infinities and float-max sentinels are nodata whatever the file declares: one of
            # them in the ground gives a median RSRP of -882 dBm.
            with np.errstate(invalid="ignore"):
                heights[~(np.abs(heights) < SENTINEL_ABS)] = np.nan
    except RasterioError as exc:
        raise DataError(path, f"cannot read the raster ({exc})",
                        "replace the file with an intact GeoTIFF") from exc
    return Terrain(heights=heights, origin_x=t.c, origin_y=t.f, cell_size=abs(t.a))
