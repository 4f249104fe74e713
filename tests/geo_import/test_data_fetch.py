"""`hktwin data fetch` against a local HTTP server: checksums, a refused file, a 404."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from geo_import_helpers import siblings, tree_state

from hktwin.cli import main
from hktwin.geo.fetch import CATALOGUE, Dataset, FetchError, fetch_dataset
from packs import X0, Y0

TD_CSV = ("Link ID,Start Node,Start Node Eastings,Start Node Northings,End Node,"
          "End Node Eastings,End Node Northings,Region,Road Type\n"
          f"1-2,1,{X0 + 200},{Y0 + 1300},2,{X0 + 1800},{Y0 + 1300},HK,MAJOR ROUTE\n"
          f"2-3,2,{X0 + 1800},{Y0 + 1300},3,{X0 + 1800},{Y0 + 1900},HK,URBAN ROAD\n")


@pytest.fixture
def server(island_dtm):
    """Serves /dtm.tif and /links.csv on 127.0.0.1; anything else is a 404."""
    files = {"/dtm.tif": island_dtm.read_bytes(), "/links.csv": TD_CSV.encode()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            body = body if body is not None else b"not found"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _catalogue(base: str, sha: str | None, path: str = "/dtm.tif") -> dict[str, Dataset]:
    return {"island-dtm": Dataset("island-dtm", "Test DTM", "Tests", "https://example.invalid",
                                  base + path, "island-dtm.tif", "terrain", sha256=sha)}


def test_a_verified_download_is_imported(server, tmp_path):
    base, files = server
    sha = hashlib.sha256(files["/dtm.tif"]).hexdigest()
    seen = []
    result = fetch_dataset("island-dtm", tmp_path / "pack", lambda f, m: seen.append(m),
                           folder=tmp_path / "dl", catalogue=_catalogue(base, sha))
    assert result.verified and result.sha256 == sha
    assert result.report.layers[0].kind == "terrain"
    assert (tmp_path / "pack" / "terrain.tif").exists()
    assert any(m.startswith("Downloading island-dtm.tif") for m in seen)


def test_a_wrong_checksum_is_refused_and_nothing_is_kept(server, tmp_path, island_pack):
    base, _ = server
    before, beside = tree_state(island_pack), siblings(island_pack)
    with pytest.raises(FetchError) as err:
        fetch_dataset("island-dtm", island_pack, folder=tmp_path / "dl",
                      catalogue=_catalogue(base, "0" * 64))
    text = str(err.value)
    assert "refused" in text and "does not match" in text and "nothing was imported" in text
    assert "Fix:" in text and "--sha256" in text
    assert tree_state(island_pack) == before and siblings(island_pack) == beside
    assert not any((tmp_path / "dl").iterdir())


def test_a_404_names_the_status_and_the_fix(server, tmp_path, island_pack):
    base, _ = server
    before = tree_state(island_pack)
    with pytest.raises(FetchError) as err:
        fetch_dataset("island-dtm", island_pack, folder=tmp_path / "dl",
                      catalogue=_catalogue(base, None, "/moved.tif"))
    text = str(err.value)
    assert "answered 404" in text and "/moved.tif" in text and "--url" in text
    assert tree_state(island_pack) == before


def test_the_cli_warns_with_the_hash_when_none_is_published(server, island_pack, capsys):
    base, files = server
    code = main(["data", "fetch", "td-links", "--pack", str(island_pack),
                 "--url", base + "/links.csv"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    sha = hashlib.sha256(files["/links.csv"]).hexdigest()
    assert f"SHA-256 is {sha}" in captured.err and "warning:" in captured.err
    assert "roads" in captured.out
    from hktwin.geo.pack import open_pack

    assert len(open_pack(island_pack).vectors["roads"]) == 2


def test_the_cli_reports_a_404_in_one_line(server, island_pack, capsys):
    base, _ = server
    assert main(["data", "fetch", "td-links", "--pack", str(island_pack),
                 "--url", base + "/gone.csv"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("hktwin: error: td-links: the server answered 404")


def test_datasets_without_a_download_address_say_where_to_get_them(tmp_path):
    with pytest.raises(FetchError, match=r"download it from https://data\.gov\.hk/"):
        fetch_dataset("landsd-buildings", tmp_path / "pack")
    with pytest.raises(FetchError, match=r"unknown dataset 'moon'"):
        fetch_dataset("moon", tmp_path / "pack")


def test_the_catalogue_points_at_government_portals():
    for d in CATALOGUE.values():
        assert d.page.startswith("https://data.gov.hk/")
        assert d.url is None or d.url.startswith(("https://www.landsd.gov.hk/",
                                                  "https://static.data.gov.hk/",
                                                  "https://portal.csdi.gov.hk/"))
        assert d.sha256 is None or len(d.sha256) == 64
    assert Path(CATALOGUE["landsd-dtm-5m"].filename).suffix == ".zip"
    assert CATALOGUE["landsd-dtm-5m"].crs == "EPSG:2326"
