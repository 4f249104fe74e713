"""What every subcommand shares: the one-line usage error and small argument types."""

from __future__ import annotations

import argparse
import math
from pathlib import Path


class UsageError(Exception):
    """A command line that cannot be acted on (printed as one line, exit status 2)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(message)


def size_arg(text: str) -> tuple[int, int]:
    """`WIDTHxHEIGHT` in pixels, 16..8192 each."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must be WIDTHxHEIGHT, e.g. 1280x800, not '{text}'") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is outside 16..8192 pixels")
    return w, h


def positive(kind: type[int] | type[float] = float):
    """An argparse type: a finite number above 0 of `kind`."""

    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
        return value

    return convert


def check_pack(pack: Path | None) -> None:
    """Refuse an unusable pack before any heavy work starts."""
    if pack is not None:
        from hktwin.geo.pack import read_manifest

        read_manifest(pack)
