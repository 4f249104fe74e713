"""Rasters (DTMs, population density, anything gridded) -> one Cloud-Optimised GeoTIFF.

Every source is read in bands of rows (rasterio windows, or the streaming ESRI ASCII reader), so a
territory-wide 5 m DTM never sits whole in memory. Several sources are mosaicked onto one EPSG:2326
grid (the first source's alignment, the finest cell size): tiles of the same grid are copied cell
for cell, anything else (another CRS, a rotated or differently aligned grid) is warped in the same
bands through a `WarpedVRT`. The bands go into a tiled staging GeoTIFF; overviews x2..x64
(average) are built on it and GDAL's COG driver copies it into the pack with DEFLATE and the
floating-point predictor. Nodata becomes NaN, the value `read_terrain` expects.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hktwin.core.errors import DataError
from hktwin.core.files import DiskFullError, is_disk_full, read_bounded
from hktwin.core.limits import TERRAIN_M, is_sentinel, outside
from hktwin.core.progress import Progress, no_progress
from hktwin.geo.crs import HK1980
from hktwin.geo.importers.ascii_grid import AsciiGridReader
from hktwin.geo.importers.common import (
    ImportOptions,
    LayerResult,
    check_geographic_range,
    check_in_hong_kong,
    is_hk1980,
    no_crs_error,
    parse_crs,
    short_error,
)
from hktwin.geo.importers.detect import Source

BLOCK = 512
OVERVIEW_FACTORS = (2, 4, 8, 16, 32, 64)
GDAL_CACHE_MB = 256
MAX_PRJ_BYTES = 1 << 20  # a .prj is one line of WKT
MAX_CELLS = 2_000_000_000  # 8 GB of float32: far past Hong Kong at 1 m
COG_OPTIONS = {"BLOCKSIZE": BLOCK, "COMPRESS": "DEFLATE", "PREDICTOR": "FLOATING_POINT",
               "OVERVIEWS": "FORCE_USE_EXISTING", "BIGTIFF": "IF_SAFER",
               "NUM_THREADS": "ALL_CPUS"}


def import_rasters(sources: list[Source], out_path: Path, name: str, kind: str,
                   options: ImportOptions, progress: Progress = no_progress) -> LayerResult:
    """Mosaic `sources` onto one EPSG:2326 grid and write it to `out_path` as a COG."""
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.errors import RasterioError

    staging = out_path.with_name(f".staging-{out_path.stem}.tif")
    extra: list[Path] = []
    try:
        with ExitStack() as stack:
            # GDAL's block cache defaults to 5% of RAM; bound it so memory stays flat.
            stack.enter_context(rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB))
            opened = [_open(s, options, stack, out_path.parent, extra) for s in sources]
            grid = _destination_grid(opened)
            readers = [_reader(o, grid, stack) for o in opened]
            stats = _write_staging(staging, grid, readers, options,
                                   lambda f, m: progress(0.8 * f, m),
                                   TERRAIN_M if kind == "terrain" else None)
        progress(0.8, "Building overviews")
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
            with rasterio.open(staging, "r+") as ds:
                factors = [f for f in OVERVIEW_FACTORS if min(ds.width, ds.height) >= f] or [2]
                ds.build_overviews(factors, Resampling.average)
            options.check_cancel()
            progress(0.9, "Writing the Cloud-Optimised GeoTIFF")
            out_path.unlink(missing_ok=True)  # never write through a hard link into the pack
            from rasterio.shutil import copy as gdal_copy

            gdal_copy(staging, out_path, driver="COG", **COG_OPTIONS)
    except RasterioError as exc:
        if is_disk_full(exc, out_path.parent):  # before the staging file is removed
            raise DiskFullError(out_path.parent) from exc
        raise DataError(sources[0].path, f"cannot convert the raster ({_short(exc)})",
                        "check that the file is complete; export it again as GeoTIFF") from exc
    finally:
        staging.unlink(missing_ok=True)
        for path in extra:
            path.unlink(missing_ok=True)
    if stats["valid"] == 0:
        raise DataError(sources[0].path, "every cell is nodata", "give a raster with values",
                        field="nodata")
    progress(1.0, f"{name}: {grid.width} x {grid.height} cells")
    cells = grid.width * grid.height
    notes = [f"{path} [height]: {count} cell(s) held {example:g} or another nodata value the "
                "file does not declare (infinite, 3.4e38, -9999, ...); they are nodata now. Fix: "
                "declare the nodata value (gdal_edit.py -a_nodata) to silence this"
                for path, (count, example) in stats["masked"].items()]
    return LayerResult(warnings=notes,
        name=name, kind=kind, path=out_path.name, sources=[s.path.name for s in sources],
        extent=grid.bounds, size=(grid.width, grid.height), resolution=grid.res,
        stats={"min": round(stats["min"], 3), "max": round(stats["max"], 3),
               "valid_fraction": round(stats["valid"] / cells, 4)})


# --- opening sources ------------------------------------------------------------------------


@dataclass
class _Opened:
    source: Source
    crs: object  # rasterio CRS
    transform: object  # affine
    width: int
    height: int
    dataset: object | None = None  # rasterio dataset (None for a streamed ASCII grid)
    ascii: AsciiGridReader | None = None


def _open(source: Source, options: ImportOptions, stack: ExitStack, work: Path,
          extra: list[Path]) -> _Opened:
    import rasterio
    from rasterio.crs import CRS
    from rasterio.errors import RasterioError

    override = CRS.from_user_input(parse_crs(options.crs, source.path).to_wkt()) \
        if options.crs else None
    if source.form == "ascii-grid":
        stream = stack.enter_context(_open_stream(source))
        grid = AsciiGridReader(stream, source.path)
        crs = override or _ascii_crs(source)
        if crs is None:
            raise no_crs_error(source.path, " (an ESRI ASCII grid carries none; the Lands "
                               "Department's DTM is in EPSG:2326)")
        h = grid.header
        opened = _Opened(source, crs, h.transform, h.ncols, h.nrows, ascii=grid)
        if not is_hk1980(crs):  # stage in its own CRS first, then warp like any GeoTIFF
            staged = work / f".ascii-{len(extra)}.tif"
            extra.append(staged)
            _ascii_to_gtiff(opened, staged)
            ds = stack.enter_context(rasterio.open(staged))
            return _Opened(source, crs, ds.transform, ds.width, ds.height, dataset=ds)
        return opened
    try:
        ds = stack.enter_context(rasterio.open(source.gdal_path))
    except RasterioError as exc:
        raise DataError(source.path, f"not a readable raster ({_short(exc)}); the file is "
                        "corrupt or truncated", "download or export it again") from exc
    if ds.count < 1:
        raise DataError(source.path, "the raster has no band", "export it as a 1-band raster")
    crs = override or ds.crs
    if crs is None:
        raise no_crs_error(source.path)
    return _Opened(source, crs, ds.transform, ds.width, ds.height, dataset=ds)


def _open_stream(source: Source):
    if source.member:
        archive = zipfile.ZipFile(source.path)
        stream = archive.open(source.member)
        stream_close = stream.close

        def close() -> None:  # the member stream, then the archive
            stream_close()
            archive.close()

        stream.close = close  # type: ignore[method-assign]
        return stream
    return source.path.open("rb")


def _ascii_crs(source: Source):
    """The CRS in the grid's .prj sidecar (beside the file, or beside the member in a zip)."""
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    text = None
    if source.member:
        prj = source.member.rsplit(".", 1)[0] + ".prj"
        with zipfile.ZipFile(source.path) as z:
            if prj in z.namelist() and z.getinfo(prj).file_size <= MAX_PRJ_BYTES:
                text = z.read(prj).decode("utf-8", "replace")
    elif source.path.with_suffix(".prj").exists():
        text = read_bounded(source.path.with_suffix(".prj"), MAX_PRJ_BYTES,
                            "projection file").decode("utf-8", "replace")
    if not text:
        return None
    try:
        return CRS.from_user_input(text)
    except CRSError:
        return None


