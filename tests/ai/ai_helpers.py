"""Helpers for the forecast tests."""

from __future__ import annotations

from dataclasses import replace

import numpy as np


def subset(history, n_links: int, seed: int = 3):
    """`n_links` links of the history, chosen at random but keeping some road neighbours."""
    rng = np.random.default_rng(seed)
    start = int(rng.integers(0, len(history.link_ids) - n_links))
    cols = np.arange(start, start + n_links)  # consecutive ids lie along the same roads
    return replace(history, link_ids=tuple(history.link_ids[i] for i in cols),
                   speed=history.speed[:, cols].copy())
