"""The coverage surrogate's path features see what stands between antenna and cell."""

from __future__ import annotations

import numpy as np
import pytest

from hktwin.ai import surrogate as sur
from packs import X0, Y0


@pytest.fixture(scope="module")
def city(tiny_pack):
    from hktwin.geo.pack import open_pack

    return open_pack(tiny_pack)


def _row(grid, idx, x, y):
    xs, ys = grid.centres()
    rows, cols = np.divmod(idx, grid.cols)
    return int(np.argmin(np.hypot(xs[cols] - x, ys[rows] - y)))


def test_path_features_block_behind_a_tower_and_not_in_the_open(city):
    from hktwin.analysis.los import Grid
    from hktwin.analysis.sites import SmallCell

    sx, sy = X0 + 1000.0, Y0 + 1200.0
    ground = float(city.terrain.height_at([sx], [sy])[0])
    cell = SmallCell("A", sx, sy, ground_m=ground, height_m=8.0)
    grid = Grid.over((sx - 400, sy - 400, sx + 400, sy + 600), 10.0)
    x, idx = sur.features(city, cell, grid, umi=True)
    assert x.shape == (idx.size, len(sur.FEATURES)) and np.isfinite(x).all()
    col = {n: i for i, n in enumerate(sur.FEATURES)}
    # The tower at (X0+880, Y0+1450), 40 m tall, stands halfway to (X0+760, Y0+1700).
    behind = x[_row(grid, idx, X0 + 760.0, Y0 + 1700.0)]
    assert behind[col["blocked_share"]] > 0 and behind[col["max_excess"]] > 20
    assert 0.3 < behind[col["first_block"]] < 0.7
    # South of the site there is only the gently rising flank of the hill.
    open_ = x[_row(grid, idx, sx, sy - 200.0)]
    assert open_[col["blocked_share"]] == 0 and open_[col["max_excess"]] < 0
    d = x[:, col["d3d"]]
    assert d.min() > 0 and np.all(x[:, col["log_d2d"]] <= np.log10(np.hypot(400, 600)) + 0.01)
