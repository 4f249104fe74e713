"""A full disk: named as such (not blamed on the input), outputs kept whole, nothing left behind.

On a small tmpfs when this process may mount one (root in CI's container), else with the writer
patched to fail as a full disk does (ENOSPC)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from reliability_helpers import save_scenario_file

from hktwin.core.errors import HKTwinError
from hktwin.core.files import DiskFullError, atomic_write_bytes


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a 4 MiB tmpfs, or None where mounting is not allowed."""
    where = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    where.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)],
                              capture_output=True, timeout=20)
        mounted = done.returncode == 0
    except (OSError, subprocess.SubprocessError):  # no mount command, or not allowed
        mounted = False
    if not mounted or os.environ.get("HKTWIN_TEST_NO_TMPFS"):
        if mounted:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of `folder` until about `leave` bytes are free."""
    free = shutil.disk_usage(folder).free
    with open(folder / "filler", "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))


def no_leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(".*") if ".tmp" in p.name or ".writing-" in p.name
            or ".importing-" in p.name]


def test_atomic_write_on_a_full_disk_keeps_the_old_file(small_disk, tmp_path, monkeypatch):
    target = (small_disk or tmp_path) / "doc.json"
    target.write_bytes(b"old")
    if small_disk is not None:
        fill(small_disk, 0)
    else:
        def full(fd):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(DiskFullError) as err:
        atomic_write_bytes(target, b"new" * 1_000_000)
    assert str(err.value).startswith(f"no space left on the device at {target}")
    assert target.read_bytes() == b"old" and not no_leftovers(target.parent)


def test_evaluate_on_a_full_disk_keeps_the_previous_outputs(small_disk, own_pack, tmp_path,
                                                            monkeypatch):
    from hktwin.session.evaluation import evaluate_scenario

    out = (small_disk or tmp_path) / "results"
    scen = save_scenario_file(tmp_path / "s.hktwin.json", str(own_pack), n_cells=1)
    evaluate_scenario(scen, out_dir=out, resolution_m=20)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    scen = save_scenario_file(tmp_path / "s.hktwin.json", str(own_pack), n_cells=2)
    if small_disk is not None:
        fill(small_disk, 16 * 1024)
    else:
        import hktwin.analysis.export as export

        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(export, "write_coverage_tif", full)
    with pytest.raises(HKTwinError) as err:
        evaluate_scenario(scen, out_dir=out, resolution_m=20)
    assert "no space left on the device at" in str(err.value)
    assert "s.hktwin.json" not in str(err.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not no_leftovers(out.parent)


def test_import_on_a_full_disk_names_the_disk_not_the_file(small_disk, tmp_path, monkeypatch):
    from geo_import_helpers import write_dtm

    from hktwin.geo.pack_writer import import_files

    dtm = write_dtm(tmp_path / "island-dtm.tif")
    root = small_disk or tmp_path
    pack = root / "pack"
    if small_disk is not None:
        fill(small_disk, 32 * 1024)
    else:
        import hktwin.geo.importers.terrain as terrain

        def full(*args, **kwargs):
            from rasterio.errors import RasterioIOError

            raise RasterioIOError("Free disk space available is 0 bytes, whereas 120000 are "
                                  "at least necessary. No space left on device")

        monkeypatch.setattr(terrain, "_write_staging", full)
    with pytest.raises(DiskFullError) as err:
        import_files([dtm], pack)
    text = str(err.value)
    assert text.startswith(f"no space left on the device at {root}")
    assert "island-dtm.tif" not in text
    assert not pack.exists() and not no_leftovers(root)
