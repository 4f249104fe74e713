"""A base pack (the tiny island's DTM imported through `hktwin data import`) per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from geo_import_helpers import write_dtm


@pytest.fixture(scope="session")
def island_dtm(tmp_path_factory) -> Path:
    return write_dtm(tmp_path_factory.mktemp("dtm") / "island-dtm.tif")


@pytest.fixture(scope="session")
def _island_pack_template(tmp_path_factory, island_dtm) -> Path:
    from hktwin.geo.pack_writer import import_files

    pack = tmp_path_factory.mktemp("template") / "pack"
    import_files([island_dtm], pack)
    return pack


@pytest.fixture
def island_pack(tmp_path, _island_pack_template) -> Path:
    """A fresh copy of a pack holding only the imported island terrain, alone in its folder."""
    pack = tmp_path / "packs" / "island"
    shutil.copytree(_island_pack_template, pack)
    return pack
