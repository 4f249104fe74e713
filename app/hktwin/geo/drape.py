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


def draped_grid(
    bounds: tuple[float, float, float, float],
    terrain: Terrain,
    origin: tuple[float, float],
    spacing_m: float = 25.0,
    lift_m: float = 3.0,
):
    """A regular grid over `bounds` following the ground, for draping a raster as a texture.

    Returns (MeshArrays, texcoords (n, 2) in 0..1 with v = 0 at the north edge, row 0 of the
    raster). Over the sea the grid lies `lift_m` above the sea surface.
    """
    from hktwin.geo.mesh import MeshArrays

    xmin, ymin, xmax, ymax = bounds
    nx = max(int(np.ceil((xmax - xmin) / spacing_m)) + 1, 2)
    ny = max(int(np.ceil((ymax - ymin) / spacing_m)) + 1, 2)
    u = np.linspace(0.0, 1.0, nx)
    v = np.linspace(0.0, 1.0, ny)
    gu, gv = np.meshgrid(u, v)
    x = xmin + gu * (xmax - xmin)
    y = ymax - gv * (ymax - ymin)
    # The drawn terrain is coarser than the DEM: take the highest ground within one drawn cell
    # so the overlay never sinks under a convex slope.
    reach = terrain.cell_size * 2
    samples = [terrain.height_at(x + dx, y + dy)
               for dx, dy in ((0, 0), (reach, 0), (-reach, 0), (0, reach), (0, -reach))]
    z = np.fmax(np.nan_to_num(np.fmax.reduce(np.stack(samples), axis=0), nan=0.0), 0.0) + lift_m
    vertices = np.column_stack([(x - origin[0]).ravel(), (y - origin[1]).ravel(), z.ravel()])
    idx = np.arange(nx * ny, dtype=np.uint32).reshape(ny, nx)
    a, b = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel()
    c, d = idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    faces = np.concatenate([np.column_stack([a, c, b]), np.column_stack([b, c, d])])
    normals = np.tile(np.array([0, 0, 1], np.float32), (len(vertices), 1))
    mesh = MeshArrays(vertices.astype(np.float32), faces, normals, np.full(len(faces), -1))
    return mesh, np.column_stack([gu.ravel(), gv.ravel()]).astype(np.float32)
