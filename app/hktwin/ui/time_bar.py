"""The time bar: live / replay, play at x1 to x3600, scrub, jump to a timestamp."""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QWidget,
)

from hktwin.model.clock import HKT, SPEEDS, Clock

TICK_MS = 100
SLIDER_STEPS = 2000


class QtTimeBar(QWidget):
    """Drives a `Clock`: a timer advances it while playing or live; the widgets follow it."""

    def __init__(self, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.live = QPushButton("Live")
        self.live.setCheckable(True)
        self.live.setToolTip("Follow the feeds as they arrive")
        self.play = QPushButton("Play")
        self.play.setCheckable(True)
        self.speed = QComboBox()
        for s in SPEEDS:
            self.speed.addItem(f"x{s:g}", s)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setObjectName("timeSlider")
        self.label = QLabel()
        self.label.setObjectName("timeLabel")
        self.label.setMinimumWidth(170)
        self.jump = QDateTimeEdit()
        self.jump.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.jump.setToolTip("Jump to a time (Hong Kong time), then press Enter")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for w in (self.live, self.play, self.speed):
            layout.addWidget(w)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        layout.addWidget(self.jump)

        self.live.toggled.connect(self._on_live)
        self.play.toggled.connect(self._on_play)
        self.speed.currentIndexChanged.connect(
            lambda i: setattr(self.clock, "speed", float(self.speed.itemData(i))))
        self.slider.valueChanged.connect(self._on_slider)
        self.jump.editingFinished.connect(self._on_jump)
        for signal in (clock.events.time, clock.events.live, clock.events.playing,
                       clock.events.speed, clock.events.start, clock.events.end,
                       clock.events.forecast_from):
            signal.connect(self._sync)
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._last_tick = time.monotonic()
        self.timer.start()
        self._sync()

    def _tick(self) -> None:
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        if self.clock.live or self.clock.playing:
            self.clock.advance(elapsed)

    def _on_live(self, on: bool) -> None:
        if on:
            self.clock.go_live()
        else:
            self.clock.live = False

    def _on_play(self, on: bool) -> None:
        if on and self.clock.end is not None and self.clock.time >= self.clock.end:
            self.clock.seek(self.clock.start)  # play again from the beginning
        self.clock.live = False if on else self.clock.live
        self.clock.playing = on

    def _on_slider(self, value: int) -> None:
        if self.slider.isSliderDown() or self.slider.hasFocus():
            self.clock.seek(self.clock.time_at(value / SLIDER_STEPS))

    def _on_jump(self) -> None:
        when = self.jump.dateTime().toPython().replace(tzinfo=HKT)
        self.clock.seek(when)

    def _sync(self, *_: object) -> None:
        clock = self.clock
        for widget, state in ((self.live, clock.live), (self.play, clock.playing)):
            widget.blockSignals(True)
            widget.setChecked(state)
            widget.blockSignals(False)
        self.play.setText("Pause" if clock.playing else "Play")
        index = self.speed.findData(clock.speed)
        if index >= 0 and index != self.speed.currentIndex():
            self.speed.blockSignals(True)
            self.speed.setCurrentIndex(index)
            self.speed.blockSignals(False)
        self.slider.setEnabled(clock.start is not None)
        if not self.slider.isSliderDown():
            self.slider.blockSignals(True)
            self.slider.setValue(round(clock.fraction * SLIDER_STEPS))
            self.slider.blockSignals(False)
        ahead = (clock.forecast_from is not None and not clock.live
                 and clock.time > clock.forecast_from)  # issue 11: past the last reading
        self.label.setText(format_time(clock.time) + ("  LIVE" if clock.live else "")
                           + ("  FORECAST" if ahead else ""))
        if not self.jump.hasFocus():
            self.jump.setDateTime(QDateTime(clock.time.astimezone(HKT).replace(tzinfo=None)))


def format_time(when: datetime) -> str:
    return when.astimezone(HKT).strftime("%Y-%m-%d %H:%M:%S HKT")
