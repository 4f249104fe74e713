"""Discovery through real entry points, lazy loading, and one deliberately broken plugin per
stage (manifest, API, import, registration, draw, pick, poll, analysis, layer factory): each is
named, disabled, reported once, and the rest of the app keeps working."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from plugin_test_helpers import write_broken_layer_plugin, write_plugin

import hktwin.plugins as hp
from hktwin.core import settings

GOOD = """
[plugin]
name = "good"
api = "1"
[[analyses]]
name = "count-layers"
run = "hkt_test_good.code:run"
"""
GOOD_CODE = """
import hktwin.plugins as hp

def run(twin, **params):
    return hp.AnalysisResult(metrics={"layers": float(len(twin.layers))})
"""


def test_discovery_reads_manifests_without_importing_plugin_code(site, fresh):
    write_plugin(site, "eager", """
        [plugin]
        name = "eager"
        title = "Eager"
        api = "1.0"
        [[layers]]
        name = "thing"
        model = "hkt_test_eager.layer:Thing"
        adapter = "hkt_test_eager.layer:ThingAdapter"
        [[cli]]
        name = "eager-cmd"
        module = "hkt_test_eager.cli"
        """, {"layer.py": "raise RuntimeError('imported too early')",
              "__init__.py": "raise RuntimeError('package imported too early')"})
    reg = fresh()
    plugin = reg.plugin("eager")
    assert plugin.active and plugin.version == "0.1.0" and plugin.distribution == "hkt_test_eager"
    assert [c.id for c in reg.contributions("layers") if c.plugin == "eager"] == ["eager:thing"]
    assert [c.name for c in reg.contributions("cli") if c.plugin == "eager"] == ["eager-cmd"]
    assert "hkt_test_eager" not in sys.modules
    assert reg.plugin("builtin").active  # the built-ins are discovered the same way


def test_a_contribution_is_imported_on_first_use_and_once(site, fresh):
    write_plugin(site, "good", GOOD, {"code.py": GOOD_CODE})
    reg = fresh()
    assert "hkt_test_good.code" not in sys.modules
    c = reg.contribution("analyses", "count-layers")
    assert c.load("run") is c.load("run")
    assert "hkt_test_good.code" in sys.modules
    twin = hp.Twin()
    assert hp.run_analysis("good:count-layers", twin).metrics == {"layers": 0.0}


@pytest.mark.parametrize(("manifest", "field"), [
    ("[plugin\nname = 'x'", None),                                      # not TOML
    ("[plugin]\nname = 'Bad Name'\napi = '1'", "plugin.name"),
    ("[plugin]\nname = 'x'", "plugin.api"),
    ("[plugin]\nname = 'x'\napi = '1'\n[[layers]]\nname = 'l'", "layers[0].model"),
    ("[plugin]\nname = 'x'\napi = '1'\n[[gadgets]]\nname = 'g'", "gadgets"),
    ("[plugin]\nname = 'x'\napi = '1'\n[[feeds]]\nname = 'f'\nsource = 'not a ref!'",
     "feeds[0].source"),
])
def test_a_bad_manifest_refuses_that_plugin_only_naming_the_field(site, fresh, manifest, field):
    write_plugin(site, "badmanifest", manifest)
    write_plugin(site, "good", GOOD, {"code.py": GOOD_CODE})
    reg = fresh()
    bad = next(p for p in reg.plugins() if p.entry_point == "hkt_test_badmanifest")
    assert not bad.active and bad.stage == "manifest"
    assert "hktwin-plugin.toml" in bad.error
    if field:
        assert f"[{field}]" in bad.error
    assert reg.plugin("good").active


def test_a_missing_manifest_is_reported(site, fresh):
    write_plugin(site, "nomanifest", None)
    bad = next(p for p in fresh().plugins() if p.entry_point == "hkt_test_nomanifest")
    assert bad.stage == "manifest" and "no manifest" in bad.error


def test_an_incompatible_api_version_is_refused_with_a_message(site, fresh):
    write_plugin(site, "future", """
        [plugin]
        name = "future"
        api = "2.0"
        [[analyses]]
        name = "a"
        run = "hkt_test_future.code:run"
        """, {"code.py": "raise RuntimeError('must not be imported')"})
    write_plugin(site, "newer-minor", """
        [plugin]
        name = "newer-minor"
        api = "1.99"
        """)
    reg = fresh()
    future = reg.plugin("future")
    assert not future.active and future.stage == "api"
    assert "written for plugin API 2.0" in future.error and hp.API_VERSION in future.error
    assert reg.plugin("newer-minor").stage == "api"
    assert all(c.plugin != "future" for c in reg.contributions("analyses"))
    with pytest.raises(hp.PluginError, match="future"):
        reg.call("future", "analysis", lambda: None)


def test_an_import_error_disables_the_plugin_and_notifies_once(site, fresh):
    write_plugin(site, "crashy", """
        [plugin]
        name = "crashy"
        api = "1"
        [[analyses]]
        name = "boom"
        run = "hkt_test_crashy.code:run"
        [[analyses]]
        name = "boom2"
        run = "hkt_test_crashy.code:run2"
        """, {"code.py": "raise ImportError('a dependency is missing: numpyy')"})
    write_plugin(site, "good", GOOD, {"code.py": GOOD_CODE})
    reg = fresh()
    told = []
    reg.on_failure(told.append)
    first, second = (reg.contribution("analyses", n) for n in ("boom", "boom2"))
    with pytest.raises(hp.PluginError, match=r"crashy.*import.*numpyy"):
        first.load("run")
    with pytest.raises(hp.PluginError):
        second.load("run")
    plugin = reg.plugin("crashy")
    assert plugin.stage == "import" and not plugin.active
    assert "Traceback" in plugin.traceback and "numpyy" in plugin.traceback
    assert [p.name for p in told] == ["crashy"]  # once
    assert [c.plugin for c in reg.contributions("analyses") if c.plugin == "crashy"] == []
    assert hp.run_analysis("count-layers", hp.Twin()).metrics["layers"] == 0.0


def test_a_reference_to_nothing_or_the_wrong_type_fails_at_registration(site, fresh):
    write_plugin(site, "wrongref", """
        [plugin]
        name = "wrongref"
        api = "1"
        [[feeds]]
        name = "wrong-feed"
        source = "hkt_test_wrongref.code:NOT_A_SOURCE"
        [[analyses]]
        name = "missing"
        run = "hkt_test_wrongref.code:nothing_here"
        """, {"code.py": "NOT_A_SOURCE = 42\n"})
    reg = fresh()
    with pytest.raises(hp.PluginError, match="registration"):
        reg.contribution("analyses", "missing").load("run")
    assert reg.plugin("wrongref").stage == "registration"
    assert "nothing_here" in reg.plugin("wrongref").error


def test_a_feed_source_that_is_not_one_is_refused(site, fresh):
    write_plugin(site, "notafeed", """
        [plugin]
        name = "notafeed"
        api = "1"
        [[feeds]]
        name = "nf"
        source = "hkt_test_notafeed.code:SOURCE"
        """, {"code.py": "SOURCE = {'nf': 'a string'}\n"})
    fresh()
    with pytest.raises(hp.PluginError, match="not a FeedSource"):
        hp.feed_source("nf")
    assert hp.registry().plugin("notafeed").stage == "registration"


def test_a_failing_adapter_draws_nothing_and_disables_its_plugin(site, fresh):
    from vispy import scene

    from hktwin.render.adapters import VisualAdapter, adapter_for

    write_broken_layer_plugin(site)
    reg = fresh()
    layer_type = reg.contribution("layers", "bad").load("model")
    layer = layer_type("bad one")
    root = scene.Node()
    adapter = adapter_for(layer)(layer, root, None)
    assert type(adapter) is VisualAdapter  # an empty node: the scene carries on
    plugin = reg.plugin("brokenlayer")
    assert plugin.stage == "draw" and "draw failed" in plugin.error
    assert type(adapter_for(layer_type("again"))(layer_type("again"), root)) is VisualAdapter


def test_a_failing_picker_answers_nothing_and_disables_its_plugin(site, fresh):
    write_broken_layer_plugin(site)
    reg = fresh()
    layer = reg.contribution("layers", "bad").load("model")("bad one")
    assert hp.pick_layer(layer, np.zeros(3), np.ones(3)) is None
    assert reg.plugin("brokenlayer").stage == "pick"


def test_a_failing_layer_factory_leaves_the_other_layers(site, fresh):
    write_plugin(site, "badfactory", """
        [plugin]
        name = "badfactory"
        api = "1"
        [[layers]]
        name = "x"
        model = "hkt_test_badfactory.code:X"
        factory = "hkt_test_badfactory.code:make_layers"
        [[layers]]
        name = "y"
        model = "hkt_test_badfactory.code:X"
        factory = "hkt_test_badfactory.code:not_layers"
        """, {"code.py": "def make_layers(city):\n    raise MemoryError('too big')\n"
                         "def not_layers(city):\n    return ['a string']\n"})
    write_broken_layer_plugin(site)
    reg = fresh()
    made = hp.city_layers(city=None)
    assert "bad one" in [layer.name for layer in made]  # the healthy factory still ran
    assert all(getattr(layer, "plugin", "") != "badfactory" for layer in made)
    assert reg.plugin("badfactory").stage == "registration"


FEEDY = """
[plugin]
name = "feedy"
api = "1"
[[feeds]]
name = "feedy-src"
source = "hkt_test_feedy.code:SOURCES"
"""
FEEDY_CODE = """
import hktwin.plugins as hp

