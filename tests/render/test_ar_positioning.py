"""`hktwin snapshot --ar-at ... --positioning`: a phone's positioning error is previewed by
default (VPS: each shown anchor's drift envelope, its stability in the output line); `off`
draws the planned positions only; a bad value is refused in one line."""

from __future__ import annotations

import subprocess
import sys

import ar_probe
import numpy as np

#: The drift envelope's colour in `render.ar` (1.0, 0.55, 0.1).
DRIFT_RGB = (255, 140, 26)


def snapshot(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hktwin", "snapshot", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def drift_pixels(path) -> int:
    import imageio.v3 as iio

    rgb = iio.imread(path)[..., :3].astype(int)
    return int((np.abs(rgb - np.array(DRIFT_RGB)) <= 30).all(axis=-1).sum())


def test_vps_drift_is_drawn_by_default_and_off_draws_none(tmp_path):
    scenario = ar_probe.write_scenario(tmp_path / "central.hktwin.json")
    x, y = ar_probe.SPOT
    common = ["--ar-at", f"{x:.0f},{y:.0f}", "--heading", str(ar_probe.HEADING), "--pitch", "5",
              "--scenario", str(scenario), "--size", "360x640"]
    # Both renders at once (each is a separate process with its own EGL context).
    runs = {name: snapshot(*common, *extra, "--out", str(tmp_path / f"{name}.png"))
            for name, extra in (("default", []), ("off", ["--positioning", "off"]))}
    done = {name: (p.wait(timeout=600), *p.communicate()) for name, p in runs.items()}
    for name, (rc, _, err) in done.items():
        assert rc == 0, (name, err)
    out_default, out_off = done["default"][1], done["off"][1]
    assert "positioning vps" in out_default and " stability " in out_default
    assert "positioning off" in out_off and "stability" not in out_off
    with_drift = drift_pixels(tmp_path / "default.png")
    assert with_drift > 100, "no drift envelope drawn under the default VPS error"
    assert drift_pixels(tmp_path / "off.png") < 0.02 * with_drift


def test_a_bad_positioning_value_is_refused_in_one_line(tmp_path):
    bad = snapshot("--ar-at", "834025,816005", "--heading", "0", "--positioning", "galileo",
                   "--out", str(tmp_path / "x.png"))
    rc, _, err = bad.wait(timeout=120), *bad.communicate()
    assert rc == 2 and "--positioning" in err and "gnss-canyon" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "x.png").exists()
    alone = snapshot("--positioning", "gnss-canyon", "--out", str(tmp_path / "y.png"))
    rc, _, err = alone.wait(timeout=120), *alone.communicate()
    assert rc == 2 and "--ar-at" in err and len(err.strip().splitlines()) == 1