def _ascii_to_gtiff(opened: _Opened, path: Path) -> None:
    import rasterio

    assert opened.ascii is not None
    with rasterio.open(path, "w", driver="GTiff", width=opened.width, height=opened.height,
                       count=1, dtype="float32", crs=opened.crs, transform=opened.transform,
                       nodata=np.nan, tiled=True, blockxsize=BLOCK, blockysize=BLOCK,
                       bigtiff="IF_SAFER") as dst:
        for row, block in opened.ascii.blocks(BLOCK):
            dst.write(block, 1, window=rasterio.windows.Window(0, row, opened.width, len(block)))


# --- the destination grid -------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    west: float
    north: float
    res: float
    width: int
    height: int

    @property
    def transform(self):
        return _north_up(self.west, self.north, self.res)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.west, self.north - self.height * self.res,
                self.west + self.width * self.res, self.north)


def _north_up(west: float, north: float, res: float):
    from affine import Affine

    return Affine(res, 0.0, west, 0.0, -res, north)


def _north_up_square(t) -> bool:
    return t.b == 0 and t.d == 0 and t.e < 0 and abs(abs(t.a) - abs(t.e)) <= 1e-9 * abs(t.a)


def _footprint(o: _Opened) -> tuple[tuple[float, float, float, float], float]:
    """Bounds in EPSG:2326 and the cell size the source has there."""
    from rasterio.transform import array_bounds
    from rasterio.warp import calculate_default_transform, transform_bounds

    west, south, east, north = array_bounds(o.height, o.width, o.transform)
    if is_hk1980(o.crs) and _north_up_square(o.transform):
        return (west, south, east, north), float(o.transform.a)
    check_geographic_range(o.source.path, o.crs, (west, south, east, north))
    with warnings.catch_warnings():  # rasterio's own use of Affine's `*` (rasterio <= 1.4)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        t, _, _ = calculate_default_transform(o.crs, HK1980, o.width, o.height,
                                              left=west, bottom=south, right=east, top=north)
    dst = transform_bounds(o.crs, HK1980, west, south, east, north, densify_pts=21)
    return tuple(float(v) for v in dst), float(abs(t.a))


