"""The plugin API reference, generated from the docstrings of `hktwin.plugins.__all__`.

`python -m hktwin.plugins.apidoc` prints it; `--write docs/plugins.md` replaces the section
between the `<!-- api:begin -->` and `<!-- api:end -->` markers. A test checks the file is up
to date, so the reference cannot drift from the code.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path

BEGIN, END = "<!-- api:begin -->", "<!-- api:end -->"


def _first_paragraph(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _signature(obj: object) -> str:
    try:
        return str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def reference() -> str:
    """Markdown: constants, functions, then classes (with their public methods)."""
    import hktwin.plugins as hp

    consts, funcs, classes, types = [], [], [], []
    for name in hp.__all__:
        obj = getattr(hp, name)
        if name in hp._TYPES:
            types.append(f"- `{name}`: the app's `{hp._TYPES[name]}`. {_first_paragraph(obj)}")
        elif inspect.isclass(obj):
            lines = [f"### `{name}`", "", _first_paragraph(obj), ""]
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                target = member.fget if isinstance(member, property) else member
                if callable(target) or isinstance(member, property):
                    sig = "" if isinstance(member, property) else _signature(target)
                    lines.append(f"- `{attr}{sig}`: {_first_paragraph(target)}")
            classes.append("\n".join(lines).rstrip())
        elif callable(obj):
            funcs.append(f"- `{name}{_signature(obj)}`: {_first_paragraph(obj)}")
        elif isinstance(obj, dict):
            consts.append(f"- `{name}`: {', '.join(f'`{k}`' for k in obj)}")
        else:
            consts.append(f"- `{name}` = `{obj!r}`")
    parts = ["## API reference", "",
             "Generated from the docstrings by `python -m hktwin.plugins.apidoc`.", "",
             "### Constants", "", *consts, "", "### Functions", "", *funcs, "",
             "### The app's types, re-exported (imported on first use)", "", *types, "",
             *[c + "\n" for c in classes]]
    return "\n".join(parts).rstrip() + "\n"


def replace_section(text: str, body: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + body + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hktwin.plugins.apidoc")
    parser.add_argument("--write", type=Path, help="Markdown file with the api markers")
    args = parser.parse_args(argv)
    body = reference()
    if args.write is None:
        sys.stdout.write(body)
        return 0
    args.write.write_text(replace_section(args.write.read_text(encoding="utf-8"), body),
                          encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
