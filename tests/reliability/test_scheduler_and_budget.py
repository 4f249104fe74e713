"""A --scheduler that is no Dask scheduler is named within seconds; over-budget evaluations are
refused with their figures before they start."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from reliability_helpers import save_scenario_file

from hktwin.analysis.coverage import (
    BudgetError,
    EvaluationSettings,
    SettingsError,
    check_budget,
    estimate_cost,
    probe_dask_scheduler,
)
from hktwin.analysis.sites import SmallCell
from hktwin.cli import main


class FakeServer:
    """A TCP server on 127.0.0.1 that answers every connection with `greeting` (or nothing)
    and keeps it open."""

    def __init__(self, greeting: bytes) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.greeting = greeting
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.greeting:
                conn.sendall(self.greeting)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.mark.parametrize(("greeting", "said"), [
    (b"\x00junk\xff" * 10, "not the Dask protocol"),
    (b"HTTP/1.1 400 Bad Request\r\n\r\n", "an HTTP server answered"),
    (b"", "sent nothing"),
])
def test_a_server_that_is_not_dask_is_named(greeting, said):
    server = FakeServer(greeting)
    try:
        started = time.monotonic()
        with pytest.raises(SettingsError) as err:
            probe_dask_scheduler(f"tcp://127.0.0.1:{server.port}", timeout_s=1.0)
        assert time.monotonic() - started < 5
        assert said in str(err.value) and f"127.0.0.1:{server.port}" in str(err.value)
    finally:
        server.close()


def test_nothing_listening_is_refused_at_once():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(SettingsError, match="cannot reach"):
        probe_dask_scheduler(f"tcp://127.0.0.1:{port}", timeout_s=1.0)


def test_evaluate_with_a_junk_scheduler_is_one_line(own_pack, tmp_path, capsys):
    server = FakeServer(b"220 mail.example ESMTP\r\n")
    try:
        scen = save_scenario_file(tmp_path / "s.hktwin.json", "packs/harbour")
        code = main(["evaluate", str(scen), "--out", str(tmp_path / "o"), "--resolution", "20",
                     "--scheduler", f"tcp://127.0.0.1:{server.port}"])
    finally:
        server.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith("hktwin: error: scheduler:")
    assert "is not a Dask scheduler" in err[-1] and "Traceback" not in "".join(err)
    assert not (tmp_path / "o").exists()


def test_estimate_grows_with_cells_times_sites():
    cells = tuple(SmallCell(f"c{i}", 833_000.0 + 10 * i, 816_000.0) for i in range(50))
    small = estimate_cost(EvaluationSettings((832_500, 815_500, 833_500, 816_500), 10.0),
                          cells[:1], workers=2)
    many = estimate_cost(EvaluationSettings((832_500, 815_500, 833_500, 816_500), 10.0),
                         cells, workers=2)
    assert small.cells == many.cells == 100 * 100
    assert many.site_cells == 50 * small.site_cells
    assert many.memory_bytes > small.memory_bytes and many.seconds > small.seconds


def test_over_budget_is_refused_with_the_figures(own_pack, tmp_path, capsys):
    scen = save_scenario_file(tmp_path / "s.hktwin.json", "packs/harbour", n_cells=2)
    started = time.monotonic()
    code = main(["evaluate", str(scen), "--out", str(tmp_path / "o"), "--resolution", "1",
                 "--max-memory-gb", "0.2"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2 and err.startswith("hktwin: error:")
    assert "GB of memory, more than the 0.2 GB budget" in err and "cells" in err
    assert time.monotonic() - started < 10 and not (tmp_path / "o").exists()
    with pytest.raises(BudgetError, match="min budget"):
        from hktwin.session.evaluation import evaluate_scenario

        evaluate_scenario(scen, resolution_m=1, max_minutes=1e-6, progress=None)


def test_territory_scale_estimate_is_instant():
    cells = tuple(SmallCell(f"c{i}", 820_000.0 + 20 * (i % 1000), 825_000.0 + 20 * (i // 1000))
                  for i in range(10_000))
    started = time.perf_counter()
    est = estimate_cost(EvaluationSettings((815_000, 815_000, 855_000, 845_000), 5.0), cells)
    assert time.perf_counter() - started < 5
    assert est.cells == 8000 * 6000 and est.site_cells > 1e9 and est.seconds > 600
    with pytest.raises(BudgetError, match="10 min budget"):
        check_budget(est, max_minutes=10)


def test_the_environment_sets_the_default_budget(monkeypatch):
    cells = (SmallCell("c", 833_000.0, 816_000.0),)
    est = estimate_cost(EvaluationSettings((832_500, 815_500, 833_500, 816_500), 10.0), cells)
    check_budget(est)  # a small evaluation fits the default
    monkeypatch.setenv("HKTWIN_MAX_MEMORY_GB", "0.01")
    with pytest.raises(BudgetError, match=r"0\.01 GB budget"):
        check_budget(est)