def _destination_grid(opened: list[_Opened]) -> _Grid:
    feet = [_footprint(o) for o in opened]
    res = min(r for _, r in feet)
    anchor = next((o for o in opened if is_hk1980(o.crs) and _north_up_square(o.transform)
                   and abs(o.transform.a - res) <= 1e-9 * res), None)
    ax, ay = (anchor.transform.c, anchor.transform.f) if anchor else (0.0, 0.0)
    west = min(b[0] for b, _ in feet)
    south = min(b[1] for b, _ in feet)
    east = max(b[2] for b, _ in feet)
    north = max(b[3] for b, _ in feet)
    eps = 1e-6
    west = ax + np.floor((west - ax) / res + eps) * res
    east = ax + np.ceil((east - ax) / res - eps) * res
    north = ay + np.ceil((north - ay) / res - eps) * res
    south = ay + np.floor((south - ay) / res + eps) * res
    width, height = round((east - west) / res), round((north - south) / res)
    for o, (b, _) in zip(opened, feet, strict=True):
        check_in_hong_kong(o.source.path, b, o.crs.to_string())
    if width * height > MAX_CELLS:
        raise DataError(opened[0].source.path, f"the grid would be {width} x {height} cells, "
                        "too large for one terrain", "crop the raster to Hong Kong or use a "
                        "coarser cell size", field="size")
    return _Grid(float(west), float(north), float(res), int(width), int(height))


