"""The Sun and shadow dock: a date, a time slider for the shadow layer, the sun's position and
the share of the ground around the view's centre in shadow over that day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QDateEdit,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

import hktwin.plugins as hp
from hktwin_sun import sun
from hktwin_sun.layer import LAYER_NAME, day_shadow_share

STEP_MIN = 10


class SunDock(QWidget):
    """Built by the window for the `docks` contribution: `SunDock(session, parent)`; it drives
    the shadow layer of `session.twin`."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("sun-dock")
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(5 * 60 // STEP_MIN, 20 * 60 // STEP_MIN)  # 05:00 - 20:00
        self.slider.setValue(15 * 60 // STEP_MIN)
        self.slider.setTracking(False)  # recompute when the handle is let go
        self.position = QLabel()
        self.share = QLabel("")
        self.share.setWordWrap(True)
        self.share_button = QPushButton("Shadow over the day (400 m around the view)")
        layout = QVBoxLayout(self)
        for w in (QLabel("Date"), self.date, QLabel("Time (HKT)"), self.slider, self.position,
                  self.share_button, self.share):
            layout.addWidget(w)
        layout.addStretch(1)
        self.slider.valueChanged.connect(self._apply)
        self.date.dateChanged.connect(self._apply)
        self.share_button.clicked.connect(self._day_share)
        self._show_position()

    def chosen_time(self) -> datetime:
        d = self.date.date()
        start = datetime(d.year(), d.month(), d.day(), tzinfo=sun.HKT)
        return start + timedelta(minutes=self.slider.value() * STEP_MIN)

    def layer(self):
        twin = getattr(self.session, "twin", None)
        return twin.layers.get(LAYER_NAME) if twin is not None else None

    def _show_position(self) -> None:
        when = self.chosen_time()
        elevation, azimuth = hp.call("sun", "draw", sun.sun_position, when,
                                     default=(float("nan"), float("nan")))
        self.position.setText(f"{when:%H:%M}: sun {elevation:.1f} deg up, azimuth "
                              f"{azimuth:.0f} deg")

    def _apply(self, *_: object) -> None:
        self._show_position()
        layer = self.layer()
        if layer is not None:
            layer.time = self.chosen_time()
            layer.visible = True

    def _day_share(self) -> None:
        twin = getattr(self.session, "twin", None)
        if twin is None or twin.city is None or twin.city.buildings is None:
            self.share.setText("open a city with buildings first")
            return
        import shapely

        cx, cy = twin.camera.center[:2]
        area = shapely.box(cx - 200, cy - 200, cx + 200, cy + 200)
        d = self.date.date()
        result = hp.call("sun", "analysis", day_shadow_share, twin.city.buildings, area,
                         date(d.year(), d.month(), d.day()), 30, default=None)
        if result is None:
            self.share.setText("the shadow computation failed (see Plugins)")
            return
        self.share.setText(f"{result.daylight_mean_share:.0%} of the open ground in shadow on "
                           f"average in daylight; {result.sunlit_hours:.1f} sun hours")
