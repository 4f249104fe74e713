"""Triangle meshes as plain numpy arrays, shared by the meshing, caching and picking code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class MeshArrays:
    """An indexed triangle mesh in scene coordinates (metres, relative to the city origin).

    `face_owner[i]` is the id of the feature face `i` belongs to (building id for buildings,
    -1 where there is no owner), so a merged mesh can still be picked feature by feature.
    """

    vertices: np.ndarray  # (n, 3) float32
    faces: np.ndarray  # (m, 3) uint32
    normals: np.ndarray  # (n, 3) float32, unit
    face_owner: np.ndarray  # (m,) int64

    @property
    def n_faces(self) -> int:
        return int(self.faces.shape[0])

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(min xyz, max xyz) of the vertices."""
        if len(self.vertices) == 0:
            zero = np.zeros(3, np.float32)
            return zero, zero
        return self.vertices.min(axis=0), self.vertices.max(axis=0)

    @staticmethod
    def empty() -> MeshArrays:
        return MeshArrays(
            np.zeros((0, 3), np.float32),
            np.zeros((0, 3), np.uint32),
            np.zeros((0, 3), np.float32),
            np.zeros(0, np.int64),
        )

    @staticmethod
    def concatenate(parts: list[MeshArrays]) -> MeshArrays:
        """One mesh from several, re-basing face indices."""
        parts = [p for p in parts if len(p.vertices)]
        if not parts:
            return MeshArrays.empty()
        offsets = np.cumsum([0] + [len(p.vertices) for p in parts[:-1]])
        return MeshArrays(
            np.concatenate([p.vertices for p in parts]),
            np.concatenate([p.faces + np.uint32(o) for p, o in zip(parts, offsets, strict=True)]),
            np.concatenate([p.normals for p in parts]),
            np.concatenate([p.face_owner for p in parts]),
        )
