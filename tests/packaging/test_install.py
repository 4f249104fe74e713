"""The wheel, the sdist and the PyInstaller bundle install and run away from the source tree.

Slow (a fresh virtual environment from PyPI, a PyInstaller build): marked `slow`; `.ci/run` runs
them. Each command runs in a temporary folder with a bare environment (no PYTHONPATH, no .venv on
PATH, caches and settings in the temporary folder), so nothing of the checkout can be imported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
APP_ID = "io.github.hktwin.HKTwin"

pytestmark = pytest.mark.slow


def bare_env(home: Path) -> dict[str, str]:
    """An environment with nothing of the checkout in it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "HKTWIN_", "PYTEST"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and str(ROOT) not in p)
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
               HKTWIN_CACHE_DIR=str(home / "hktwin-cache"))
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 600) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def check_png(path: Path, size: tuple[int, int]) -> None:
    from PIL import Image

    image = np.asarray(Image.open(path).convert("RGB"))
    assert image.shape[:2] == (size[1], size[0])
    # a drawn city: many colours, sea blue and land green both present, not one flat background
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 200
    r, g, b = (image[..., i].astype(int) for i in range(3))
    assert ((b > r + 30) & (b > g)).mean() > 0.05  # sea
    assert ((g > r) & (g > b)).mean() > 0.02  # vegetated hills


def window_opens(hktwin: str, work: Path, env: dict[str, str]) -> None:
    """The window opens and draws the city (Qt platform plugins, vispy's Qt backend), then
    quits: the app's start-up probe prints the first frame's time."""
    env = dict(env, HKTWIN_EXIT_AFTER_FIRST_FRAME="1")
    if env.get("DISPLAY"):
        cmd = [hktwin]
    elif shutil.which("xvfb-run"):
        cmd = ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", hktwin]
    else:
        pytest.fail("no DISPLAY and no xvfb-run: run bash packaging/setup-env.sh")
    out = run(cmd, work, env, timeout=300)
    assert "first_frame_s" in out, out


def run_the_app(hktwin: str, work: Path, env: dict[str, str], scenarios: Path) -> None:
    """--version, a snapshot (PNG checked), the window's first frame, the no-display message,
    and `hktwin evaluate` on a sample scenario as installed (from `scenarios`)."""
    out = run([hktwin, "--version"], work, env)
    assert f"hktwin {VERSION}" in out
    run([hktwin, "snapshot", "--out", str(work / "x.png"), "--size", "480x300"], work, env)
    check_png(work / "x.png", (480, 300))
    window_opens(hktwin, work, env)
    headless = {k: v for k, v in env.items()
                if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([hktwin], cwd=work, env=headless, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "xvfb-run hktwin" in proc.stderr, proc.stderr
    shipped = {p.name for p in (ROOT / "resources" / "scenarios").glob("*.hktwin.json")}
    samples = sorted(scenarios.glob("*.hktwin.json"))
    assert shipped and {p.name for p in samples} == shipped
    scenario = work / samples[0].name
    shutil.copyfile(samples[0], scenario)  # "pack": "demo" resolves to the installed city
    run([hktwin, "evaluate", str(scenario), "--out", str(work / "ev"), "--resolution", "25"],
        work, env)
    metrics = json.loads((work / "ev" / "metrics.json").read_text())
    assert metrics
    assert (work / "ev" / "coverage.tif").stat().st_size > 1000


def test_wheel_and_sdist_install_in_a_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # its "byte-compiling is disabled" is not ours
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    log = (proc.stdout + proc.stderr).lower()
    warnings = [ln for ln in log.splitlines() if "warning" in ln or "deprecat" in ln]
    assert not warnings, warnings
    wheel = next(dist.glob("*.whl"))
    sdist = next(dist.glob("*.tar.gz"))

    resource_files = {p.relative_to(ROOT / "resources").as_posix()
                      for p in (ROOT / "resources").rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts}
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(f"hk_twin-{VERSION}.dist-info/METADATA").decode()
    assert {f"hktwin/resources/{f}" for f in resource_files} <= names
    assert "hktwin/docs/user-guide.md" in names
    assert f"hk_twin-{VERSION}.dist-info/licenses/LICENSE" in names
    assert "License-Expression: MIT" in metadata
    with tarfile.open(sdist) as tf:
        sdist_names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    assert {f"resources/{f}" for f in resource_files} <= sdist_names
    assert {"LICENSE", "setup.py", "pyproject.toml", "docs/user-guide.md"} <= sdist_names

    # the sdist builds the same wheel
    again = tmp_path / "from-sdist"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(again), str(sdist)],
        tmp_path, env)
    with zipfile.ZipFile(next(again.glob("*.whl"))) as zf:
        assert {n for n in zf.namelist() if ".dist-info/" not in n} == \
            {n for n in names if ".dist-info/" not in n}

    # a clean venv (no system site-packages), dependencies from PyPI (pip's cache reused)
    home = tmp_path / "home"
    home.mkdir()
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    pip_env = dict(env)
    pip_env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        tmp_path, pip_env, timeout=900)
    work = tmp_path / "work"
    work.mkdir()
    benv = bare_env(home)
    out = run([str(venv / "bin" / "python"), "-c",
               "import hktwin; print(hktwin.__file__)"], work, benv)
    assert str(venv) in out and str(ROOT) not in out
    site = Path(out.splitlines()[0]).parent
    run_the_app(str(venv / "bin" / "hktwin"), work, benv, site / "resources" / "scenarios")


def test_bundle_tarball_installs_and_runs(tmp_path):
    proc = subprocess.run(["bash", str(ROOT / "packaging" / "build_bundle.sh")], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    tarball = ROOT / "dist" / f"hktwin-{VERSION}-linux-{os.uname().machine}.tar.gz"
    assert tarball.is_file()
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(["tar", "-xzf", str(tarball), "-C", str(unpacked)], check=True)
    (tree,) = unpacked.iterdir()

    home = tmp_path / "home"
    home.mkdir()
    env = bare_env(home)
    run(["sh", str(tree / "install.sh")], tmp_path, env)
    local = home / ".local"
    launcher = local / "bin" / "hktwin"
    desktop = local / "share" / "applications" / f"{APP_ID}.desktop"
    assert launcher.is_file() and os.access(launcher, os.X_OK)
    entry = desktop.read_text()
    assert f'Exec="{launcher}"' in entry and f"Icon={APP_ID}" in entry
    for n in (16, 48, 256, 512):
        assert (local / f"share/icons/hicolor/{n}x{n}/apps/{APP_ID}.png").is_file()
    assert (local / f"share/icons/hicolor/scalable/apps/{APP_ID}.svg").is_file()
    metainfo = local / f"share/metainfo/{APP_ID}.metainfo.xml"
    if shutil.which("desktop-file-validate"):
        run(["desktop-file-validate", str(desktop)], tmp_path, env)
    if shutil.which("appstreamcli"):
        run(["appstreamcli", "validate", "--no-net", str(metainfo)], tmp_path, env)

    work = tmp_path / "work"
    work.mkdir()
    shutil.rmtree(unpacked)  # the installed copy runs on its own
    installed = local / "lib" / "hktwin" / "app" / "_internal" / "hktwin"
    run_the_app(str(launcher), work, env, installed / "resources" / "scenarios")

    run(["sh", str(local / "lib" / "hktwin" / "uninstall.sh")], tmp_path, env)
    assert not launcher.exists() and not desktop.exists() and not metainfo.exists()
    assert not (local / "lib" / "hktwin").exists()
    assert not list((local / "share").rglob(f"{APP_ID}*"))
