"""Build or extend a data pack from official files, all or nothing.

Everything is written into a temporary folder beside the pack: the existing pack's files
(hard-linked where the file system allows, so a 500 MB terrain is not copied; no writer ever opens
one of them for writing), the new layers and the updated manifest. The folder is then opened with
`open_pack` exactly as the app will open it; only if that succeeds is it swapped in (the old pack
renamed away, the new one renamed in, the old one deleted). On any failure, a cancel included,
the temporary folder is removed and the pack is left byte for byte as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hktwin.core.errors import DataError
from hktwin.core.files import DiskFullError, atomic_write_json, is_disk_full, os_error
from hktwin.core.progress import Progress, no_progress, sub_progress
from hktwin.geo.importers import KINDS
from hktwin.geo.importers.common import Cancelled, ImportOptions, LayerResult
from hktwin.geo.importers.detect import Source, detect

#: Seconds a second import of the same pack waits for the first before it is refused.
LOCK_WAIT_S = 600.0
#: Kinds a pack holds once; importing another replaces it.
SINGLE_KINDS = ("terrain", "buildings")
MAX_HISTORY = 50


@dataclass
class ImportReport:
    """What an import did, for the terminal, the dialog and `--json`."""

    pack: Path
    created: bool
    layers: list[LayerResult]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"{'Created' if self.created else 'Updated'} data pack {self.pack}"]
        for layer in self.layers:
            replaced = f" (replaced '{layer.replaced}')" if layer.replaced else ""
            out.append(f"  {layer.name:<14} {layer.kind:<11} {layer.path:<24} "
                       f"{describe(layer)}{replaced}")
            out.append(f"  {'':<14} from {', '.join(layer.sources)}")
        out.extend(f"warning: {w}" for w in self.warnings)
        out.append(f"Done in {self.seconds:.1f} s.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"pack": str(self.pack), "created": self.created, "seconds": self.seconds,
                "layers": [{"name": r.name, "replaced": r.replaced, **r.manifest_entry()}
                           for r in self.layers],
                "warnings": self.warnings}


def describe(layer: LayerResult) -> str:
    """A short human description of a written layer."""
    if layer.size is not None:
        text = f"{layer.size[0]} x {layer.size[1]} cells of {layer.resolution:g} m"
        if "min" in layer.stats:
            text += f", values {layer.stats['min']:g}..{layer.stats['max']:g}"
        return text
    text = f"{layer.count} features"
    sources = layer.stats.get("height_from")
    if sources:
        text = f"{layer.count} buildings; heights from " + ", ".join(
            f"{k} {v}" for k, v in sources.items())
    return text


def import_files(
    files: Sequence[str | Path],
    pack_dir: str | Path,
    as_kind: str | None = None,
    progress: Progress = no_progress,
    *,
    name: str | None = None,
    height_field: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    storey_height: float = 3.0,
    default_height: float = 10.0,
    cancel: threading.Event | None = None,
    lock_timeout_s: float | None = None,
) -> ImportReport:
    """Import `files` into the pack at `pack_dir` (created if missing) and return a report.

    Terrain files are mosaicked into the pack's one terrain; building files into its one
    buildings layer (both replace what the pack had); every other file becomes a layer of its
    own.
    Raises `DataError` (one line naming the file, the problem and the fix) or `Cancelled`;
    either way the pack is untouched. The pack is locked for the whole import and swap; another
    import of the same pack waits for it up to `lock_timeout_s` (default `LOCK_WAIT_S`, or
    `$HKTWIN_PACK_LOCK_WAIT_S`), then is refused.
    """
    started = time.perf_counter()
    # Absolute and normalised ('.' or 'packs/hk/' -> a real name), so the staging folder sits
    # beside the pack, never inside it.
    pack_dir = Path(os.path.abspath(Path(pack_dir).expanduser()))
    if pack_dir.parent == pack_dir:
        raise DataError(pack_dir, "is the file system's root", "give a folder for the pack")
    options = ImportOptions(height_field=height_field, crs=crs, name=name, layer=layer,
                            storey_height=storey_height, default_height=default_height,
                            cancel=cancel)
    if not files:
        raise DataError(None, "no files to import", "give one or more data files")
    _existing_manifest(pack_dir)  # refuse a folder that is no pack before reading any input
    progress(0.0, "Inspecting the files")
    groups = _groups([detect(f, as_kind, height_field, layer) for f in files])
    if name and len(groups) > 1:
        raise DataError(None, f"--name names one layer, but the files make {len(groups)} layers",
                        "import them in separate commands, or leave out --name", field="--name")
    try:
        pack_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_error(exc, pack_dir.parent, "create the pack's folder") from exc
    with pack_lock(pack_dir, lock_timeout_s, progress, cancel):
        # Under the lock no other import of this pack runs, so any staging folder is a leftover
        # of a killed one.
        removed = remove_stale_staging(pack_dir)
        existing = _existing_manifest(pack_dir)  # read again: another import may have landed
        work = pack_dir.parent / f".{pack_dir.name}.importing-{uuid.uuid4().hex[:12]}"
        try:
            work.mkdir()  # not mkdtemp: the pack keeps the user's usual permissions, not 0700
            if existing is not None:
                shutil.copytree(pack_dir, work, dirs_exist_ok=True, copy_function=_link_or_copy)
            manifest = _start_manifest(existing, pack_dir)
            results = _import_groups(groups, work, manifest, options,
                                     sub_progress(progress, 0.02, 0.85))
            _finish_manifest(manifest, results, pack_dir)
            atomic_write_json(work / "manifest.json", manifest)
            options.check_cancel()
            progress(0.86, "Checking the new pack opens")
            _validate(work, pack_dir)
            options.check_cancel()
            _swap(work, pack_dir)
        except BaseException as exc:
            full = is_disk_full(exc, pack_dir.parent)  # before the staging folder frees room
            shutil.rmtree(work, ignore_errors=True)
            if full:  # the device, not the input: name where the space ran out
                raise DiskFullError(pack_dir.parent) from exc
            if isinstance(exc, OSError):
                raise os_error(exc, pack_dir, "write the pack") from exc
            raise
    progress(1.0, "Import finished")
    warnings = [w for r in results for w in r.warnings]
    if removed:
        warnings.append(f"removed {len(removed)} staging folder(s) a stopped import of this pack "
                        f"left behind ({', '.join(p.name for p in removed)})")
    return ImportReport(pack_dir, existing is None, results, warnings,
                        round(time.perf_counter() - started, 2))


# --- the pack lock ---------------------------------------------------------------------------


def lock_path(pack_dir: Path) -> Path:
    """The lock file beside the pack (not inside: the pack folder itself is swapped); beside
    the real folder, so two names of one pack (a symbolic link) share the lock."""
    real = Path(os.path.realpath(pack_dir))
    return real.parent / f".{real.name}.lock"


@contextlib.contextmanager
def pack_lock(pack_dir: Path, timeout_s: float | None = None, progress: Progress = no_progress,
              cancel: threading.Event | None = None):
    """Hold an advisory lock (`fcntl.flock`) on the pack for the block. The kernel drops it when
    the holder exits, killed or not, so a lock never outlives its import. Waits up to
    `timeout_s` for another holder (saying so once through `progress`), then refuses."""
    if timeout_s is None:
        timeout_s = float(os.environ.get("HKTWIN_PACK_LOCK_WAIT_S", LOCK_WAIT_S))
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking, as before
        yield
        return
    path = lock_path(pack_dir)
    deadline = time.monotonic() + timeout_s
    told = False
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise os_error(exc, path, "create the pack's lock file") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(fd)
            os.close(fd)
            if time.monotonic() >= deadline:
                raise DataError(pack_dir, f"another import of this pack{holder} is still "
                                f"running after {timeout_s:g} s of waiting",
                                "wait for it to finish, then import again") from None
            if not told:
                progress(0.0, f"Waiting for another import of {pack_dir.name}{holder} to finish")
                told = True
            if cancel is not None and cancel.is_set():
                raise Cancelled("import cancelled while waiting for the pack") from None
            time.sleep(0.1)
            continue
        try:  # the holder before us removes the file as it lets go: lock the file that is there
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except OSError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # while still held, so no one locks a file that is going away
        os.close(fd)  # releases the lock


def _lock_holder(fd: int) -> str:
    try:
        pid = int(os.pread(fd, 32, 0).decode().strip() or 0)
    except (OSError, ValueError):
        pid = 0
    return f" (process {pid})" if pid else ""


def remove_stale_staging(pack_dir: Path) -> list[Path]:
    """Remove the staging and swap-out folders (`.NAME.importing-*`, `.NAME.old-*`) an import
    that was stopped (killed, power cut) left beside the pack. Call it holding `pack_lock`:
    then no live import owns any of them."""
    removed = []
    olds = sorted(pack_dir.parent.glob(f".{pack_dir.name}.old-*"), key=os.path.getmtime)
    if not os.path.lexists(pack_dir) and olds:
        # Killed between the two renames of a swap: the old pack is the pack; put it back.
        os.rename(olds.pop(), pack_dir)
    for pattern in (f".{pack_dir.name}.importing-*", f".{pack_dir.name}.old-*"):
        for folder in pack_dir.parent.glob(pattern):
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


# --- the pack before and after --------------------------------------------------------------


def _existing_manifest(pack_dir: Path) -> dict | None:
    """The current manifest, None for a new (missing or empty) folder; refuse anything else."""
    from hktwin.geo.pack import read_manifest

    if not pack_dir.exists():
        return None
    if not pack_dir.is_dir():
        raise DataError(pack_dir, "is a file, not a pack folder", "give a folder for the pack")
    if (pack_dir / "manifest.json").exists():
        return read_manifest(pack_dir)
    if any(pack_dir.iterdir()):
        raise DataError(pack_dir, "the folder is not empty and holds no manifest.json, so it is "
                        "not a data pack", "give a new or empty folder, or an existing pack")
    return None


def _start_manifest(existing: dict | None, pack_dir: Path) -> dict:
    from hktwin.geo.pack import PACK_FORMAT, PACK_VERSION

    if existing is not None:
        return json.loads(json.dumps(existing))  # a deep copy
    return {"format": PACK_FORMAT, "version": PACK_VERSION, "name": pack_dir.name,
            "approximate": False, "crs": "EPSG:2326", "layers": {}}


def _finish_manifest(manifest: dict, results: list[LayerResult], pack_dir: Path) -> None:
    layers = manifest["layers"]
    terrains = [n for n, e in layers.items() if e.get("kind") == "terrain"]
    if len(terrains) != 1:
        raise DataError(pack_dir, "a pack needs exactly one terrain layer and this import "
                        f"leaves it with {len(terrains)}", "import a DTM (GeoTIFF or ESRI ASCII "
                        "grid) in the same command, e.g. hktwin data import dtm.tif footprints.gpkg"
                        " --pack DIR", field="layers")
    extent = layers[terrains[0]].get("extent")
    if extent:
        manifest["bounds"] = extent
    counts = manifest.setdefault("counts", {})
    for r in results:
        if r.count is not None:
            counts[r.name] = r.count
        elif r.size is not None:
            counts[f"{r.name}_cells"] = r.size[0] * r.size[1]
    history = manifest.setdefault("imports", [])
    history.append({"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "layers": {r.name: r.sources for r in results}})
    del history[:-MAX_HISTORY]


def _validate(work: Path, pack_dir: Path):
    """Open the staged pack as the app will; report problems against the pack's own paths."""
    from hktwin.geo.pack import open_pack

    try:
        return open_pack(work)
    except DataError as exc:
        where = (exc.path or str(pack_dir)).replace(str(work), str(pack_dir))
        raise DataError(where, f"the imported pack does not open: {exc.problem}", exc.fix,
                        exc.field) from exc


