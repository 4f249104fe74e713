"""The main window: the 3D canvas in the centre, docks around it, menus, and event forwarding.

Everything the window shows lives in a `hktwin.session.session.Session` (`window.session`):
the twin, the scenario with undo, results, feeds, tasks and views. The window builds its docks
and menus from lists of contributions (`ui.contributions`: the app's own first, then what
plugins added), forwards canvas and menu events to the session, and shows what the session
reports. Dialogs (choosing a file or a folder) are the only decisions taken here.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
)

from hktwin import __version__
from hktwin.core.errors import HKTwinError
from hktwin.geo.crs import to_wgs84
from hktwin.model import camera as cam
from hktwin.model.camera import VIEW_NAMES, CameraPose
from hktwin.model.layers import BuildingsLayer
from hktwin.model.loading import LoadedCity
from hktwin.model.twin import Twin
from hktwin.render.scene import CityCanvas
from hktwin.render.snapshot import city_notice
from hktwin.session.session import LOAD_TASK, Session
from hktwin.session.tasks import Task
from hktwin.ui.contributions import (
    MENUS,
    DockContribution,
    MenuCommand,
    contributed_docks,
    contributed_menu_commands,
    plugin_contributions,
)
from hktwin.ui.tasks import QtLauncher

FLIGHT_SECONDS = 1.2
CLICK_TOLERANCE_PX = 4
AUTOSAVE_MS = 30_000
#: Tasks that show in the status bar's progress bar (previews run quietly while dragging).
SHOWN_TASKS = frozenset({LOAD_TASK, "evaluate", "export", "suggest"})
PROGRESS_EVERY_S = 0.2

_AREAS = {"left": Qt.DockWidgetArea.LeftDockWidgetArea,
          "right": Qt.DockWidgetArea.RightDockWidgetArea,
          "bottom": Qt.DockWidgetArea.BottomDockWidgetArea,
          "top": Qt.DockWidgetArea.TopDockWidgetArea}


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


# -- the window's own docks and menus, declared like any contribution ---------------------------

def _layer_panel(session, parent):
    from hktwin.ui.layer_panel import QtLayerPanel

    return QtLayerPanel(session.twin.layers, parent)


def _inspector(session, parent):
    from hktwin.ui.inspector import QtInspector

    return QtInspector(session.twin, parent)


def _time_bar(session, parent):
    from hktwin.ui.time_bar import QtTimeBar

    return QtTimeBar(session.twin.clock, parent)


def _history(session, parent):
    from hktwin.ui.history_chart import QtHistoryChart

    chart = QtHistoryChart(session.twin.clock, parent)
    # issue 11: the chart draws the traffic forecast and its band after the last reading.
    chart.forecaster_of = lambda: getattr(session.feeds.binding, "forecaster", None)
    return chart


def _feed_status(session, parent):
    from hktwin.ui.feed_status import QtFeedStatus

    return QtFeedStatus(session.feeds, parent)


def _planning_panel(session, parent):
    from hktwin.ui.planning import QtPlanningPanel

    return QtPlanningPanel(session.planning, parent)


#: The window's own docks; `name` is the window attribute the widget is kept under.
BUILTIN_DOCKS: tuple[DockContribution, ...] = (
    DockContribution("Layers", _layer_panel, "left", name="layer_panel"),
    DockContribution("Inspector", _inspector, "right", name="inspector"),
    DockContribution("Time", _time_bar, "bottom", name="time_bar"),
    DockContribution("History", _history, "right", name="history"),
    DockContribution("Feeds", _feed_status, "left", tabify_with="Layers", name="feed_status"),
    DockContribution("Planning", _planning_panel, "right", tabify_with="Inspector",
                     name="planning_panel"),
)

_MOVES = (
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


def _add_keyframe_here(window) -> None:
    from hktwin.ui.tour_player import add_keyframe_here

    add_keyframe_here(window)


def _play_tour(window) -> None:
    from hktwin.ui.tour_player import play_tour_here

    play_tour_here(window)


def _save_tour(window) -> None:
    from hktwin.ui.tour_player import save_tour_dialog

    save_tour_dialog(window)


def _capture_view(window) -> None:
    from hktwin.ui.capture import capture_view_dialog

    capture_view_dialog(window)


def _record_view(window) -> None:
    from hktwin.ui.capture import record_view_dialog

    record_view_dialog(window)


def _toggle_ar_view(window) -> None:  # helper C: the AR street view (ui.ar_view)
    from hktwin.ui.ar_view import toggle_ar_view

    toggle_ar_view(window)


def _walk(action: str):  # walks (ui.walk_panel, ui.walk_report)
    def run(window) -> None:
        from hktwin.ui import walk_panel

        {"open": walk_panel.open_walk, "save": walk_panel.save_walk,
         "report": walk_panel.open_walk_report}[action](window)

    return run


def builtin_menu_commands() -> list[MenuCommand]:
    """The window's own menu entries, in order."""
    f, e, v, fe, h = MENUS
    cmds = [
        MenuCommand(f, "&Open Data Pack...", lambda w: w.choose_pack(), "Ctrl+Shift+O",
                    section="pack"),
        MenuCommand(f, "&Import Data...", lambda w: w.import_data(), "Ctrl+I", section="pack"),
        MenuCommand(f, "&New Scenario", lambda w: w.session.planning.new(), "New",
                    section="scenario"),
        MenuCommand(f, "Open S&cenario...", lambda w: w.open_scenario(), "Open",
                    section="scenario"),
        MenuCommand(f, "&Save Scenario", lambda w: w.save_scenario(), "Save",
                    section="scenario"),
        MenuCommand(f, "Save Scenario &As...", lambda w: w.save_scenario(ask=True), "SaveAs",
                    section="scenario"),
        MenuCommand(f, "Export &Report...", lambda w: w.export_report(), "Ctrl+E",
                    section="scenario"),
        MenuCommand(f, "Save &Snapshot...", lambda w: w.save_snapshot(), "Ctrl+Shift+S",
                    section="snapshot"),
        MenuCommand(f, "&Quit", lambda w: w.close(), "Quit", section="quit"),
        MenuCommand(e, "&Undo", lambda w: w.session.planning.stack.undo(), "Undo", name="undo"),
        MenuCommand(e, "&Redo", lambda w: w.session.planning.stack.redo(), "Redo", name="redo"),
        MenuCommand(e, "&Delete Site", lambda w: w.session.planning.delete_selected(),
                    "Delete"),
        MenuCommand(e, "Stop Placing", lambda w: w.planning_panel.stop_placing(), "Esc"),
        MenuCommand(v, "&Home (Victoria Harbour)", lambda w: w.fly_to("harbour"), "H",
                    section="views"),
    ]
    for i, view in enumerate(VIEW_NAMES, start=1):
        cmds.append(MenuCommand(v, f"{view.capitalize()} view",
                                lambda w, n=view: w.fly_to(n), str(i), section="views"))
    for text, key, move in _MOVES:
        cmds.append(MenuCommand(v, f"{text}\t{key}", lambda w, m=move: w.move_camera(m), key,
                                section="moves"))
    cmds += [
        MenuCommand(v, "&Full Screen", lambda w: w.toggle_full_screen(), "FullScreen",
                    section="screen"),
        MenuCommand(v, "&Play Tour", _play_tour, "Ctrl+Shift+T", section="tour",
                    name="play_tour"),
        MenuCommand(v, "Add &Keyframe Here", _add_keyframe_here, "Ctrl+K", section="tour",
                    name="add_keyframe"),
        MenuCommand(v, "Save &Tour...", _save_tour, section="tour"),
        MenuCommand(v, "&Capture View...", _capture_view, section="tour"),
        MenuCommand(v, "&Record View...", _record_view, section="tour"),
        MenuCommand(v, "&AR Street View", _toggle_ar_view, "Ctrl+Shift+A", section="ar",
                    name="ar_view"),  # helper C
        MenuCommand(v, "Open &Walk...", _walk("open"), section="ar", name="open_walk"),
        MenuCommand(v, "Save Wa&lk...", _walk("save"), section="ar", name="save_walk"),
        MenuCommand(v, "Walk &Report", _walk("report"), section="ar", name="walk_report"),
        MenuCommand(fe, "Poll the official feeds (&live)", lambda w: w.session.go_live(),
                    name="live"),
        MenuCommand(fe, "&Stop polling", lambda w: w.session.feeds.stop()),
        MenuCommand(fe, "Colour traffic by TD &saturation level",
                    lambda w: w.session.color_traffic_by(
                        "saturation" if w.actions["saturation"].isChecked() else "speed"),
                    checkable=True, name="saturation"),
        MenuCommand(h, "&About HK Twin", lambda w: w.about()),
    ]
    return cmds


