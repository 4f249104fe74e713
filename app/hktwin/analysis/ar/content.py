"""What an AR anchor shows besides its title: an image on its card, or a small 3D model.

No Qt, no vispy: arrays a renderer draws. Images are read with Pillow (imageio's own PNG/JPEG
reader) and models with trimesh, both imported on first use. Everything is bounded before it
is decoded or drawn: file size (`MAX_IMAGE_BYTES`, `MAX_MODEL_BYTES`), the pixels a header
announces (`MAX_SOURCE_PIXELS`: a decompression bomb is refused unread), the drawn image's
longest side (`MAX_IMAGE_PX`, larger images are downscaled) and a model's triangles
(`MAX_MODEL_FACES`). A file that cannot be used raises `DataError(path, problem, fix,
field="<anchor id>.image")`; `anchor_content` collects such errors per anchor instead, so a
view draws the card without its image.

Models: glTF's axes are +Y up (the glTF spec; OBJ exporters default to it too), the twin's +Z
up, so a model is turned Y-up to Z-up, then scaled so the largest side of its bounding box is
the anchor's `content_size_m`, and moved so the centre of its base sits at the origin. The
renderer stands that base `content_size_m / 2` below the content centre (`ground_m +
height_m`): a model as tall as it is wide has its middle there, as a card has, and an anchor
with `height_m = content_size_m / 2` stands on the ground. Face or vertex colours are kept
(a textured model's texture is sampled to vertex colours); a model without any gets
`DEFAULT_MODEL_RGBA`.

Loaded files are cached by (resolved path, modification time, size): a view that redraws
every frame decodes a file once, and an edited file is read again.
"""

from __future__ import annotations

import io
import json
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hktwin.core.errors import DataError

MAX_IMAGE_BYTES = 8 * 2**20
MAX_MODEL_BYTES = 16 * 2**20
#: Pixels a source image may announce (refused before decoding above this).
MAX_SOURCE_PIXELS = 40_000_000
#: Longest side of an image as drawn (px); larger ones are downscaled.
MAX_IMAGE_PX = 2048
#: Triangles a model may have (a street-furniture-sized thing; the city is the heavy part).
MAX_MODEL_FACES = 50_000
DEFAULT_MODEL_RGBA = (0.0, 0.62, 0.72, 1.0)
#: Files kept decoded (images and models together).
CACHE_SIZE = 32

_IMAGE_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG"}  # MPO: a phone camera's JPEG
_MODEL_TYPES = {".glb": "glb", ".gltf": "gltf", ".obj": "obj"}


@dataclass(frozen=True, eq=False)
class CardImage:
    """An image ready to draw: RGBA uint8 (rows top to bottom), at most `MAX_IMAGE_PX` a side."""

    path: Path
    rgba: np.ndarray  # (h, w, 4) uint8
    source_size: tuple[int, int]  # (width, height) in the file
    _fitted: dict = field(default_factory=dict, repr=False)

    @property
    def aspect(self) -> float:
        """Height over width."""
        h, w = self.rgba.shape[:2]
        return h / w

    def fitted(self, max_px: int) -> np.ndarray:
        """The RGBA at most `max_px` a side (a card never needs more: less texture memory);
        made once per size."""
        h, w = self.rgba.shape[:2]
        if max(h, w) <= max_px:
            return self.rgba
        cached = self._fitted.get(max_px)
        if cached is None:
            from PIL import Image

            im = Image.fromarray(self.rgba, "RGBA")
            im.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
            cached = self._fitted[max_px] = np.ascontiguousarray(np.asarray(im, np.uint8))
        return cached


