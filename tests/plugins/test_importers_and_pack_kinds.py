"""A plugin adds a data format end to end: its importer writes a layer into a pack (picked by
`detect` or by `--as`), its pack kind reads it back when the pack opens, its layer factory
turns it into a layer. Without the plugin the pack still opens, saying what it left out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from plugin_test_helpers import write_plugin

from hktwin.core.errors import DataError
from packs import write_tiny_pack

MANIFEST = """
    [plugin]
    name = "sightings"
    api = "1.0"

    [[importers]]
    name = "sightings"
    title = "Bird sightings"
    run = "hkt_test_sightings.fmt:import_sightings"
    detect = "hkt_test_sightings.fmt:looks_like"
    kind = "bird-sightings"
    suffix = ".json"

    [[pack_kinds]]
    name = "bird-sightings"
    reader = "hkt_test_sightings.fmt:read"

    [[layers]]
    name = "sightings"
    model = "hkt_test_sightings.fmt:SightingsLayer"
    factory = "hkt_test_sightings.fmt:make_layers"
"""
CODE = {"fmt.py": """
    import json
    from dataclasses import dataclass, field

    import hktwin.plugins as hp

    MAGIC = b"SIGHTINGS v1\\n"

    def looks_like(path):
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC

    def import_sightings(path, out, progress):
        lines = open(path).read().splitlines()
        rows = [line.split(",") for line in lines
                if line and not line.startswith(("SIGHTINGS", "species"))]
        if any(len(r) != 3 for r in rows):
            raise ValueError("a row is not species,easting,northing")
        points = [[r[0], float(r[1]), float(r[2])] for r in rows]
        out.write_text(json.dumps(points))
        progress(1.0, "sightings read")
        xs, ys = [p[1] for p in points], [p[2] for p in points]
        return {"count": len(points), "extent": [min(xs), min(ys), max(xs), max(ys)]}

    def read(path, entry):
        return json.loads(path.read_text())

    @hp.evented
    @dataclass(eq=False)
    class SightingsLayer(hp.Layer):
        points: list = field(default_factory=list)

    def make_layers(city):
        return [SightingsLayer(name, points=data)
                for name, (kind, data) in city.extras.items() if kind == "bird-sightings"]
"""}
ROWS = "species,easting,northing\nblack kite,834000,816000\negret,834100,816050\n"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    return write_tiny_pack(tmp_path / "pack")


def sightings_file(folder: Path, body: str = ROWS, magic: bool = True) -> Path:
    path = folder / "kites.txt"
    path.write_bytes((b"SIGHTINGS v1\n" if magic else b"") + body.encode())
    return path


def test_a_plugin_format_is_detected_imported_read_back_and_becomes_a_layer(site, fresh, pack):
    from hktwin.geo.pack import open_pack
    from hktwin.geo.pack_writer import import_files
    from hktwin.plugins import city_layers

    write_plugin(site, "sightings", MANIFEST, CODE)
    fresh()
    report = import_files([sightings_file(pack.parent)], pack)
    entry = json.loads((pack / "manifest.json").read_text())["layers"]["kites"]
    assert entry["kind"] == "bird-sightings" and entry["count"] == 2
    assert entry["extent"] == [834000.0, 816000.0, 834100.0, 816050.0]
    assert (pack / entry["path"]).parent == pack  # written inside the pack
    assert report.layers[0].name == "kites"
    city = open_pack(pack, base=False)
    kind, points = city.extras["kites"]
    assert kind == "bird-sightings" and points[1] == ["egret", 834100.0, 816050.0]
    layer = next(la for la in city_layers(city) if type(la).__name__ == "SightingsLayer")
    assert len(layer.points) == 2


def test_as_names_a_plugin_importer_and_the_cli_lists_it(site, fresh, pack, capsys):
    from hktwin.cli import main

    write_plugin(site, "sightings", MANIFEST, CODE)
    fresh()
    plain = sightings_file(pack.parent, magic=False)  # its detect says no: --as picks it
    assert main(["data", "import", str(plain), "--pack", str(pack), "--as", "sightings"]) == 0
    layers = json.loads((pack / "manifest.json").read_text())["layers"]
    assert layers["kites"]["kind"] == "bird-sightings"
    assert main(["data", "import", str(plain), "--pack", str(pack), "--as", "nonsense"]) == 2
    assert "sightings" in capsys.readouterr().err  # argparse lists the choices


def test_a_failing_importer_names_the_file_and_leaves_the_pack_untouched(site, fresh, pack):
    from hktwin.geo.pack_writer import import_files

    write_plugin(site, "sightings", MANIFEST, CODE)
    reg = fresh()
    before = (pack / "manifest.json").read_bytes()
    bad = sightings_file(pack.parent, "species,easting,northing\nkite,834000\n")
    with pytest.raises(DataError) as err:
        import_files([bad], pack)
    text = str(err.value)
    assert "kites.txt" in text and "sightings" in text and "species,easting,northing" in text
    assert (pack / "manifest.json").read_bytes() == before
    assert not reg.plugin("sightings").active  # a crash in plugin code disables the plugin


def test_without_the_plugin_the_pack_opens_and_says_what_it_left_out(site, fresh, pack,
                                                                     caplog):
    from hktwin.geo.pack import open_pack, read_manifest
    from hktwin.geo.pack_writer import import_files

    write_plugin(site, "sightings", MANIFEST, CODE)
    fresh()
    import_files([sightings_file(pack.parent)], pack)
    shutil.rmtree(site / "hkt_test_sightings")
    for dist in site.glob("hkt_test_sightings-*.dist-info"):
        shutil.rmtree(dist)
    fresh()
    read_manifest(pack)  # a plugin's kind is a valid entry without the plugin
    city = open_pack(pack, base=False)
    assert "kites" not in city.extras and city.terrain is not None
    assert any("bird-sightings" in w and "plugin" in w for w in city.warnings)
    assert "no installed plugin reads" in caplog.text
    with pytest.raises(DataError, match="a 'kind'"):  # a kind that is no name is still refused
        manifest = json.loads((pack / "manifest.json").read_text())
        manifest["layers"]["kites"]["kind"] = "Bird Sightings!"
        (pack / "manifest.json").write_text(json.dumps(manifest))
        read_manifest(pack)
