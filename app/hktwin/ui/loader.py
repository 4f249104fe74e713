"""Loading a data pack on a worker thread, reporting progress back to the GUI thread."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal

from hktwin.core.errors import HKTwinError
from hktwin.core.progress import sub_progress
from hktwin.model.loading import LoadedCity, load_city, load_live


class CityLoader(QThread):
    """Runs `load_city` off the GUI thread; results arrive through queued signals.

    Only numpy work happens here: GL uploads happen when the layers are added to the twin on the
    GUI thread.
    """

    progress = Signal(float, str)
    loaded = Signal(object)  # LoadedCity
    failed = Signal(str)

    def __init__(self, pack: Path | None, parent=None) -> None:
        super().__init__(parent)
        self.pack = pack

    def run(self) -> None:
        try:
            report = self.progress.emit
            result: LoadedCity = load_city(self.pack, progress=sub_progress(report, 0.0, 0.8))
            load_live(result, progress=sub_progress(report, 0.8, 1.0))
        except HKTwinError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # never let a worker die silently: show what went wrong
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.loaded.emit(result)
