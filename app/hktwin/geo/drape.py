"""Lines draped on the terrain: 2D vector lines -> 3D segments a little above the ground."""

from __future__ import annotations

import numpy as np

from hktwin.geo.terrain import Terrain


def drape_lines(
    geometries: np.ndarray,
    terrain: Terrain,
    origin: tuple[float, float],
    lift_m: float = 3.0,
    max_segment_m: float = 50.0,
    floor_m: float = 0.5,
    return_owner: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """(n, 2, 3) float32 segments for (Multi)LineStrings or polygon boundaries.

    With `return_owner`, also the index of the geometry each segment comes from.

    Lines are densified so they follow the relief, sampled on the terrain and lifted by
    `lift_m`; over the sea they float at `floor_m + lift_m` (bridges, tunnels under the harbour
    drawn on the surface).
    """
    import shapely

    if len(geometries) == 0:
        empty = np.zeros((0, 2, 3), np.float32)
        return (empty, np.zeros(0, np.int64)) if return_owner else empty
    lines = shapely.boundary(geometries)
    is_poly = np.isin(shapely.get_type_id(geometries), (3, 6))
    lines = np.where(is_poly, lines, geometries)
    lines = shapely.segmentize(lines, max_segment_m)
    parts, part_owner = shapely.get_parts(lines, return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    same = part[:-1] == part[1:]
    z = terrain.height_at(coords[:, 0], coords[:, 1])
    z = np.fmax(np.nan_to_num(z, nan=floor_m), floor_m) + lift_m
    points = np.column_stack([coords[:, 0] - origin[0], coords[:, 1] - origin[1], z])
    segments = np.stack([points[:-1][same], points[1:][same]], axis=1).astype(np.float32)
    if return_owner:
        return segments, part_owner[part[:-1][same]]
    return segments
