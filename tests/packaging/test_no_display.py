"""With no display, `hktwin` says how to run it instead of letting Qt abort the process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hktwin.ui.app import display_problem


def _bare_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["HKTWIN_CONFIG_DIR"] = os.devnull + "-unused"
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the X11/Wayland check is Linux")
def test_no_display_prints_one_line_and_exits_2():
    proc = subprocess.run([sys.executable, "-m", "hktwin"], env=_bare_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert "xvfb-run hktwin" in lines[0] and "hktwin snapshot" in lines[0]
    assert "xcb" not in lines[0]


def test_display_problem_cases():
    assert display_problem({}) is not None if sys.platform.startswith("linux") else True
    assert display_problem({"DISPLAY": ":99"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    if sys.platform.startswith("linux"):
        assert display_problem({"QT_QPA_PLATFORM": "xcb"}) is not None