def parse(data):
    if data == b"bad document":
        raise hp.FeedFormatError("feedy-src", "not the published format")
    return 1 / 0

SOURCES = {"feedy-src": hp.FeedSource("feedy-src", "https://example.invalid/", 60.0, parse)}
"""


def test_a_crashing_parser_is_a_failing_source_and_a_disabled_plugin(site, fresh):
    from hktwin.feeds.base import FeedFormatError
    from hktwin.feeds.sources import get_source, source_names

    write_plugin(site, "feedy", FEEDY, {"code.py": FEEDY_CODE})
    reg = fresh()
    assert "feedy-src" in source_names()
    source = get_source("feedy-src")
    with pytest.raises(FeedFormatError, match="not the published format"):
        source.parse(b"bad document")  # a bad document is the document's fault
    assert reg.plugin("feedy").active
    with pytest.raises(FeedFormatError, match="ZeroDivisionError"):
        source.parse(b"{}")  # the poller sees a failing source, not a crash
    assert reg.plugin("feedy").stage == "poll"
    assert "feedy-src" not in source_names()
    assert "td-speed" in source_names()


def test_a_crashing_analysis_leaves_the_twin_as_it_was(site, fresh):
    write_plugin(site, "badanalysis", """
        [plugin]
        name = "badanalysis"
        api = "1"
        [[analyses]]
        name = "explode"
        run = "hkt_test_badanalysis.code:run"
        [[analyses]]
        name = "wrong-result"
        run = "hkt_test_badanalysis.code:wrong"
        """, {"code.py": "def run(twin, **p):\n    twin.layers.clear()\n    raise ValueError('x')\n"
                         "def wrong(twin, **p):\n    return {'not': 'a result'}\n"})
    reg = fresh()
    twin = hp.Twin()
    twin.layers.append(hp.Layer("mine"))
    with pytest.raises(hp.PluginError, match=r"badanalysis.*analysis"):
        hp.run_analysis("wrong-result", twin)
    assert reg.plugin("badanalysis").stage == "analysis"
    assert twin.layers.names() == ["mine"]
    with pytest.raises(hp.PluginError, match=r"disabled|not a|wrong"):
        hp.run_analysis("explode", twin)  # already disabled: its code is not run
    assert twin.layers.names() == ["mine"]


def test_the_user_s_choice_is_kept_in_the_settings(site, fresh):
    write_plugin(site, "good", GOOD, {"code.py": GOOD_CODE})
    reg = fresh()
    reg.set_enabled("good", False)
    assert settings.load().enabled_plugins == {"good": False}
    again = fresh()
    assert not again.plugin("good").active and again.plugin("good").error is None
    assert all(c.plugin != "good" for c in again.contributions("analyses"))
    with pytest.raises(hp.PluginError, match="disabled"):
        again.call("good", "analysis", lambda: 1)
    again.set_enabled("good", True)
    assert fresh().plugin("good").active


def test_two_plugins_with_one_name_keep_the_first(site, fresh):
    write_plugin(site, "good", GOOD, {"code.py": GOOD_CODE})
    write_plugin(site, "good2", GOOD, package="hkt_test_goodtwin")
    reg = fresh()
    names = [p for p in reg.plugins() if p.entry_point.startswith("hkt_test_good")]
    assert sum(p.active for p in names) == 1
    assert any("already called 'good'" in (p.error or "") for p in names)


def test_the_session_tells_of_refused_and_failing_plugins_once(site, fresh):
    from hktwin.session import Session

    write_plugin(site, "future", "[plugin]\nname = 'future'\napi = '3'\n")
    write_plugin(site, "crashy", """
        [plugin]
        name = "crashy"
        api = "1"
        [[analyses]]
        name = "boom"
        run = "hkt_test_crashy.code:run"
        """, {"code.py": "raise ImportError('numpyy')"})
    fresh()
    session = Session()
    said: list[str] = []
    session.status.connect(said.append)
    assert any("'future' was not loaded" in n for n in session.plugin_notices)
    with pytest.raises(hp.PluginError):
        hp.contribution("analyses", "boom").load("run")
    with pytest.raises(hp.PluginError):
        hp.contribution("analyses", "boom").load("run")
    assert [s for s in said if "crashy" in s] == [
        "Plugin 'crashy' failed (import) and is disabled: ImportError: numpyy"]
