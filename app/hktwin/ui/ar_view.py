"""The AR street view in the window: the phone's picture beside the overview, its controls in a
dock, walking with W A S D and the mouse.

The picture is a second view of the window's canvas (`render.ar.ArPreview`): one canvas, one GL
context, so the AR view draws the overview's meshes without uploading them again (a second
QOpenGLWidget in the dock would hold its own context: vispy refuses to share contexts on
PySide6, and Qt recreates a widget's context when its dock floats). The dock holds what Qt
draws better: the device, the orientation, the HUD as text, and the walking keys. The viewer
is model state (`twin.street`); the overview's cone and the picture follow it.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from hktwin.model.camera import StreetPose

STEP_M = 1.5  # one key press of walking
TURN_DEG = 5.0
MOUSE_DEG_PER_PX = 0.25
WALL_CLEARANCE_M = 0.5
VIEWER_GRAB_PX = 12.0  # how near the viewer's dot on the overview a press grabs it


class QtArView(QWidget):
    """The AR view's dock contents, driving an `ArPreview` on the window's canvas."""

    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from hktwin.analysis.ar.devices import DEFAULT_DEVICE, PRESETS
        from hktwin.render.ar import ArPreview

        self.window = window
        self._warned = 0  # content warnings already shown in the status bar
        self.canvas = window.canvas
        self.twin = window.twin
        self.preview = ArPreview(self.canvas, device=DEFAULT_DEVICE, orientation="portrait")
        self._picking = False
        self._drag_from: tuple[float, float] | None = None
        self._moving_viewer = False
        self._footprints = None

        self.device = QComboBox()
        self.device.setObjectName("arDevice")
        for name, preset in PRESETS.items():
            self.device.addItem(f"{preset.label} ({preset.fov_long_deg:.0f}°)", name)
        self.device.setCurrentIndex(list(PRESETS).index(DEFAULT_DEVICE))
        self.device.currentIndexChanged.connect(self._on_device)
        self.portrait = QRadioButton("Portrait")
        self.landscape = QRadioButton("Landscape")
        self.portrait.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.portrait)
        group.addButton(self.landscape)
        self.portrait.toggled.connect(self._on_device)
        self.error = QComboBox()
        self.error.setObjectName("arError")
        for label, model in (("None (exact)", None), ("Visual positioning (VPS)", "vps"),
                             ("GNSS in a street canyon", "gnss-canyon")):
            self.error.addItem(label, model)
        self.error.currentIndexChanged.connect(
            lambda _=0: self.preview.set_error_model(self.error.currentData()))
        from hktwin.analysis.ar.localisation import DEFAULT_ERROR_MODEL  # drift shown by default

        self.error.setCurrentIndex(self.error.findData(DEFAULT_ERROR_MODEL))
        self.pick_button = QPushButton("Stand on the map...")
        self.pick_button.setObjectName("arPick")
        self.pick_button.setCheckable(True)
        self.pick_button.toggled.connect(self._set_picking)
        self.hud = QLabel()
        self.hud.setObjectName("arHud")
        self.hud.setWordWrap(True)
        self.hud.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        keys = QLabel("Walk: W A S D · look round: drag in the picture · "
                      "look up and down: R / F")
        keys.setWordWrap(True)
        keys.setStyleSheet("color: #666;")
        form = QFormLayout()
        form.addRow("Device", self.device)
        form.addRow("Held", self.portrait)
        form.addRow("", self.landscape)
        form.addRow("Positioning error", self.error)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.pick_button)
        layout.addWidget(self.hud)
        layout.addWidget(keys)
        from hktwin.ui.walk_panel import WalkPanel

        self.walks = WalkPanel(window, self)  # draw, play and record a walk (ui.walk_panel)
        layout.addWidget(self.walks)
        layout.addStretch(1)

        self.twin.events.street.connect(self._on_street)
        self.canvas.events.key_press.connect(self._on_key)
        self.canvas.events.mouse_press.connect(self._on_mouse_press, position="first")
        self.canvas.events.mouse_move.connect(self._on_mouse_move, position="first")
        self.canvas.events.mouse_release.connect(self._on_mouse_release, position="first")
        evaluated = getattr(getattr(window, "planning", None), "evaluated", None)
        if evaluated is not None:
            evaluated.connect(self._on_evaluated)
        self._use_latest_result()
        if self.twin.street is None and self.twin.city is not None:
            self.stand_at_camera_target()
        else:
            self._on_street(self.twin.street)

    # -- where the viewer stands ---------------------------------------------------------------
    def stand_at_camera_target(self) -> None:
        """Start where the overview looks, facing the way it faces."""
        x, y, _ = self.twin.camera.center
        self.stand(*self._free_spot(x, y), self.twin.camera.azimuth)

    def stand(self, x: float, y: float, heading: float, pitch: float = 0.0) -> None:
        self.preview.stand_at(x, y, heading, pitch)

    def _free_spot(self, x: float, y: float) -> tuple[float, float]:
        """(x, y), or the nearest point outside buildings within 60 m."""
        for r in (0.0, 3.0, 6.0, 10.0, 15.0, 25.0, 40.0, 60.0):
            for a in np.linspace(0, 2 * math.pi, 16 if r else 1, endpoint=False):
                px, py = x + r * math.cos(a), y + r * math.sin(a)
                if not self._blocked(px, py):
                    return px, py
        return x, y

    def _blocked(self, x: float, y: float) -> bool:
        """Whether a point is inside (or within half a metre of) a building."""
        import shapely

        city = self.twin.city
        if city is None or city.buildings is None or not len(city.buildings):
            return False
        if self._footprints is None or self._footprints[0] is not city:
            self._footprints = (city, shapely.STRtree(city.buildings.footprints))
        tree = self._footprints[1]
        near = tree.query(shapely.points(x, y).buffer(WALL_CLEARANCE_M), predicate="intersects")
        return len(near) > 0

    def walk(self, forward: float = 0.0, right: float = 0.0) -> bool:
        """Step on the ground; a step into a building is refused (returns False)."""
        pose = self.twin.street
        if pose is None:
            return False
        moved = pose.walked(forward, right)
        if self._blocked(moved.x, moved.y):
            return False
        self.stand(moved.x, moved.y, moved.heading, moved.pitch)
        return True

    def turn(self, d_heading: float = 0.0, d_pitch: float = 0.0) -> None:
        pose = self.twin.street
        if pose is not None:
            self.twin.street = pose.turned(d_heading, d_pitch)

    # -- events --------------------------------------------------------------------------------
    def _on_street(self, pose: StreetPose | None) -> None:
        if pose is None:
            return
        self.hud.setText("\n".join(self.preview.hud_lines))
        warnings = self.preview.content_warnings
        if len(warnings) > self._warned:  # a card image or model could not be read: say it once
            self._warned = len(warnings)
            self.window.statusBar().showMessage(f"AR content left out: {warnings[-1]}", 10_000)

    def _on_device(self, *_: object) -> None:
        self.preview.set_device(self.device.currentData(),
                                "portrait" if self.portrait.isChecked() else "landscape")

    def _on_evaluated(self, evaluation: object) -> None:
        self.preview.set_coverage(getattr(evaluation, "result", evaluation))
        self._on_street(self.twin.street)

    def _use_latest_result(self) -> None:
        results = getattr(getattr(self.window, "planning", None), "results", None) or []
        if results:
            self.preview.coverage = getattr(results[-1][1], "result", None)

    def _set_picking(self, on: bool) -> None:
        self._picking = on
        walks = getattr(self, "walks", None)
        if on and walks is not None:
            walks.finish_drawing()  # one map-click mode at a time

    def _over_picture(self, pos) -> bool:
        return pos is not None and self.preview.street.contains(tuple(pos[:2]))

    def _on_key(self, event) -> None:
        key = (event.key.name if event.key is not None else "").upper()
        moves = {"W": (STEP_M, 0.0), "S": (-STEP_M, 0.0), "A": (0.0, -STEP_M),
                 "D": (0.0, STEP_M)}
        if key in moves:
            self.walk(*moves[key])
            event.handled = True
        elif key in ("R", "F"):
            self.turn(0.0, TURN_DEG if key == "R" else -TURN_DEG)
            event.handled = True

    def _on_mouse_press(self, event) -> None:
        pos = tuple(event.pos[:2])
        viewer = self.preview.viewer_pixel()
        if (event.button == 1 and viewer is not None and not self._over_picture(pos)
                and math.dist(pos, viewer) <= VIEWER_GRAB_PX):
            self._moving_viewer = True  # drag the viewer on the overview, not the camera
            self.canvas.city_scene.box.camera.interactive = False
            event.handled = True
        elif self._picking and not self._over_picture(pos):
            ground = self.canvas.city_scene.ground_at(pos)
            if ground is not None:
                pose = self.twin.street
                heading = pose.heading if pose is not None else self.twin.camera.azimuth
                self.stand(*self._free_spot(ground[0], ground[1]), heading)
            self.pick_button.setChecked(False)
            event.handled = True
        elif self._over_picture(pos):
            self._drag_from = pos
            event.handled = True

    def _on_mouse_move(self, event) -> None:
        if self._moving_viewer and event.pos is not None:
            ground = self.canvas.city_scene.ground_at(tuple(event.pos[:2]))
            pose = self.twin.street
            if ground is not None and pose is not None and not self._blocked(*ground[:2]):
                self.stand(ground[0], ground[1], pose.heading, pose.pitch)
            event.handled = True
            return
        if self._drag_from is None or event.pos is None:
            return
        x, y = event.pos[:2]
        dx, dy = x - self._drag_from[0], y - self._drag_from[1]
        self._drag_from = (x, y)
        self.turn(-dx * MOUSE_DEG_PER_PX, dy * MOUSE_DEG_PER_PX)  # grab the world and drag it
        event.handled = True

    def _on_mouse_release(self, event) -> None:
        if self._moving_viewer:
            self._moving_viewer = False
            self.canvas.city_scene.box.camera.interactive = True
            event.handled = True
        if self._drag_from is not None:
            self._drag_from = None
            event.handled = True

    def close_view(self) -> None:
        self.walks.close_panel()
        self.twin.events.street.disconnect(self._on_street)
        for signal, slot in ((self.canvas.events.key_press, self._on_key),
                             (self.canvas.events.mouse_press, self._on_mouse_press),
                             (self.canvas.events.mouse_move, self._on_mouse_move),
                             (self.canvas.events.mouse_release, self._on_mouse_release)):
            signal.disconnect(slot)
        evaluated = getattr(getattr(self.window, "planning", None), "evaluated", None)
        if evaluated is not None:
            evaluated.disconnect(self._on_evaluated)
        self.preview.close()


def toggle_ar_view(window) -> QtArView | None:
    """Open the AR street view (picture beside the overview, controls in a dock) or close it."""
    view = getattr(window, "ar_view", None)
    if view is not None:
        dock = window.ar_dock
        window.ar_view = window.ar_dock = None  # before close(): it reports the dock hidden
        view.close_view()
        dock.close()
        dock.deleteLater()
        return None
    dock = QDockWidget("AR Street View", window)
    dock.setObjectName("dockARStreetView")
    # A floating dock would not carry the picture (that lives in the shared canvas).
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetClosable)
    view = QtArView(window, dock)
    dock.setWidget(view)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.ar_view, window.ar_dock = view, dock
    dock.visibilityChanged.connect(lambda shown: None if shown else _closed_by_user(window))
    return view


def _closed_by_user(window) -> None:
    dock = getattr(window, "ar_dock", None)
    if dock is not None and dock.isHidden() and not window.isHidden():
        toggle_ar_view(window)
