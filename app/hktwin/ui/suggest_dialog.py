"""Edit > Suggest Sites...: the AI's suggested small cells (`hktwin.ai.suggest`) as a draft in
the open scenario.

The dialog asks for the area (a district of the pack, or a WKT polygon), how many sites and
which candidates (rooftops, lampposts, a grid); `Planning.suggest_sites` runs the search as a
task, shown in a progress dialog that can cancel it, and adds the sites as one undo step. The
window stays usable meanwhile (the work runs on the session's task thread).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QProgressDialog,
    QSpinBox,
    QWidget,
)

from hktwin.session.planning import SUGGEST_TASK

CANDIDATE_TITLES = {"rooftops": "Rooftops (a mast on the roof)",
                    "lampposts": "Lampposts along the roads", "grid": "A regular grid"}


def district_names(city: Any) -> list[str]:
    """The English names of the pack's districts (what `resolve_area` accepts), if it has them."""
    table = getattr(city, "vectors", {}).get("districts") if city is not None else None
    if table is None:
        return []
    column = next((c for c in ("name_en", "name", "code") if c in table), None)
    return [] if column is None else sorted({str(v) for v in table[column]})


class SuggestDialog(QDialog):
    """Area, number of sites and candidate kind for `Planning.suggest_sites`."""

    def __init__(self, city: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Suggest sites")
        form = QFormLayout(self)
        self.area = QComboBox()
        self.area.setEditable(True)  # a WKT polygon may be typed in
        self.area.addItems(district_names(city))
        self.area.setToolTip("A district of the pack, or a polygon as WKT in EPSG:2326 metres")
        self.k = QSpinBox()
        self.k.setRange(1, 50)
        self.k.setValue(5)
        self.kind = QComboBox()
        for kind, title in CANDIDATE_TITLES.items():
            self.kind.addItem(title, kind)
        form.addRow("Area", self.area)
        form.addRow("Sites", self.k)
        form.addRow("Candidates", self.kind)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def choice(self) -> tuple[str, int, str]:
        return self.area.currentText().strip(), self.k.value(), str(self.kind.currentData())


def start_suggesting(window: Any, area: str, k: int, kind: str) -> Any:
    """Start the task and show its progress in a dialog whose Cancel cancels it."""
    planning, tasks = window.session.planning, window.session.tasks
    task = planning.suggest_sites(area, k, kind=kind)
    if task is None:
        return None
    progress = QProgressDialog("Suggesting sites...", "Cancel", 0, 1000, window)
    progress.setWindowTitle("Suggest sites")
    progress.setWindowModality(Qt.WindowModality.NonModal)
    progress.setMinimumDuration(0)
    progress.canceled.connect(lambda: tasks.cancel(SUGGEST_TASK))

    def moved(t: Any, fraction: float, message: str) -> None:
        if t is task:
            progress.setValue(int(fraction * 1000))
            progress.setLabelText(message[:80])

    def ended(t: Any) -> None:
        if t is task:
            tasks.progressed.disconnect(moved)
            tasks.finished.disconnect(ended)
            progress.reset()
            progress.deleteLater()

    tasks.progressed.connect(moved)
    tasks.finished.connect(ended)
    progress.show()
    window.suggest_progress = progress
    return task


def open_suggest_dialog(window: Any) -> Any:
    """Edit > Suggest Sites...: ask, then start (the built-in plugin's menu command)."""
    if window.session.twin.city is None:
        window.statusBar().showMessage("Open a city first", 6000)
        return None
    dialog = SuggestDialog(window.session.twin.city, window)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    area, k, kind = dialog.choice()
    if not area:
        window.statusBar().showMessage("Suggest sites: give a district or a WKT polygon", 6000)
        return None
    return start_suggesting(window, area, k, kind)
