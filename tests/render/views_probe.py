"""Runs in a spawned child process (vispy's EGL backend; the GUI tests hold the Qt one):
draws a synthetic island in one and two views and reports what the tests check."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from packs import X0, Y0
from tests_helpers import count_uploaded_bytes

# Between two rows of towers of the tiny pack (towers at y0+1450 and y0+1540, 30 m deep),
# west of the first column (x0+400), looking east along the gap.
STREET = (X0 + 330.0, Y0 + 1495.0, 90.0)


def _count_index_bytes() -> dict:
    """Bytes sent to index buffers from now on: the views' culling lists of visible faces,
    which are not mesh data (the meshes draw without index buffers)."""
    from vispy.gloo import glir

    counts = {"bytes": 0}
    original = glir.GlirParser._parse

    def _parse(parser, command):
        if command[0] == "DATA" and isinstance(parser._objects.get(command[1]),
                                               glir.GlirIndexBuffer):
            counts["bytes"] += int(getattr(command[3], "nbytes", 0))
        return original(parser, command)

    glir.GlirParser._parse = _parse
    return counts


def probe(pack: str) -> dict:
    from hktwin.render.snapshot import select_headless_backend

    select_headless_backend()
    from hktwin.model.camera import CameraPose, street_pose_at
    from hktwin.model.layers import LinesLayer
    from hktwin.model.loading import load_city
    from hktwin.model.twin import Twin
    from hktwin.render.scene import CityCanvas

    counts = count_uploaded_bytes()
    index_bytes = _count_index_bytes()  # each view's culling index buffers (render.culling)
    loaded = load_city(Path(pack), cache=False)
    twin = Twin(city=loaded.city)
    twin.camera = CameraPose((X0 + 1000, Y0 + 1600, 0.0), 3000.0, 10.0, 35.0)
    twin.layers.extend(loaded.layers)
    x, y, heading = STREET
    terrain = loaded.city.terrain
    pose = street_pose_at(x, y, heading, 0.0, terrain=terrain)
    out: dict = {"pose": pose}

    start = counts["bytes"]
    canvas = CityCanvas(twin, size=(640, 320), show=False)
    canvas.render()
    out["one_view_bytes"] = counts["bytes"] - start
    start, start_index = counts["bytes"], index_bytes["bytes"]
    street = canvas.add_street_view(pose)
    two = canvas.render()
    out["second_view_index_bytes"] = index_bytes["bytes"] - start_index
    out["second_view_bytes"] = counts["bytes"] - start - out["second_view_index_bytes"]
    out["two_views"] = two
    out["street_box"] = (tuple(float(v) for v in street.box.pos),
                         tuple(float(v) for v in street.box.size))
    out["n_faces"] = (canvas.city_scene.n_faces, street.n_faces)

    start = counts["bytes"]
    alone = CityCanvas(twin, size=tuple(int(v) for v in street.box.size), show=False,
                       overview=False)
    alone_view = alone.add_street_view(pose)
    out["alone"] = alone.render()
    out["alone_bytes"] = counts["bytes"] - start

    # Looking level along the street: what lies ahead at eye height is mid-picture.
    ahead = np.array([[x + 200.0, y, pose.eye()[2]]])
    out["ahead_px"] = alone_view.project(ahead)[0]
    w, h = alone.size
    out["centre_hit"] = [(hit.kind, hit.item) for hit in alone_view.hits((w / 2, h / 2))]
    out["side_hit"] = [(hit.kind, hit.item) for hit in alone_view.hits((w * 0.08, h * 0.35))]
    alone_view.pose = pose.moved(pitch=30.0)
    out["ahead_px_pitched"] = alone_view.project(ahead)[0]
    out["pitched"] = alone.render()
    alone_view.pose = pose.moved(pitch=-30.0)
    out["down_hit"] = [(hit.kind, hit.item) for hit in alone_view.hits((w / 2, h - 2))]

    # The two-view canvas follows the model: a hidden layer leaves both views, a new one joins.
    twin.layers.get("Buildings").visible = False
    out["no_buildings"] = canvas.render()
    twin.layers.get("Buildings").visible = True
    line = np.array([[[x + 60.0, y - 40.0, pose.eye()[2]], [x + 60.0, y + 40.0, pose.eye()[2]]]],
                    np.float32)
    line[..., 0] -= twin.origin[0]
    line[..., 1] -= twin.origin[1]
    twin.layers.append(LinesLayer(name="Marker line", segments=line, color=(1.0, 0.0, 0.0),
                                  width=6.0))
    out["with_line"] = canvas.render()
    out["line_px"] = street.project(np.array([[x + 60.0, y, pose.eye()[2]]]))[0]
    canvas.remove_view(street)
    out["views_after_remove"] = len(canvas.views)
    return out


def probe_lod(pack: str) -> dict:
    """A level-of-detail city in two views: each view chooses its own detail."""
    from hktwin.render.snapshot import select_headless_backend

    select_headless_backend()
    from hktwin.model.camera import CameraPose, street_pose_at
    from hktwin.model.loading import load_city
    from hktwin.model.twin import Twin
    from hktwin.render.scene import CityCanvas

    loaded = load_city(Path(pack), cache=False, lod=True)
    twin = Twin(city=loaded.city)
    twin.camera = CameraPose((X0 + 2000, Y0 + 1500, 0.0), 6000.0, 0.0, 60.0)
    twin.layers.extend(loaded.layers)
    canvas = CityCanvas(twin, size=(640, 320), show=False)
    x, y, heading = STREET
    street = canvas.add_street_view(street_pose_at(x, y, heading, 0.0,
                                                   terrain=loaded.city.terrain))
    image = canvas.render()
    terrain = canvas.city_scene.adapter(twin.layers.get("Terrain"))
    buildings = canvas.city_scene.adapter(twin.layers.get("Buildings"))
    own_terrain = street.lod_copies.get(id(terrain.lod))
    own_buildings = street.lod_copies.get(id(buildings.lod))
    return {
        "image": image,
        "has_lod": terrain.lod is not None and buildings.lod is not None,
        "copies": own_terrain is not None and own_buildings is not None,
        "overview_levels": terrain.lod.keys[:, 0].tolist() if terrain.lod is not None else [],
        "street_levels": own_terrain.keys[:, 0].tolist() if own_terrain is not None else [],
        "street_building_faces": own_buildings.n_faces if own_buildings is not None else 0,
        "n_faces": (canvas.city_scene.n_faces, street.n_faces),
    }


def probe_walk(pack: str, out: str) -> dict:
    """Record a short walk up the gap between the towers to a GIF."""
    from hktwin.render.snapshot import select_headless_backend

    select_headless_backend()
    from hktwin.analysis.ar.walk import sample_path
    from hktwin.model.loading import load_city
    from hktwin.model.twin import Twin
    from hktwin.render.ar import ArPreview
    from hktwin.render.scene import CityCanvas

    loaded = load_city(Path(pack), cache=False)
    twin = Twin(city=loaded.city)
    twin.layers.extend(loaded.layers)
    canvas = CityCanvas(twin, size=(180, 320), show=False, overview=False)
    preview = ArPreview(canvas, framed=False)
    x, y, _ = STREET
    path = sample_path([(x, y), (x + 12.0, y)], speed_m_s=1.4, dt_s=2.0,
                       ground=loaded.city.terrain.height_at)
    steps = []
    written = preview.record_walk(path, out, progress=lambda f, m: steps.append(f))
    return {"path": str(written), "frames": len(path), "steps": steps,
            "end": (twin.street.x, twin.street.y)}
