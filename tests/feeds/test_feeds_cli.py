"""`hktwin feeds`: parse, import-dir, replay and record, and one-line errors with status 2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from feed_server import (
    FeedServer,
    bomb,
    delay,
    doc,
    drip,
    junk,
    oversize,
    real_speedmap_files,
    shift_capture_dates,
    speedmap_by_regex,
    speedmap_xml,
    status,
    truncated,
)

from hktwin.cli import main
from hktwin.feeds.sources import get_source
from hktwin.feeds.store import FeedStore

APP = Path(__file__).resolve().parents[2] / "app"
T0 = datetime(2024, 3, 1, 8, 0)


def hktwin(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(APP)}
    return subprocess.run([sys.executable, "-m", "hktwin", *args], capture_output=True,
                          text=True, timeout=120, env=env)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def snapshot_count(bodies: list[bytes]) -> int:
    """Distinct documents by their newest capture time, read without the parser."""
    return len({max(v[1] for v in speedmap_by_regex(b).values()) for b in bodies})


@pytest.fixture
def synthetic_dir(tmp_path) -> Path:
    folder = tmp_path / "snapshots"
    folder.mkdir()
    for i in range(3):
        (folder / f"snap-{i}.xml").write_bytes(speedmap_xml(T0 + timedelta(minutes=2 * i)))
    return folder


# -- parse -------------------------------------------------------------------------------------

def test_parse_as_a_subprocess_prints_the_rows_as_json(real_data):
    path = real_speedmap_files(real_data)[0]
    result = hktwin("feeds", "parse", str(path), "--source", "td-speedmap", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    expect = speedmap_by_regex(path.read_bytes())
    assert len(rows) == 607 == len(expect)
    assert {r["key"]: r["value"] for r in rows} == {k: v[0] for k, v in expect.items()}
    assert {r["key"]: r["time"][:19] for r in rows} == {k: v[1] for k, v in expect.items()}
    assert all(r["time"].endswith("+08:00") and r["unit"] == "km/h" for r in rows)


def test_parse_every_real_snapshot_gives_607_rows_equal_to_the_xml(real_data, capsys):
    files = real_speedmap_files(real_data)
    assert len(files) == 14
    for path in files:
        code, out, _ = run(capsys, "feeds", "parse", str(path), "--source", "td-speedmap",
                           "--json")
        assert code == 0
        rows = json.loads(out)
        expect = speedmap_by_regex(path.read_bytes())
        assert len(rows) == 607
        assert {r["key"]: r["value"] for r in rows} == {k: v[0] for k, v in expect.items()}


def test_parse_without_json_prints_a_short_table(synthetic_dir, capsys):
    code, out, _ = run(capsys, "feeds", "parse", str(synthetic_dir / "snap-0.xml"),
                       "--source", "td-speedmap")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["key", "time", "value", "unit"]
    assert lines[1].split()[0] == "1000-2000" and lines[1].split()[-1] == "km/h"
    assert lines[-1].startswith("607 rows") and len(lines) == 22


# -- import-dir and replay ---------------------------------------------------------------------

def test_import_dir_twice_adds_nothing_the_second_time(synthetic_dir, tmp_path, capsys):
    (synthetic_dir / "broken.xml").write_bytes(b"<jtis_speedlist><oops>")
    db = str(tmp_path / "feeds.sqlite")
    code, out, err = run(capsys, "feeds", "import-dir", str(synthetic_dir),
                         "--source", "td-speedmap", "--store", db)
    assert code == 2  # the good files are in, and the failure is not hidden
    assert "4 files: 1821 rows inserted, 0 duplicate, 1 files failed" in out
    assert "skipped broken.xml: malformed XML" in err
    assert err.strip().splitlines()[-1].endswith("1 of 4 files could not be imported (each "
                                                 "named above)")
    code, out, _ = run(capsys, "feeds", "import-dir", str(synthetic_dir),
                       "--source", "td-speedmap", "--store", db)
    assert code == 2 and "0 rows inserted, 1821 duplicate, 1 files failed" in out
    with FeedStore(db) as store:
        assert store.row_count() == 1821 and store.integrity_check() == "ok"
        fetched = store._db.execute("SELECT DISTINCT fetched_at FROM observations").fetchall()
    mtimes = {int((synthetic_dir / f"snap-{i}.xml").stat().st_mtime * 1000) for i in range(3)}
    assert {f for (f,) in fetched} <= {m + d for m in mtimes for d in (-1, 0, 1)}


def test_import_the_real_snapshots_then_replay_prints_one_line_per_snapshot(
        real_data, tmp_path, capsys):
    folder = tmp_path / "td"
    folder.mkdir()
    for path in real_speedmap_files(real_data):
        shutil.copy2(path, folder)
    db = str(tmp_path / "feeds.sqlite")
    code, out, _ = run(capsys, "feeds", "import-dir", str(folder), "--source", "td-speedmap",
                       "--store", db)
    bodies = [p.read_bytes() for p in real_speedmap_files(real_data)]
    snapshots = snapshot_count(bodies)
    # 14 files, but two repeat the previous document (TD had not updated): 12 snapshots.
    assert (len(bodies), snapshots) == (14, 12)
    assert code == 0 and f"{snapshots * 607} rows inserted, {2 * 607} duplicate" in out

    code, out, _ = run(capsys, "feeds", "replay", "--store", db, "--speed", "100000")
    lines = out.splitlines()
    assert code == 0 and len(lines) == snapshots
    means = []
    for body in bodies:
        speeds = [v[0] for v in speedmap_by_regex(body).values()]
        means.append(f"mean {sum(speeds) / len(speeds):.1f} km/h")
    for line, mean in zip(lines, dict.fromkeys(means), strict=True):
        when, source, rows, summary = line.split("  ")
        assert (source, rows, summary) == ("td-speedmap", "607 rows", mean)
        assert datetime.fromisoformat(when).utcoffset() == timedelta(hours=8)

    code, out, _ = run(capsys, "feeds", "replay", "--store", db, "--speed", "inf",
                       "--start", "2016-10-14T18:10:00", "--end", "2016-10-14T18:15:00+08:00")
    assert code == 0 and len(out.splitlines()) == 3


def test_the_whole_real_folder_imports_with_the_other_files_reported(real_data, tmp_path,
                                                                    capsys):
    code, out, err = run(capsys, "feeds", "import-dir", str(real_data / "td"),
                         "--source", "td-speedmap", "--store", str(tmp_path / "f.sqlite"))
    assert code == 2 and "4 files failed" in out
    for name in ("LICENSE-of-source-repo-GPL3", "speedmap.xsd", "tsm_dataspec.pdf",
                 "tsm_link_and_node_info_v2.csv"):
        assert f"skipped {name}:" in err


# -- record ------------------------------------------------------------------------------------

def test_recording_50_polls_with_faults_loses_no_successful_poll(real_data, tmp_path, capsys):
    samples = [p.read_bytes() for p in real_speedmap_files(real_data)]
    faults = [status(500), truncated(samples[0]), junk(), delay(1.0), bomb(), drip(),
              oversize(6_000_000, declare_length=False), status(503)]
    script = []
    for i in range(44):  # the real samples in order, then again moved a day on, and so on
        script.append(doc(shift_capture_dates(samples[i % 14], timedelta(days=i // 14))))
        if i % 5 == 4:
            script.append(faults[(i // 5) % len(faults)])
    db = tmp_path / "rec.sqlite"
    with FeedServer(script) as server:
        code, out, _ = run(capsys, "feeds", "record", "--source", "td-speedmap", "--url",
                           server.url, "--count", "50", "--interval", "0.02", "--timeout",
                           "0.5", "--retries", "1", "--store", str(db))
    assert code == 0
    lines = out.splitlines()
    ok_polls = sum(1 for line in lines[:-1] if "failed" not in line)
    assert len(lines) == 51 and lines[-1].startswith(f"50 polls, {ok_polls} successful")
    assert any("failed" in line for line in lines)  # the faults were met...
    served = server.complete_docs()
    # ...and every document the server sent in full is in the store, as its own snapshot.
    assert ok_polls == server.count("doc")  # each 200 or 304 the server gave was a good poll
    parse = get_source("td-speedmap").parse
    expected = sorted({max(o.observed_at for o in parse(body)) for body in served})
    with FeedStore(db) as store:
        assert store.times("td-speedmap") == expected
        assert store.row_count() == 607 * len(expected)
        assert store.integrity_check() == "ok"
    assert len(expected) == snapshot_count(served) > 30


def test_record_into_the_default_store(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HKTWIN_DATA_DIR", str(tmp_path / "data"))
    with FeedServer([doc(speedmap_xml(T0))]) as server:
        code, out, _ = run(capsys, "feeds", "record", "--source", "td-speedmap", "--url",
                           server.url, "--count", "2", "--interval", "0.01")
    assert code == 0 and "607 rows, 607 new" in out and "not modified" in out
    assert (tmp_path / "data" / "feeds.sqlite").is_file()


def test_record_that_never_succeeds_exits_1(tmp_path, capsys):
    with FeedServer([status(500)]) as server:
        code, out, _ = run(capsys, "feeds", "record", "--source", "td-speedmap", "--url",
                           server.url, "--count", "2", "--interval", "0.01", "--retries", "0",
                           "--store", str(tmp_path / "x.sqlite"))
    assert code == 1 and "2 polls, 0 successful" in out and "HTTP 500" in out


# -- errors ------------------------------------------------------------------------------------

def test_a_malformed_document_is_one_line_and_status_2_as_a_subprocess(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<jtis_speedlist><jtis_speedmap>")
    result = hktwin("feeds", "parse", str(bad), "--source", "td-speedmap")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hktwin: error:")
    assert "not a valid td-speedmap document" in lines[0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["feeds"], "required: COMMAND"),
        (["feeds", "parse", "{good}", "--source", "nope"], "unknown feed source 'nope'"),
        (["feeds", "parse", "{missing}", "--source", "td-speedmap"], "file not found"),
        (["feeds", "parse", "{junk}", "--source", "td-speedmap"], "not a valid td-speedmap"),
        (["feeds", "replay", "--store", "{missing}"], "no feed store here"),
        (["feeds", "replay", "--store", "{junk}"], "not a usable feed store"),
        (["feeds", "replay", "--store", "{store}", "--speed", "0"], "is outside 1e-06..1e+09"),
        (["feeds", "replay", "--store", "{store}", "--speed", "1e-300"], "is outside"),
        (["feeds", "replay", "--store", "{store}", "--speed", "nan"], "is outside"),
        (["feeds", "replay", "--store", "{store}", "--start", "soon"], "ISO 8601"),
        (["feeds", "replay", "--store", "{store}", "--source", "aqhi"], "no rows of 'aqhi'"),
        (["feeds", "record", "--source", "td-speedmap", "--store", "/no/such/dir/x.sqlite"],
         "folder of the store does not exist"),
        (["feeds", "record", "--source", "nope"], "unknown feed source"),
        (["feeds", "import-dir", "{missing}", "--source", "td-speedmap"], "folder not found"),
        (["feeds", "import-dir", "{dir}", "--source", "td-speedmap", "--pattern", "*.json"],
         "no files match"),
    ],
)
def test_unusable_input_gives_one_line_and_status_2(args, fragment, synthetic_dir, tmp_path,
                                                    capsys):
    junk_file = tmp_path / "junk.bin"
    junk_file.write_bytes(b"\x00garbage" * 200)
    store = tmp_path / "ok.sqlite"
    with FeedStore(store) as s:
        s.add(get_source("td-speedmap").parse((synthetic_dir / "snap-0.xml").read_bytes()))
    names = {"good": synthetic_dir / "snap-0.xml", "missing": tmp_path / "missing",
             "junk": junk_file, "store": store, "dir": synthetic_dir}
    code, _, err = run(capsys, *(a.format(**names) for a in args))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hktwin: error:"), err
    assert fragment in lines[0]


def test_the_cli_stays_light():
    code = ("import hktwin.cli, sys; "
            "print(','.join(m for m in ('httpx', 'sqlite3', 'hktwin.feeds.store', "
            "'hktwin.feeds.poller') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env={**os.environ, "PYTHONPATH": str(APP)})
    assert result.returncode == 0 and result.stdout.strip() == "", result.stdout