# --- readers: rows of the destination grid from one source ----------------------------------


class _Reader:
    """Gives the source's part of destination rows [r0, r1): (rows, cols) float32, NaN nodata."""

    row_off: int
    col_off: int
    height: int
    width: int
    path: Path

    def read(self, r0: int, r1: int) -> np.ndarray:
        raise NotImplementedError


def _reader(o: _Opened, grid: _Grid, stack: ExitStack) -> _Reader:
    t = o.transform
    if is_hk1980(o.crs) and _north_up_square(t) and abs(t.a - grid.res) <= 1e-9 * grid.res:
        col = (t.c - grid.west) / grid.res
        row = (grid.north - t.f) / grid.res
        if abs(col - round(col)) < 1e-6 and abs(row - round(row)) < 1e-6:
            if o.ascii is not None:
                return _AsciiReader(o, round(row), round(col))
            return _WindowReader(o, round(row), round(col))
    return _WarpReader(o, grid, stack)


class _WindowReader(_Reader):
    """A source on the destination grid already: plain windowed reads."""

    def __init__(self, o: _Opened, row_off: int, col_off: int) -> None:
        self.ds, self.path = o.dataset, o.source.path
        self.row_off, self.col_off, self.height, self.width = row_off, col_off, o.height, o.width

    def read(self, r0: int, r1: int) -> np.ndarray:
        from rasterio.windows import Window

        window = Window(0, r0 - self.row_off, self.width, r1 - r0)
        return _masked_read(self.ds, window, self.path, r0 - self.row_off)


class _WarpReader(_Reader):
    """A source in another CRS or alignment, warped (bilinear) onto its part of the grid."""

    def __init__(self, o: _Opened, grid: _Grid, stack: ExitStack) -> None:
        from rasterio.enums import Resampling
        from rasterio.vrt import WarpedVRT

        (west, south, east, north), _ = _footprint(o)
        self.col_off = max(int(np.floor((west - grid.west) / grid.res)), 0)
        self.row_off = max(int(np.floor((grid.north - north) / grid.res)), 0)
        col_end = min(int(np.ceil((east - grid.west) / grid.res)), grid.width)
        row_end = min(int(np.ceil((grid.north - south) / grid.res)), grid.height)
        self.width, self.height = col_end - self.col_off, row_end - self.row_off
        self.path = o.source.path
        integer = np.dtype(o.dataset.dtypes[0]).kind in "iub"
        self.ds = stack.enter_context(WarpedVRT(
            o.dataset, crs=HK1980, src_crs=o.crs,
            transform=_north_up(grid.west + self.col_off * grid.res,
                                grid.north - self.row_off * grid.res, grid.res),
            width=self.width, height=self.height,
            resampling=Resampling.nearest if integer else Resampling.bilinear,
            dtype="float32", nodata=np.nan))

    def read(self, r0: int, r1: int) -> np.ndarray:
        from rasterio.windows import Window

        return _masked_read(self.ds, Window(0, r0 - self.row_off, self.width, r1 - r0),
                            self.path, r0 - self.row_off)


class _AsciiReader(_Reader):
    """An ESRI ASCII grid on the destination grid, consumed once, top to bottom."""

    def __init__(self, o: _Opened, row_off: int, col_off: int) -> None:
        assert o.ascii is not None
        self.path = o.source.path
        self.row_off, self.col_off, self.height, self.width = row_off, col_off, o.height, o.width
        self._blocks: Iterator[tuple[int, np.ndarray]] = o.ascii.blocks(BLOCK)
        self._buf = np.empty((0, o.width), np.float32)
        self._buf_row = 0  # source row of self._buf[0]

    def read(self, r0: int, r1: int) -> np.ndarray:
        lo, hi = r0 - self.row_off, r1 - self.row_off
        self._drop_before(lo)
        while self._buf_row + len(self._buf) < hi:
            row, block = next(self._blocks)
            if len(self._buf):
                self._buf = np.concatenate([self._buf, block])
            else:
                self._buf, self._buf_row = block, row
            self._drop_before(lo)
        return self._buf[lo - self._buf_row: hi - self._buf_row]

    def _drop_before(self, row: int) -> None:
        drop = min(max(row - self._buf_row, 0), len(self._buf))
        if drop:
            self._buf = self._buf[drop:]
            self._buf_row += drop


