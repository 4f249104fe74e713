"""Fixtures of the reliability tests: scenario files on the tiny pack."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

# The feed tests' document builders (tests/feeds/feed_server.py) serve these tests too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "feeds"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "geo_import"))


@pytest.fixture
def own_pack(tiny_pack, tmp_path) -> Path:
    """A private copy of the tiny pack (tests may change it)."""
    return Path(shutil.copytree(tiny_pack, tmp_path / "packs" / "harbour"))
