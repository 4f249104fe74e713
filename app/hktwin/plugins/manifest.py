"""The static plugin manifest, `hktwin-plugin.toml`: what a plugin contributes, read without
importing any of its code.

A manifest is a `[plugin]` table (name, title, version, the API version it was written for) and
one array of tables per contribution kind (`[[layers]]`, `[[feeds]]`, ...). Every contribution
has a `name`; fields that name code are "module:attr" strings (a CLI subcommand names a module),
imported only when the contribution is first used. Any other field is plain metadata.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hktwin.core.errors import DataError
from hktwin.core.files import read_bounded_text

MANIFEST_NAME = "hktwin-plugin.toml"
#: A manifest is a few kilobytes; anything past this is not one.
MANIFEST_LIMIT = 1 << 20

#: kind -> (required code fields, optional code fields). A code field holds "module:attr".
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "layers": (("model",), ("adapter", "factory", "picker", "inspector")),
    "feeds": (("source",), ()),
    "importers": (("run",), ("detect",)),
    "pack_kinds": (("reader",), ()),
    "predictors": (("predictor",), ()),
    "analyses": (("run",), ()),
    "docks": (("widget",), ()),
    "menus": (("command",), ()),
    "cli": (("module",), ()),
    "samples": ((), ()),
    "tour": (("run",), ()),
}
#: what each kind is for, shown by `hktwin plugins list` and in docs/plugins.md
KIND_HELP: dict[str, str] = {
    "layers": "a layer type: its model class, vispy adapter, and optional factory (builds layers "
              "for a loaded city), picker and inspector rows",
    "feeds": "a feed source: a FeedSource (URL, poll interval, parser)",
    "importers": "a data importer: run(source, out_dir, progress) and optional detect(path)",
    "pack_kinds": "a kind of data-pack layer: reader(path, entry) -> data",
    "predictors": "a forecaster for a live source: predictor(store_path, source, keys) -> a "
                  "forecaster with values_at(origin, when), or None",
    "analyses": "an analysis: run(twin, **params) -> AnalysisResult (layers and metrics)",
    "docks": "a dock widget: widget(session, parent) -> QWidget (GUI only)",
    "menus": "a menu command: command(window); `menu` names the menu, `title` the entry",
    "cli": "an `hktwin` subcommand: a module with register(subparsers) and run(args)",
    "samples": "a sample data pack: `path` is a folder inside the plugin package",
    "tour": "a tour step kind: run(session, params) -> optional undo(); a tour step names it "
            "with action = NAME",
}
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_CODE = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_][\w.]*)?$")


@dataclass(frozen=True)
class ContributionSpec:
    """One contribution as the manifest declares it (nothing imported)."""

    kind: str
    name: str
    title: str
    code: dict[str, str] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest: the plugin's identity and its contributions in declaration order."""

    name: str
    title: str
    version: str
    api: str
    description: str
    path: Path
    contributions: tuple[ContributionSpec, ...]

    def of_kind(self, kind: str) -> list[ContributionSpec]:
        """Its contributions of one kind, in the manifest's order."""
        return [c for c in self.contributions if c.kind == kind]


def read_manifest(path: str | Path) -> Manifest:
    """Parse and check one manifest file; `DataError` names the field and the fix."""
    path = Path(path)
    if not path.exists():
        raise DataError(path, "the plugin has no manifest",
                        f"add {MANIFEST_NAME} next to the package's __init__.py")
    try:
        data = tomllib.loads(read_bounded_text(path, MANIFEST_LIMIT, "plugin manifest"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(path, f"cannot read the manifest ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataError(path, f"not valid TOML ({exc})", "fix the TOML syntax") from exc
    return parse_manifest(data, path)


def parse_manifest(data: dict[str, Any], path: Path) -> Manifest:
    head = data.get("plugin")
    if not isinstance(head, dict):
        raise DataError(path, "no [plugin] table", "start the file with [plugin] name = ...",
                        field="plugin")
    name = head.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise DataError(path, f"plugin name {name!r} is not a lowercase identifier",
                        "use letters, digits, '-' or '_', starting with a letter",
                        field="plugin.name")
    api = head.get("api")
    if not isinstance(api, str | int | float) or not str(api).strip():
        raise DataError(path, "the API version is missing", 'add api = "1" to [plugin]',
                        field="plugin.api")
    for key in ("title", "version", "description"):
        if key in head and not isinstance(head[key], str):
            raise DataError(path, f"{key} must be a string", field=f"plugin.{key}")
    unknown = sorted(set(data) - set(KINDS) - {"plugin"})
    if unknown:
        raise DataError(path, f"unknown contribution kind {unknown[0]!r}",
                        f"use one of: {', '.join(KINDS)}", field=unknown[0])
    specs: list[ContributionSpec] = []
    for kind, (required, optional) in KINDS.items():
        entries = data.get(kind, [])
        if not isinstance(entries, list):
            raise DataError(path, f"{kind} must be an array of tables",
                            f"write each as [[{kind}]]", field=kind)
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            where = f"{kind}[{i}]"
            if not isinstance(entry, dict):
                raise DataError(path, "not a table", f"write it as [[{kind}]]", field=where)
            cname = entry.get("name")
            if not isinstance(cname, str) or not _NAME.match(cname):
                raise DataError(path, f"contribution name {cname!r} is not a lowercase "
                                "identifier", "give it name = \"my-thing\"", field=f"{where}.name")
            if cname in seen:
                raise DataError(path, f"two {kind} are called {cname!r}", field=f"{where}.name")
            seen.add(cname)
            code: dict[str, str] = {}
            for key in (*required, *optional):
                value = entry.get(key)
                if value is None:
                    if key in required:
                        raise DataError(path, f"{key} is missing",
                                        f'add {key} = "module:attr"', field=f"{where}.{key}")
                    continue
                if not isinstance(value, str) or not _CODE.match(value):
                    raise DataError(path, f"{key} = {value!r} is not a 'module:attr' reference",
                                    'write it as "package.module:name"', field=f"{where}.{key}")
                code[key] = value
            meta = {k: v for k, v in entry.items() if k not in code and k not in ("name",
                                                                                   "title")}
            title = entry.get("title", cname)
            specs.append(ContributionSpec(kind, cname, str(title), code, meta))
    return Manifest(name=name, title=str(head.get("title", name)),
                    version=str(head.get("version", "")), api=str(api),
                    description=str(head.get("description", "")), path=path,
                    contributions=tuple(specs))


def api_compatible(declared: str, current: str) -> bool:
    """Same major version, and a minor no newer than the app's ("1" means any 1.x)."""
    try:
        want = [int(p) for p in str(declared).strip().split(".")]
        have = [int(p) for p in current.split(".")]
    except ValueError:
        return False
    if want[0] != have[0]:
        return False
    return len(want) < 2 or want[1] <= have[1]
