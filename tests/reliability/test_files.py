"""core.files: bounded reads and atomic writes on their own."""

from __future__ import annotations

import os
import time

import pytest

from hktwin.core.errors import DataError
from hktwin.core.files import atomic_path, atomic_write_json, read_bounded, read_json


def test_read_bounded_reads_up_to_the_limit(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 100)
    assert read_bounded(path, 100, "doc") == b"x" * 100
    with pytest.raises(DataError, match="more than 99 bytes"):
        read_bounded(path, 99, "doc")


@pytest.mark.parametrize("kind", ["fifo", "folder", "missing"])
def test_read_bounded_refuses_what_is_not_a_file_at_once(tmp_path, kind):
    path = tmp_path / "thing"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    started = time.monotonic()
    with pytest.raises(DataError) as err:
        read_bounded(path, 1000, "scenario")
    assert time.monotonic() - started < 1 and str(path) in str(err.value)


def test_read_json_refuses_deep_nesting_without_recursion(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"a": ' * 300 + "1" + "}" * 300)
    with pytest.raises(DataError, match="nested more than 200 levels"):
        read_json(path, 1 << 20, "manifest")


def test_atomic_writes_leave_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "out.tif"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer failed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tif"]
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "m.json", {"bad": float("nan")})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tif"]
    atomic_write_json(tmp_path / "m.json", {"ok": 1})
    assert (tmp_path / "m.json").read_text() == '{\n  "ok": 1\n}\n'
    assert oct((tmp_path / "m.json").stat().st_mode & 0o777) == "0o644"
