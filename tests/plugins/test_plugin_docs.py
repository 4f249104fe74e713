"""docs/plugins.md is followed literally: its tutorial's files are written out, installed with
their entry point, and its test run; its API reference is the one generated from the code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import hktwin.plugins as hp
from hktwin.plugins import apidoc
from hktwin.plugins.manifest import KINDS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "plugins.md"
BLOCK = re.compile(r"```(\w+) file=(\S+)\n(.*?)```", re.DOTALL)


def tutorial_files() -> dict[str, str]:
    return {path: body for _, path, body in BLOCK.findall(DOC.read_text(encoding="utf-8"))}


def install_like_pip(project: Path) -> None:
    """What `pip install -e` leaves for discovery: distribution metadata with the entry points
    of pyproject.toml, on a folder of sys.path (here the project itself)."""
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    dist = project / f"{meta['name'].replace('-', '_')}-{meta['version']}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {meta['name']}\n"
                                   f"Version: {meta['version']}\n")
    lines = []
    for group, eps in meta["entry-points"].items():
        lines.append(f"[{group}]")
        lines += [f"{k} = {v}" for k, v in eps.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")


def test_the_tutorial_builds_a_plugin_that_passes_its_test(tmp_path):
    files = tutorial_files()
    assert {"pyproject.toml", "hktwin_towers/hktwin-plugin.toml", "hktwin_towers/layer.py",
            "hktwin_towers/visual.py", "tests/test_towers.py"} <= set(files)
    project = tmp_path / "hktwin-towers"
    for rel, body in files.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(body, encoding="utf-8")
    install_like_pip(project)
    env = dict(os.environ, PYTHONPATH=str(project), HKTWIN_CONFIG_DIR=str(tmp_path / "config"))
    test = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=300)
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-2000:]
    assert "2 passed" in test.stdout
    listed = subprocess.run([sys.executable, "-c", "import sys; from hktwin.cli import main; "
                             "sys.exit(main())", "plugins", "list", "--json"], env=env,
                            capture_output=True, text=True, timeout=120)
    towers = next(r for r in json.loads(listed.stdout) if r["name"] == "towers")
    assert towers["contributions"] == {"layers": ["towers"], "analyses": ["count-towers"]}
    assert towers["error"] is None


def test_the_api_reference_is_generated_from_the_code_and_complete():
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(apidoc.BEGIN) + len(apidoc.BEGIN):text.index(apidoc.END)]
    assert section.strip() == apidoc.reference().strip(), \
        "docs/plugins.md is stale: run python -m hktwin.plugins.apidoc --write docs/plugins.md"
    for name in hp.__all__:
        assert f"`{name}" in section, name


def test_the_manifest_table_lists_every_kind_and_code_field():
    text = DOC.read_text(encoding="utf-8")
    for kind, (required, optional) in KINDS.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{kind}` |")), "")
        assert row, f"no row for {kind}"
        for code_field in (*required, *optional):
            assert f"`{code_field}`" in row, (kind, code_field)
