"""The demo mode: bilingual captions in a real CJK font, a fast 5-minute tour that loops and
survives a broken step, the kiosk rules, keyframes, captures larger than the screen."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QRawFont
from PySide6.QtWidgets import QMessageBox

from hktwin.core.paths import resources_dir
from hktwin.model.camera import CameraPose
from hktwin.model.tour import ACTIONS, Step, load_tour

pytestmark = pytest.mark.gui

SAMPLE = resources_dir() / "tours" / "hong-kong.toml"
CJK = "維多利亞港香九龍"


def glyph(font: QFont, text: str, size: int = 72) -> np.ndarray:
    img = QImage(size, size, QImage.Format.Format_Grayscale8)
    img.fill(QColor(255, 255, 255))
    p = QPainter(img)
    p.setFont(font)
    p.setPen(QColor(0, 0, 0))
    p.drawText(img.rect(), Qt.AlignmentFlag.AlignCenter, text)
    p.end()
    ptr = img.constBits()
    return np.frombuffer(ptr, np.uint8).reshape(size, img.bytesPerLine())[:, :size].copy()


def test_captions_draw_real_cjk_glyphs_not_boxes(qtbot):
    from hktwin.ui.tour_player import caption_font, cjk_family

    assert cjk_family() is not None, "no CJK font: install fonts-noto-cjk (setup-env.sh does)"
    font = caption_font(36)
    raw = QRawFont.fromFont(font)
    assert all(raw.supportsCharacter(ord(c)) for c in CJK)
    # The tofu reference: the same characters in a Latin font that may not borrow glyphs.
    latin = QFont("DejaVu Sans")
    latin.setPointSizeF(36)
    latin.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
    boxes = [glyph(latin, c) for c in CJK]
    real = [glyph(font, c) for c in CJK]
    assert all(np.array_equal(boxes[0], b) for b in boxes[1:])  # tofu: one box for all
    for r in real:
        assert (r < 128).mean() > 0.03  # ink
        assert np.abs(r.astype(int) - boxes[0]).mean() > 10  # not the box
    distinct = {r.tobytes() for r in real}
    assert len(distinct) == len(CJK)  # every character its own shape


@pytest.fixture
def demo(window, load, tiny_pack):
    return load(window, tiny_pack)


def player_for(win, tour, **kw):
    from hktwin.ui.tour_player import TourPlayer

    player = TourPlayer(win, tour, **kw)
    return player


def caption_band_has_text(win) -> bool:
    """White letters on the dark caption box in the lower part of the canvas, in a grab of the
    window (the caption is a widget over the GL canvas)."""
    shot = win.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    a = np.frombuffer(shot.constBits(), np.uint8).reshape(shot.height(), shot.bytesPerLine())
    a = a[:, : shot.width() * 3].reshape(shot.height(), shot.width(), 3)
    canvas = win.canvas.native
    top_left = canvas.mapTo(win, canvas.rect().topLeft())
    h, w = canvas.height(), canvas.width()
    band = a[top_left.y() + int(h * 0.6): top_left.y() + h, top_left.x(): top_left.x() + w]
    return (band.min(axis=2) > 235).mean() > 0.005 and (band.max(axis=2) < 80).mean() > 0.05


def test_five_minute_tour_runs_fast_loops_and_survives_a_broken_step(qtbot, demo, monkeypatch,
                                                                     caplog):
    def explode(player, params):
        raise RuntimeError("a deliberately broken step")

    monkeypatch.setitem(ACTIONS, "explode", explode)
    tour = load_tour(SAMPLE)
    broken = Step("Broken", CameraPose((834_000.0, 816_000.0, 0.0), 3000.0, 0.0, 40.0),
                  {"en": "broken", "zh-Hant": "壞"}, action="explode", fly=2.0, dwell=5.0)
    tour = tour.with_step(broken, 2)
    player = player_for(demo, tour, time_scale=40.0)
    assert player.timeline.duration < 300  # five minutes covers more than one loop
    player.start()
    qtbot.waitUntil(lambda: player.current == 0, timeout=5000)
    assert "維多利亞港" in player.caption.text and "Victoria Harbour" in player.caption.text
    qtbot.wait(50)
    assert caption_band_has_text(demo)
    qtbot.waitUntil(lambda: player.elapsed >= 300.0, timeout=90_000)
    player.stop()
    assert player.loops >= 1
    assert set(player.entered) == set(range(len(tour.steps)))
    failed = [i for i, msg in player.errors if "deliberately broken" in msg]
    assert failed and set(failed) == {2}
    first = player.entered.index(2)
    assert player.entered[first + 1] == 3  # the tour carried on with the next step
    assert "deliberately broken" in caplog.text
    assert demo.isVisible() and not player.closed_dialogs


def test_kiosk_no_dialogs_pause_idle_resume_and_three_escapes(qtbot, demo):
    player = player_for(demo, load_tour(SAMPLE), time_scale=5.0, idle_resume_s=0.6)
    player.start()
    qtbot.wait(200)
    box = QMessageBox(QMessageBox.Icon.Warning, "Cannot open the data pack", "broken pack",
                      QMessageBox.StandardButton.Ok, demo)
    box.open()
    qtbot.waitUntil(lambda: not box.isVisible(), timeout=3000)  # no dialog survives
    assert player.closed_dialogs and "broken pack" in player.closed_dialogs[0]
    assert player.playing  # a dialog is no visitor
    qtbot.keyClick(demo.canvas.native, Qt.Key.Key_A)
    assert not player.playing
    t_paused = player.t
    assert "Paused" in player.caption.badge
    qtbot.wait(300)
    assert player.t == t_paused  # the visitor has the camera
    qtbot.waitUntil(lambda: player.playing, timeout=3000)  # idle: back to the tour
    qtbot.wait(200)
    assert player.t > t_paused
    qtbot.mouseClick(demo.canvas.native, Qt.MouseButton.LeftButton)
    assert not player.playing
    for _ in range(3):
        qtbot.keyClick(demo.canvas.native, Qt.Key.Key_Escape)
        qtbot.wait(80)
    qtbot.waitUntil(lambda: not demo.isVisible(), timeout=3000)


def test_add_keyframe_here_records_the_view(qtbot, demo, tmp_path):
    from hktwin.model.tour import save_tour
    from hktwin.ui.tour_player import add_keyframe_here

    demo.session.tour = None
    demo.twin.camera = CameraPose((834_100.0, 816_300.0, 0.0), 2500.0, 45.0, 35.0)
    demo.twin.layers.get("Roads").visible = False
    tour = add_keyframe_here(demo)
    step = tour.steps[-1]
    assert step.camera == demo.twin.camera
    assert set(step.show) | set(step.hide) == set(demo.twin.layers.names())
    assert "Roads" in step.hide and "Buildings" in step.show
    assert step.clock == demo.twin.clock.time or step.clock == "live"
    again = load_tour(save_tour(tour, tmp_path / "mine.toml"))
    assert again.steps[-1].camera.center == pytest.approx(step.camera.center)
    demo.session.tour = None  # the View menu does the same
    demo.actions["add_keyframe"].trigger()
    demo.actions["add_keyframe"].trigger()
    assert len(demo.session.tour.steps) == 2
    assert demo.session.tour.steps[0].camera == demo.twin.camera
    # View > Play Tour previews it in the window: not a kiosk, so Esc x3 stops it, not the app.
    demo.actions["play_tour"].trigger()
    player = demo.tour_player
    assert player.active_now and not player.kiosk and player.tour is demo.session.tour
    qtbot.wait(100)
    for _ in range(3):
        qtbot.keyClick(demo.canvas.native, Qt.Key.Key_Escape)
        qtbot.wait(80)
    assert not player.active_now and demo.isVisible() and not player.caption.isVisible()


def test_capture_larger_than_the_screen_and_video(qtbot, demo, tmp_path, monkeypatch):
    import imageio.v3 as iio

    from hktwin.ui.capture import capture_view, record_view

    demo.twin.camera = CameraPose((834_000.0, 816_200.0, 0.0), 5000.0, 10.0, 35.0)
    qtbot.wait(300)  # the level-of-detail worker settles on this view
    cw, ch = demo.canvas.size
    big = capture_view(demo.canvas, (2 * cw, 2 * ch))
    assert big.shape == (2 * ch, 2 * cw, 3)
    small = capture_view(demo.canvas, (cw, ch))
    # The same view: the big image halved matches the native one...
    halved = big.reshape(ch, 2, cw, 2, 3).mean(axis=(1, 3))
    assert np.abs(halved - small).mean() < 12
    # ...but drawn at full resolution, not enlarged: most 2x2 blocks are not one colour.
    blocks = big.reshape(ch, 2, cw, 2, 3).astype(int)
    uneven = (blocks.max(axis=(1, 3)) - blocks.min(axis=(1, 3))).max(axis=-1) > 0
    edges = np.abs(np.diff(small.astype(int), axis=1)).max(axis=-1)[:, :-1] > 0
    assert uneven.mean() > 0.5 * edges.mean()
    wide = capture_view(demo.canvas, (3000, 1000))  # wider than the 1280 px screen
    assert wide.shape == (1000, 3000, 3)
    assert demo.canvas.size == (cw, ch)  # put back
    azimuths = []

    def move(i, t):
        demo.twin.camera = demo.twin.camera.moved(azimuth=10.0 + 5 * i)
        azimuths.append(demo.twin.camera.azimuth)

    rec = record_view(demo, tmp_path / "spin.mp4", seconds=1.0, fps=6, size=(320, 200),
                      before_frame=move)
    assert rec.dialog is not None and rec.dialog.isVisible()  # the window keeps running
    with qtbot.waitSignal(rec.finished, timeout=60_000) as done:
        pass
    out = done.args[0]
    assert out == tmp_path / "spin.mp4" and len(azimuths) == 6
    frames = iio.imread(out, index=None)
    assert frames.shape[0] == 6 and frames.shape[1:3] == (200, 320)
    assert np.abs(frames[0].astype(int) - frames[-1]).mean() > 1  # it turned

    # The same through View > Capture View... and View > Record View...
    from PIL import Image
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    png, mp4 = tmp_path / "big.png", tmp_path / "view.mp4"
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("2400x1500", True))
    monkeypatch.setattr(QInputDialog, "getDouble", lambda *a, **k: (0.4, True))
    files = iter([str(png), str(mp4)])
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (next(files), ""))
    titles = {a.text().replace("&", ""): a for a in demo.findChildren(type(demo.actions["live"]))}
    titles["Capture View..."].trigger()
    assert Image.open(png).size == (2400, 1500)
    titles["Record View..."].trigger()
    qtbot.waitUntil(lambda: demo.view_recording.done, timeout=60_000)
    assert len(iio.imread(mp4, index=None)) == 10  # 0.4 s at 25 frames a second
    assert demo.statusBar().currentMessage() == f"Saved {mp4}"
    # Cancel leaves no file behind and says so.
    cancelled = record_view(demo, tmp_path / "never.mp4", seconds=5.0, fps=10)
    from PySide6.QtWidgets import QPushButton

    cancelled.dialog.findChild(QPushButton).click()  # the dialog's Cancel
    qtbot.waitUntil(lambda: cancelled.done, timeout=10_000)
    assert not (tmp_path / "never.mp4").exists() and cancelled.frame < 50
    assert demo.statusBar().currentMessage() == "Recording cancelled"


BROKEN_TOUR = """
[tour]
title = { en = "test tour", "zh-Hant" = "測試" }
fly = 2.0
dwell = 3.0

