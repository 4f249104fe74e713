"""The fixed CLI surface: --version, snapshot, and one-line errors with exit status 2."""

import subprocess
import sys

import numpy as np
import pytest

from hktwin import __version__
from hktwin.cli import main


def hktwin(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hktwin", *args], capture_output=True,
                          text=True, timeout=timeout)


def test_version():
    result = hktwin("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"hktwin {__version__}"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--frobnicate"], "unrecognized arguments"),
        (["snapshot"], "--out"),
        (["snapshot", "--out", "x.png", "--size", "big"], "WIDTHxHEIGHT"),
        (["snapshot", "--out", "x.png", "--view", "moon"], "invalid choice"),
        (["snapshot", "--out", "x.jpg"], ".png"),
        (["snapshot", "--out", "/no/such/dir/x.png"], "does not exist"),
        (["snapshot", "--out", "x.png", "--pack", "/no/such/pack"], "data pack not found"),
        (["--pack", "/no/such/pack"], "data pack not found"),
    ],
)
def test_unusable_arguments_give_one_line_and_status_2(args, fragment):
    result = hktwin(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hktwin: error:") and fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_snapshot_of_a_pack_writes_a_png_of_the_asked_size(tiny_pack, tmp_path):
    out = tmp_path / "tiny.png"
    result = hktwin("snapshot", "--out", str(out), "--size", "320x200", "--pack", str(tiny_pack))
    assert result.returncode == 0, result.stderr
    from vispy.io import read_png

    image = read_png(str(out))
    assert image.shape[:2] == (200, 320)
    assert np.ptp(image[..., :3].reshape(-1, 3), axis=0).max() > 50  # not a blank picture


def test_the_global_pack_reaches_the_subcommand(tmp_path, capsys):
    """`hktwin --pack X snapshot` used to drop X and render the demo city."""
    missing = tmp_path / "no-such-pack"
    code = main(["--pack", str(missing), "snapshot", "--out", str(tmp_path / "x.png")])
    assert code == 2
    assert "no-such-pack" in capsys.readouterr().err
