"""The open document and its services, no Qt: what the window, the CLI and tests all drive.

`Session` (session.session) owns the twin and its layers, `planning` (scenario, undo, results),
`feeds` (the feed service with source states), `tasks` (the one task runner), `views` (named
poses) and `tour`. `evaluation` is the one evaluate -> results -> outputs workflow.
`hktwin.session.Session` is imported on first use, so this package stays light.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "Session":
        from hktwin.session.session import Session

        return Session
    raise AttributeError(f"module 'hktwin.session' has no attribute {name!r}")


__all__ = ["Session"]
