"""Small synthetic data packs for tests: an island with a hill, a harbour and a grid of towers.

Made in code so tests do not depend on the demo bundle's exact contents; sized to render fast on
software OpenGL.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

# A 4 km x 3 km box in EPSG:2326 around Central, Hong Kong.
X0, Y0 = 832_000.0, 815_000.0
CELL = 20.0
COLS, ROWS = 200, 150
HILL = (X0 + 2600.0, Y0 + 1000.0, 400.0)  # x, y, summit height


def tiny_heights() -> np.ndarray:
    """Land in the south two thirds rising to a 400 m hill; sea (-10 m) in the north third."""
    ys = Y0 + ROWS * CELL - (np.arange(ROWS) + 0.5) * CELL
    xs = X0 + (np.arange(COLS) + 0.5) * CELL
    gx, gy = np.meshgrid(xs, ys)
    hill = HILL[2] * np.exp(-(((gx - HILL[0]) ** 2 + (gy - HILL[1]) ** 2) / (2 * 600.0**2)))
    land = gy < Y0 + 2000.0
    return np.where(land, np.maximum(hill, 2.0), -10.0).astype(np.float32)


def write_tiny_pack(folder: Path, n_side: int = 6) -> Path:
    """Write a complete pack (terrain, buildings, roads) to `folder` and return it."""
    import geopandas as gpd
    import rasterio
    import shapely
    from rasterio.transform import from_origin

    folder.mkdir(parents=True, exist_ok=True)
    heights = tiny_heights()
    with rasterio.open(
        folder / "terrain.tif", "w", driver="GTiff", width=COLS, height=ROWS, count=1,
        dtype="float32", crs="EPSG:2326", transform=from_origin(X0, Y0 + ROWS * CELL, CELL, CELL),
    ) as dst:
        dst.write(heights, 1)
    # Towers on the flat shore between x0+400 and x0+1600, y0+1400 and y0+1900.
    gx, gy = np.meshgrid(np.linspace(X0 + 400, X0 + 1600, n_side),
                         np.linspace(Y0 + 1450, Y0 + 1900, n_side))
    gx, gy = gx.ravel(), gy.ravel()
    n = len(gx)
    footprints = shapely.box(gx - 20, gy - 15, gx + 20, gy + 15)
    heights_m = np.linspace(40, 200, n).astype(np.float32)
    names = [f"Tower {i + 1}" for i in range(n)]
    gpd.GeoDataFrame(
        {"building_id": np.arange(1, n + 1), "name": names, "kind": ["commercial"] * n,
         "district": ["Test"] * n, "base": np.full(n, 2.0, np.float32), "height": heights_m},
        geometry=footprints, crs="EPSG:2326",
    ).to_parquet(folder / "buildings.parquet")
    road = shapely.LineString([(X0 + 100, Y0 + 1300), (X0 + 3900, Y0 + 1300)])
    gpd.GeoDataFrame({"name": ["Test Road"], "route": [""], "kind": ["trunk"]},
                     geometry=[road], crs="EPSG:2326").to_parquet(folder / "roads.parquet")
    manifest = {
        "format": "hktwin-pack", "version": 1, "name": "Tiny test island", "crs": "EPSG:2326",
        "approximate": True, "notice": "synthetic test pack",
        "layers": {
            "terrain": {"path": "terrain.tif", "kind": "terrain"},
            "buildings": {"path": "buildings.parquet", "kind": "buildings"},
            "roads": {"path": "roads.parquet", "kind": "roads"},
        },
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return folder
