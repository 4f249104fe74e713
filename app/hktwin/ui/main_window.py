"""The main window: the 3D canvas in the centre, layer panel and inspector docked beside it."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QWidget,
)

from hktwin import __version__
from hktwin.core.errors import HKTwinError
from hktwin.feeds.store import FeedStore, default_store_path
from hktwin.geo.crs import to_wgs84
from hktwin.model import camera as cam
from hktwin.model.camera import VIEW_NAMES, CameraPose, named_views
from hktwin.model.layers import BuildingsLayer
from hktwin.model.live import FeedBinding, recorded_range
from hktwin.model.live_layers import LiveLayer, TrafficLayer
from hktwin.model.loading import LoadedCity
from hktwin.model.twin import Twin
from hktwin.render.scene import CityCanvas
from hktwin.render.snapshot import approximate_notice
from hktwin.ui.feed_status import QtFeedStatus
from hktwin.ui.history_chart import QtHistoryChart
from hktwin.ui.inspector import QtInspector
from hktwin.ui.layer_panel import QtLayerPanel
from hktwin.ui.loader import CityLoader
from hktwin.ui.planning import PlanningController, QtPlanningPanel
from hktwin.ui.time_bar import QtTimeBar

FLIGHT_SECONDS = 1.2
CLICK_TOLERANCE_PX = 4


class CameraFlight:
    """Animates the twin's camera from its pose to a target pose over a short time."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self.timer = QTimer()
        self.timer.setInterval(16)
        self.timer.timeout.connect(self._step)
        self._start: CameraPose | None = None
        self._target: CameraPose | None = None
        self._t0 = 0.0

    def fly_to(self, target: CameraPose) -> None:
        self._start, self._target, self._t0 = self.twin.camera, target, time.monotonic()
        self.timer.start()

    @property
    def active(self) -> bool:
        return self.timer.isActive()

    def _step(self) -> None:
        t = min((time.monotonic() - self._t0) / FLIGHT_SECONDS, 1.0)
        self.twin.camera = cam.interpolate(self._start, self._target, t)
        if t >= 1.0:
            self.timer.stop()


