"""File > Import: the dialog runs the import on a worker and reports the result or the error."""

from __future__ import annotations

import pytest

from hktwin.geo.importers import KINDS
from hktwin.geo.pack import open_pack
from packs import CELL, COLS, ROWS, X0, Y0, tiny_heights

pytestmark = pytest.mark.gui


@pytest.fixture
def dtm(tmp_path):
    import rasterio
    from affine import Affine

    path = tmp_path / "island-dtm.tif"
    with rasterio.open(path, "w", driver="GTiff", width=COLS, height=ROWS, count=1,
                       dtype="float32", crs="EPSG:2326", nodata=-9999.0,
                       transform=Affine(CELL, 0, X0, 0, -CELL, Y0 + ROWS * CELL)) as dst:
        dst.write(tiny_heights(), 1)
    return path


@pytest.fixture
def dialog(qtbot, tmp_path):
    from hktwin.ui.import_dialog import QtImportDialog

    dlg = QtImportDialog(None, default_pack=tmp_path / "packs" / "new")
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_the_dialog_offers_every_kind_and_the_default_pack(dialog, tmp_path):
    kinds = [dialog.kind.itemData(i) for i in range(dialog.kind.count())]
    assert kinds == [None, *KINDS]
    assert dialog.pack.text() == str(tmp_path / "packs" / "new")
    assert dialog.start_import() is None  # no files yet
    assert "Add at least one file" in dialog.status.text()


def test_an_import_runs_in_the_background_and_reports(qtbot, dialog, dtm, tmp_path):
    dialog.add_files([dtm, dtm])  # a duplicate is listed once
    assert dialog.file_paths() == [dtm]
    dialog.set_kind("terrain")
    with qtbot.waitSignal(dialog.imported, timeout=60_000) as signal:
        job = dialog.start_import()
        assert job is not None and not dialog.import_button.isEnabled()
    pack = tmp_path / "packs" / "new"
    assert signal.args == [pack]
    assert dialog.progress.value() == 1000
    assert "terrain" in dialog.report.toPlainText()
    assert dialog.import_button.isEnabled()
    assert open_pack(pack).terrain.shape == (ROWS, COLS)


def test_a_failure_shows_one_line_and_keeps_the_dialog_open(qtbot, dialog, tmp_path):
    bad = tmp_path / "corrupt.tif"
    bad.write_bytes(b"II*\x00" + b"\x01" * 2000)
    dialog.add_files([bad])
    with qtbot.waitSignal(dialog.failed, timeout=60_000):
        dialog.start_import()
    text = dialog.status.text()
    assert "corrupt.tif" in text and "Fix:" in text and "\n" not in text
    assert "not changed" in dialog.report.toPlainText()
    assert dialog.isVisible() and dialog.import_button.isEnabled()
    assert not (tmp_path / "packs" / "new").exists()
