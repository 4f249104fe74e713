"""Fixtures of the reliability tests: scenario files on the tiny pack."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def own_pack(tiny_pack, tmp_path) -> Path:
    """A private copy of the tiny pack (tests may change it)."""
    return Path(shutil.copytree(tiny_pack, tmp_path / "packs" / "harbour"))
