"""Imports of one pack are serialised by a lock; a killed import leaves no damage behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from reliability_helpers import import_child, write_points

from hktwin.core.errors import DataError
from hktwin.geo.pack import open_pack
from hktwin.geo.pack_writer import import_files, lock_path, pack_lock


@pytest.fixture
def pack(tiny_pack, tmp_path) -> Path:
    return Path(shutil.copytree(tiny_pack, tmp_path / "packs" / "hk"))


def test_two_concurrent_imports_both_land(pack, tmp_path):
    a = write_points(tmp_path / "alpha.geojson", 3)
    b = write_points(tmp_path / "beta.geojson", 4, dx=7.0)
    release = tmp_path / "release"
    first = import_child(str(release), str(a), "--pack", str(pack), "--as", "vector")
    assert first.stdout.readline().strip() == "STAGED"  # the first holds the lock now
    second = import_child(0.0, str(b), "--pack", str(pack), "--as", "vector")
    seen = []
    for line in second.stderr:  # the second says it waits (while the first still holds on)
        seen.append(line)
        if "Waiting for another import of hk" in line:
            break
    assert any("Waiting for another import of hk" in line for line in seen), seen
    assert f"(process {first.pid})" in seen[-1]
    release.touch()
    _, err1 = first.communicate(timeout=120)
    _, err2 = second.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 0, "".join(seen) + err2
    layers = json.loads((pack / "manifest.json").read_text())["layers"]
    assert {"alpha", "beta"} <= set(layers)
    city = open_pack(pack)
    assert len(city.vectors["alpha"]) == 3 and len(city.vectors["beta"]) == 4
    assert sorted(p.name for p in pack.parent.iterdir()) == ["hk"]  # no staging, no lock file


def test_a_second_import_is_refused_after_the_wait(pack, tmp_path):
    a = write_points(tmp_path / "alpha.geojson", 3)
    with pack_lock(pack):
        assert lock_path(pack).read_text().strip() == str(os.getpid())
        with pytest.raises(DataError) as err:
            import_files([a], pack, "vector", lock_timeout_s=0.3)
    text = str(err.value)
    assert "another import of this pack" in text and f"process {os.getpid()}" in text
    assert "alpha" not in json.loads((pack / "manifest.json").read_text())["layers"]


def test_kill_9_during_an_import_leaves_the_pack_whole(pack, tmp_path):
    before = (pack / "manifest.json").read_bytes()
    a = write_points(tmp_path / "alpha.geojson", 3)
    child = import_child(60, str(a), "--pack", str(pack), "--as", "vector")
    assert child.stdout.readline().strip() == "STAGED"
    staging = list(pack.parent.glob(".hk.importing-*"))
    assert len(staging) == 1 and (staging[0] / "alpha.parquet").exists()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert (pack / "manifest.json").read_bytes() == before  # the pack was never touched
    open_pack(pack)
    # The next import cleans what the killed one left and lands.
    b = write_points(tmp_path / "beta.geojson", 2)
    started = time.monotonic()
    report = import_files([b], pack, "vector")
    assert time.monotonic() - started < 30  # the dead import's lock went with it
    assert any("staging folder" in w for w in report.warnings)
    assert sorted(p.name for p in pack.parent.iterdir()) == ["hk"]
    assert "beta" in open_pack(pack).vectors


def test_a_swap_killed_between_its_renames_is_put_back(pack, tmp_path):
    # The state a kill between "pack -> .old" and "staging -> pack" leaves.
    old = pack.parent / ".hk.old-0123456789ab"
    os.rename(pack, old)
    (pack.parent / ".hk.importing-0123456789ab").mkdir()
    report = import_files([write_points(tmp_path / "gamma.geojson", 2)], pack, "vector")
    assert not report.created
    city = open_pack(pack)
    assert "gamma" in city.vectors and city.buildings is not None
    assert sorted(p.name for p in pack.parent.iterdir()) == ["hk"]
