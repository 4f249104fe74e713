"""The AR street view in Central with anchor content, rendered headless in a spawned child
process (EGL): a poster card with an image, a kiosk model in the open, the same model behind
the towers, and a card whose image file is damaged."""

from __future__ import annotations

import shutil
from pathlib import Path

from ar_probe import HEADING, SPOT, ahead

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "resources" / "scenarios" / "content"


def write_scenario(folder: Path) -> Path:
    from hktwin.analysis.sites import ARAnchor
    from hktwin.model.loading import load_city
    from hktwin.model.scenario import Scenario
    from hktwin.model.scenario_io import save_scenario

    terrain = load_city(None).city.terrain
    (folder / "art").mkdir(parents=True, exist_ok=True)
    shutil.copy(CONTENT / "5g-poster.png", folder / "art" / "poster.png")
    shutil.copy(CONTENT / "kiosk.glb", folder / "art" / "kiosk.glb")
    (folder / "art" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    sc = Scenario()

    def add(aid: str, d: float, bearing: float, **kw) -> None:
        x, y = ahead(d, bearing)
        sc.add(ARAnchor(aid, x, y, float(terrain.height_at(x, y)), **kw))

    add("poster", 40.0, HEADING - 4.0, height_m=5.0, content_size_m=4.0, name="Poster",
        text="Phase 1 small cells light up Central.", image="art/poster.png")
    add("kiosk", 25.0, HEADING + 7.0, height_m=1.2, content_size_m=2.4, name="Kiosk",
        model="art/kiosk.glb")
    add("hidden-kiosk", 100.0, HEADING + 12.0, height_m=1.2, content_size_m=2.4,
        name="Hidden kiosk", model="art/kiosk.glb")
    add("broken", 30.0, HEADING - 15.0, height_m=9.0, content_size_m=3.0, name="Broken",
        image="art/broken.png")
    path = folder / "content.hktwin.json"
    save_scenario(sc, path)
    return path


def probe(scenario: str) -> dict:
    import dataclasses

    import numpy as np

    from hktwin.analysis.ar.occlusion import Visibility
    from hktwin.render.snapshot import render_ar

    shot = render_ar(*SPOT, HEADING, 5.0, scenario=scenario)
    preview = shot.preview
    cam = preview.camera()
    anchors = {a.id: a for a in preview.anchors()}

    def pixel(aid: str, up_m: float) -> list[float]:
        a = anchors[aid]
        u, v, _ = cam.project(np.array([[a.x, a.y, a.ground_m + up_m]]))
        return [float(u[0]), float(v[0])]

    out = {
        "image": shot.image,
        "views": {v.id: (int(v.state), v.shown, v.rect, v.kind) for v in preview.views},
        "kiosk_px": pixel("kiosk", 0.6),  # the red pillar, below the screen
        "hidden_kiosk_px": pixel("hidden-kiosk", 0.6),
        "models_drawn": sum(m.visible for m in preview._models),
        "images_drawn": sum(i.visible for i in preview._card_images),
        "texts": len(preview._card_texts),
        "warnings": list(preview.content_warnings),
    }
    # The same frame again: a bad file is warned about once, not every frame.
    preview.refresh()
    out["warnings_after_refresh"] = list(preview.content_warnings)
    # A ghosted model is drawn translucent, blended over the city.
    kiosk = next(v for v in preview.views if v.id == "kiosk")
    ghost = dataclasses.replace(kiosk, state=Visibility.GHOSTED)
    preview._draw_models([(anchors["kiosk"], ghost)])
    mesh = next(m for m in preview._models if m.visible)
    colours = mesh.mesh_data.get_vertex_colors()
    if colours is None:
        colours = mesh.mesh_data.get_face_colors()
    out["ghost_alpha"] = float(np.max(colours[:, 3]))
    out["ghost_image"] = shot.canvas.render()
    # As in the window: anchors from the Sites layer, content from the scenario file's folder.
    from hktwin.model.analysis_layers import SitesLayer
    from hktwin.model.scenario_io import load_scenario

    preview.set_anchors(None)
    preview.set_content_dir(None)
    preview.twin.layers.append(SitesLayer("Sites", scenario=load_scenario(scenario)))
    preview.refresh()
    out["window_content_dir"] = str(preview.content_dir())
    out["window_models_drawn"] = sum(m.visible for m in preview._models)
    return out
