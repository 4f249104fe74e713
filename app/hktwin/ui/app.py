"""Starting the GUI: Qt application, vispy's Qt backend, the main window, the first load."""

from __future__ import annotations

import sys
from pathlib import Path


def run_gui(pack: Path | None = None, view: str = "harbour") -> int:
    """Open the main window on `pack` (the demo city when None) and run until it closes."""
    import vispy
    from PySide6.QtWidgets import QApplication

    vispy.use("pyside6")
    from hktwin.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("HK Twin")
    app.setOrganizationName("hktwin")
    window = MainWindow(initial_view=view)
    window.load_pack(pack)  # the worker starts reading while the window is being shown
    window.show()
    return app.exec()