@dataclass(frozen=True, eq=False)
class AnchorModel:
    """A model ready to draw: metres, Z up, the centre of its base at the origin.

    Exactly one of `vertex_colors` (n, 4) and `face_colors` (m, 4) is set (RGBA 0..1).
    """

    path: Path
    vertices: np.ndarray  # (n, 3) float32
    faces: np.ndarray  # (m, 3) uint32
    vertex_colors: np.ndarray | None = None
    face_colors: np.ndarray | None = None

    @property
    def size(self) -> np.ndarray:
        """Its bounding box's sides (x, y, z), metres."""
        return self.vertices.max(axis=0) - self.vertices.min(axis=0)

    @property
    def n_faces(self) -> int:
        return len(self.faces)

    def scaled(self, factor: float) -> AnchorModel:
        return AnchorModel(self.path, (self.vertices * np.float32(factor)).astype(np.float32),
                           self.faces, self.vertex_colors, self.face_colors)


@dataclass(frozen=True, eq=False)
class AnchorContent:
    """One anchor's loaded content; what could not be loaded is in `errors` (not raised)."""

    id: str
    image: CardImage | None = None
    model: AnchorModel | None = None
    errors: tuple[DataError, ...] = field(default=())


# -- the cache ----------------------------------------------------------------------------------

_CACHE: OrderedDict[tuple, Any] = OrderedDict()


def _key(kind: str, path: Path, field_name: str) -> tuple:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DataError(path, "file not found", "check the path (it is taken from the "
                        "scenario file's folder)", field=field_name) from None
    except OSError as exc:
        raise DataError(path, f"the file cannot be read ({exc.strerror or exc})",
                        "check that it exists and that you may read it",
                        field=field_name) from None
    return (kind, str(path.resolve()), st.st_mtime_ns, st.st_size)


def _cached(key: tuple, make) -> Any:
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = make()
    _CACHE[key] = value
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def clear_cache() -> None:
    _CACHE.clear()


def _read(path: Path, limit: int, what: str, field_name: str) -> bytes:
    from hktwin.core.files import read_bounded

    try:
        return read_bounded(path, limit, what)
    except DataError as exc:
        raise DataError(path, exc.problem, exc.fix, field=field_name) from None


# -- images -------------------------------------------------------------------------------------

def load_image(path: str | os.PathLike[str], field: str = "image") -> CardImage:
    """A PNG or JPEG as RGBA, downscaled to at most `MAX_IMAGE_PX` a side (cached)."""
    path = Path(path)
    return _cached(_key("image", path, field), lambda: _decode_image(path, field))


def _decode_image(path: Path, field_name: str) -> CardImage:
    import warnings

    from PIL import Image, UnidentifiedImageError

    raw = _read(path, MAX_IMAGE_BYTES, "PNG or JPEG image", field_name)
    fix = "give a PNG or JPEG image (at most 8 MiB, 40 megapixels)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(raw))
            fmt = _IMAGE_FORMATS.get(im.format or "")
            if fmt is None:
                raise DataError(path, f"this is a {im.format or 'unknown'} image, not PNG or "
                                "JPEG", fix, field=field_name)
            w, h = im.size
            if w < 1 or h < 1 or w * h > MAX_SOURCE_PIXELS:
                raise DataError(path, f"the image is {w} x {h} pixels, more than "
                                f"{MAX_SOURCE_PIXELS / 1e6:.0f} megapixels", fix,
                                field=field_name)
            if fmt == "JPEG":
                im.draft("RGB", (MAX_IMAGE_PX, MAX_IMAGE_PX))  # decode at a reduced scale
            im.load()
            if max(im.size) > MAX_IMAGE_PX:
                im.thumbnail((MAX_IMAGE_PX, MAX_IMAGE_PX), Image.Resampling.LANCZOS)
            rgba = np.asarray(im.convert("RGBA"), np.uint8)
    except DataError:
        raise
    except UnidentifiedImageError:
        raise DataError(path, "not a readable image (damaged, or not a PNG or JPEG)", fix,
                        field=field_name) from None
    except Exception as exc:  # Pillow's decoders fail in many ways on a damaged file
        raise DataError(path, f"the image is damaged or cannot be decoded ({exc})", fix,
                        field=field_name) from None
    return CardImage(path, np.ascontiguousarray(rgba), (w, h))


# -- models -------------------------------------------------------------------------------------

