"""GUI tests: a real window with a vispy canvas under Xvfb (pytest-xvfb starts it)."""

from __future__ import annotations

import os
import shutil

import pytest

if not os.environ.get("DISPLAY") and shutil.which("Xvfb") is None:
    pytest.exit("GUI tests need Xvfb (apt-get install xvfb) or a DISPLAY; "
                "run `bash packaging/setup-env.sh` first", returncode=3)

import vispy

vispy.use("pyside6")


@pytest.fixture
def window(qtbot):
    """An empty main window, shown; closed after the test."""
    from hktwin.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def load(qtbot):
    """Load a pack (None: the demo city) into a window and wait until its layers are shown."""

    def _load(win, pack=None, timeout_ms: int = 120_000):
        win.load_pack(pack)
        # The live and planning layers (Sites last) join after the city's first frame.
        qtbot.waitUntil(lambda: win.planning.sites_layer in win.twin.layers
                        and not win.session.loading, timeout=timeout_ms)
        qtbot.wait(50)  # let the first frame draw
        return win

    return _load
