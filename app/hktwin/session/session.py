"""The session: the open document and its services, no Qt.

One `Session` holds what the app works on: the `Twin` (city, layers, camera, clock, selection),
`planning` (the scenario with undo, evaluations, results, report), `feeds` (recorded and live
feeds with each source's state), `tasks` (the one task runner), `views` (named camera poses)
and `tour` (the demo tour, when one is loaded). The window, `hktwin` subcommands and tests drive
the same object; widgets show its values and send it edits, they never hold the only copy.

    session = Session()
    session.open_pack_now(None)             # the demo city, synchronously (headless)
    session.planning.editor.place("cell", 833_600.0, 816_100.0, 5.0)
    task = session.planning.evaluate()      # in the background
    task.wait()
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from psygnal import Signal

from hktwin.core.progress import sub_progress
from hktwin.model.layers import BuildingsLayer
from hktwin.model.live_layers import LiveLayer, TrafficLayer
from hktwin.model.loading import LoadedCity, load_city, load_live
from hktwin.model.twin import Selection, Twin
from hktwin.session.feeds import FeedService
from hktwin.session.planning import Planning
from hktwin.session.tasks import Launcher, Task, TaskRunner
from hktwin.session.views import Views
from hktwin.session.walks import Walk

log = logging.getLogger(__name__)

LOAD_TASK = "load"


class Session:
    """The open document and its services (see the module docstring)."""

    status = Signal(str)  # one line for a status bar or a terminal
    city_opened = Signal(object)  # LoadedCity: its city layers are in the twin
    live_added = Signal(object)  # LoadedCity: its live layers and the sites joined
    load_failed = Signal(str)  # the pack was refused; whatever was open stays open
    tour_changed = Signal(object)  # the Tour now loaded (or None)

    def __init__(self, twin: Twin | None = None, *, launcher: Launcher | None = None,
                 initial_view: str = "harbour") -> None:
        self.twin = twin or Twin()
        self.tasks = TaskRunner(launcher)
        self.planning = Planning(self.twin, self.tasks)
        self.feeds = FeedService(self.twin.clock)
        self.views = Views()
        self.walk = Walk()  # the walk drawn on the map (session.walks)
        self.initial_view = initial_view
        #: The demo tour (`model.tour.Tour`) when one is loaded; the tour player (window or
        #: `hktwin demo`) plays it over this session.
        self.tour: Any = None
        self._pending_live: LoadedCity | None = None
        self._recovery_checked = False
        self._watch_scenario(self.planning.scenario)
        self.planning.scenario_changed.connect(self._watch_scenario)
        if self.twin.city is not None and self.planning.sites_layer not in self.twin.layers:
            self.twin.layers.append(self.planning.sites_layer)  # a twin loaded elsewhere
        self._watch_plugins()

    # -- plugins -----------------------------------------------------------------------------
    def _watch_plugins(self) -> None:
        """Plugin failures become status lines, once each: those refused at start-up and any
        that fail later. One on a worker thread waits in `plugin_notices` until the next
        city is shown (on the caller's thread), so a window never hears it off its thread."""
        import threading
        import weakref

        from hktwin.plugins import on_failure, registry

        self.plugin_notices: list[str] = [
            f"Plugin '{p.name}' was not loaded: {p.error}" for p in registry().failures()
            if p.stage in ("manifest", "api")]
        main = threading.main_thread()
        me = weakref.ref(self)

        def tell(plugin) -> None:
            session = me()
            if session is None:
                return
            text = (f"Plugin '{plugin.name}' failed ({plugin.stage}) and is disabled: "
                    f"{plugin.error}")
            if threading.current_thread() is main:
                session.status.emit(text)
            else:
                session.plugin_notices.append(text)

        on_failure(tell)

    def _flush_plugin_notices(self) -> None:
        notices, self.plugin_notices = self.plugin_notices, []
        for text in notices:
            self.status.emit(text)

    # -- opening a city ----------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        return self.tasks.running(LOAD_TASK)

    def open_pack(self, pack: Path | None, *, defer_live: bool = False) -> Task | None:
        """Open a pack (the demo city when None) in the background, replacing the open one.

        With `defer_live` the live layers and the sites wait for `add_live_layers()` (the window
        calls it after the city's first frame, so Hong Kong shows as early as possible).
        Refused while another pack is loading (None).
        """

        def work(progress, cancel):
            loaded = load_city(pack, progress=sub_progress(progress, 0.0, 0.8))
            return load_live(loaded, progress=sub_progress(progress, 0.8, 1.0))

        return self.tasks.submit(LOAD_TASK, work,
                                 on_done=lambda loaded: self.show_city(loaded, defer_live),
                                 on_failed=self._on_load_failed)

    def open_pack_now(self, pack: Path | None = None) -> LoadedCity:
        """Open a pack in the caller's thread, live layers included (scripts and tests)."""
        loaded = load_live(load_city(pack))
        self.show_city(loaded)
        return loaded

    def _on_load_failed(self, message: str) -> None:
        self.status.emit(f"Loading failed: {message}")
        self.load_failed.emit(message)

    def show_city(self, loaded: LoadedCity, defer_live: bool = False) -> None:
        """Replace the open city by a loaded one (its city layers first); evaluations of the
        old city are cancelled (their results would not fit the new one)."""
        self.tasks.cancel("evaluate")
        self.tasks.cancel("preview")
        self.feeds.close()
        twin = self.twin
        twin.selection = None
        twin.layers.clear()
        twin.city = loaded.city
        if self.initial_view in self.views:
            from hktwin.model.camera import fitted

            twin.camera = fitted(self.views[self.initial_view], loaded.city)
        twin.layers.extend(loaded.layers)
        self._pending_live = loaded
        left_out = loaded.city.warnings
        self.status.emit(f"Loaded {loaded.city.name}" + (" (meshes from cache)"
                                                         if loaded.meshes_from_cache else "")
                         + (f"; left out: {'; '.join(left_out)}" if left_out else ""))
        self.city_opened.emit(loaded)
        self._flush_plugin_notices()
        if not defer_live:
            self.add_live_layers()

    def add_live_layers(self) -> None:
        """The pending city's live layers and the scenario's sites join; feeds are bound."""
        loaded, self._pending_live = self._pending_live, None
        if loaded is None or loaded.city is not self.twin.city:
            return  # another pack was opened meanwhile
        self.twin.layers.extend(loaded.live_layers)
        if not self._recovery_checked:
            self._recovery_checked = True
            self.planning.recover()  # after a crash, the planner's work comes back
        if self.planning.sites_layer not in self.twin.layers:
            self.twin.layers.append(self.planning.sites_layer)
        # plugins' live layers (from their layer factories) follow the clock and feeds too
        from_plugins = [la for la in loaded.layers if isinstance(la, LiveLayer)]
        self.feeds.bind(loaded.store, [*loaded.live_layers, *from_plugins])
        self.live_added.emit(loaded)

    # -- selection ---------------------------------------------------------------------------
    @property
    def selection(self) -> Selection | None:
        return self.twin.selection

    def clear_selection(self) -> None:
        for layer in self.twin.layers.of_type(BuildingsLayer):
            layer.selected = None
        self.twin.selection = None

    def select_building(self, layer: BuildingsLayer, building_id: int) -> Selection:
        """Select a building: its attributes with WGS84 coordinates for the inspector."""
        from hktwin.geo.crs import to_wgs84

        for other in self.twin.layers.of_type(BuildingsLayer):
            if other is not layer:
                other.selected = None
        info = dict(layer.buildings.describe(building_id))
        lon, lat = to_wgs84(info["easting"], info["northing"])
        info.update(lon=float(lon), lat=float(lat))
        layer.selected = building_id
        selection = Selection("building", layer.name, info.get("id", building_id), info)
        self.twin.selection = selection
        self.status.emit(f"Selected {info['name']}")
        return selection

    def select_live(self, layer: LiveLayer, index: int) -> Selection:
        """Select a live feature (a road link, a station) by its index in the layer."""
        for other in self.twin.layers.of_type(BuildingsLayer):
            other.selected = None
        info = dict(layer.describe(index))
        selection = Selection("live", layer.name, info.get("key"), info)
        self.twin.selection = selection
        self.status.emit(f"Selected {info['name']}")
        return selection

    def select_site(self, site_id: str | None) -> None:
        """Select a site of the scenario (None clears it); the selection follows."""
        self.planning.editor.select(site_id)

    def _watch_scenario(self, scenario) -> None:
        scenario.events.selected.connect(self._on_site_selected)

    def _on_site_selected(self, site_id: str | None) -> None:
        scenario = self.planning.scenario
        record = scenario.get(site_id) if site_id else None
        if record is None:
            if self.twin.selection is not None and self.twin.selection.kind == "site":
                self.twin.selection = None
            return
        for layer in self.twin.layers.of_type(BuildingsLayer):
            layer.selected = None
        info = {"name": record.name or record.id, "kind": scenario.kind_of(record.id),
                "height_m": record.height_m, "base_m": record.ground_m,
                "easting": record.x, "northing": record.y, "id": record.id}
        self.twin.selection = Selection("site", self.planning.sites_layer.name, record.id, info)

    # -- the demo tour -------------------------------------------------------------------------
    def load_tour(self, path: Path) -> Any:
        """Read and validate a tour file (a bad one raises `DataError`, the old tour stays)."""
        from hktwin.model.tour import load_tour

        self.set_tour(load_tour(path))
        return self.tour

    def set_tour(self, tour: Any) -> None:
        self.tour = tour
        self.tour_changed.emit(tour)

    # -- views and display -------------------------------------------------------------------
    def pose(self, view: str) -> object:
        """The pose of a named view (KeyError naming the views there are); a street pose
        stands on the open city's ground."""
        from hktwin.model.camera import StreetPose, fitted

        pose = fitted(self.views[view], self.twin.city)  # a partial pack: framed on its extent
        if isinstance(pose, StreetPose) and self.twin.city is not None:
            import math

            ground = float(self.twin.city.terrain.height_at(pose.x, pose.y))
            pose = pose.moved(ground=max(ground, 0.0) if math.isfinite(ground) else 0.0)
        return pose

    def go_to(self, view: str) -> None:
        """Jump to a named view: an orbit view moves the overview camera (the window animates
        the same change), a street view becomes the street-level eye (`twin.street`)."""
        from hktwin.model.camera import StreetPose

        pose = self.pose(view)
        if isinstance(pose, StreetPose):
            self.twin.street = pose
        else:
            self.twin.camera = pose

    def color_traffic_by(self, by: str) -> None:
        """Colour every traffic layer by "speed" or TD's "saturation" level."""
        for layer in self.twin.layers.of_type(TrafficLayer):
            layer.color_by = by

    def go_live(self) -> list[str]:
        """Poll the official feeds of the shown live layers (needs the internet), as often as
        the settings' `feed_polling.interval_s` asks (never faster than a source publishes)."""
        from hktwin.core import settings

        started = self.feeds.go_live(interval_s=settings.load().feed_polling.interval_s)
        if started:
            self.status.emit(f"Polling {', '.join(started)}")
        return started

    def close(self, timeout_s: float | None = 10.0) -> None:
        """Stop everything that runs: polling, previews, evaluations, waited for up to
        `timeout_s` (None: not waited; the window waits for its worker threads instead, since
        their completions need the event loop it is leaving)."""
        self.feeds.close()
        self.tasks.cancel()
        if timeout_s is not None:
            self.tasks.wait(timeout_s)
        self.planning.close()
