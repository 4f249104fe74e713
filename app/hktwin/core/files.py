"""Writing files whole or not at all, reading files with a hard limit: written once, used by all.

- `atomic_write_bytes/text/json(path, ...)` and `atomic_path(path)`: the data goes to a temporary
  file in the same folder (`.NAME.XXXXXXXX.tmp`), is flushed and fsynced, then renamed over
  `path` with `os.replace` (atomic on one file system) and the folder is fsynced. On any failure
  the temporary file is removed and `path` keeps its old content.
- `read_bounded(path, limit, what)`: reads at most `limit + 1` bytes, whatever `stat` says, so
  `/dev/zero`, a FIFO-like device or a 5 GB sparse file is refused at once, naming the file and
  the limit, instead of filling memory.
- `os_error(exc, path, doing)`: the one translation of an `OSError` into a user-facing error;
  a full disk (ENOSPC, EDQUOT) is reported as such, naming where, never blamed on the input.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hktwin.core.errors import DataError, HKTwinError

#: errno values that mean "the device is full", whatever file was being written.
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
#: Deepest JSON nesting the app reads (real manifests, scenarios and feeds nest < 10 levels).
MAX_JSON_DEPTH = 200


class DiskFullError(HKTwinError):
    """The device holding `path` has no space left (the input is not to blame)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        super().__init__(f"no space left on the device at {self.path}. Fix: free some space "
                         "there or write to another disk")


#: Messages of libraries that wrap a full disk in their own errors (GDAL, SQLite, libtiff).
_FULL_TEXTS = ("No space left on device", "disk is full", "Free disk space available")
#: Messages of failed writes that mean a full disk when the device has (almost) no room left.
_WRITE_TEXTS = ("Write error", "Write failed", "write error", "Failed to write")
#: Below this many free bytes a failed write is put down to the full disk.
NEARLY_FULL_BYTES = 64 * 2**20


def _free_bytes(where: str | os.PathLike[str]) -> int | None:
    import shutil

    probe = Path(where)
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def is_disk_full(exc: BaseException | None, where: str | os.PathLike[str] | None = None) -> bool:
    """True for an error (or one in its cause chain) that says the device is full: ENOSPC or
    EDQUOT, a library's words for it, or a failed write while the device at `where` is nearly
    full (libtiff says only "Write error")."""
    seen = 0
    write_failed = False
    while exc is not None and seen < 10:
        if isinstance(exc, DiskFullError):
            return True
        if isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS:
            return True
        text = str(exc)
        if any(t in text for t in _FULL_TEXTS):
            return True
        write_failed = write_failed or any(t in text for t in _WRITE_TEXTS)
        exc = exc.__cause__ or exc.__context__
        seen += 1
    if write_failed and where is not None:
        free = _free_bytes(where)
        return free is not None and free < NEARLY_FULL_BYTES
    return False


def os_error(exc: BaseException, path: str | os.PathLike[str], doing: str = "write the file",
             fix: str = "check the folder exists and that you may write there") -> HKTwinError:
    """The user-facing error for an OSError while working on `path` (raise it `from exc`)."""
    if is_disk_full(exc, Path(path).parent):
        return DiskFullError(path)
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return DataError(path, f"cannot {doing} ({reason})", fix)


# --- writing ------------------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); harmless where folders cannot be opened."""
    if sys.platform == "win32":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _mode_for(path: Path) -> int:
    """The mode the file has (a replace keeps it), else rw-r--r-- (mkstemp's 0600 would hide a
    new output from the user's other programs; reading the umask is not thread-safe)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o644


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside `path` for writers that need a file name (GDAL, SQLite); moved
    onto `path` when the block succeeds, removed when it fails. OSErrors become one-line
    errors (`DiskFullError` for a full disk)."""
    path = Path(path)
    try:  # the real suffix last: GDAL picks drivers and checks extensions by it
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.",
                                    suffix=f".tmp{path.suffix}")
    except OSError as exc:
        raise os_error(exc, path, "create a file in the folder") from exc
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        if not tmp.exists():
            raise DataError(path, "the writer produced no file", "report this as a bug")
        os.chmod(tmp, _mode_for(path))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        raise os_error(exc, path) from exc
    except BaseException as exc:
        if is_disk_full(exc, path.parent):
            raise DiskFullError(path) from exc
        raise
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
        _remove_sidecars(tmp)


