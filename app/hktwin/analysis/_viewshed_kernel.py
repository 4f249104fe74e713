"""The compiled core of `los.viewshed` (numba, compiled once and cached on disk).

Imported only when a viewshed runs, so `hktwin --version` and the headless rooms stay light.
The arithmetic is the radial sweep of `los.viewshed_numpy` step for step (the same float32
sample positions, cells and slopes), so both give the same answers; what changes is the order
of the work. Targets are bucketed by their ray (a counting sort), and each ray is walked once,
from the transmitter to its farthest target only, keeping its running horizon in a small
buffer: nothing of size (samples x rays) is ever stored, and a ray pointing into a corner of
the window costs what its own length costs.

`nogil=True`: the coverage engine's tile threads run these in parallel.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: Keeps the float32 sums positive so the int cast is a floor (as in `los`).
BIAS = 4096.0


@njit(cache=True, nogil=True)
def target_rays(xs, ys, x, y, target_z, z, dtheta, n_full, step, k_out, jt_out,
                slope_out):  # pragma: no cover - compiled
    """Per target cell (row-major): its ray k on the full lattice, its own sample index and
    the slope of the segment from the transmitter to its eye."""
    n = 0
    for r in range(ys.shape[0]):
        dy = ys[r] - y
        for c in range(xs.shape[0]):
            dx = xs[c] - x
            d = math.sqrt(dx * dx + dy * dy)
            k = np.int64(np.rint(math.atan2(dy, dx) / dtheta)) % n_full
            k_out[n] = k
            jt_out[n] = np.int64(np.rint(d / step))
            slope_out[n] = (target_z[r, c] - z) / max(d, 1e-9)
            n += 1


@njit(cache=True, nogil=True)
def sweep(top, col0, row0, fx, fy, cos_r, sin_r, j0, ratio, step, z, row, jt, slope,
          seen):  # pragma: no cover - compiled
    """Walk every ray that has targets up to its farthest one and answer its targets.

    `top`: the DSM window (rows, cols) whose lattice origin is shifted by (`row0`, `col0`);
    `fx`, `fy`: the transmitter in DSM cell units; `cos_r`, `sin_r`: float32 directions of the
    rays; `row`: each target's ray (index into them); `jt`, `slope`: its sample index and slope.
    A target sees the transmitter when its slope clears the running maximum of the obstacle
    slopes of samples j0 .. jt-1 of its ray.
    """
    n_rays = cos_r.shape[0]
    n_t = row.shape[0]
    rows, cols = top.shape
    # Counting sort of the targets by ray; the farthest sample each ray must reach.
    start = np.zeros(n_rays + 1, np.int64)
    end_j = np.zeros(n_rays, np.int64)
    for t in range(n_t):
        r = row[t]
        start[r + 1] += 1
        if jt[t] > end_j[r]:
            end_j[r] = jt[t]
    for r in range(n_rays):
        start[r + 1] += start[r]
    fill = start[:-1].copy()
    order = np.empty(n_t, np.int64)
    for t in range(n_t):
        r = row[t]
        order[fill[r]] = t
        fill[r] += 1

    px = math.floor(fx)
    py = math.floor(fy)
    off_c = np.float32(fx - px + BIAS)
    off_r = np.float32(fy - py + BIAS)
    shift_c = np.int64(px - np.int64(BIAS) - col0)
    shift_r = np.int64(py - np.int64(BIAS) - row0)
    z32 = np.float32(z)
    j_max = 0
    for r in range(n_rays):
        if end_j[r] > j_max:
            j_max = end_j[r]
    horizon = np.empty(max(j_max - j0, 1), np.float32)
    # Per sample index: its distance in cells and 1 / its distance in metres (float32, as the
    # numpy sweep rounds them), shared by every ray.
    rc_j = np.empty(max(j_max - j0, 1), np.float32)
    inv_j = np.empty(max(j_max - j0, 1), np.float32)
    for j in range(j0, j_max):
        rc_j[j - j0] = np.float32(j * ratio)
        inv_j[j - j0] = np.float32(1.0 / (j * step))
    for r in range(n_rays):
        a, b = start[r], start[r + 1]
        if a == b:
            continue
        j1 = end_j[r]  # samples j0 .. j1-1 can stand before a target of this ray
        cr = cos_r[r]
        sr = sin_r[r]
        m = np.float32(-np.inf)
        for i in range(j1 - j0):
            rc = rc_j[i]
            ci = np.int64(np.int32(rc * cr + off_c)) + shift_c
            ri = np.int64(np.int32(rc * sr + off_r)) + shift_r
            ci = min(max(ci, 0), cols - 1)
            ri = min(max(ri, 0), rows - 1)
            h = (top[ri, ci] - z32) * inv_j[i]
            if h > m:
                m = h
            horizon[i] = m
        for i in range(a, b):
            t = order[i]
            idx = jt[t] - 1 - j0
            seen[t] = idx < 0 or slope[t] >= horizon[idx]
