"""Reading every manifest imports no GUI toolkit, no numpy and no plugin code."""

from __future__ import annotations

import subprocess
import sys


def test_discovery_stays_light():
    code = ("import sys, hktwin.plugins as hp; reg = hp.registry(); "
            "[hp.contributions(k) for k in hp.KINDS]; hp.cli_commands(); "
            "heavy = [m for m in ('PySide6', 'vispy', 'numpy', 'hktwin.model', 'hktwin.feeds', "
            "'hktwin_noise', 'hktwin_sun', 'hktwin_kmb', 'pvlib') if m in sys.modules]; "
            "print(len(reg.plugins()), ','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    count, heavy = out.stdout.split(" ", 1) if " " in out.stdout else (out.stdout, "")
    assert int(count) >= 1
    assert heavy.strip() == "", f"discovery imported {heavy.strip()}"