def _swap(work: Path, pack_dir: Path) -> None:
    """Put `work` where `pack_dir` is with renames only (atomic on one file system)."""
    if not pack_dir.exists():
        os.rename(work, pack_dir)
        return
    old = pack_dir.parent / f".{pack_dir.name}.old-{uuid.uuid4().hex[:12]}"
    os.rename(pack_dir, old)
    try:
        os.rename(work, pack_dir)
    except BaseException:
        os.rename(old, pack_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _link_or_copy(src: str, dst: str) -> None:
    """Hard-link an unchanged file into the staging folder (copy across file systems)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


# --- the layers -----------------------------------------------------------------------------


def _groups(sources: list[Source]) -> list[list[Source]]:
    """Terrain files first, as one mosaic; then all building files as one layer; then one
    layer per other file, in the order given."""
    terrain = [s for s in sources if s.kind == "terrain"]
    buildings = [s for s in sources if s.kind == "buildings"]
    others = [[s] for s in sources if s.kind not in SINGLE_KINDS]
    return [g for g in (terrain, buildings) if g] + others


def _import_groups(groups: list[list[Source]], work: Path, manifest: dict,
                   options: ImportOptions, progress: Progress) -> list[LayerResult]:
    from hktwin.geo.importers.buildings import import_buildings
    from hktwin.geo.importers.terrain import import_rasters
    from hktwin.geo.importers.vectors import import_vector

    layers = manifest["layers"]
    results = []
    for i, group in enumerate(groups):
        options.check_cancel()
        kind = group[0].kind
        step = sub_progress(progress, i / len(groups), (i + 1) / len(groups))
        layer_name, replaced = _layer_name(layers, kind, group[0], options.name)
        for old in replaced:
            _remove_layer(work, layers, old)
        suffix = ".tif" if group[0].is_raster else ".parquet"
        out = None if group[0].form == "plugin" else _free_file(work, layers, layer_name, suffix)
        try:
            if out is None:
                result = _plugin_import(group[0], work, layers, layer_name, step)
            elif group[0].is_raster:
                result = import_rasters(group, out, layer_name, kind, options, step)
            elif kind == "buildings":
                result = import_buildings(group, out, layer_name, options,
                                          lambda: _pack_terrain(work, layers), step)
            else:
                result = import_vector(group[0], out, layer_name, kind, options, step)
        except (DataError, Cancelled):
            raise
        except MemoryError as exc:
            raise DataError(group[0].path, "not enough memory to import the file",
                            "close other programs or import the data in parts") from exc
        except Exception as exc:  # a library failure we did not foresee: still one line
            detail = (str(exc).strip().splitlines() or [""])[0][:160]
            raise DataError(group[0].path, f"import failed ({type(exc).__name__}: {detail})",
                            "check that the file opens in a GIS (e.g. QGIS); if it does, report "
                            "this as a bug with the file") from exc
        result.replaced = ", ".join(replaced) or None
        layers[layer_name] = result.manifest_entry()
        results.append(result)
    return results


def _plugin_import(source: Source, work: Path, layers: dict, layer_name: str,
                   progress: Progress) -> LayerResult:
    """A plugin importer writes the layer's one file (of its manifest's `suffix`, default
    .json) into the staging pack: `run(path, out, progress) -> {"count", "extent"} or None`."""
    from hktwin.plugins import PluginError, contribution

    c = contribution("importers", source.importer)
    suffix = str(c.meta.get("suffix", ".json"))
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix):
        raise DataError(source.path, f"the {c.id} importer's suffix {suffix!r} is not a file "
                        "suffix", "report this to the plugin's author", field="suffix")
    out = _free_file(work, layers, layer_name, suffix)
    try:
        info = c.call("run", "import", source.path, out, progress)
    except PluginError as exc:
        raise DataError(source.path, f"the {c.id} importer failed: {exc}",
                        "check the file; if it is sound, report this to the plugin's author"
                        ) from exc
    if not out.is_file():
        raise DataError(source.path, f"the {c.id} importer wrote no file",
                        "report this to the plugin's author")
    info = info if isinstance(info, dict) else {}
    extent = info.get("extent")
    return LayerResult(layer_name, source.kind, out.name, [str(source.path)],
                       count=info.get("count") if isinstance(info.get("count"), int) else None,
                       extent=tuple(extent) if isinstance(extent, list | tuple) and
                       len(extent) == 4 else None)


def _layer_name(layers: dict, kind: str, source: Source,
                explicit: str | None) -> tuple[str, list[str]]:
    """The new layer's name and the layers it replaces."""
    if explicit:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\- ]{0,63}", explicit):
            raise DataError(None, f"'{explicit}' is not a usable layer name",
                            "use letters, digits, '_' or '-' (up to 64)", field="--name")
        replaced = [explicit] if explicit in layers else []
        if kind in SINGLE_KINDS:
            replaced += [n for n, e in layers.items() if e["kind"] == kind and n != explicit]
        return explicit, replaced
    if kind in SINGLE_KINDS:
        same = [n for n, e in layers.items() if e["kind"] == kind]
        return (same[0] if same else kind), same
    if kind in ("roads", "districts", "population") and not source.is_raster:
        base = kind
    else:
        base = _slug(Path(source.member or source.path.name).stem) or kind
    candidate, n = base, 2
    while candidate in layers:
        candidate, n = f"{base}_{n}", n + 1
    return candidate, []


