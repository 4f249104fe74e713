"""Runs in a spawned child process (vispy's EGL backend; the GUI tests hold the Qt one): renders
the demo city's street and two-view canvases with each view culling for its own camera and with
culling off, and reports the pictures' differences and what was left out."""

from __future__ import annotations

import numpy as np

#: The AR snapshot's spot in Central, then street corners around it (easting, northing,
#: heading, pitch): up and across streets, looking up and down.
POSES = [(834_025.0, 816_005.0, 90.0, 0.0), (834_025.0, 816_005.0, 15.0, 5.0),
         (833_676.0, 816_801.0, 353.0, -20.0), (832_533.0, 816_577.0, 12.0, 45.0),
         (834_965.0, 816_665.0, 218.0, 0.0), (833_456.0, 815_982.0, 320.0, 0.0)]


def _differs(a: np.ndarray, b: np.ndarray) -> int:
    """Pixels whose colour differs by more than 30 (of 765) between two renders."""
    return int((np.abs(a[..., :3].astype(int) - b[..., :3].astype(int)).sum(axis=2) > 30).sum())


def probe(what: str) -> dict:
    """`what`: "street" (a street view alone, at each of `POSES`) or "two" (beside the
    overview)."""
    from hktwin.render.snapshot import select_headless_backend

    select_headless_backend()
    from hktwin.model.camera import street_pose_at
    from hktwin.model.loading import load_city
    from hktwin.model.twin import Twin
    from hktwin.render.scene import CityCanvas

    loaded = load_city(None)
    twin = Twin(city=loaded.city)
    twin.go_to("harbour")
    twin.layers.extend(loaded.layers)
    terrain = loaded.city.terrain

    if what == "two":
        return _two(twin, terrain, CityCanvas, street_pose_at)
    out: dict = {"street": []}
    alone = CityCanvas(twin, size=(288, 480), show=False, overview=False)
    view = None
    for x, y, heading, pitch in POSES:
        pose = street_pose_at(x, y, heading, pitch, terrain=terrain)
        if view is None:
            view = alone.add_street_view(pose)
        else:
            view.pose = pose
        view.culler.enabled = True
        culled = alone.render()
        drawn, total = view.drawn_faces, view.n_faces
        view.culler.enabled = False
        whole = alone.render()
        out["street"].append({"pose": (x, y, heading, pitch), "differs": _differs(culled, whole),
                              "drawn": drawn, "total": total, "unculled": view.drawn_faces,
                              "occluders": view.culler.n_occluders})
        if (x, y, heading) == POSES[0][:3]:
            out["ar_culled"], out["ar_whole"] = culled, whole
    return out


def _two(twin, terrain, CityCanvas, street_pose_at) -> dict:
    """Two views in one canvas: each culls for its own camera; the picture is the same."""
    out: dict = {}
    two = CityCanvas(twin, size=(640, 400), show=False)
    x, y, heading, pitch = POSES[1]
    side = two.add_street_view(street_pose_at(x, y, heading, pitch, terrain=terrain))
    culled = two.render()
    out["two_drawn"] = [v.drawn_faces for v in two.views]
    out["two_total"] = [v.n_faces for v in two.views]
    for v in two.views:
        v.culler.enabled = False
    out["two_differs"] = _differs(culled, two.render())
    out["side_box"] = (tuple(side.box.pos), tuple(side.box.size))
    return out
