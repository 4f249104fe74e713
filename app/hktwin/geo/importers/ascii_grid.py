"""A streaming reader of ESRI ASCII grids (the Lands Department's `Whole_HK_DTM_5m.asc`).

The territory-wide 5 m DTM is a 300 MB text file of 12751 x 9601 heights; read whole it would take
~1 GB as floats and several as Python objects. This reader pulls a few megabytes of text at a time
(from a file or straight out of the downloaded zip), parses them with numpy and hands out blocks of
whole rows, so memory stays bounded by the block size whatever the grid's size.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from hktwin.core.errors import DataError

#: Bytes of text read per call; the spy test checks no read asks for more.
CHUNK_BYTES = 4 << 20
_KEYS = {"ncols", "nrows", "xllcorner", "yllcorner", "xllcenter", "yllcenter", "cellsize",
         "nodata_value", "dx", "dy"}


@dataclass(frozen=True)
class AsciiHeader:
    ncols: int
    nrows: int
    west: float  # outer edge of the first column
    south: float  # outer edge of the last row
    cellsize: float
    nodata: float | None

    @property
    def north(self) -> float:
        return self.south + self.nrows * self.cellsize

    @property
    def transform(self):
        from affine import Affine

        return Affine(self.cellsize, 0.0, self.west, 0.0, -self.cellsize, self.north)


def looks_like_ascii_grid(head: bytes) -> bool:
    """True when a file starts with an ESRI ASCII grid header (`ncols`/`nrows`)."""
    first = head.lstrip()[:5].lower()
    return first in (b"ncols", b"nrows")


def read_header(stream: BinaryIO, path: Path | str) -> tuple[AsciiHeader, bytes]:
    """Parse the header lines; returns the header and the bytes of data already read past it."""
    values: dict[str, float] = {}
    leftover = b""
    for _ in range(12):
        line = stream.readline(4096)
        parts = line.split()
        if not parts:
            if not line:
                break
            continue
        key = parts[0].decode("ascii", "replace").lower()
        if key not in _KEYS:
            leftover = line
            break
        try:
            values[key] = float(parts[1])
        except (IndexError, ValueError) as exc:
            raise DataError(path, f"header line '{line[:40].decode('ascii', 'replace').strip()}'"
                            " has no number", "export the grid again", field=key) from exc
    missing = [k for k in ("ncols", "nrows") if k not in values]
    if "cellsize" not in values and "dx" not in values:
        missing.append("cellsize")
    if "xllcorner" not in values and "xllcenter" not in values:
        missing.append("xllcorner")
    if "yllcorner" not in values and "yllcenter" not in values:
        missing.append("yllcorner")
    if missing:
        raise DataError(path, "not a complete ESRI ASCII grid header (missing "
                        f"{', '.join(missing)})",
                        "export the grid again as an ESRI ASCII grid or a GeoTIFF",
                        field=missing[0])
    cell = values.get("cellsize", values.get("dx", 0.0))
    if "dy" in values and abs(values["dy"] - cell) > 1e-9 * abs(cell):
        raise DataError(path, f"cells are not square (dx {cell}, dy {values['dy']})",
                        "resample the grid to square cells", field="dy")
    ncols, nrows = int(values["ncols"]), int(values["nrows"])
    if ncols <= 0 or nrows <= 0 or cell <= 0:
        raise DataError(path, f"the header gives an empty grid ({ncols} x {nrows}, cell {cell})",
                        "export the grid again", field="ncols")
    west = values["xllcorner"] if "xllcorner" in values else values["xllcenter"] - cell / 2
    south = values["yllcorner"] if "yllcorner" in values else values["yllcenter"] - cell / 2
    header = AsciiHeader(ncols, nrows, west, south, cell, values.get("nodata_value", -9999.0))
    return header, leftover


class AsciiGridReader:
    """Blocks of whole rows (north first) from an ESRI ASCII grid stream, never the whole grid.

    `read` is the stream's read function: a spy can wrap it to check the reader's appetite.
    """

    def __init__(self, stream: BinaryIO, path: Path | str, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.path = path
        self.stream = stream
        self.chunk_bytes = chunk_bytes
        self.header, self._leftover = read_header(stream, path)

    def blocks(self, rows: int) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (first row, float32 array of at most `rows` rows) in order; nodata -> NaN."""
        h = self.header
        rows = max(1, int(rows))
        pending = np.empty(0, np.float32)
        tail = self._leftover
        row = 0
        eof = False
        while row < h.nrows:
            want = min(rows, h.nrows - row) * h.ncols
            parts = [pending]
            have = len(pending)
            while have < want and not eof:
                chunk = self.stream.read(self.chunk_bytes)
                if not chunk:
                    eof = True
                    text, tail = tail, b""
                else:
                    cut = max(chunk.rfind(b" "), chunk.rfind(b"\n"), chunk.rfind(b"\t"))
                    if cut < 0:
                        tail += chunk
                        continue
                    text, tail = tail + chunk[: cut + 1], chunk[cut + 1 :]
                values = self._parse(text, row + have // h.ncols)
                parts.append(values)
                have += len(values)
            data = np.concatenate(parts) if len(parts) > 1 else pending
            if len(data) < want:
                got_rows = row + len(data) // h.ncols
                raise DataError(self.path, f"the grid ends after {got_rows} of {h.nrows} rows "
                                "(the file is truncated)", "download or export the grid again")
            block, pending = data[:want], data[want:]
            block = block.reshape(-1, h.ncols)
            if h.nodata is not None:
                block[block == np.float32(h.nodata)] = np.nan
            yield row, block
            row += len(block)
        rest = tail if eof else tail + self.stream.read(self.chunk_bytes)
        if len(pending) or rest.strip():
            raise DataError(self.path, f"more values than the header's {h.ncols} x {h.nrows} "
                            "cells", "fix ncols/nrows in the header or export the grid again",
                            field="nrows")

    def _parse(self, text: bytes, near_row: int) -> np.ndarray:
        if not text.strip():
            return np.empty(0, np.float32)
        with warnings.catch_warnings():
            # numpy warns (DeprecationWarning) and stops at the first token that is no number.
            warnings.simplefilter("error", DeprecationWarning)
            try:
                return np.fromstring(text, dtype=np.float32, sep=" ")
            except (DeprecationWarning, ValueError) as exc:
                bad = next((t for t in text.split() if not _is_number(t)), b"?")
                raise DataError(self.path, f"'{bad[:20].decode('ascii', 'replace')}' near row "
                                f"{near_row + 1} is not a number", "export the grid again; "
                                "heights must be plain numbers") from exc


def _is_number(token: bytes) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True
