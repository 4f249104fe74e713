"""Process start to the first frame of the city in the window (run under a display or Xvfb).

Run: xvfb-run -a .venv/bin/python benchmarks/first_frame.py [--bare] [--pack DIR]
Prints the seconds from process creation (interpreter start-up included) to the first frame
drawn with the city's layers. `--bare` measures the same window with no city loaded, the
baseline the city's cost is compared with. bench_startup.py runs both several times.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _common import seconds_since_process_start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bare", action="store_true")
    parser.add_argument("--pack", type=Path, default=None)
    args = parser.parse_args()

    import vispy
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    vispy.use("pyside6")
    from hktwin.ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    window = MainWindow()

    def on_draw(event) -> None:
        if args.bare or len(window.twin.layers) > 0:
            print(f"first_frame_s {seconds_since_process_start():.3f}", flush=True)
            QTimer.singleShot(0, app.quit)

    window.canvas.events.draw.connect(on_draw, position="last")
    window.show()
    if not args.bare:
        window.load_pack(args.pack)
    QTimer.singleShot(120_000, app.quit)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