def load_model(path: str | os.PathLike[str], size_m: float = 1.0,
               field: str = "model") -> AnchorModel:
    """A .glb / .gltf / .obj model, Z up, `size_m` across its largest side, standing on the
    origin (cached unscaled and at each size asked for)."""
    path = Path(path)
    key = _key("model", path, field)
    return _cached((*key, float(size_m)), lambda: _cached(
        key, lambda: _decode_model(path, field)).scaled(size_m))


def _gltf_sidecars_size(path: Path, raw: bytes, field_name: str) -> int:
    """Bytes of the files a .gltf names (buffers, textures), refusing any outside its folder."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        doc = None
    if not isinstance(doc, dict):
        raise DataError(path, "not a glTF file (its JSON cannot be read)",
                        "give a .glb, .gltf or .obj model", field=field_name)
    folder = path.parent.resolve()
    total = 0
    entries = [e for key in ("buffers", "images") if isinstance(doc.get(key), list)
               for e in doc[key]]
    for entry in entries:
        uri = entry.get("uri") if isinstance(entry, dict) else None
        if not isinstance(uri, str) or uri.startswith("data:"):
            continue
        from urllib.parse import unquote

        target = (folder / unquote(uri)).resolve()
        if not target.is_relative_to(folder):
            raise DataError(path, f"the model refers to {uri!r}, outside its folder",
                            "keep the model's buffers and textures beside it", field=field_name)
        try:
            total += target.stat().st_size
        except OSError:
            raise DataError(path, f"the model's file {uri!r} is missing",
                            "keep the model's buffers and textures beside it",
                            field=field_name) from None
    return total


def _decode_model(path: Path, field_name: str) -> AnchorModel:
    file_type = _MODEL_TYPES.get(path.suffix.lower())
    fix = (f"give a .glb, .gltf or .obj model of at most {MAX_MODEL_FACES:,} triangles and "
           f"{MAX_MODEL_BYTES // 2**20} MiB")
    if file_type is None:
        raise DataError(path, f"{path.suffix or 'a file without an ending'} is not a model "
                        "format HK Twin reads", fix, field=field_name)
    raw = _read(path, MAX_MODEL_BYTES, "3D model", field_name)
    if (file_type == "gltf"
            and len(raw) + _gltf_sidecars_size(path, raw, field_name) > MAX_MODEL_BYTES):
        raise DataError(path, "the model and its buffers hold more than "
                            f"{MAX_MODEL_BYTES // 2**20} MiB", fix, field=field_name)
    import logging

    try:
        import trimesh
    except ImportError:  # an install without it: the model is left out, the view goes on
        raise DataError(path, "3D models need the trimesh package, which is not installed",
                        "pip install trimesh (a dependency of HK Twin)", field=field_name) from None
    logging.getLogger("trimesh").setLevel(logging.ERROR)  # its parse chatter is not ours
    try:
        resolver = trimesh.resolvers.FilePathResolver(str(path))
        loaded = trimesh.load_scene(io.BytesIO(raw), file_type=file_type, resolver=resolver,
                                    process=False)
        meshes = [g for g in loaded.dump() if isinstance(g, trimesh.Trimesh)]
    except DataError:
        raise
    except Exception as exc:  # a damaged file fails anywhere in trimesh's parsers
        raise DataError(path, f"the model is damaged or cannot be read "
                        f"({type(exc).__name__}: {exc})"[:300], fix, field=field_name) from None
    meshes = [m for m in meshes if len(m.faces)]
    if not meshes:
        raise DataError(path, "the file holds no triangles", fix, field=field_name)
    n_faces = sum(len(m.faces) for m in meshes)
    if n_faces > MAX_MODEL_FACES:
        raise DataError(path, f"the model has {n_faces:,} triangles, more than "
                        f"{MAX_MODEL_FACES:,}", "simplify it (decimate) to at most "
                        f"{MAX_MODEL_FACES:,} triangles", field=field_name)
    verts, faces, vcol, fcol = _merge(meshes)
    if not np.isfinite(verts).all():
        raise DataError(path, "the model has vertices that are not numbers", fix,
                        field=field_name)
    verts = verts[:, [0, 2, 1]] * np.array([1.0, -1.0, 1.0])  # Y up -> Z up (x, -z, y)
    lo, hi = verts.min(axis=0), verts.max(axis=0)
    extent = float((hi - lo).max())
    if extent <= 0:
        raise DataError(path, "the model is flat to a point (no extent)", fix,
                        field=field_name)
    base = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    unit = ((verts - base) / extent).astype(np.float32)
    return AnchorModel(path, unit, faces, vcol, fcol)


def _colours(mesh: Any) -> tuple[str, np.ndarray | None]:
    """("vertex" | "face", RGBA 0..1) of one trimesh mesh, or ("", None) for none."""
    visual = mesh.visual
    kind = getattr(visual, "kind", None)
    try:
        if kind == "texture":
            visual = visual.to_color()  # samples the texture (or the material colour)
            kind = visual.kind or "vertex"
        if kind == "vertex":
            return "vertex", np.asarray(visual.vertex_colors, np.float32)[:, :4] / 255.0
        if kind == "face":
            return "face", np.asarray(visual.face_colors, np.float32)[:, :4] / 255.0
    except Exception:  # an odd material is drawn in the default colour, not refused
        return "", None
    return "", None


def _merge(meshes: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None,
                                          np.ndarray | None]:
    """One vertex and face array for the scene's meshes, with one kind of colour."""
    parts = [(np.asarray(m.vertices, np.float64), np.asarray(m.faces, np.int64), *_colours(m))
             for m in meshes]
    offsets = np.cumsum([0] + [len(v) for v, *_ in parts[:-1]])
    verts = np.concatenate([v for v, *_ in parts])
    faces = np.concatenate([f + o for (_, f, *_), o in zip(parts, offsets, strict=True)])
    kinds = {k for *_, k, _ in parts}
    default = np.array(DEFAULT_MODEL_RGBA, np.float32)
    if kinds == {""}:
        return verts, faces.astype(np.uint32), None, np.tile(default, (len(faces), 1))
    if kinds <= {"vertex", ""} and "vertex" in kinds:
        vcol = np.concatenate([c if k == "vertex" else np.tile(default, (len(v), 1))
                               for v, _, k, c in parts])
        return verts, faces.astype(np.uint32), vcol, None
    # Faces (or a mix): a colour per face; a vertex-coloured part takes its corners' mean.
    fcols = []
    for _v, f, k, c in parts:
        if k == "face":
            fcols.append(c)
        elif k == "vertex":
            fcols.append(c[f].mean(axis=1))
        else:
            fcols.append(np.tile(default, (len(f), 1)))
    return verts, faces.astype(np.uint32), None, np.concatenate(fcols).astype(np.float32)


# -- per anchor ---------------------------------------------------------------------------------

def anchor_content(anchor: Any, base: str | os.PathLike[str] | None = None) -> AnchorContent:
    """Load an anchor's `image` and `model` (relative paths from `base`, the scenario file's
    folder); a file that cannot be used is left out and its `DataError` kept in `errors`."""
    from hktwin.analysis.sites import resolve_content

    image = model = None
    errors = []
    for name in ("image", "model"):
        path = resolve_content(getattr(anchor, name, ""), base)
        if path is None:
            continue
        where = f"{anchor.id}.{name}"
        try:
            if name == "image":
                image = load_image(path, field=where)
            else:
                model = load_model(path, anchor.content_size_m, field=where)
        except DataError as exc:
            errors.append(exc)
        except Exception as exc:  # whatever else a strange file does, the view goes on
            errors.append(DataError(path, f"the file cannot be used ({type(exc).__name__}: "
                                    f"{exc})"[:300], f"give a working {name} file or clear "
                                    "the field", field=where))
    return AnchorContent(anchor.id, image, model, tuple(errors))
