"""A pack names only files inside itself: a crafted manifest can neither delete nor read
anything outside the pack (issue: a re-import unlinked the file an absolute path named)."""

from __future__ import annotations

import json
import os

import pytest
from geo_import_helpers import write_dtm

from hktwin.cli import main
from hktwin.core.errors import DataError
from hktwin.geo.pack import open_pack, read_manifest
from hktwin.geo.pack_info import pack_info
from hktwin.geo.pack_writer import import_files


@pytest.fixture
def pack_and_victim(tmp_path):
    dtm = write_dtm(tmp_path / "dtm.tif")
    pack = tmp_path / "pack"
    import_files([dtm], pack)
    victim = tmp_path / "precious.tif"
    victim.write_bytes(b"the user's own file")
    return dtm, pack, victim


def _set_terrain_path(pack, value) -> None:
    manifest_path = pack / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    name = next(n for n, e in manifest["layers"].items() if e["kind"] == "terrain")
    manifest["layers"][name]["path"] = value
    manifest_path.write_text(json.dumps(manifest))


def _crafted_paths(victim):
    return [str(victim), f"../{victim.name}", f"sub/../../{victim.name}", None, 7, "", "C:/x.tif"]


@pytest.mark.parametrize("index", range(7))
def test_reimport_never_deletes_outside_the_pack(pack_and_victim, index, capsys):
    dtm, pack, victim = pack_and_victim
    _set_terrain_path(pack, _crafted_paths(victim)[index])
    code = main(["data", "import", str(dtm), "--pack", str(pack)])
    err = capsys.readouterr().err
    assert code == 2
    assert victim.read_bytes() == b"the user's own file"
    assert err.count("\n") == 1 and "manifest.json" in err and "layers." in err
    assert "Traceback" not in err


def test_symlink_leading_out_is_refused(pack_and_victim):
    dtm, pack, victim = pack_and_victim
    os.symlink(victim, pack / "link.tif")
    _set_terrain_path(pack, "link.tif")
    for call in (read_manifest, open_pack, pack_info):
        with pytest.raises(DataError, match="outside the pack"):
            call(pack)
    with pytest.raises(DataError, match="outside the pack"):
        import_files([dtm], pack)
    assert victim.exists()


def test_feed_paths_are_confined(pack_and_victim):
    _, pack, victim = pack_and_victim
    manifest = json.loads((pack / "manifest.json").read_text())
    manifest["feeds"] = {"links": str(victim)}
    (pack / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match=r"feeds\.links"):
        open_pack(pack)


def test_paths_inside_the_pack_still_open(pack_and_victim):
    _, pack, _ = pack_and_victim
    (pack / "sub").mkdir()
    manifest = json.loads((pack / "manifest.json").read_text())
    name = next(n for n, e in manifest["layers"].items() if e["kind"] == "terrain")
    os.replace(pack / manifest["layers"][name]["path"], pack / "sub" / "t.tif")
    _set_terrain_path(pack, "sub/t.tif")
    assert open_pack(pack).terrain.shape[0] > 0
