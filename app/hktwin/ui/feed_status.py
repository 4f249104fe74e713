"""The state of each polled feed source (live, stale since, failing: why), from poller threads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QListWidget, QVBoxLayout, QWidget

from hktwin.ui.time_bar import format_time

if TYPE_CHECKING:  # the poller (and httpx) load only when polling starts
    from hktwin.feeds.poller import SourceState

_COLOURS = {"live": "#1a7f37", "stale": "#b26a00", "failing": "#c62828", "idle": "#666666"}


class StateRelay(QObject):
    """Carries `SourceState`s from poller threads to the GUI thread (queued signal)."""

    state = Signal(object)


class QtFeedStatus(QWidget):
    """The feed service's source states, one line each; the window relays the service's
    `state_changed` (a polling thread) through `relay` to the GUI thread."""

    def __init__(self, feeds=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.relay = StateRelay()
        self.hint = QLabel("Showing recorded feeds. Feeds > Poll the official feeds to go live.")
        self.hint.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("feedStates")
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.list)
        self.states: dict[str, SourceState] = {}
        self.relay.state.connect(self.show_state)
        for state in (feeds.states.values() if feeds is not None else ()):
            self.show_state(state)

    def show_state(self, state: SourceState) -> None:
        self.states[state.source] = state
        self.list.clear()
        for _, st in sorted(self.states.items()):
            self.list.addItem(describe(st))
            self.list.item(self.list.count() - 1).setForeground(
                QColor(_COLOURS.get(st.status, "#000000")))


def describe(state: SourceState) -> str:
    """One line: the source, its status, since when or why."""
    if state.status == "live":
        return f"{state.source}: live ({state.rows} rows at {format_time(state.last_ok)})"
    if state.status == "stale":
        since = format_time(state.stale_since) if state.stale_since else "?"
        return f"{state.source}: stale since {since}"
    if state.status == "failing":
        return (f"{state.source}: failing after {state.consecutive_failures} tries: "
                f"{state.last_error}")
    return f"{state.source}: idle"
