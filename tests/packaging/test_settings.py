"""Settings: versioned JSON in the config folder; a bad file is set aside, never fatal."""

from __future__ import annotations

import json

import pytest

from hktwin.core import settings


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    monkeypatch.setenv("HKTWIN_CONFIG_DIR", str(tmp_path / "cfg"))
    return tmp_path / "cfg"


def test_defaults_when_no_file(cfg):
    s = settings.load()
    assert s == settings.Settings()
    assert s.notices == []
    assert not settings.settings_path().exists()


def test_round_trip_is_versioned_and_atomic(cfg):
    s = settings.load()
    s.set_plugin_enabled("hktwin-example-heat", False)
    s.add_recent_scenario(cfg / "a.hktwin.json")
    s.add_recent_pack(cfg / "pack")
    s.window = {"geometry": "AAAA", "state": "BBBB", "maximized": True}
    s.feed_polling.enabled = True
    s.feed_polling.interval_s = 120
    s.units = "imperial"
    s.language = "zh-Hant"
    path = settings.save(s)
    assert path == cfg / "settings.json"
    data = json.loads(path.read_text())
    assert data["version"] == settings.VERSION
    assert "notices" not in data
    assert [p.name for p in cfg.iterdir()] == ["settings.json"]  # no temporary left behind
    again = settings.load()
    assert again == s
    assert not again.is_plugin_enabled("hktwin-example-heat")
    assert again.is_plugin_enabled("never-heard-of")
    assert again.recent_scenarios == [str((cfg / "a.hktwin.json").resolve())]


def test_recent_lists_are_most_recent_first_without_duplicates(cfg):
    s = settings.Settings()
    for i in range(settings.MAX_RECENT + 3):
        s.add_recent_pack(cfg / f"p{i}")
    s.add_recent_pack(cfg / "p5")
    assert len(s.recent_packs) == settings.MAX_RECENT
    assert s.recent_packs[0].endswith("p5")
    assert len(set(s.recent_packs)) == len(s.recent_packs)


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"\xff\xfe\x00garbage",
                                     b'{"version": "one"}'])
def test_corrupt_file_is_set_aside_with_a_message(cfg, content):
    cfg.mkdir()
    path = cfg / "settings.json"
    path.write_bytes(content)
    s = settings.load()
    assert s == settings.Settings()
    assert len(s.notices) == 1 and "set aside" in s.notices[0]
    assert not path.exists()
    aside = [p for p in cfg.iterdir() if p.name.startswith("settings.json.bad-")]
    assert len(aside) == 1 and aside[0].read_bytes() == content
    settings.save(s)  # and the app can carry on writing
    assert settings.load().notices == []


def test_wrong_typed_keys_fall_back_one_by_one(cfg):
    cfg.mkdir()
    (cfg / "settings.json").write_text(json.dumps({
        "version": 1, "units": "furlongs", "recent_packs": "nope", "language": "en",
        "enabled_plugins": {"a": "yes"}, "feed_polling": {"enabled": True, "interval_s": -5},
        "welcome_shown": True,
    }))
    s = settings.load()
    assert s.units == "metric" and s.recent_packs == [] and s.enabled_plugins == {}
    assert s.feed_polling.enabled is True and s.feed_polling.interval_s == 60
    assert s.welcome_shown is True
    assert len(s.notices) == 4
    assert (cfg / "settings.json").exists()  # a partly usable file is not set aside


def test_unversioned_file_is_migrated(cfg):
    cfg.mkdir()
    (cfg / "settings.json").write_text(json.dumps({"plugins": ["old-one"], "units": "metric"}))
    s = settings.load()
    assert s.enabled_plugins == {"old-one": False}
    assert any("migrated to version 1" in n for n in s.notices)


def test_newer_version_is_kept_and_read_as_far_as_known(cfg):
    cfg.mkdir()
    newer = {"version": settings.VERSION + 1, "language": "zh-Hant", "future_key": [1]}
    (cfg / "settings.json").write_text(json.dumps(newer))
    s = settings.load()
    assert s.language == "zh-Hant"
    assert "newer HK Twin" in s.notices[0]
    kept = cfg / f"settings.json.v{settings.VERSION + 1}"
    assert json.loads(kept.read_text()) == newer


def test_reset_keeps_a_backup(cfg):
    s = settings.Settings(units="imperial", welcome_shown=True)
    settings.save(s)
    fresh = settings.reset()
    assert fresh == settings.Settings()
    assert settings.load() == settings.Settings()
    backup = cfg / "settings.json.before-reset"
    assert json.loads(backup.read_text())["units"] == "imperial"


def test_notice_outlives_the_first_load(cfg):
    cfg.mkdir()
    (cfg / "settings.json").write_text("{oops")
    settings.take_notices()
    first = settings.load()  # e.g. the plugin registry's, which nobody shows
    assert first.notices
    assert settings.load().notices == []  # the file was set aside: later loads see defaults
    pending = settings.take_notices()
    assert len(pending) == 1 and "set aside" in pending[0]
    assert settings.take_notices() == []


def test_settings_command(cfg, capsys):
    from hktwin.cli import main

    cfg.mkdir()
    (cfg / "settings.json").write_text('{"version": 1, "units": "imperial"}')
    assert main(["settings", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(cfg / "settings.json")
    assert main(["settings"]) == 0
    assert json.loads(capsys.readouterr().out)["units"] == "imperial"
    assert main(["settings", "reset"]) == 0
    assert "reset to the defaults" in capsys.readouterr().out
    assert settings.load().units == "metric"
    (cfg / "settings.json").write_text("[]")
    assert main(["settings", "show"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("hktwin: ") and "set aside" in out.splitlines()[0]