def _remove_sidecars(tmp: Path) -> None:
    """GDAL/SQLite may leave `-journal`, `-wal`, `.aux.xml` files beside a failed temporary."""
    for suffix in ("-journal", "-wal", "-shm", ".aux.xml"):
        with contextlib.suppress(OSError):
            tmp.with_name(tmp.name + suffix).unlink()


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` whole or not at all (temporary file + fsync + os.replace)."""
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise os_error(exc, path, "create a file in the folder") from exc
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise os_error(exc, path) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """`atomic_write_bytes` of `text` encoded (newlines kept as given)."""
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_write_json(path: str | os.PathLike[str], doc: Any, *, indent: int | None = 2) -> Path:
    """`doc` as strict JSON (no NaN), UTF-8, ending in a newline, written atomically."""
    text = json.dumps(doc, indent=indent, ensure_ascii=False, allow_nan=False)
    return atomic_write_text(path, text + "\n")


# --- reading ------------------------------------------------------------------------------------


def _size_text(n: int) -> str:
    if n >= 2**30:
        return f"{n / 2**30:.1f} GiB"
    if n >= 2**20:
        return f"{n / 2**20:.0f} MiB"
    if n >= 2**10:
        return f"{n / 2**10:.0f} KiB"
    return f"{n} bytes"


def read_bounded(path: str | os.PathLike[str], limit: int, what: str = "file") -> bytes:
    """At most `limit` bytes of `path`; `DataError` naming the file and the limit if it holds
    more. Reads `limit + 1` bytes whatever `stat` says (devices, sparse or growing files)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise DataError(path, f"this is a folder, not a {what}", f"give a {what}")
        if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode)):  # a FIFO would block the open
            raise DataError(path, f"not a regular file, so not a {what}", f"give a {what}")
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise DataError(path, "file not found", "check the path") from None
    except PermissionError:
        raise DataError(path, "the file cannot be read (permission denied)",
                        "check that you may read it") from None
    except IsADirectoryError:
        raise DataError(path, f"this is a folder, not a {what}", f"give a {what}") from None
    except OSError as exc:
        raise DataError(path, f"the file cannot be read ({exc.strerror or exc})",
                        "check that it exists and that you may read it") from None
    if len(data) > limit:
        raise DataError(path, f"holds more than {_size_text(limit)}, more than a {what} can be",
                        f"give a {what} (at most {_size_text(limit)})")
    return data


def read_bounded_text(path: str | os.PathLike[str], limit: int, what: str = "file",
                      encoding: str = "utf-8-sig") -> str:
    """`read_bounded` decoded; `DataError` for bytes that are not `encoding`."""
    data = read_bounded(path, limit, what)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(path, f"not UTF-8 text (byte {exc.start}), so not a {what}",
                        f"give a {what}") from None


def json_depth(doc: Any, stop: int = MAX_JSON_DEPTH) -> int:
    """How deep lists and objects nest in a decoded document (counting stops past `stop`);
    iterative, so a deep document cannot overflow the stack here."""
    deepest = 0
    stack = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if deepest > stop:
                return deepest
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children
                         if isinstance(child, dict | list))
    return deepest


def loads_json(text: str | bytes, path: str | os.PathLike[str] | None, what: str = "file",
               **kwargs: Any) -> Any:
    """`json.loads` whose every failure is one `DataError` naming `path`: bad JSON, and
    nesting deeper than `MAX_JSON_DEPTH` (so code walking the document recursively, such as
    a schema validator, never meets a RecursionError)."""
    try:
        doc = json.loads(text, **kwargs)
    except json.JSONDecodeError as exc:
        raise DataError(path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: "
                        f"{exc.msg})", f"give a valid {what}") from None
    except RecursionError:
        raise DataError(path, "the JSON is nested too deeply", f"give a {what}") from None
    except (ValueError, TypeError) as exc:
        raise DataError(path, f"not valid JSON ({exc})", f"give a valid {what}") from None
    if json_depth(doc) > MAX_JSON_DEPTH:
        raise DataError(path, f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep, so "
                        f"it is not a {what}", f"give a {what}")
    return doc


def read_json(path: str | os.PathLike[str], limit: int, what: str = "file", **kwargs: Any) -> Any:
    """A JSON file read with `read_bounded` and parsed with `loads_json`."""
    return loads_json(read_bounded_text(path, limit, what), path, what, **kwargs)


# --- output locations ---------------------------------------------------------------------------

#: Pseudo file systems nothing of ours is ever written into.
SYSTEM_ROOTS = ("/proc", "/sys", "/dev")


def _nearest_existing(path: Path) -> Path:
    probe = path
    while not os.path.lexists(probe) and probe.parent != probe:
        probe = probe.parent
    return probe


def _check_writable_place(path: Path, flag: str) -> None:
    real = os.path.realpath(path)
    for root in SYSTEM_ROOTS:
        if real == root or real.startswith(root + os.sep):
            raise DataError(path, f"{flag} lies under {root}, a system folder, not a place for "
                            "files", f"give {flag} a folder of your own")
    existing = _nearest_existing(path)
    if existing.exists() and not existing.is_dir():
        raise DataError(path, f"{flag} lies under {existing}, which is a file, not a folder",
                        f"give {flag} a path whose folders are folders")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DataError(path, f"{flag}: the folder {existing} may not be written to",
                        f"give {flag} a folder you may write to")


def check_output_dir(path: str | os.PathLike[str], flag: str = "--out",
                     subfolders: tuple[str, ...] = ()) -> Path:
    """Refuse an output folder that cannot be one, before any work starts: an empty name, an
    existing file, a path under a file or under /proc, /sys or /dev, a folder we may not write,
    or (for `subfolders`) a file where a subfolder goes. Nothing is created here."""
    if path is None or not str(path).strip():
        raise DataError(flag, "is empty", f"give {flag} a folder for the results")
    path = Path(os.path.abspath(Path(path).expanduser()))
    if path.exists() and not path.is_dir():
        raise DataError(path, f"{flag} names a file, not a folder", f"give {flag} a folder")
    _check_writable_place(path, flag)
    for sub in subfolders:
        inner = path / sub
        if inner.exists() and not inner.is_dir():
            raise DataError(inner, f"is a file where the output folder '{sub}' goes",
                            f"move the file away or give another {flag}")
    return path


def check_output_file(path: str | os.PathLike[str], flag: str = "--out",
                      suffix: str | None = None) -> Path:
    """Refuse an output file that cannot be one, before any work starts: an empty name, an
    existing folder, a missing folder, a path under a file or a system folder."""
    if path is None or not str(path).strip():
        raise DataError(flag, "is empty", f"give {flag} a file name")
    path = Path(os.path.abspath(Path(path).expanduser()))
    if path.is_dir():
        raise DataError(path, f"{flag} names an existing folder, not a file",
                        f"give {flag} a file name inside it, e.g. "
                        f"{path / ('out' + (suffix or ''))}")
    if suffix and path.suffix.lower() != suffix:
        raise DataError(path, f"{flag} must name a {suffix} file", f"end the name in {suffix}")
    _check_writable_place(path.parent, flag)  # an existing file is overwritten (atomically)
    if not path.parent.is_dir():
        raise DataError(path, f"the folder of {flag} does not exist: {path.parent}",
                        "create it first or give another path")
    return path
