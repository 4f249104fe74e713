"""Helpers the GUI tests share (a module of its own: `from conftest import ...` finds whichever
conftest pytest loaded last when several folders are collected together)."""

from __future__ import annotations


def look_at_tiny_island(win) -> None:
    """Point the camera at the synthetic test island (tests/packs.py) from the south."""
    from hktwin.model.camera import CameraPose

    win.twin.camera = CameraPose((834_000.0, 816_200.0, 0.0), 5000.0, 10.0, 35.0)


def render(win):
    """The canvas as an RGBA array, drawn now."""
    return win.canvas.render()


def pixel(image, xy):
    x, y = (round(v) for v in xy)
    return image[y, x, :3].astype(int)