def _key(shortcut: str) -> QKeySequence:
    standard = getattr(QKeySequence.StandardKey, shortcut, None)
    return QKeySequence(standard) if standard is not None else QKeySequence(shortcut)


class MainWindow(QMainWindow):
    """HK Twin's window over a session (a new one when none is given)."""

    def __init__(self, twin: Twin | None = None, initial_view: str = "harbour", *,
                 session: Session | None = None) -> None:
        super().__init__()
        self.launcher = QtLauncher(self)
        self.session = session or Session(twin, launcher=self.launcher,
                                          initial_view=initial_view)
        if session is not None:
            self.session.tasks.launcher = self.launcher
        self.twin = self.session.twin
        self.planning = self.session.planning
        self.setWindowTitle("HK Twin")
        self.resize(1440, 900)
        self.canvas = CityCanvas(self.twin, size=(1100, 800), app="pyside6", show=False)
        self.canvas.native.setObjectName("cityCanvas")
        self.canvas.native.setMinimumSize(320, 240)
        self.setCentralWidget(self.canvas.native)
        self.flight = CameraFlight(self.twin)
        self.docks: dict[str, QDockWidget] = {}
        self.actions: dict[str, QAction] = {}
        self._menus: dict[str, QMenu] = {}
        self._sections: dict[str, str] = {}
        self._press_pos: tuple[float, float] | None = None
        self._dragging: str | None = None
        self._last_move = None
        self._move_timer = QTimer(self)
        self._move_timer.setSingleShot(True)
        self._move_timer.setInterval(40)
        self._move_timer.timeout.connect(self._handle_mouse_move)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(lambda: self.session.planning.autosave())
        self.autosave_timer.start()

        self._build_status_bar()
        plugin_docks, plugin_menus = plugin_contributions()
        for dock in (*BUILTIN_DOCKS, *contributed_docks(), *plugin_docks):
            self.add_dock(dock)
        self.history_dock = self.docks["History"]
        self.planning_dock = self.docks["Planning"]
        self.docks["Inspector"].raise_()
        self.docks["Layers"].raise_()
        self.resizeDocks([self.docks["Layers"], self.docks["Inspector"]], [230, 330],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["Inspector"], self.history_dock], [420, 300],
                         Qt.Orientation.Vertical)
        for command in (*builtin_menu_commands(), *contributed_menu_commands(), *plugin_menus):
            self.add_menu_command(command)
        self.undo_action, self.redo_action = self.actions["undo"], self.actions["redo"]
        self.live_action = self.actions["live"]

        self._connect_session()
        self.canvas.events.mouse_move.connect(self._on_mouse_move)
        self.canvas.events.mouse_press.connect(self._on_mouse_press)
        self.canvas.events.mouse_release.connect(self._on_mouse_release)
        self.canvas.events.draw.connect(self._on_frame, position="last")

    # -- building from contributions -----------------------------------------------------------
    def add_dock(self, contribution: DockContribution) -> QDockWidget | None:
        """Add a dock widget from a contribution (`widget(session, parent)`); a plugin's dock
        that fails to build is left out (the plugin is disabled and named)."""
        dock = QDockWidget(contribution.title, self)
        dock.setObjectName(f"dock{contribution.title}")
        try:
            widget = contribution.widget(self.session, dock)
        except HKTwinError as exc:
            if not contribution.plugin:
                raise
            dock.deleteLater()
            self._show_status(str(exc))
            return None
        dock.setWidget(widget)
        self.addDockWidget(_AREAS.get(contribution.area, _AREAS["right"]), dock)
        partner = self.docks.get(contribution.tabify_with or "")
        if partner is None and contribution.plugin:  # a plugin's dock joins a tab group, so
            partner = next((self.docks[c.title] for c in BUILTIN_DOCKS  # the city keeps
                            if c.area == contribution.area and c.title in self.docks), None)
        if partner is not None:
            self.tabifyDockWidget(partner, dock)
        self.docks[contribution.title] = dock
        if contribution.name and not hasattr(self, contribution.name):
            setattr(self, contribution.name, widget)
        return dock

    def add_menu_command(self, command: MenuCommand) -> QAction:
        """Add a menu entry from a contribution (`run(window)`)."""
        menu = self._menus.get(command.menu)
        if menu is None:
            menu = self._menu(command.menu)
        elif command.section != self._sections.get(command.menu, command.section):
            menu.addSeparator()
        self._sections[command.menu] = command.section
        action = QAction(command.title, self)
        if command.shortcut:
            action.setShortcut(_key(command.shortcut))
        action.setCheckable(command.checkable)
        action.triggered.connect(lambda _=False, c=command: self._run(c))
        menu.addAction(action)
        self.addAction(action)  # shortcuts work while the canvas has focus too
        if command.name:
            self.actions[command.name] = action
        return action

    def _run(self, command: MenuCommand) -> None:
        try:
            command.run(self)
        except HKTwinError as exc:  # a plugin's command failed: it is named and disabled
            if not command.plugin:
                raise
            self._show_status(str(exc))

    def _menu(self, title: str) -> QMenu:
        """A new menu: in the order commands arrive, contributed ones before Help."""
        help_menu = self._menus.get("&Help")
        if help_menu is not None and title != "&Help":
            menu = QMenu(title, self)
            self.menuBar().insertMenu(help_menu.menuAction(), menu)
        else:
            menu = self.menuBar().addMenu(title)
        self._menus[title] = menu
        return menu

    # -- what the session reports --------------------------------------------------------------
    def _connect_session(self) -> None:
        s = self.session
        s.status.connect(self._show_status)
        s.planning.status.connect(self._show_status)
        s.city_opened.connect(self._on_city_opened)
        s.load_failed.connect(self._on_failed)
        s.tasks.started.connect(self._on_task_started)
        s.tasks.progressed.connect(self._on_task_progress)
        s.tasks.finished.connect(self._on_task_finished)
        s.planning.scenario_changed.connect(self._watch_stack)
        s.feeds.state_changed.connect(self.feed_status.relay.state.emit)  # to the GUI thread
        s.twin.events.selection.connect(self._on_selection)
        self._watch_stack()

    def _on_selection(self, selection) -> None:
        # The chart follows the selection: a building, a site or nothing leaves it empty.
        if selection is None or selection.kind != "live":
            self.history.clear()

    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 6000)

    def _on_task_started(self, task: Task) -> None:
        if task.name in SHOWN_TASKS:
            self._progress_shown_at = 0.0
            self.progress.setValue(0)
            self.progress.show()

    def _on_task_progress(self, task: Task, fraction: float, message: str) -> None:
        # Each repaint of the bar costs tens of ms beside the 3D canvas: five a second at most.
        now = time.monotonic()
        if task.name in SHOWN_TASKS and (now - self._progress_shown_at >= PROGRESS_EVERY_S
                                         or fraction >= 1.0):
            self._progress_shown_at = now
            self.progress.setValue(int(fraction * 1000))
            self.progress.setFormat(f"{message} %p%")

    def _on_task_finished(self, task: Task) -> None:
        if not any(self.session.tasks.running(name) for name in SHOWN_TASKS):
            self.progress.hide()

    def _on_city_opened(self, loaded: LoadedCity) -> None:
        approximate = loaded.city.approximate
        self.history.clear()
        self.notice_label.setText("Approximate demo city · import official data for planning "
                                  "(see README)" if approximate else "")
        if loaded.city.base is not None:  # a partial pack over the demo city (geo.compose)
            from hktwin.geo.compose import official_notice

            self.notice_label.setText(official_notice(loaded.city).capitalize())
        self.canvas.set_notice(city_notice(loaded.city))  # official inside, approximate out
        self._update_edit_actions()
        # The city is drawn first; live layers and sites join right after that first frame.
        self.canvas.events.draw.connect(self._after_first_frame, position="last")
        self.canvas.update()

    def _after_first_frame(self, event: object = None) -> None:
        self.canvas.events.draw.disconnect(self._after_first_frame)
        QTimer.singleShot(0, self.session.add_live_layers)

    def _on_failed(self, message: str) -> None:
        """Tell the user without blocking; whatever was open stays open."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Cannot open the data pack", message,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("loadErrorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _watch_stack(self, *_: object) -> None:
        stack = self.session.planning.stack
        for signal in (stack.events.can_undo, stack.events.can_redo, stack.events.clean):
            signal.connect(self._update_edit_actions)
        self._update_edit_actions()

    def _update_edit_actions(self, *_: object) -> None:
        planning = self.session.planning
        stack = planning.stack
        self.undo_action.setEnabled(stack.can_undo)
        self.redo_action.setEnabled(stack.can_redo)
        self.undo_action.setText(f"&Undo {stack.undo_text}".strip())
        self.redo_action.setText(f"&Redo {stack.redo_text}".strip())
        name = planning.scenario.name + ("" if stack.clean else " *")
        city = self.twin.city.name if self.twin.city is not None else ""
        self.setWindowTitle(f"HK Twin - {name}" + (f" - {city}" if city else ""))

    # -- status bar --------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.cursor_label = QLabel("Move over the map to read positions")
        self.cursor_label.setObjectName("cursorLabel")
        self.frame_label = QLabel("frame: -")
        self.frame_label.setObjectName("frameLabel")
        self.progress = QProgressBar()
        self._progress_shown_at = 0.0
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

    # -- menu actions: dialogs, then the session -------------------------------------------------
    def move_camera(self, move) -> None:
        self.flight.timer.stop()
        self.twin.camera = move(self.twin.camera)

    def fly_to(self, view: str) -> None:
        """Fly the overview to an orbit view; a street view becomes the street-level eye."""
        pose = self.session.pose(view)
        if isinstance(pose, CameraPose):
            self.flight.fly_to(pose)
        else:
            self.session.go_to(view)

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def load_pack(self, pack: Path | None) -> None:
        """Open a pack (the demo city when None) in the background, replacing the current one."""
        self.session.open_pack(pack, defer_live=True)

    def import_data(self) -> None:
        """File > Import: official files into a data pack, then open it."""
        from hktwin.ui.import_dialog import QtImportDialog

        city = self.twin.city
        default = None if city is None or city.approximate else city.path
        dialog = QtImportDialog(self, default)
        dialog.imported.connect(self.load_pack)
        dialog.open()

    def choose_pack(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open an HK Twin data pack")
        if folder:
            self.load_pack(Path(folder))

    def open_scenario(self, path: Path | None = None) -> None:
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(self, "Open a scenario", "",
                                                    "HK Twin scenarios (*.hktwin.json *.json)")
            if not chosen:
                return
            path = Path(chosen)
        try:
            self.session.planning.open(Path(path))
        except HKTwinError as exc:
            self._warn("Cannot open the scenario", str(exc))

    def save_scenario(self, ask: bool = False) -> None:
        planning = self.session.planning
        path = planning.path
        if ask or path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, "Save the scenario",
                                                    "scenario.hktwin.json",
                                                    "HK Twin scenarios (*.hktwin.json)")
            if not chosen:
                return
            path = Path(chosen)
        try:
            planning.save(path)
        except (HKTwinError, OSError) as exc:
            self._warn("Cannot save the scenario", f"{exc}. Your work is kept in the window "
                       "and in the autosave copy.")
        self._update_edit_actions()

    def export_report(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the report to a folder")
        if folder:  # written on the task thread: the PDF takes seconds
            self.session.planning.export_in_background(Path(folder))

    def save_snapshot(self) -> None:
        from hktwin.render.snapshot import write_png

        path, _ = QFileDialog.getSaveFileName(self, "Save snapshot", "hktwin.png", "PNG (*.png)")
        if path:
            write_png(path, self.canvas.render())
            self._show_status(f"Saved {path}")

    def about(self) -> None:
        QMessageBox.about(
            self, "About HK Twin",
            f"<b>HK Twin {__version__}</b><p>A 3D digital twin of Hong Kong for planning 5G small "
            "cells, AR anchors and sensors.</p><p>The bundled city is an <i>approximate demo</i> "
            "built from public facts (GSHHG coastline, published summit and tower heights, a "
            "generated building stock). Import official Lands Department data for planning.</p>",
        )

    def _warn(self, title: str, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok,
                          self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    # -- canvas events: read the scene under the mouse, hand the answer to the session -----------
    def _on_mouse_move(self, event) -> None:
        """Mouse moves arrive far faster than ray casts are worth: handle the newest one at most
        every 40 ms (importing superqt's throttle would cost the start-up ~0.25 s)."""
        self._last_move = event
        if not self._move_timer.isActive():
            self._move_timer.start()

    def _handle_mouse_move(self) -> None:
        event = self._last_move
        if self.twin.city is None or event is None or event.pos is None:
            return
        if self._dragging is not None:
            surface = self.canvas.city_scene.surface_at(tuple(event.pos[:2]))
            if surface is not None:
                self.session.planning.drag_to(self._dragging, surface)
            return
        ground = self.canvas.city_scene.ground_at(tuple(event.pos[:2]))
        if ground is None:
            self.cursor_label.setText("Sky")
            return
        x, y, z = ground
        lon, lat = to_wgs84(x, y)
        self.cursor_label.setText(
            f"HK1980 E {x:,.1f} N {y:,.1f}  ·  WGS84 {float(lat):.5f}°N "
            f"{float(lon):.5f}°E  ·  ground {round(z, 1) + 0.0:,.1f} m"  # never "-0.0 m"
        )

    def _on_mouse_press(self, event) -> None:
        self._press_pos = tuple(event.pos[:2])
        if self.canvas.view_at(self._press_pos) is not self.canvas.city_scene:
            self._press_pos = None  # helper C: a press in the AR picture is the AR view's
            return
        if event.button == 1 and self.twin.city is not None:
            site = self.canvas.city_scene.pick_site(self._press_pos)
            if site is not None:  # drag the site, not the camera
                self._dragging = site
                self.session.select_site(site)
                self.canvas.view.camera.interactive = False

    def _on_mouse_release(self, event) -> None:
        if self._dragging is not None:
            self._dragging = None
            self.session.planning.end_drag()
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
        planning = self.session.planning
        if planning.place_kind is not None:
            surface = scene_.surface_at(pos)
            if surface is not None:
                planning.place_at(surface)
            return
        site = scene_.pick_site(pos)
        if site is not None:
            self.session.select_site(site)
            self.planning_dock.raise_()
            return
        live = scene_.pick_live(pos)
        if live is not None:
            selection = self.session.select_live(*live)
            store = self.session.feeds.store
            if store is not None:
                self.history.show_series(store, live[0].source, selection.key,
                                         selection["name"], selection.info.get("unit", ""))
                self.history_dock.raise_()
            return
        hit = scene_.pick(pos)
        if hit is None or not isinstance(hit[0], BuildingsLayer):
            self.session.clear_selection()
            return
        self.session.select_building(*hit)

    def closeEvent(self, event) -> None:
        self.session.close(timeout_s=None)
        self.launcher.wait()
        self.flight.timer.stop()
        self.autosave_timer.stop()
        super().closeEvent(event)
