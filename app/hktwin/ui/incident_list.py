"""The Incidents dock: the unusual congestion the AI flagged on the recorded day, as a list.

The traffic forecaster (`hktwin.ai.live.TrafficForecaster`, bound by the session's feeds) scans
the recording on a background thread; until it is done the dock says so. Each row is one
incident: the link (its TD name), from-to in Hong Kong Time, the lowest speed against the
forecast's expectation; rows active at the clock's time are bold. Clicking a row moves the
clock to the incident's start and selects the link (the inspector and the history chart follow).
A built-in plugin dock (`[[docks]]` in the built-in manifest).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from hktwin.model.clock import HKT
from hktwin.model.live_layers import TrafficLayer

COLUMNS = ("From", "To", "Lowest km/h", "Expected km/h", "Link")
WAITING = "Scanning the recorded day for unusual congestion..."
NONE_BOUND = "No incidents: this city has no recorded traffic with a forecast model"


class IncidentList(QWidget):
    """The incident table over a session (see the module docstring)."""

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.incidents: list = []
        self._filled_from: Any = None  # the forecaster whose scan the table shows
        self.note = QLabel(NONE_BOUND)
        self.note.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)  # the link's name
        self.table.cellClicked.connect(lambda row, _col: self.go_to(row))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.note)
        layout.addWidget(self.table)
        self.timer = QTimer(self)  # the scan runs on its own thread: look until it is done
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        session.twin.clock.events.time.connect(self._mark_active)  # weakly, as the time bar
        self.refresh()

    def _forecaster(self) -> Any:
        binding = getattr(self.session.feeds, "binding", None)
        return getattr(binding, "forecaster", None)

    def _traffic(self) -> TrafficLayer | None:
        return next(iter(self.session.twin.layers.of_type(TrafficLayer)), None)

    def refresh(self) -> None:
        """Fill the table once the bound forecaster's scan is ready (again for a new one)."""
        forecaster = self._forecaster()
        if forecaster is None:
            self._filled_from = None
            self.incidents = []
            self.note.setText(NONE_BOUND)
            self.table.setRowCount(0)
            return
        if forecaster is self._filled_from:
            return
        found = getattr(forecaster, "incidents", lambda: None)()
        if found is None:
            self.note.setText(WAITING)
            return
        self._filled_from = forecaster
        self._fill(found)

    def _fill(self, incidents: list) -> None:
        self.incidents = incidents
        layer = self._traffic()
        names = {}
        if layer is not None:
            names = {str(k): str(n) for k, n in zip(layer.keys, layer.names, strict=False)}
        self.table.setRowCount(len(incidents))
        for row, inc in enumerate(incidents):
            cells = (_hkt(inc.start), _hkt(inc.end), f"{inc.lowest:.0f}",
                     f"{inc.expected:.0f}", names.get(inc.link_id, f"Link {inc.link_id}"))
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self._mark_active(when=0)  # every row bold: columns wide enough for a bold row
        self.table.resizeColumnsToContents()
        self._mark_active()
        self.note.setText(f"{len(incidents)} incidents flagged by the AI on the recorded day "
                          "(speed below the forecast band for several updates); click one to "
                          "go there" if incidents else
                          "No unusual congestion on the recorded day")

    def _mark_active(self, *_: object, when: int | None = None) -> None:
        """Bold the incidents under way at the clock's time (`when` = 0: all of them)."""
        now = self.session.twin.clock.time
        if (now is None and when is None) or not self.incidents:
            return
        t = int(now.timestamp()) if when is None else when
        for row, inc in enumerate(self.incidents):
            font = QFont()
            font.setBold(when == 0 or bool(inc.start <= t <= inc.end))
            for col in range(len(COLUMNS)):
                item = self.table.item(row, col)
                if item is not None:
                    item.setFont(font)

    def go_to(self, row: int) -> None:
        """The clock to the incident's start; the link selected (inspector, history chart)."""
        if not 0 <= row < len(self.incidents):
            return
        inc = self.incidents[row]
        self.session.twin.clock.seek(datetime.fromtimestamp(inc.start, UTC))
        layer = self._traffic()
        if layer is None:
            return
        hits = np.flatnonzero(np.asarray([str(k) for k in layer.keys]) == inc.link_id)
        if len(hits):
            self.session.select_live(layer, int(hits[0]))


def _hkt(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).astimezone(HKT).strftime("%H:%M")
