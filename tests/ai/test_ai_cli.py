"""`hktwin ai ... traffic` from the command line on a long CSV: the fixed JSON, one-line errors."""

from __future__ import annotations

import json

import pytest
from ai_helpers import subset

from hktwin.ai.history import write_csv
from hktwin.cli import main


@pytest.fixture(scope="module")
def csv_path(sim21, tmp_path_factory):
    h = subset(sim21.history, 12, seed=5)
    h = h.window(int(h.times[0]), int(h.times[0]) + 10 * 86400)
    path = tmp_path_factory.mktemp("cli") / "speeds.csv"
    write_csv(h, path)
    return path


def test_train_then_backtest_and_forecast_from_a_csv(csv_path, tmp_path, capsys):
    out = tmp_path / "model"
    assert main(["ai", "train", "traffic", "--history", str(csv_path), "--out", str(out),
                 "--max-rows", "6000"]) == 0
    card = (out / "MODEL_CARD.md").read_text()
    assert "persistence" in card and "historical mean" in card and "| 30 min |" in card
    capsys.readouterr()
    assert main(["ai", "backtest", "traffic", "--history", str(csv_path), "--json",
                 "--max-rows", "6000"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["horizons", "links", "test_rows"]
    assert doc["links"] == 12 and doc["test_rows"] > 0
    assert main(["ai", "forecast", "traffic", "--history", str(csv_path), "--model", str(out),
                 "--at", "2026-10-22T08:00:00+08:00", "--json"]) == 0
    fc = json.loads(capsys.readouterr().out)
    assert fc["at"] == "2026-10-22T08:00:00+08:00"
    assert len(fc["links"]) == 12 and len(fc["links"][0]["forecast"]) == 3
    assert main(["ai", "backtest", "traffic", "--history", str(csv_path), "--model", str(out)]) == 0
    text = capsys.readouterr()
    assert "| 15 min |" in text.out and "in-sample" in text.err


def test_bad_input_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,link,speed\n")
    assert main(["ai", "backtest", "traffic", "--history", str(bad), "--json"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "link_id" in err
    assert main(["ai", "forecast", "traffic", "--history", str(bad), "--model",
                 str(tmp_path / "nothing")]) == 2
    assert main(["ai", "backtest", "traffic", "--model", str(tmp_path / "none"), "--json"]) == 2
    assert "model.json" in capsys.readouterr().err
