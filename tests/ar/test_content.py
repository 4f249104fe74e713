"""AR anchor content: card images and models are loaded bounded, fitted and cached; a bad file
is refused with a DataError naming the file and the anchor's field; the layout shapes cards by
what they carry (a model's title card stands above the model)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from hktwin.analysis.ar import content
from hktwin.analysis.ar.content import anchor_content, load_image, load_model
from hktwin.core.errors import DataError

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "resources" / "scenarios" / "content"
sys.path.insert(0, str(ROOT / "packaging" / "data"))
import build_ar_content  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_cache():
    content.clear_cache()
    yield
    content.clear_cache()


def _png(path: Path, w: int, h: int, rgb=(10, 200, 30), mode="RGB") -> Path:
    from PIL import Image

    Image.new(mode, (w, h), rgb).save(path)
    return path


def _refused(call, *, path: Path, field: str, says: str) -> DataError:
    with pytest.raises(DataError) as caught:
        call()
    error = caught.value
    assert error.path == str(path) and error.field == field
    assert says in error.problem, error.problem
    assert str(path) in error.message and f"[{field}]" in error.message and error.fix
    return error


# -- images -------------------------------------------------------------------------------------

def test_the_sample_poster_loads_as_rgba_of_its_colours():
    image = load_image(CONTENT / "5g-poster.png")
    h, w, four = image.rgba.shape
    assert (w, h, four) == (240, 150, 4) and image.rgba.dtype == np.uint8
    assert image.source_size == (240, 150) and image.aspect == pytest.approx(150 / 240)
    ground = np.all(image.rgba[..., :3] == build_ar_content.POSTER_RGB, axis=-1).mean()
    mark = np.all(image.rgba[..., :3] == build_ar_content.POSTER_MARK, axis=-1).mean()
    assert ground > 0.5 and 0.05 < mark < 0.5
    assert (image.rgba[..., 3] == 255).all()
    assert (CONTENT / "5g-poster.png").stat().st_size < 100_000


def test_a_large_jpeg_is_downscaled_keeping_its_aspect(tmp_path):
    from PIL import Image

    path = tmp_path / "big.jpg"
    Image.new("RGB", (4000, 1000), (200, 40, 40)).save(path, quality=80)
    image = load_image(path)
    h, w = image.rgba.shape[:2]
    assert max(h, w) <= content.MAX_IMAGE_PX and w == content.MAX_IMAGE_PX
    assert abs(w / h - 4.0) < 0.02
    assert image.source_size == (4000, 1000)
    small = image.fitted(256)
    assert max(small.shape[:2]) == 256 and image.fitted(256) is small  # made once
    assert np.abs(small[32, 10, :3].astype(int) - (200, 40, 40)).max() < 12


def test_bad_images_name_the_file_and_the_anchor_field(tmp_path, monkeypatch):
    field = "poster.image"
    missing = tmp_path / "none.png"
    _refused(lambda: load_image(missing, field), path=missing, field=field, says="not found")
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    _refused(lambda: load_image(junk, field), path=junk, field=field, says="not a readable")
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    _refused(lambda: load_image(text, field), path=text, field=field, says="not a readable")
    cut = _png(tmp_path / "cut.png", 64, 64, (1, 2, 3))
    from PIL import Image

    Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), np.uint8)).save(cut)
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # cut off half-way
    _refused(lambda: load_image(cut, field), path=cut, field=field, says="damaged")
    gif = _png(tmp_path / "anim.png", 8, 8)
    Image.open(gif).save(tmp_path / "really-a.gif", format="GIF")
    os.replace(tmp_path / "really-a.gif", gif)  # a GIF under a .png name
    _refused(lambda: load_image(gif, field), path=gif, field=field, says="GIF")
    folder = tmp_path / "a-folder.png"
    folder.mkdir()
    _refused(lambda: load_image(folder, field), path=folder, field=field, says="folder")
    # A picture announcing more pixels than allowed is refused before it is decoded.
    monkeypatch.setattr(content, "MAX_SOURCE_PIXELS", 1000)
    wide = _png(tmp_path / "wide.png", 100, 20)
    _refused(lambda: load_image(wide, field), path=wide, field=field, says="megapixels")
    monkeypatch.setattr(content, "MAX_IMAGE_BYTES", 50)
    heavy = _png(tmp_path / "heavy.png", 30, 30, mode="RGB")
    heavy.write_bytes(heavy.read_bytes() + os.urandom(100))
    _refused(lambda: load_image(heavy, field), path=heavy, field=field, says="more than")


def test_images_are_cached_by_path_and_modification_time(tmp_path):
    path = _png(tmp_path / "p.png", 20, 10, (255, 0, 0))
    first = load_image(path)
    assert load_image(path) is first
    _png(path, 20, 10, (0, 0, 255))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    second = load_image(path)
    assert second is not first and tuple(second.rgba[0, 0, :3]) == (0, 0, 255)


# -- models -------------------------------------------------------------------------------------

def test_the_sample_kiosk_is_fitted_to_the_size_stood_on_its_base_with_its_colours():
    model = load_model(CONTENT / "kiosk.glb", size_m=3.0)
    sx, sy, sz = model.size
    assert sz == pytest.approx(3.0, abs=1e-4)  # its tallest side (glTF +Y up -> +Z up)
    assert sx == pytest.approx(3.0 * 1.0 / 2.4, abs=1e-3) and sy < sx
    lo, hi = model.vertices.min(axis=0), model.vertices.max(axis=0)
    assert lo[2] == pytest.approx(0.0, abs=1e-5)  # standing on the origin
    assert (lo[:2] + hi[:2]) == pytest.approx([0.0, 0.0], abs=1e-4)  # centred on its base
    colours = model.vertex_colors if model.vertex_colors is not None else model.face_colors
    rgb = {tuple(c) for c in np.round(colours[:, :3] * 255).astype(int)}
    assert tuple(build_ar_content.KIOSK_RGB) in rgb and len(rgb) == 4
    # The screen is on the glTF front (+Z), which faces south (-Y) in the twin.
    dark = np.round(colours[:, :3] * 255).astype(int).sum(axis=1) < 100
    verts = model.vertices if model.vertex_colors is not None else model.vertices[model.faces]
    screen_y = verts[dark][..., 1].mean()
    assert screen_y < 0
    assert (CONTENT / "kiosk.glb").stat().st_size < 100_000
    assert load_model(CONTENT / "kiosk.glb", size_m=3.0) is model  # cached at that size


def test_an_obj_without_colours_gets_the_default_and_face_colours_are_kept(tmp_path):
    import trimesh

    plain = tmp_path / "plain.obj"
    trimesh.creation.box(extents=(2.0, 1.0, 4.0)).export(plain)  # 1 m up, 4 m deep
    model = load_model(plain, size_m=2.0)
    assert model.size.max() == pytest.approx(2.0, abs=1e-5)
    assert model.size[2] == pytest.approx(0.5, abs=1e-5)  # OBJ's +Y is up here too
    colours = model.face_colors if model.face_colors is not None else model.vertex_colors
    assert np.allclose(colours, content.DEFAULT_MODEL_RGBA)
    painted = trimesh.creation.box()
    painted.visual.face_colors = np.tile([10, 200, 90, 255], (len(painted.faces), 1))
    glb = tmp_path / "painted.glb"
    glb.write_bytes(painted.export(file_type="glb"))
    colours = load_model(glb).vertex_colors
    colours = colours if colours is not None else load_model(glb).face_colors
    assert np.allclose(colours[:, :3] * 255, [10, 200, 90], atol=1)


def test_bad_models_name_the_file_and_the_anchor_field(tmp_path):
    import trimesh

    field = "kiosk.model"
    dense = tmp_path / "dense.obj"
    trimesh.creation.icosphere(subdivisions=6).export(dense)  # 81,920 triangles
    error = _refused(lambda: load_model(dense, 1.0, field), path=dense, field=field,
                     says="triangles")
    assert "50,000" in error.problem and "simplify" in error.fix
    junk = tmp_path / "junk.glb"
    junk.write_bytes(b"glTF" + os.urandom(200))
    _refused(lambda: load_model(junk, 1.0, field), path=junk, field=field, says="damaged")
    empty = tmp_path / "empty.obj"
    empty.write_text("# nothing here\n")
    _refused(lambda: load_model(empty, 1.0, field), path=empty, field=field, says="no triangles")
    png = _png(tmp_path / "picture.png", 4, 4)
    _refused(lambda: load_model(png, 1.0, field), path=png, field=field, says="not a model")
    missing = tmp_path / "gone.glb"
    _refused(lambda: load_model(missing, 1.0, field), path=missing, field=field,
             says="not found")
    outside = tmp_path / "sub" / "leaky.gltf"
    outside.parent.mkdir()
    outside.write_text('{"asset": {"version": "2.0"}, "buffers": '
                       '[{"uri": "../../../etc/passwd", "byteLength": 10}]}')
    _refused(lambda: load_model(outside, 1.0, field), path=outside, field=field,
             says="outside its folder")


def test_anchor_content_keeps_what_loaded_and_collects_what_did_not(tmp_path):
    from hktwin.analysis.sites import ARAnchor

    (tmp_path / "content").mkdir()
    _png(tmp_path / "content" / "ok.png", 16, 8)
    good = ARAnchor("a-1", 834_000.0, 816_000.0, image="content/ok.png")
    loaded = anchor_content(good, tmp_path)
    assert loaded.image is not None and loaded.model is None and loaded.errors == ()
    bad = ARAnchor("a-2", 834_000.0, 816_000.0, image="content/missing.png",
                   model=str(CONTENT / "kiosk.glb"), content_size_m=2.0)  # absolute: as is
    loaded = anchor_content(bad, tmp_path)
    assert loaded.image is None and loaded.model is not None
    assert loaded.model.size.max() == pytest.approx(2.0, abs=1e-4)
    (error,) = loaded.errors
    assert error.field == "a-2.image" and error.path == str(tmp_path / "content" / "missing.png")
    assert anchor_content(ARAnchor("a-3", 834_000.0, 816_000.0), tmp_path).errors == ()


# -- the record and the layout ------------------------------------------------------------------

def test_the_record_check_and_the_schema_agree_on_content_fields():
    from jsonschema import Draft202012Validator

    from hktwin.analysis.sites import ARAnchor, site_problems
    from hktwin.model.scenario_io import SCHEMA, record_to_dict

    validator = Draft202012Validator({"$ref": "#/$defs/anchor", "$defs": SCHEMA["$defs"]})
    base = ARAnchor("a-1", 834_000.0, 816_000.0)
    cases = {"image": ["poster.png", "a/B.JPG", "x.jpeg", "", "x.gif", "x.png.txt", "png"],
             "model": ["k.glb", "K.GLTF", "m.obj", "", "m.stl", "m.glb.zip"],
             "text": ["two\nlines", "x" * 280, "x" * 281]}
    for name, values in cases.items():
        for value in values:
            edited = base.__class__(**{**record_to_dict(base), name: value})
            by_table = not site_problems(edited)
            by_schema = validator.is_valid(record_to_dict(edited))
            assert by_table == by_schema, (name, value)
    problems = site_problems(ARAnchor("a-1", 834_000.0, 816_000.0, image="poster.gif"))
    assert [p[0] for p in problems] == ["image"] and ".png" in problems[0][2]


def test_a_models_title_card_stands_above_it_and_an_image_card_is_taller():
    import arscenes

    from hktwin.analysis.ar.layout import card_kind, layout_anchors
    from hktwin.analysis.ar.occlusion import Occluder
    from hktwin.analysis.ar.projection import PhoneCamera

    city = arscenes.city(arscenes.buildings(boxes=()))
    occluder = Occluder.from_city(city)
    x, y = arscenes.VIEWER
    cam = PhoneCamera(x, y, arscenes.GROUND + 1.6, 0.0, 0.0, 65.0, 600, 1000)
    plain = arscenes.anchor("plain", -12.0, 40.0)
    poster = arscenes.anchor("poster", 0.0, 40.0, image="p.png")
    kiosk = arscenes.anchor("kiosk", 12.0, 40.0, height_m=1.5, size=3.0, model="k.glb")
    assert [card_kind(a) for a in (plain, poster, kiosk)] == ["card", "image", "model"]
    assert card_kind(poster, has_image=False) == "card"  # its file did not load
    views = {v.id: v for v in layout_anchors(cam, [plain, poster, kiosk], occluder)}
    assert all(v.shown for v in views.values())
    assert [views[k].kind for k in ("plain", "poster", "kiosk")] == ["card", "image", "model"]

    def height(v):
        return (v.rect[3] - v.rect[1]) / (v.rect[2] - v.rect[0])

    assert height(views["poster"]) > 1.5 * height(views["plain"]) > 2 * height(views["kiosk"])
    top = np.array([[kiosk.x, kiosk.y, kiosk.ground_m + kiosk.height_m + 1.5]])
    _, v, _ = cam.project(top)
    assert views["kiosk"].rect[3] < v[0]  # the card's bottom is above the model's top
    assert views["kiosk"].v > views["kiosk"].rect[3]  # the model's middle is below the card


def test_without_trimesh_a_model_is_a_data_error_not_a_crash(monkeypatch):
    monkeypatch.setitem(sys.modules, "trimesh", None)  # `import trimesh` raises ImportError
    path = CONTENT / "kiosk.glb"
    _refused(lambda: load_model(path, 1.0, "k.model"), path=path, field="k.model",
             says="trimesh")


@pytest.mark.parametrize("text", ["[1, 2]", "{not json", '{"buffers": 5}'])
def test_a_gltf_that_is_not_a_gltf_document_is_refused(tmp_path, text):
    path = tmp_path / "odd.gltf"
    path.write_text(text)
    with pytest.raises(DataError) as caught:
        load_model(path, 1.0, "odd.model")
    assert caught.value.field == "odd.model" and caught.value.path == str(path)
