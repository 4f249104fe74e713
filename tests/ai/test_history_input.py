"""Reading history: the long CSV, the interval inference, the store, and one-line errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from ai_helpers import subset

from hktwin.ai import graph as graphs
from hktwin.ai.history import from_long, read_csv, read_store, write_csv
from hktwin.core.errors import DataError


def test_csv_round_trip_keeps_grid_values_and_offset(sim21, tmp_path):
    h = subset(sim21.history, 5)
    h = h.window(int(h.times[0]), int(h.times[400]))
    write_csv(h, tmp_path / "h.csv")
    back = read_csv(tmp_path / "h.csv")
    assert back.step_s == 300
    assert back.utc_offset_s == 8 * 3600
    assert back.link_ids == tuple(sorted(h.link_ids))
    order = [h.link_ids.index(k) for k in back.link_ids]
    np.testing.assert_array_equal(back.times, h.times)
    np.testing.assert_array_equal(back.speed, h.speed[:, order])


def test_interval_is_inferred_per_link_despite_jitter():
    rng = np.random.default_rng(0)
    base = 1_790_000_000 + 120 * np.arange(500)
    times, keys = [], []
    for k in ("a", "b", "c"):
        times.append(base + rng.integers(-8, 9, base.size))  # capture-time jitter
        keys += [k] * base.size
    t = np.concatenate(times)
    h = from_long(t, np.array(keys), rng.uniform(10, 60, t.size))
    assert h.step_s == 120
    assert h.speed.shape == (500, 3)
    assert np.isfinite(h.speed).mean() > 0.99


def test_interval_outside_1_to_15_minutes_is_refused():
    t = 1_790_000_000 + 3600 * np.arange(48)
    with pytest.raises(DataError, match="1 to 15 minutes"):
        from_long(t, np.array(["a"] * 48), np.ones(48))


@pytest.mark.parametrize("text, field, row", [
    ("when,link_id,speed\n2026-11-20T08:00:00+08:00,a,50\n", "header", None),
    ("time,link_id,speed\n2026-11-20T08:00:00+08:00,a,50\nyesterday,a,40\n", "time", 3),
    ("time,link_id,speed\n2026-11-20T08:00:00+08:00,a,50\n2026-11-20T08:05:00+08:00,a,fast\n",
     "speed", 3),
    ("time,link_id,speed\n2026-11-20T08:00:00+08:00,,50\n", "link_id", 2),
    ("time,link_id,speed\n2026-11-20T08:00:00+08:00,a,-5\n", "speed", 2),
])
def test_bad_csv_names_file_field_and_row(tmp_path, text, field, row):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        read_csv(path)
    msg = str(err.value)
    assert "\n" not in msg and "bad.csv" in msg and f"[{field}]" in msg
    if row is not None:
        assert f"row {row}" in msg


def test_store_history(tmp_path):
    from hktwin.feeds.base import Observation
    from hktwin.feeds.store import FeedStore

    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with FeedStore(tmp_path / "feeds.sqlite") as st:
        for i in range(12):
            when = t0 + timedelta(minutes=5 * i)
            st.add([Observation("td-speedmap", k, when, None if (i == 3 and k == "1-2") else
                                float(40 + i + j), "km/h") for j, k in enumerate(("1-2", "2-3"))])
    h = read_store(tmp_path / "feeds.sqlite")
    assert h.step_s == 300 and h.link_ids == ("1-2", "2-3") and h.n_times == 12
    assert np.isnan(h.speed[3, 0]) and h.speed[4, 1] == 45.0
    assert h.unit == "km/h" and h.utc_offset_s == 8 * 3600
    g = graphs.from_link_ids(h.link_ids)  # TD ids START-END carry the road graph
    assert g.n_edges == 1 and (h.link_ids[g.src[0]], h.link_ids[g.dst[0]]) == ("1-2", "2-3")
    with pytest.raises(DataError, match="source"):
        read_store(tmp_path / "feeds.sqlite", "aqhi")


def test_edge_list(tmp_path):
    ids = ("a", "b", "c")
    p = tmp_path / "e.csv"
    p.write_text("from,to,weight\na,b,2\nb,c,\nc,zz,1\n")
    g = graphs.read_edges(p, ids)
    assert g.n_edges == 2
    values = np.array([[1.0, 5.0, np.nan]])
    np.testing.assert_allclose(g.mean_of(values, "up")[0], [np.nan, 1.0, 5.0])
    np.testing.assert_allclose(g.mean_of(values, "down")[0], [5.0, np.nan, np.nan])
    p.write_text("from,to,weight\na,b,heavy\n")
    with pytest.raises(DataError, match=r"row 2.*weight"):
        graphs.read_edges(p, ids)
    p.write_text("x,y\na,b\n")
    with pytest.raises(DataError, match="header"):
        graphs.read_edges(p, ids)
