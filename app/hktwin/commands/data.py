"""`hktwin data ...`: import official files into a pack, describe a pack, fetch a dataset.

Kept light: only argparse and the kind names at import time, so `hktwin --version` loads no
GDAL. Unusable input raises an `HKTwinError`, which the main CLI prints as one
`hktwin: error: FILE [field]: problem. Fix: ...` line with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from hktwin.commands.common import positive
from hktwin.core.errors import DataError
from hktwin.core.progress import Progress
from hktwin.geo.importers import KINDS
from hktwin.plugins import importer_names

#: Builds a pack's meshes into the user cache the way the app opens it.
Warm = Callable[[Path, Progress], object]


def warm_pack(pack: Path, progress: Progress) -> None:
    """Mesh an imported pack's buildings into the cache exactly as the app will open it."""
    from hktwin.model.loading import load_city

    load_city(pack, progress=progress)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `data` command and its sub-commands to the main parser's sub-parsers."""
    data = subparsers.add_parser("data", help="import official data into a pack, describe a "
                                 "pack, fetch a published dataset")
    sub = data.add_subparsers(dest="data_command", metavar="COMMAND", required=True,
                              parser_class=type(data))

    imp = sub.add_parser("import", help="build or extend a data pack from files")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE",
                     help="GeoTIFF / ESRI ASCII grid / zip, or any GDAL vector file, or the TD "
                          "link-and-node CSV")
    imp.add_argument("--pack", type=Path, required=True, help="pack folder (created if missing)")
    imp.add_argument("--as", dest="as_kind", choices=[*KINDS, *importer_names()],
                     help="the layer kind, or a plugin's importer (default: decided from the "
                     "content)")
    imp.add_argument("--height-field", help="buildings: a field holding heights above the base (m)")
    imp.add_argument("--name", help="layer name (an existing layer of that name is replaced)")
    imp.add_argument("--crs", help="CRS of the inputs, e.g. EPSG:2326 (needed where a file "
                     "declares none, such as an ESRI ASCII grid; overrides what files declare)")
    imp.add_argument("--layer", help="which layer of a multi-layer file (GeoPackage, FileGDB)")
    imp.add_argument("--storey-height", type=positive(float), default=3.0,
                     help="metres per storey when only a storey count is known (3.0)")
    imp.add_argument("--default-height", type=positive(float), default=10.0,
                     help="metres, for footprints with no height at all (10.0)")
    imp.add_argument("--no-mesh", action="store_true",
                     help="do not build the building meshes into the cache now")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")

    info = sub.add_parser("info", help="describe a pack's layers")
    info.add_argument("pack", type=Path, metavar="DIR", help="pack folder")
    info.add_argument("--json", action="store_true", help="print JSON")

    packs = sub.add_parser("packs", help="list the packs a scenario's \"pack\" may name: the "
                           "demo city, the packs in the user's data folder, plugins' samples")
    packs.add_argument("--json", action="store_true", help="print JSON")

    fetch = sub.add_parser("fetch", help="download an official dataset and import it")
    fetch.add_argument("name", nargs="?", help="dataset name (see --list)")
    fetch.add_argument("--pack", type=Path, help="pack folder to import into")
    fetch.add_argument("--list", action="store_true", help="list the catalogue")
    fetch.add_argument("--url", help="download from this address instead of the catalogue's")
    fetch.add_argument("--sha256", help="expected SHA-256 of the file (refused if different)")
    fetch.add_argument("--no-mesh", action="store_true",
                       help="do not build the building meshes into the cache now")


def run(args: argparse.Namespace, warm: Warm | None = warm_pack) -> int:
    """Run a `data` sub-command; `warm`, when given, meshes an imported pack's buildings into
    the cache so the app's first open of the pack is fast."""
    if args.data_command == "import":
        return _import(args, warm)
    if args.data_command == "info":
        return _info(args)
    if args.data_command == "packs":
        return _packs(args)
    return _fetch(args, warm)


def _packs(args: argparse.Namespace) -> int:
    """Name -> folder of every known pack (what a scenario's "pack" and `evaluate` resolve)."""
    from hktwin.session.evaluation import known_packs

    found = {name: str(folder) for name, folder in known_packs().items()}
    if args.json:
        print(json.dumps(found, indent=2, ensure_ascii=False))
    else:
        width = max(map(len, found), default=4)
        for name, folder in found.items():
            print(f"{name:<{width}}  {folder}")
    return 0


def _warm(args: argparse.Namespace, report, warm: Warm | None) -> None:
    from hktwin.core.progress import TerminalProgress

    if warm is None or args.no_mesh or not any(r.kind == "buildings" for r in report.layers):
        return
    warm(args.pack, TerminalProgress())
    print(f"building meshes cached for {args.pack}")


def _import(args: argparse.Namespace, warm: Warm | None) -> int:
    from hktwin.core.progress import TerminalProgress
    from hktwin.geo.pack_writer import import_files

    report = import_files(
        args.files, args.pack, args.as_kind, TerminalProgress(), name=args.name,
        height_field=args.height_field, crs=args.crs, layer=args.layer,
        storey_height=args.storey_height, default_height=args.default_height)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(report.lines()))
    _warm(args, report, warm)
    return 0


def _info(args: argparse.Namespace) -> int:
    from hktwin.geo.pack_info import format_info, pack_info

    info = pack_info(args.pack)
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
    else:
        print("\n".join(format_info(info)))
    problems = [layer["problem"] for layer in info["layers"] if "problem" in layer]
    if problems:
        print(f"hktwin: error: {problems[0]}", file=sys.stderr)
        return 2
    return 0


def _fetch(args: argparse.Namespace, warm: Warm | None) -> int:
    from hktwin.core.progress import TerminalProgress
    from hktwin.geo import fetch

    if args.list or not args.name:
        print("\n".join(fetch.catalogue_lines()))
        return 0
    if args.pack is None:
        raise DataError(None, "data fetch needs --pack", "name the pack folder to import into",
                        field="--pack")
    result = fetch.fetch_dataset(args.name, args.pack, TerminalProgress(), url=args.url,
                                 sha256=args.sha256)
    if not result.verified:
        print(f"warning: {result.dataset.name} has no published checksum; the downloaded file's "
              f"SHA-256 is {result.sha256}. Keep it and pass --sha256 to check later downloads",
              file=sys.stderr)
    print(f"downloaded {result.file} (sha256 {result.sha256})")
    print("\n".join(result.report.lines()))
    _warm(args, result.report, warm)
    return 0
