"""A plugin's `[[samples]]` are known packs: `hktwin data packs` lists them and a scenario's
"pack" may name them; a sample path leading out of its package is refused."""

from __future__ import annotations

import json

from plugin_test_helpers import write_plugin

from packs import write_tiny_pack

MANIFEST = """
    [plugin]
    name = "samples"
    api = "1.0"

    [[samples]]
    name = "tiny-sample"
    title = "A tiny city"
    path = "data/tiny"

    [[samples]]
    name = "escapee"
    path = "../../outside"

    [[samples]]
    name = "empty"
    path = "data"
"""


def test_samples_are_known_packs_and_confined_to_their_package(site, fresh, caplog, capsys):
    from hktwin.cli import main
    from hktwin.plugins import sample_packs
    from hktwin.session.evaluation import known_packs, resolve_pack

    package = write_plugin(site, "samples", MANIFEST)
    pack = write_tiny_pack(site / package / "data" / "tiny")
    write_tiny_pack(site.parent / "outside")  # a real pack, but outside the plugin
    fresh()
    assert sample_packs() == {"tiny-sample": pack.resolve()}
    assert "is not a folder inside the plugin" in caplog.text  # escapee
    assert "holds no data pack" in caplog.text  # empty
    assert known_packs()["tiny-sample"] == pack.resolve()
    assert resolve_pack("tiny-sample") == pack.resolve()
    assert main(["data", "packs", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["tiny-sample"] == str(pack.resolve()) and "demo" in listed
    assert "escapee" not in listed and "empty" not in listed