class MainWindow(QMainWindow):
    """HK Twin's window. Loading runs on a worker thread; the window responds from the start."""

    def __init__(self, twin: Twin | None = None, initial_view: str = "harbour") -> None:
        super().__init__()
        self.twin = twin or Twin()
        self.initial_view = initial_view
        self.setWindowTitle("HK Twin")
        self.resize(1440, 900)
        self.canvas = CityCanvas(self.twin, size=(1100, 800), app="pyside6", show=False)
        self.canvas.native.setObjectName("cityCanvas")
        self.canvas.native.setMinimumSize(320, 240)
        self.setCentralWidget(self.canvas.native)
        self.flight = CameraFlight(self.twin)
        self.loader: CityLoader | None = None
        self._press_pos: tuple[float, float] | None = None

        self.layer_panel = QtLayerPanel(self.twin.layers)
        self.inspector = QtInspector(self.twin)
        self.time_bar = QtTimeBar(self.twin.clock)
        self.history = QtHistoryChart(self.twin.clock)
        self.feed_status = QtFeedStatus()
        layers = self._dock("Layers", self.layer_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        inspector = self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("Time", self.time_bar, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.history_dock = self._dock("History", self.history,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        feeds = self._dock("Feeds", self.feed_status, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.planning = PlanningController(self.twin, self)
        self.planning_panel = QtPlanningPanel(self.planning)
        self.planning_dock = self._dock("Planning", self.planning_panel,
                                        Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(inspector, self.planning_dock)
        inspector.raise_()
        self.planning.status.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.planning.progress.connect(self._on_progress)
        self.planning.busy.connect(self._on_planning_busy)
        self.planning.scenario_changed.connect(self._watch_stack)
        self._dragging: str | None = None
        self._recovery_checked = False
        self._pending_live: LoadedCity | None = None
        self._last_move = None
        self._move_timer = QTimer(self)
        self._move_timer.setSingleShot(True)
        self._move_timer.setInterval(40)
        self._move_timer.timeout.connect(self._handle_mouse_move)
        self.tabifyDockWidget(layers, feeds)
        layers.raise_()
        self.resizeDocks([layers, inspector], [230, 330], Qt.Orientation.Horizontal)
        self.resizeDocks([inspector, self.history_dock], [420, 300], Qt.Orientation.Vertical)
        self.store: FeedStore | None = None
        self.binding: FeedBinding | None = None
        self.pollers: list = []
        self._build_status_bar()
        self._build_menus()

        self.canvas.events.mouse_move.connect(self._on_mouse_move)
        self.canvas.events.mouse_press.connect(self._on_mouse_press)
        self.canvas.events.mouse_release.connect(self._on_mouse_release)
        self.canvas.events.draw.connect(self._on_frame, position="last")

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock{title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # -- status bar --------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.cursor_label = QLabel("Move over the map to read positions")
        self.cursor_label.setObjectName("cursorLabel")
        self.frame_label = QLabel("frame: -")
        self.frame_label.setObjectName("frameLabel")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(260)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.notice_label = QLabel("")
        self.notice_label.setObjectName("noticeLabel")
        self.notice_label.setStyleSheet("color: #666;")
        bar.addWidget(self.cursor_label, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.notice_label)
        bar.addPermanentWidget(self.frame_label)

    def _on_frame(self, event: object) -> None:
        self.frame_label.setText(
            f"frame: {self.canvas.last_frame_ms:.0f} ms · {self.canvas.city_scene.n_faces:,} tris"
        )

    # -- menus and shortcuts -----------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut: str | QKeySequence | None = None):
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)  # shortcuts work while the canvas has focus too
        return action

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file = menus.addMenu("&File")
        self._action(file, "&Open Data Pack...", self.choose_pack, "Ctrl+Shift+O")
        self._action(file, "&Import Data...", self.import_data, "Ctrl+I")
        file.addSeparator()
        self._action(file, "&New Scenario", self.new_scenario, QKeySequence.StandardKey.New)
        self._action(file, "Open S&cenario...", self.open_scenario, QKeySequence.StandardKey.Open)
        self._action(file, "&Save Scenario", self.save_scenario, QKeySequence.StandardKey.Save)
        self._action(file, "Save Scenario &As...", lambda: self.save_scenario(ask=True),
                     QKeySequence.StandardKey.SaveAs)
        self._action(file, "Export &Report...", self.export_report, "Ctrl+E")
        file.addSeparator()
        self._action(file, "Save &Snapshot...", self.save_snapshot, "Ctrl+Shift+S")
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit = menus.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", lambda: self.planning.stack.undo(),
                                        QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(edit, "&Redo", lambda: self.planning.stack.redo(),
                                        QKeySequence.StandardKey.Redo)
        self._action(edit, "&Delete Site", lambda: self.planning_panel.delete_selected(),
                     QKeySequence.StandardKey.Delete)
        self._action(edit, "Stop Placing", self.planning_panel.stop_placing, "Esc")
        self._watch_stack()

        view = menus.addMenu("&View")
        self._action(view, "&Home (Victoria Harbour)", lambda: self.fly_to("harbour"), "H")
        for i, name in enumerate(VIEW_NAMES, start=1):
            self._action(view, f"{name.capitalize()} view", lambda _=False, n=name: self.fly_to(n),
                         str(i))
        view.addSeparator()
        moves = (
            ("Pan left", "Left", lambda p: cam.pan(p, -0.15, 0)),
            ("Pan right", "Right", lambda p: cam.pan(p, 0.15, 0)),
            ("Pan forward", "Up", lambda p: cam.pan(p, 0, 0.15)),
            ("Pan back", "Down", lambda p: cam.pan(p, 0, -0.15)),
            ("Zoom in", "+", lambda p: cam.zoom(p, 0.8)),
            ("Zoom in", "=", lambda p: cam.zoom(p, 0.8)),
            ("Zoom out", "-", lambda p: cam.zoom(p, 1.25)),
            ("Turn left", "Q", lambda p: cam.orbit(p, -10)),
            ("Turn right", "E", lambda p: cam.orbit(p, 10)),
            ("Tilt up", "PgUp", lambda p: cam.orbit(p, 0, 5)),
            ("Tilt down", "PgDown", lambda p: cam.orbit(p, 0, -5)),
        )
        for text, key, move in moves:
            self._action(view, f"{text}\t{key}", lambda _=False, m=move: self._move_camera(m), key)
        view.addSeparator()
        self._action(view, "&Full Screen", self.toggle_full_screen,
                     QKeySequence.StandardKey.FullScreen)

        feeds = menus.addMenu("F&eeds")
        self.live_action = self._action(feeds, "Poll the official feeds (&live)", self.go_live)
        self._action(feeds, "&Stop polling", self.stop_polling)
        color_by = self._action(feeds, "Colour traffic by TD &saturation level",
                                self._toggle_saturation)
        color_by.setCheckable(True)

        help_menu = menus.addMenu("&Help")
        self._action(help_menu, "&About HK Twin", self.about)

    def _move_camera(self, move) -> None:
        self.flight.timer.stop()
        self.twin.camera = move(self.twin.camera)

    def fly_to(self, view: str) -> None:
        self.flight.fly_to(named_views()[view])

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    # -- loading -----------------------------------------------------------------------------
    def load_pack(self, pack: Path | None) -> None:
        """Load a pack (the demo city when None) in the background, replacing the current one."""
        if self.loader is not None and self.loader.isRunning():
            return
        self.progress.setValue(0)
        self.progress.show()
        self.loader = CityLoader(pack, self)
        self.loader.progress.connect(self._on_progress)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.loader.start()

    def import_data(self) -> None:
        """File > Import: official files into a data pack, then open it."""
        from hktwin.ui.import_dialog import QtImportDialog

        current = self.twin.city.path if self.twin.city is not None else None
        default = None if current is None or self.twin.city.approximate else current
        dialog = QtImportDialog(self, default)
        dialog.imported.connect(self.load_pack)
        dialog.open()

    def choose_pack(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open an HK Twin data pack")
        if folder:
            self.load_pack(Path(folder))

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress.setFormat(f"{message} %p%")

    def _on_loaded(self, loaded: LoadedCity) -> None:
        self.stop_polling()
        if self.binding is not None:
            self.binding.close()
            self.binding = None
        self.history.clear()
        self.twin.selection = None
        self.twin.layers.clear()
        self.twin.city = loaded.city
        self.twin.go_to(self.initial_view)
        self.twin.layers.extend(loaded.layers)
        # The city is drawn first; live and planning layers join right after that first frame,
        # so the planner sees Hong Kong as early as possible.
        self._pending_live = loaded
        self.canvas.events.draw.connect(self._after_first_frame, position="last")
        self.canvas.update()
        notice = ""
        if loaded.city.approximate:
            notice = "Approximate demo city · import official data for planning (see README)"
        self.notice_label.setText(notice)
        self.canvas.set_notice(approximate_notice(loaded.city.name) if loaded.city.approximate
                               else "")
        self.setWindowTitle(f"HK Twin - {loaded.city.name}")
        self.progress.hide()
        self.statusBar().showMessage(
            f"Loaded {loaded.city.name}" + (" (meshes from cache)" if loaded.meshes_from_cache
                                            else ""), 5000)

    def _after_first_frame(self, event: object = None) -> None:
        self.canvas.events.draw.disconnect(self._after_first_frame)
        QTimer.singleShot(0, self._add_live_layers)

    def _add_live_layers(self) -> None:
        loaded, self._pending_live = self._pending_live, None
        if loaded is None or loaded.city is not self.twin.city:
            return  # another pack was opened meanwhile
        self.twin.layers.extend(loaded.live_layers)
        if not self._recovery_checked:
            self._recovery_checked = True
            self.planning.recover()  # after a crash, the planner's work comes back
        self.twin.layers.append(self.planning.sites_layer)
        self._bind_feeds(loaded)

    def _bind_feeds(self, loaded: LoadedCity) -> None:
        """Show the pack's recorded feeds (clock at the recording's morning rush hour)."""
        self.store = loaded.store or FeedStore(default_store_path())
        clock = self.twin.clock
        start, end = recorded_range(self.store, loaded.live_layers)
        clock.set_range(start, end)
        if start is not None:
            clock.seek(min(start + timedelta(hours=8), end))
        self.binding = FeedBinding(self.store, clock, loaded.live_layers)

    def go_live(self) -> None:
        """Poll the official feeds into the store and follow them (needs the internet)."""
        if self.store is None or self.pollers:
            return
        from hktwin.feeds.poller import Poller
        from hktwin.feeds.sources import get_source

        for layer_source in sorted({la.source for la in self.twin.layers
                                    if isinstance(la, LiveLayer)}):
            poller = Poller(get_source(layer_source), self.store,
                            on_state=self.feed_status.relay.state.emit)
            poller.start()
            self.pollers.append(poller)
        clock = self.twin.clock
        clock.set_range(clock.start, None)
        clock.go_live()

    def stop_polling(self) -> None:
        for poller in self.pollers:
            poller.stop(timeout_s=0.5)
        self.pollers = []

    def _toggle_saturation(self, on: bool) -> None:
        for layer in self.twin.layers:
            if isinstance(layer, TrafficLayer):
                layer.color_by = "saturation" if on else "speed"

    def _on_failed(self, message: str) -> None:
        """Tell the user without blocking; whatever was open stays open."""
        self.progress.hide()
        box = QMessageBox(QMessageBox.Icon.Warning, "Cannot open the data pack", message,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("loadErrorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.statusBar().showMessage(f"Loading failed: {message}")

    # -- mouse: position readout and picking ---------------------------------------------------
    def _on_mouse_move(self, event) -> None:
        """Mouse moves arrive far faster than ray casts are worth: handle the newest one at most
        every 40 ms (importing superqt's throttle would cost the start-up ~0.25 s)."""
        self._last_move = event
        if not self._move_timer.isActive():
            self._move_timer.start()

    def _handle_mouse_move(self) -> None:
        event = self._last_move
        if self.twin.city is None or event.pos is None:
            return
        if self._dragging is not None:
            self._on_mouse_drag(event)
            return
        ground = self.canvas.city_scene.ground_at(tuple(event.pos[:2]))
        if ground is None:
            self.cursor_label.setText("Sky")
            return
        x, y, z = ground
        lon, lat = to_wgs84(x, y)
        self.cursor_label.setText(
            f"HK1980 E {x:,.1f} N {y:,.1f}  ·  WGS84 {float(lat):.5f}°N "
            f"{float(lon):.5f}°E  ·  ground {z:,.1f} m"
        )

    def _on_mouse_press(self, event) -> None:
        self._press_pos = tuple(event.pos[:2])
        if event.button == 1 and self.twin.city is not None:
            site = self.canvas.city_scene.pick_site(self._press_pos)
            if site is not None:  # drag the site, not the camera
                self._dragging = site
                self.planning.editor.select(site)
                self.canvas.view.camera.interactive = False

    def _on_mouse_drag(self, event) -> None:
        if self._dragging is None or event.pos is None:
            return
        surface = self.canvas.city_scene.surface_at(tuple(event.pos[:2]))
        if surface is not None:
            self.planning.drag_to(self._dragging, surface)

    def _on_mouse_release(self, event) -> None:
        if self._dragging is not None:
            self._dragging = None
            self.planning.end_drag()
            self.canvas.view.camera.interactive = True
            self._press_pos = None
            return
        if self._press_pos is None or event.button != 1:
            return
        dx = event.pos[0] - self._press_pos[0]
        dy = event.pos[1] - self._press_pos[1]
        self._press_pos = None
        if dx * dx + dy * dy <= CLICK_TOLERANCE_PX**2:
            self.pick_at((event.pos[0], event.pos[1]))

    def pick_at(self, pos: tuple[float, float]) -> None:
        """Place a site when placing; else select the site, live feature (link, station) or
        building under a canvas pixel, or clear the selection."""
        scene_ = self.canvas.city_scene
        if self.planning.place_kind is not None:
            surface = scene_.surface_at(pos)
            if surface is not None:
                self.planning.place_at(surface)
            return
        site = scene_.pick_site(pos)
        if site is not None:
            self.planning.editor.select(site)
            self.planning_dock.raise_()
            return
        live = self.canvas.city_scene.pick_live(pos)
        if live is not None:
            self._select_live(*live)
            return
        hit = self.canvas.city_scene.pick(pos)
        for layer in self.twin.layers:
            if isinstance(layer, BuildingsLayer) and (hit is None or layer is not hit[0]):
                layer.selected = None
        if hit is None:
            self.twin.selection = None
            return
        layer, building_id = hit
        info = layer.buildings.describe(building_id)
        lon, lat = to_wgs84(info["easting"], info["northing"])
        info.update(lon=float(lon), lat=float(lat))
        layer.selected = building_id
        self.twin.selection = info
        self.statusBar().showMessage(f"Selected {info['name']}", 4000)

    def _select_live(self, layer: LiveLayer, index: int) -> None:
        for other in self.twin.layers.of_type(BuildingsLayer):
            other.selected = None
        info = layer.describe(index)
        self.twin.selection = info
        if self.store is not None:
            self.history.show_series(self.store, layer.source, info["key"], info["name"],
                                     info.get("unit", ""))
            self.history_dock.raise_()
        self.statusBar().showMessage(f"Selected {info['name']}", 4000)

    # -- scenarios -------------------------------------------------------------------------------
    def _watch_stack(self, *_: object) -> None:
        stack = self.planning.stack
        for signal in (stack.events.can_undo, stack.events.can_redo, stack.events.clean):
            signal.connect(self._update_edit_actions)
        self._update_edit_actions()

    def _update_edit_actions(self, *_: object) -> None:
        stack = self.planning.stack
        self.undo_action.setEnabled(stack.can_undo)
        self.redo_action.setEnabled(stack.can_redo)
        self.undo_action.setText(f"&Undo {stack.undo_text}".strip())
        self.redo_action.setText(f"&Redo {stack.redo_text}".strip())
        name = self.planning.scenario.name + ("" if stack.clean else " *")
        city = self.twin.city.name if self.twin.city is not None else ""
        self.setWindowTitle(f"HK Twin - {name}" + (f" - {city}" if city else ""))

    def new_scenario(self) -> None:
        from hktwin.model.scenario import Scenario

        self.planning.set_scenario(Scenario(), None)

    def open_scenario(self, path: Path | None = None) -> None:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Open a scenario", "",
                                                    "HK Twin scenarios (*.hktwin.json *.json)")
            if not chosen:
                return
            path = Path(chosen)
        try:
            self.planning.open(Path(path))
        except HKTwinError as exc:
            self._warn("Cannot open the scenario", str(exc))

    def save_scenario(self, ask: bool = False) -> None:
        path = self.planning.path
        if ask or path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, "Save the scenario",
                                                    "scenario.hktwin.json",
                                                    "HK Twin scenarios (*.hktwin.json)")
            if not chosen:
                return
            path = Path(chosen)
        try:
            self.planning.save(path)
        except (HKTwinError, OSError) as exc:
            self._warn("Cannot save the scenario", f"{exc}. Your work is kept in the window "
                       "and in the autosave copy.")
        self._update_edit_actions()

    def export_report(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the report to a folder")
        if folder:
            self.planning.export(Path(folder))

    def _on_planning_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        if busy:
            self.progress.setValue(0)

    def _warn(self, title: str, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                          self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- other actions -----------------------------------------------------------------------
    def save_snapshot(self) -> None:
        from hktwin.render.snapshot import write_png

        path, _ = QFileDialog.getSaveFileName(self, "Save snapshot", "hktwin.png", "PNG (*.png)")
        if path:
            write_png(path, self.canvas.render())
            self.statusBar().showMessage(f"Saved {path}", 5000)

    def about(self) -> None:
        QMessageBox.about(
            self, "About HK Twin",
            f"<b>HK Twin {__version__}</b><p>A 3D digital twin of Hong Kong for planning 5G small "
            "cells, AR anchors and sensors.</p><p>The bundled city is an <i>approximate demo</i> "
            "built from public facts (GSHHG coastline, published summit and tower heights, a "
            "generated building stock). Import official Lands Department data for planning.</p>",
        )

    def closeEvent(self, event) -> None:
        if self.loader is not None and self.loader.isRunning():
            self.loader.wait(10_000)
        self.stop_polling()
        self.flight.timer.stop()
        super().closeEvent(event)
