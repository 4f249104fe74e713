"""Feed commands: a damaged store is said once and never written further; bounded reads;
documents of another kind are refused by name; impossible readings are refused."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from feed_server import speedmap_xml

from hktwin.cli import main
from hktwin.feeds import td_speedmap
from hktwin.feeds.base import FeedFormatError
from hktwin.feeds.store import PAGE_SIZE, FeedStore, StoreCorrupt

T0 = datetime(2024, 3, 1, 8, 0)
FIXTURES = Path(__file__).resolve().parents[1] / "feeds" / "fixtures"


def run(capsys, *args: str) -> tuple[int, str, list[str]]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err.strip().splitlines()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(6):
        (folder / f"snap-{i}.xml").write_bytes(speedmap_xml(T0 + timedelta(minutes=2 * i)))
    return folder


@pytest.fixture
def damaged_store(docs, tmp_path, capsys) -> Path:
    db = tmp_path / "feeds.sqlite"
    assert main(["feeds", "import-dir", str(docs), "--source", "td-speedmap", "--store",
                 str(db)]) == 0
    capsys.readouterr()
    size = db.stat().st_size
    assert size > 6 * PAGE_SIZE and not Path(str(db) + "-wal").exists()
    with open(db, "r+b") as fh:  # garbage over every page but the header page
        for page in range(1, size // PAGE_SIZE):
            fh.seek(page * PAGE_SIZE + 100)
            fh.write(b"\xff" * 200)
    return db


def test_replay_of_a_damaged_store_is_one_line_and_leaves_it_be(damaged_store, capsys):
    before = sha(damaged_store)
    code, out, err = run(capsys, "feeds", "replay", "--store", str(damaged_store), "--speed",
                         "inf")
    assert code == 2 and len(err) == 1 and err[0].startswith("hktwin: error:")
    assert "damaged" in err[0] and "quick_check" in err[0] and "Traceback" not in out
    assert sha(damaged_store) == before


def test_damage_found_mid_replay_is_one_line(docs, tmp_path, capsys):
    db = tmp_path / "feeds.sqlite"
    with FeedStore(db) as store:
        for path in sorted(docs.iterdir()):
            store.add(td_speedmap.parse(path.read_bytes()))
    pages = db.stat().st_size // PAGE_SIZE
    with open(db, "r+b") as fh:  # the second half: observation pages, not the schema
        for page in range(pages // 2, pages):
            fh.seek(page * PAGE_SIZE + 8)
            fh.write(b"\xff" * 64)  # cell pointers out of range
    before = sha(db)
    code, _, err = run(capsys, "feeds", "replay", "--store", str(db), "--speed", "inf")
    assert code == 2 and len(err) == 1, err
    assert "damaged" in err[0] and "quick_check" in err[0]
    assert sha(db) == before


def test_import_into_a_damaged_store_says_so_once(damaged_store, docs, capsys):
    before = sha(damaged_store)
    (docs / "snap-new.xml").write_bytes(speedmap_xml(T0 + timedelta(hours=3)))
    code, _, err = run(capsys, "feeds", "import-dir", str(docs), "--source", "td-speedmap",
                         "--store", str(damaged_store))
    assert code == 2
    errors = [line for line in err if "damaged" in line]
    assert len(errors) == 1 and not any("skipped" in line for line in err)
    assert sha(damaged_store) == before
    with pytest.raises(StoreCorrupt, match="damaged"):
        FeedStore(damaged_store)
    assert sha(damaged_store) == before


def test_once_damage_is_found_the_store_is_not_written(docs, tmp_path):
    db = tmp_path / "f.sqlite"
    rows = td_speedmap.parse((docs / "snap-0.xml").read_bytes())
    with FeedStore(db) as store:
        store.add(rows[:10])
        store.damage = "the store file is damaged (found earlier)"
        with pytest.raises(StoreCorrupt):
            store.add(rows)
        with pytest.raises(StoreCorrupt):
            store.prune(keep_days=0)
        assert store.row_count() == 10  # reading goes on
    with FeedStore(db) as store:
        assert store.row_count() == 10 and store.integrity_check() == "ok"


def test_a_full_disk_is_not_blamed_on_the_inputs(docs, tmp_path, capsys, monkeypatch):
    import sqlite3

    def full(self, *args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(FeedStore, "_series_ids", full)
    code, _, err = run(capsys, "feeds", "import-dir", str(docs), "--source", "td-speedmap",
                       "--store", str(tmp_path / "f.sqlite"))
    assert code == 2 and not any("skipped" in line for line in err)
    assert err[-1].startswith("hktwin: error: no space left on the device at ")


@pytest.mark.parametrize("speed", ["1e-300", "-1", "nan", "1e400x"])
def test_replay_speed_out_of_range_is_one_line(docs, tmp_path, capsys, speed):
    code, _, err = run(capsys, "feeds", "replay", "--store", str(tmp_path / "x.sqlite"),
                       "--speed", speed)
    assert code == 2 and len(err) == 1 and "speed" in err[0]


def test_dev_zero_and_a_sparse_5_gb_file_are_refused_at_once(tmp_path, capsys):
    sparse = tmp_path / "sparse.xml"
    with open(sparse, "wb") as fh:
        fh.truncate(5 * 2**30)
    for path in ("/dev/zero", str(sparse)):
        started = time.monotonic()
        code, _, err = run(capsys, "feeds", "parse", path, "--source", "td-speed")
        assert time.monotonic() - started < 1.0
        assert code == 2 and len(err) == 1 and path in err[0] and "more than 19 MiB" in err[0]


def test_parse_of_another_kind_of_document_names_what_it_looks_like(tmp_path, capsys):
    code, _, err = run(capsys, "feeds", "parse", str(FIXTURES / "fnd_en.json"), "--source",
                       "hko-rhrread")
    assert code == 2 and len(err) == 1
    assert "looks like a hko-fnd document" in err[0] and "--source hko-fnd" in err[0]
    flw = tmp_path / "flw.json"
    flw.write_text(json.dumps({"generalSituation": "Fine.", "forecastDesc": "Sunny.",
                               "updateTime": "2026-03-22T11:45:00+08:00"}))
    code, _, err = run(capsys, "feeds", "parse", str(flw), "--source", "hko-rhrread")
    assert code == 2 and "local weather forecast" in err[0]
    code, _, err = run(capsys, "feeds", "parse", str(FIXTURES / "irnAvgSpeed-all.xml"),
                       "--source", "td-speedmap")
    assert code == 2 and "looks like a td-speed document" in err[0]


def test_parse_help_lists_the_sources(capsys):
    with pytest.raises(SystemExit) as done:
        main(["feeds", "parse", "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    for name in ("td-speed", "td-speedmap", "td-journey", "hko-rhrread", "hko-fnd",
                 "hko-warnsum", "aqhi"):
        assert name in out


def test_impossible_temperature_is_refused_naming_it():
    from hktwin.feeds.hko import parse_rhrread

    doc = json.loads((FIXTURES / "rhrread_en.json").read_text())
    doc["temperature"]["data"][0]["value"] = 1.7e308
    with pytest.raises(FeedFormatError) as err:
        parse_rhrread(json.dumps(doc).encode())
    place = doc["temperature"]["data"][0]["place"]
    assert f"temperature at {place}" in str(err.value) and "1.7e+308 degC" in str(err.value)
    assert "-20..60" in str(err.value)


@pytest.mark.parametrize("speed", ["250", "-3"])
def test_impossible_traffic_speed_is_refused_naming_the_link(speed):
    data = speedmap_xml(T0).replace(b"<TRAFFIC_SPEED>30<",
                                    b"<TRAFFIC_SPEED>" + speed.encode() + b"<", 1)
    with pytest.raises(FeedFormatError) as err:
        td_speedmap.parse(data)
    assert "TRAFFIC_SPEED of link" in str(err.value) and "0..200 km/h" in str(err.value)