[[step]]
name = "harbour"
caption = { en = "Victoria Harbour", "zh-Hant" = "維多利亞港" }
camera = { view = "harbour" }

[[step]]
name = "broken"
caption = { en = "broken", "zh-Hant" = "壞" }
camera = { view = "kowloon" }
action = "coverage"
params = { cells = "not a list of positions" }

[[step]]
name = "unknown"
camera = { view = "island" }
action = "no-such-step-kind"

[[step]]
name = "kowloon"
caption = { en = "Kowloon", "zh-Hant" = "九龍" }
camera = { view = "kowloon" }
"""


@pytest.mark.slow
def test_hktwin_demo_plays_loops_and_survives_a_broken_step(tmp_path, tiny_pack):
    """The real command in its own process, under the test's X server."""
    import os
    import subprocess
    import sys

    tour = tmp_path / "broken.toml"
    tour.write_text(BROKEN_TOUR, encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    proc = subprocess.run(
        [sys.executable, "-m", "hktwin", "demo", "--tour", str(tour), "--pack", str(tiny_pack),
         "--time-scale", "10", "--exit-after", "12", "--lang", "both"],
        capture_output=True, text=True, timeout=120, env=env)
    log = proc.stderr
    assert proc.returncode == 0, log[-2000:]
    assert "tour step 1 (broken) failed and is skipped" in log
    assert "no step kind is called 'no-such-step-kind'" in log
    assert "tour loop 1 done" in log
    assert "tour step 3: kowloon" in log


@pytest.mark.slow
def test_traffic_forecast_step_shows_the_ai_forecast(qtbot, window, load):
    """On the demo city the forecast step shows the AI forecast 30 minutes past the last
    reading, through the live binding's forecaster (as the time bar would); without one it paints
    the demo model's forecast itself, and the recording comes back after the step."""
    from datetime import timedelta

    from hktwin.model.live_layers import TrafficLayer

    win = load(window, None)
    tour = load_tour(SAMPLE)
    index = next(i for i, s in enumerate(tour.steps) if s.action == "traffic-forecast")
    clock, binding = win.twin.clock, win.session.feeds.binding
    layer = win.twin.layers.of_type(TrafficLayer)[0]

    player = player_for(win, tour, time_scale=1.0)
    player.t = player._start_of(player.active.index(index)) + 0.5
    player.start()
    qtbot.waitUntil(lambda: player.current == index, timeout=5000)
    assert clock.time == clock.forecast_from + timedelta(minutes=30)
    ahead = binding._forecast_values()
    keys = [i for i, k in enumerate(layer.keys) if k in ahead and ahead[k][0] is not None]
    assert len(keys) > 100
    np.testing.assert_allclose(layer.values[keys], [ahead[layer.keys[i]][0] for i in keys],
                               rtol=1e-5)
    player.stop()

    binding.forecaster = None  # a build without the live forecaster: the step paints it
    player = player_for(win, tour, time_scale=1.0)
    player.t = player._start_of(player.active.index(index)) + 0.5
    player.start()
    qtbot.waitUntil(lambda: getattr(player, "_forecast", None) is not None, timeout=60_000)
    fc = player._forecast
    expected = dict(zip(fc.link_ids, fc.p50[list(fc.horizons_min).index(30)], strict=True))
    keys = [i for i, k in enumerate(layer.keys) if k in expected and np.isfinite(expected[k])]
    assert len(keys) > 100
    np.testing.assert_allclose(layer.values[keys],
                               [expected[layer.keys[i]] for i in keys], rtol=1e-5)
    painted = layer.values[keys].copy()
    player.skip_step()
    qtbot.waitUntil(lambda: player.current != index, timeout=5000)
    player.stop()
    assert not np.allclose(layer.values[keys], painted, equal_nan=True)  # the recording is back


def test_kiosk_disables_quit_and_files_but_not_the_camera(qtbot, window):
    from hktwin.ui.tour_player import lock_for_kiosk

    off = set(lock_for_kiosk(window))
    assert {"Quit", "Open Data Pack...", "Save Scenario"} <= off
    assert not any(t.startswith(("Pan", "Zoom", "Turn", "Tilt")) for t in off)
    qtbot.keyClick(window.canvas.native, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(50)
    assert window.isVisible()  # Ctrl+Q no longer quits
    from PySide6.QtGui import QAction

    turn = next(a for a in window.findChildren(QAction) if a.text().startswith("Turn right"))
    camera = window.twin.camera
    assert turn.isEnabled()
    turn.trigger()  # the visitor still turns the camera
    assert window.twin.camera.azimuth != camera.azimuth


def test_a_plugin_tour_step_runs_in_the_player_and_is_undone_on_leaving(qtbot, demo):
    """`action = "sun-shadows"` is the example sun plugin's `[[tour]]` step: the player runs
    it with the session, and the undo it returns hides the layer when the tour moves on."""
    from hktwin.model.tour import Tour

    shadows = next((la for la in demo.session.twin.layers if la.kind == "sun and shadow"), None)
    if shadows is None:
        pytest.skip("the example sun plugin is not installed (pip install -e plugins/*)")
    pose = CameraPose((834_000.0, 816_000.0, 0.0), 3000.0, 0.0, 40.0)
    tour = Tour({"en": "plugin step"},
                (Step("Shadows", pose, {"en": "shadows"}, action="sun-shadows",
                      params={"time": "15:30"}, fly=0.5, dwell=1.0),
                 Step("After", pose, {"en": "after"}, fly=0.5, dwell=1.0)))
    assert not shadows.visible
    player = player_for(demo, tour, time_scale=1.0)
    player.start()
    qtbot.waitUntil(lambda: player.current == 0 and shadows.visible, timeout=5000)
    assert shadows.computed_for is not None and shadows.computed_for.hour == 15
    qtbot.waitUntil(lambda: player.current == 1, timeout=10_000)
    assert not shadows.visible and shadows.time is None
    player.stop()
    assert not player.errors
