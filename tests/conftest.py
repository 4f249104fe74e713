"""Shared fixtures: a synthetic pack, a private cache folder, and the real-data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from packs import write_tiny_pack

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hk-real"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Never touch the user's real cache, feed store or settings from tests."""
    monkeypatch.setenv("HKTWIN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("HKTWIN_DATA_DIR", str(tmp_path_factory.getbasetemp() / "data"))
    monkeypatch.setenv("HKTWIN_CONFIG_DIR", str(tmp_path_factory.getbasetemp() / "config"))


@pytest.fixture(scope="session")
def tiny_pack(tmp_path_factory) -> Path:
    return write_tiny_pack(tmp_path_factory.mktemp("tiny") / "pack")


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not REAL_DATA.is_dir():
        pytest.skip(f"real Hong Kong data folder not found at {REAL_DATA} (it sits beside the "
                    "repository as ../shared/data/hk-real)")
    return REAL_DATA


def pytest_configure(config):
    # Mesa and Qt write shader caches; keep them out of the user's home during tests.
    os.environ.setdefault("XDG_CACHE_HOME", str(Path(config.rootpath) / ".cache"))
    # Reports print their PDF with headless Chromium (~2 s each): only the tests that ask.
    os.environ.setdefault("HKTWIN_REPORT_PDF", "0")
