import io

from hktwin.core.errors import DataError
from hktwin.core.progress import TerminalProgress, sub_progress


def test_data_error_names_file_field_and_fix():
    err = DataError("/data/dtm.tif", "the raster has no CRS", "assign EPSG:2326", field="crs")
    assert str(err) == "/data/dtm.tif [crs]: the raster has no CRS. Fix: assign EPSG:2326"


def test_sub_progress_maps_into_the_callers_range():
    seen = []
    inner = sub_progress(lambda f, m: seen.append((round(f, 3), m)), 0.5, 0.75)
    inner(0.0, "a")
    inner(1.0, "b")
    inner(2.0, "clamped")
    assert seen == [(0.5, "a"), (0.75, "b"), (0.75, "clamped")]


def test_terminal_progress_prints_one_line_per_step_when_not_a_tty():
    out = io.StringIO()
    progress = TerminalProgress(out)
    progress(0.1, "Reading terrain")
    progress(0.2, "Reading terrain")
    progress(1.0, "Done")
    assert out.getvalue().splitlines() == [" 10% Reading terrain", "100% Done"]