def _masked_read(ds, window, path: Path, row: int) -> np.ndarray:
    from rasterio.errors import RasterioError

    try:
        data = ds.read(1, window=window, masked=True)
    except RasterioError as exc:
        raise DataError(path, f"cannot read rows {row}..{row + int(window.height)} "
                        f"({_short(exc)}): the file is truncated or corrupt",
                        "download or export it again") from exc
    return np.ma.filled(data.astype(np.float32), np.nan)


# --- the staging file -----------------------------------------------------------------------


def _check_heights(part: np.ndarray, reader: _Reader, r0: int, limits: tuple[float, float],
                   masked: dict) -> None:
    """Mask nodata in disguise (inf, 3.4e38, -9999 undeclared) in place, counting it per file;
    refuse a height outside `limits` naming the file, the cell and the value."""
    fake = is_sentinel(part)
    if fake.any():
        count, example = masked.get(reader.path, (0, float(part[fake][0])))
        masked[reader.path] = (count + int(fake.sum()), example)
        part[fake] = np.nan
    bad = outside(part, limits)
    if bad.any():
        row, col = (int(v[0]) for v in np.nonzero(bad))
        value = float(part[row, col])
        raise DataError(reader.path, f"a height of {value:g} m (at row {r0 - reader.row_off + row}"
                        f", column {col}) is outside {limits[0]:g}..{limits[1]:g} m, impossible "
                        "for Hong Kong's ground", "check the file's units (metres) and nodata "
                        "value, or clip the raster to real heights", field="height")


def _write_staging(path: Path, grid: _Grid, readers: list[_Reader], options: ImportOptions,
                   progress: Progress, limits: tuple[float, float] | None = None) -> dict:
    import rasterio
    from rasterio.windows import Window

    stats: dict = {"valid": 0, "min": np.inf, "max": -np.inf, "masked": {}}
    path.unlink(missing_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=grid.width, height=grid.height, count=1,
                       dtype="float32", crs=HK1980, transform=grid.transform, nodata=np.nan,
                       tiled=True, blockxsize=BLOCK, blockysize=BLOCK, compress="NONE",
                       bigtiff="IF_SAFER") as dst:
        for b0 in range(0, grid.height, BLOCK):
            options.check_cancel()
            b1 = min(b0 + BLOCK, grid.height)
            band = np.full((b1 - b0, grid.width), np.nan, np.float32)
            for r in readers:
                r0, r1 = max(b0, r.row_off), min(b1, r.row_off + r.height)
                if r0 >= r1:
                    continue
                part = r.read(r0, r1)
                if limits is not None:
                    part = np.array(part, np.float32)  # a writable copy, never a reader's buffer
                    _check_heights(part, r, r0, limits, stats["masked"])
                target = band[r0 - b0: r1 - b0, r.col_off: r.col_off + r.width]
                np.copyto(target, part[:, : target.shape[1]],
                          where=np.isnan(target) & ~np.isnan(part[:, : target.shape[1]]))
            valid = np.isfinite(band)
            n = int(valid.sum())
            if n:
                stats["valid"] += n
                stats["min"] = min(stats["min"], float(band[valid].min()))
                stats["max"] = max(stats["max"], float(band[valid].max()))
            dst.write(band, 1, window=Window(0, b0, grid.width, b1 - b0))
            progress(b1 / grid.height, f"Writing rows {b1}/{grid.height}")
    return stats


def _short(exc: BaseException) -> str:
    return short_error(exc)
