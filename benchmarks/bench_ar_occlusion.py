"""AR occlusion: every anchor's card points against the city, batched (`analysis.ar.occlusion`)
against the picker's ray caster called once per segment (`geo.raycast.intersect_ray_triangles`
over the same triangles plus the terrain march), alternately in one process.

Scene: the demo city's buildings within 800 m of a street eye in Central, 20 anchors scattered
within 150 m, 3 x 3 points on each card (180 segments), as `layout_anchors` does every frame.

Run: .venv/bin/python benchmarks/bench_ar_occlusion.py [--runs 15] [--anchors 20]
"""

from __future__ import annotations

import argparse

import numpy as np

from _common import paired, save
from hktwin.analysis.ar.occlusion import Occluder, card_points
from hktwin.core.paths import demo_pack_dir
from hktwin.geo import raycast
from hktwin.geo.crs import from_wgs84
from hktwin.geo.pack import open_pack


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--anchors", type=int, default=20)
    args = parser.parse_args()
    city = open_pack(demo_pack_dir())
    x, y = (float(v) for v in from_wgs84(114.15422, 22.28440))
    ground = float(city.terrain.height_at(x, y))
    eye = np.array([x, y, ground + 1.6])
    occ = Occluder.from_city(city, around=(x, y), radius_m=800.0)
    rng = np.random.default_rng(0)
    centres = np.column_stack([x + rng.uniform(-150, 150, args.anchors),
                               y + rng.uniform(-150, 150, args.anchors),
                               np.full(args.anchors, ground + 5.0)])
    pts = card_points(eye, centres, np.full(args.anchors, 3.0)).reshape(-1, 3)
    starts = np.broadcast_to(eye, pts.shape)
    origin = np.array([*occ.origin, 0.0])

    def batched():
        return occ.segments_clear(starts, pts, clear_m=0.75)

    def per_ray():
        out = []
        for b in pts:
            a = eye - origin
            d = (b - origin) - a
            length = float(np.linalg.norm(d))
            t, _ = raycast.intersect_ray_triangles(a, d / length, occ.vertices, occ.faces)
            g = raycast.intersect_ray_heightfield(a, d / length, city.terrain, occ.origin,
                                                  max_distance=length)
            out.append(not (t < length - 0.75 or (np.isfinite(g) and g < length - 0.75)))
        return np.array(out)

    agree = float((batched() == per_ray()).mean())
    timing = paired(batched, per_ray, args.runs)
    result = {"segments": len(pts), "triangles": occ.n_faces, "agreement": agree, **timing}
    save("bench_ar_occlusion", result)


if __name__ == "__main__":
    main()