def _slug(text: str) -> str:
    """A layer or file name from a file name: 'Network_of_Weather_Stations_in_Hong_Kong' ->
    'network_of_weather_stations' (every layer here is in Hong Kong), cut at a word."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    slug = re.sub(r"_(in|of)_hong_kong$|_hong_kong$|_hk$", "", slug) or slug
    if len(slug) > 40:
        slug = slug[:41].rsplit("_", 1)[0] if "_" in slug[:41] else slug[:40]
    return slug


def _remove_layer(work: Path, layers: dict, name: str) -> None:
    from hktwin.geo.pack import pack_file

    entry = layers.pop(name)
    still_used = {e["path"] for e in layers.values()}
    if entry["path"] not in still_used:
        # Confined again here: nothing outside the staged pack is ever removed.
        pack_file(work, entry["path"], f"layers.{name}.path").unlink(missing_ok=True)


def _free_file(work: Path, layers: dict, name: str, suffix: str) -> Path:
    """A file name for the layer that no remaining layer uses (stale files are replaced)."""
    used = {e["path"] for e in layers.values()}
    stem = _slug(name) or "layer"
    candidate, n = f"{stem}{suffix}", 2
    while candidate in used:
        candidate, n = f"{stem}-{n}{suffix}", n + 1
    path = work / candidate
    path.unlink(missing_ok=True)  # a leftover not in the manifest; never written through
    return path


def _pack_terrain(work: Path, layers: dict):
    from hktwin.geo.pack import pack_file
    from hktwin.geo.terrain import read_terrain

    for entry in layers.values():
        if entry["kind"] == "terrain":
            return read_terrain(pack_file(work, entry["path"], "layers.terrain.path"))
    return None


__all__ = ["KINDS", "Cancelled", "ImportReport", "import_files"]
