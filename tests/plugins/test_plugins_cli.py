"""`hktwin plugins list/new`, plugin subcommands, and a broken plugin seen from the command line:
reported in one line, disabled, and the rest of `hktwin` keeps working."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_test_helpers import write_plugin

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {"noise": "hktwin_noise", "sun": "hktwin_sun", "kmb": "hktwin_kmb"}


def hktwin(*args: str, site: Path | None = None, config: Path | None = None,
           timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    if config is not None:
        env["HKTWIN_CONFIG_DIR"] = str(config)
    code = "import sys; from hktwin.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=timeout)


def test_list_json_shows_the_built_ins_and_the_example_plugins(tmp_path):
    missing = [m for m in EXAMPLES.values() if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"example plugins not installed ({', '.join(missing)}): "
                    "pip install -e plugins/*")
    out = hktwin("plugins", "list", "--json", config=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert {"builtin", *EXAMPLES} <= set(rows)
    assert rows["noise"]["contributions"] == {"layers": ["road-noise"], "analyses": ["road-noise"],
                                              "cli": ["noise"]}
    assert rows["sun"]["contributions"]["docks"] == ["sun"]
    assert rows["kmb"]["contributions"]["feeds"] == ["kmb-route-eta"]
    assert "td-speed" in rows["builtin"]["contributions"]["feeds"]
    assert all(r["enabled"] and r["error"] is None for r in rows.values())


def test_a_broken_plugin_is_reported_in_one_line_and_the_rest_works(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    write_plugin(site, "broken", """
        [plugin]
        name = "broken"
        api = "1"
        [[cli]]
        name = "broken-cmd"
        title = "a command that cannot import"
        module = "hkt_test_broken.cli"
        """, {"cli.py": "import not_a_module_anywhere\n"})
    write_plugin(site, "from-the-future", "[plugin]\nname = 'from-the-future'\napi = '7'\n")
    listed = hktwin("plugins", "list", "--json", site=site, config=tmp_path)
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["broken"]["error"] is None  # nothing imported yet
    assert "plugin API 7" in rows["from-the-future"]["error"]
    assert hktwin("--version", site=site).returncode == 0
    run = hktwin("broken-cmd", "--flag", site=site, config=tmp_path)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "plugin 'broken' (import)" in run.stderr and "not_a_module_anywhere" in run.stderr
    # the rest of hktwin keeps working in the same environment
    assert hktwin("plugins", "list", site=site, config=tmp_path).returncode == 0


def test_a_plugin_subcommand_gets_its_own_arguments():
    if importlib.util.find_spec("hktwin_noise") is None:
        pytest.skip("hktwin-noise is not installed (pip install -e plugins/hktwin-noise)")
    out = hktwin("noise", "--top", "3", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert len(result["loudest"]) == 3 and "estimated from the road type" in result["legend"]


def test_enable_and_disable_are_kept_in_the_settings(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    write_plugin(site, "quiet", "[plugin]\nname = 'quiet'\napi = '1'\n")
    assert hktwin("plugins", "disable", "quiet", site=site, config=tmp_path).returncode == 0
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert saved["enabled_plugins"] == {"quiet": False}
    rows = json.loads(hktwin("plugins", "list", "--json", site=site, config=tmp_path).stdout)
    assert next(r for r in rows if r["name"] == "quiet")["enabled"] is False
    builtin = hktwin("plugins", "disable", "builtin", site=site, config=tmp_path)
    assert builtin.returncode == 2 and "cannot be disabled" in builtin.stderr
    bad = hktwin("plugins", "enable", "no-such-plugin", config=tmp_path)
    assert bad.returncode == 2 and "no plugin called" in bad.stderr


@pytest.mark.slow  # runs the skeleton's own pytest in a child process
def test_new_writes_a_skeleton_whose_test_passes(tmp_path):
    out = hktwin("plugins", "new", "street-trees", "--dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    root = tmp_path / "hktwin-street-trees"
    assert (root / "hktwin_street_trees" / "hktwin-plugin.toml").exists()
    assert 'street-trees = "hktwin_street_trees"' in (root / "pyproject.toml").read_text()
    env = dict(os.environ, PYTHONPATH=str(root))
    test = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(root / "tests")], capture_output=True, text=True, cwd=root,
                          env=env, timeout=300)
    assert test.returncode == 0, test.stdout + test.stderr
    assert "3 passed" in test.stdout
    again = hktwin("plugins", "new", "street-trees", "--dir", str(tmp_path))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert hktwin("plugins", "new", "Bad Name", "--dir", str(tmp_path)).returncode == 2
