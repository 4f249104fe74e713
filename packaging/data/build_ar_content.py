"""Build the sample scenarios' AR content: a small poster image and a small 3-D model.

Run:  python packaging/data/build_ar_content.py [--out resources/scenarios/content]

Why this exists: the sample scenario `central-phase1` shows, on Queen's Road Central, one card
with an image and one anchor with a model, so the AR view, its tests and the demo tour show
what anchors can carry. Both files are made here from numbers (no downloaded artwork), are
deterministic and stay tiny (a few kB each):

- `5g-poster.png`: a 240 x 150 poster, deep violet with a yellow "5G" and three signal bars.
- `kiosk.glb`: a 5G information kiosk (glTF binary, +Y up as glTF wants), a red pillar on a
  grey plinth with a dark screen and a white roof cap, about 1 x 0.5 x 2.4 m (the anchor's
  `content_size_m` sets the drawn size); 4 boxes, 48 triangles, one colour per part.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
POSTER_RGB = (92, 28, 160)  # the poster's ground (tests look for it inside the card)
POSTER_MARK = (250, 205, 40)
KIOSK_RGB = (214, 38, 38)  # the kiosk's pillar (tests look for it where the model stands)


def poster() -> np.ndarray:
    """The poster as an (h, w, 3) uint8 array: violet ground, a yellow 5G, signal bars."""
    h, w = 150, 240
    img = np.empty((h, w, 3), np.uint8)
    img[:] = POSTER_RGB
    yy, xx = np.mgrid[0:h, 0:w]
    mark = np.zeros((h, w), bool)
    # "5": top bar, left stem, middle bar, right stem, bottom bar (block glyph, 10 px strokes)
    x0, y0, gw, gh, t = 28, 30, 56, 90, 12
    mark |= (xx >= x0) & (xx < x0 + gw) & (yy >= y0) & (yy < y0 + t)
    mark |= (xx >= x0) & (xx < x0 + t) & (yy >= y0) & (yy < y0 + gh // 2)
    mark |= (xx >= x0) & (xx < x0 + gw) & (yy >= y0 + gh // 2 - t // 2) & (
        yy < y0 + gh // 2 + t // 2)
    mark |= (xx >= x0 + gw - t) & (xx < x0 + gw) & (yy >= y0 + gh // 2) & (yy < y0 + gh)
    mark |= (xx >= x0) & (xx < x0 + gw) & (yy >= y0 + gh - t) & (yy < y0 + gh)
    # "G": a ring open on the upper right, with its bar
    cx, cy, r_out, r_in = 132, y0 + gh // 2, gh // 2, gh // 2 - t
    d = np.hypot(xx - cx, yy - cy)
    ring = (d <= r_out) & (d >= r_in)
    opening = (xx > cx) & (yy < cy) & (yy > cy - r_out)
    mark |= ring & ~opening
    mark |= (xx >= cx) & (xx < cx + r_out) & (yy >= cy - t // 2) & (yy < cy + t // 2)
    # signal bars
    for i, bh in enumerate((24, 44, 64)):
        bx = 192 + i * 14
        mark |= (xx >= bx) & (xx < bx + 9) & (yy >= y0 + gh - bh) & (yy < y0 + gh)
    img[mark] = POSTER_MARK
    return img


def kiosk():
    """The kiosk as a trimesh Scene (+Y up), one coloured box per part."""
    import trimesh

    parts = [  # (size x, y (up), z), centre, RGBA
        ((1.0, 0.2, 0.5), (0.0, 0.1, 0.0), (120, 120, 125, 255)),  # plinth
        ((0.8, 2.0, 0.36), (0.0, 1.2, 0.0), (*KIOSK_RGB, 255)),  # pillar
        ((0.6, 0.9, 0.04), (0.0, 1.45, 0.2), (20, 24, 32, 255)),  # screen, on the front
        ((0.9, 0.2, 0.46), (0.0, 2.3, 0.0), (245, 245, 245, 255)),  # roof cap
    ]
    scene = trimesh.Scene()
    for i, (size, centre, rgba) in enumerate(parts):
        box = trimesh.creation.box(extents=size)
        box.apply_translation(centre)
        box.visual.face_colors = np.tile(np.array(rgba, np.uint8), (len(box.faces), 1))
        scene.add_geometry(box, geom_name=f"part-{i}")
    return scene


def build(out: Path) -> list[Path]:
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    png = out / "5g-poster.png"
    Image.fromarray(poster(), "RGB").save(png, optimize=True)
    glb = out / "kiosk.glb"
    glb.write_bytes(kiosk().export(file_type="glb"))
    return [png, glb]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "scenarios" / "content")
    args = parser.parse_args()
    for path in build(args.out):
        print(f"{path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
