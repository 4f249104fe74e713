"""File > Import: official data files into a data pack, off the GUI thread.

The dialog only gathers choices and shows progress; `hktwin.geo.pack_writer.import_files` does
the work on the session's task runner (its own when shown without a window) and either swaps a
complete, validated pack in or leaves the pack as it was. A failure is shown as its one line
(file, problem, fix) and the dialog stays open so the user can fix the choice and try again.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hktwin.geo.importers import KINDS
from hktwin.plugins import importer_names
from hktwin.session.tasks import Task, TaskRunner
from hktwin.ui.tasks import QtLauncher

AUTO = "Automatic (from the file's content)"
FILE_FILTER = ("Map data (*.tif *.tiff *.asc *.zip *.gpkg *.geojson *.json *.shp *.parquet "
               "*.csv *.fgb *.kml *.gml);;All files (*)")


class QtImportDialog(QDialog):
    """Choose files, a kind, the pack folder and options; import with a progress bar.

    `imported(Path)` is emitted with the pack folder once the import has been swapped in;
    `failed(str)` with the one-line message when it did not happen (the pack is unchanged).
    """

    imported = Signal(Path)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, default_pack: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import official data")
        self.job: Task | None = None
        session = getattr(parent, "session", None)
        self.tasks: TaskRunner = (session.tasks if session is not None
                                  else TaskRunner(QtLauncher(self)))
        self.tasks.progressed.connect(self._on_task_progress)
        self.files = QListWidget()
        self.files.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        add = QPushButton("Add files…")
        add.clicked.connect(self._browse_files)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_selected)
        self.kind = QComboBox()
        self.kind.addItem(AUTO, None)
        for kind in (*KINDS, *importer_names()):
            self.kind.addItem(kind, kind)
        self.pack = QLineEdit(str(default_pack) if default_pack else "")
        self.pack.setPlaceholderText("folder of the pack (created if it does not exist)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_pack)
        self.layer_name = QLineEdit()
        self.layer_name.setPlaceholderText("from the kind or the file name")
        self.height_field = QLineEdit()
        self.height_field.setPlaceholderText("TopHeight - BaseHeight, storeys, or a default")
        self.crs = QLineEdit()
        self.crs.setPlaceholderText("as the file declares it, e.g. EPSG:2326")
        self.storey_height = _metres(3.0)
        self.default_height = _metres(10.0)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("Add the files to import.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setMinimumHeight(120)
        self.import_button = QPushButton("Import")
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel_or_close)

        file_buttons = QVBoxLayout()
        file_buttons.addWidget(add)
        file_buttons.addWidget(remove)
        file_buttons.addStretch(1)
        file_row = QHBoxLayout()
        file_row.addWidget(self.files, 1)
        file_row.addLayout(file_buttons)
        pack_row = QHBoxLayout()
        pack_row.addWidget(self.pack, 1)
        pack_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Kind", self.kind)
        form.addRow("Pack folder", pack_row)
        form.addRow("Layer name", self.layer_name)
        form.addRow("Height field", self.height_field)
        form.addRow("CRS", self.crs)
        form.addRow("Storey height", self.storey_height)
        form.addRow("Default height", self.default_height)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Files (DTM GeoTIFF or ESRI ASCII grid, building footprints, "
                                "roads, districts, stations, census…)"))
        layout.addLayout(file_row)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.report, 1)
        layout.addLayout(buttons)
        self.resize(640, 560)

    # --- choices ---------------------------------------------------------------------------

    def add_files(self, paths) -> None:
        present = set(self.file_paths())
        for p in paths:
            if Path(p) not in present:
                present.add(Path(p))
                self.files.addItem(str(p))

    def file_paths(self) -> list[Path]:
        return [Path(self.files.item(i).text()) for i in range(self.files.count())]

    def set_kind(self, kind: str | None) -> None:
        self.kind.setCurrentIndex(max(self.kind.findData(kind), 0))

    def _browse_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Files to import", "", FILE_FILTER)
        self.add_files(paths)

    def _remove_selected(self) -> None:
        for item in self.files.selectedItems():
            self.files.takeItem(self.files.row(item))

    def _browse_pack(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Pack folder", self.pack.text())
        if folder:
            self.pack.setText(folder)

    # --- the import ------------------------------------------------------------------------

    def start_import(self) -> Task | None:
        """Start the import on a worker thread (None when a choice is missing)."""
        if self.job is not None and self.job.running:
            return None
        files = self.file_paths()
        if not files:
            self._show_error("Add at least one file to import.")
            return None
        if not self.pack.text().strip():
            self._show_error("Choose the pack folder (a new folder makes a new pack).")
            return None
        pack = Path(self.pack.text().strip()).expanduser()
        options = {
            "name": self.layer_name.text().strip() or None,
            "height_field": self.height_field.text().strip() or None,
            "crs": self.crs.text().strip() or None,
            "storey_height": self.storey_height.value(),
            "default_height": self.default_height.value(),
        }
        kind = self.kind.currentData()

        def work(progress, cancel):
            from hktwin.geo.pack_writer import import_files

            return import_files(files, pack, kind, progress, cancel=cancel, **options)

        self._set_busy(True)
        self.report.clear()
        self.status.setStyleSheet("")
        self.status.setText("Importing…")
        self.progress.setValue(0)
        self.job = self.tasks.submit(
            "import", work, on_done=lambda report: self._on_done(pack, report),
            on_failed=self._on_failed, on_cancelled=self._on_cancelled)
        if self.job is None:  # another import (from another dialog) is running
            self._set_busy(False)
            self._show_error("Another import is running; wait for it to finish.")
        return self.job


    def _on_task_progress(self, task: Task, fraction: float, message: str) -> None:
        if task is self.job:
            self._on_progress(fraction, message)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        self.status.setText(message)

    def _on_done(self, pack: Path, report) -> None:
        self._set_busy(False)
        self.progress.setValue(1000)
        self.report.setPlainText("\n".join(report.lines()))
        warned = f" with {len(report.warnings)} warning(s)" if report.warnings else ""
        self.status.setText(f"Imported into {pack}{warned}.")
        self.imported.emit(pack)

    def _on_failed(self, message: str) -> None:
        self._set_busy(False)
        self.progress.setValue(0)
        self._show_error(message)
        self.report.setPlainText(f"{message}\n\nThe pack was not changed.")
        self.failed.emit(message)

    def _on_cancelled(self) -> None:
        self._set_busy(False)
        self.progress.setValue(0)
        self.status.setText("Import cancelled; the pack was not changed.")

    def _show_error(self, message: str) -> None:
        self.status.setStyleSheet("color: #c62828;")
        self.status.setText(message)

    def _set_busy(self, busy: bool) -> None:
        self.import_button.setEnabled(not busy)
        self.cancel_button.setText("Cancel import" if busy else "Close")

    def _cancel_or_close(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
        else:
            self.reject()

    def reject(self) -> None:
        """Closing while an import runs cancels it and waits; the pack stays as it was."""
        self._stop()
        super().reject()

    def closeEvent(self, event) -> None:
        self._stop()
        super().closeEvent(event)

    def _stop(self) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
            wait = getattr(self.tasks.launcher, "wait", None)
            if wait is not None:
                wait(30_000)  # the worker thread returns; the pack stays as it was


def _metres(value: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0.5, 1000.0)
    box.setDecimals(1)
    box.setSuffix(" m")
    box.setValue(value)
    return box
