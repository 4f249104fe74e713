"""HKO open data: English and Chinese responses give the same keys and values."""

from __future__ import annotations

import json

import pytest
from feed_docs import fixture

from hktwin.feeds import hko
from hktwin.feeds.base import FeedFormatError
from hktwin.feeds.sources import get_source


def by_key(rows):
    return {r.key: r for r in rows}


@pytest.fixture(scope="module")
def rhrread_en():
    return by_key(hko.parse_rhrread(fixture("rhrread_en.json")))


def test_rhrread_rows(rhrread_en):
    temps = [r for r in rhrread_en.values() if r.attrs["quantity"] == "temperature"]
    assert len(temps) == 27
    assert rhrread_en["temperature:King's Park"].value == 23.0
    assert rhrread_en["temperature:Chek Lap Kok"].unit == "degC"
    assert rhrread_en["temperature:Hong Kong Observatory"].observed_at.isoformat() \
        == "2026-03-22T17:00:00+08:00"
    rain = rhrread_en["rainfall:Central & Western"]
    assert (rain.value, rain.unit, rain.attrs["maintenance"]) == (0.0, "mm", False)
    assert rain.observed_at.isoformat() == "2026-03-22T16:45:00+08:00"
    assert rain.attrs["start"] == "2026-03-22T15:45:00+08:00"
    assert len([r for r in rhrread_en.values() if r.attrs["quantity"] == "rainfall"]) == 18
    assert rhrread_en["humidity:Hong Kong Observatory"].value == 74.0
    uv = rhrread_en["uvindex:King's Park"]
    assert (uv.value, uv.attrs["level"]) == (1.0, "low")
    summary = rhrread_en["summary"]
    assert summary.value is None and summary.observed_at.isoformat() == "2026-03-22T17:02:00+08:00"
    assert summary.attrs["warning_messages"] == [
        "The Fire Danger Warning is Yellow and the fire risk is high."]
    assert summary.attrs["icons"] == [50] and summary.attrs["tc_message"] == []
    assert all("known_place" not in r.attrs for r in rhrread_en.values())
    for row in rhrread_en.values():
        json.dumps(row.to_json())


def test_rhrread_chinese_gives_the_same_keys_and_values(real_data, rhrread_en):
    tc = by_key(hko.parse_rhrread((real_data / "hko" / "rhrread.json").read_bytes()))
    assert tc.keys() == rhrread_en.keys()
    for key, row in tc.items():
        en = rhrread_en[key]
        assert (row.value, row.unit, row.observed_at) == (en.value, en.unit, en.observed_at), key
        assert row.attrs.get("place") == en.attrs.get("place")
        assert row.attrs.get("level") == en.attrs.get("level")
        assert "known_place" not in row.attrs, key


def test_rhrread_at_night_without_uv_or_warnings():
    doc = json.loads(fixture("rhrread_en.json"))
    doc.update(uvindex="", warningMessage="", icon=[70])
    rows = by_key(hko.parse_rhrread(json.dumps(doc).encode()))
    assert not [k for k in rows if k.startswith("uvindex:")]
    assert rows["summary"].attrs["warning_messages"] == []
    assert rows["summary"].attrs["icons"] == [70]


def test_rhrread_rain_maintenance_minimum_and_unknown_places():
    doc = json.loads(fixture("rhrread_en.json"))
    doc["rainfall"]["data"][0].update(main="TRUE", max=3)
    doc["rainfall"]["data"][1].update(min=1, max=4)
    doc["temperature"]["data"].append({"place": "Lantau Peak", "value": 18, "unit": "C"})
    rows = by_key(hko.parse_rhrread(json.dumps(doc).encode()))
    assert rows["rainfall:Central & Western"].value is None
    assert rows["rainfall:Central & Western"].attrs["maintenance"] is True
    eastern = rows["rainfall:Eastern"]
    assert (eastern.value, eastern.attrs["min"]) == (4.0, 1.0)
    peak = rows["temperature:Lantau Peak"]
    assert peak.value == 18.0 and peak.attrs["known_place"] is False


def test_fnd_english_and_chinese_agree(real_data):
    en = by_key(hko.parse_fnd(fixture("fnd_en.json")))
    tc = by_key(hko.parse_fnd((real_data / "hko" / "fnd.json").read_bytes()))
    assert list(en) == list(tc) == [f"2026-03-{d}" for d in range(23, 32)]
    for key, row in en.items():
        other = tc[key]
        assert (row.value, row.observed_at) == (other.value, other.observed_at)
        for attr in ("min_temp", "max_rh", "min_rh", "psr", "icon"):
            assert row.attrs[attr] == other.attrs[attr], (key, attr)
    last = en["2026-03-31"]
    assert last.value == 27.0 and last.unit == "degC"
    assert last.attrs["psr"] == "Medium Low" and last.attrs["week"] == "Tuesday"
    assert last.observed_at.isoformat() == "2026-03-22T16:30:00+08:00"


def test_warnsum_english_and_chinese_agree(real_data):
    en = by_key(hko.parse_warnsum(fixture("warnsum_en.json")))
    tc = by_key(hko.parse_warnsum((real_data / "hko" / "warnsum.json").read_bytes()))
    assert set(en) == {"WFIREY", "WRAINA", "WTS"} and set(tc) == {"WFIREY"}
    for row in (en["WFIREY"], tc["WFIREY"]):
        assert row.value is None
        assert (row.attrs["type"], row.attrs["name_en"]) == ("Yellow", "Fire Danger Warning")
        assert row.attrs["actionCode"] == "ISSUE"
        assert row.observed_at.isoformat() == "2026-03-22T10:45:00+08:00"
    assert en["WRAINA"].attrs["actionCode"] == "CANCEL"
    assert en["WTS"].attrs["expireTime"] == "2026-03-22T19:00:00+08:00"


def test_no_warnings_is_no_rows():
    assert hko.parse_warnsum(b"{}") == []


@pytest.mark.parametrize("parse", [hko.parse_rhrread, hko.parse_fnd, hko.parse_warnsum])
@pytest.mark.parametrize("data", [b"", b"not json", b"[1, 2]", b'"text"', b"[" * 100_000,
                                  b"\xff\xfe\x00", b"{" + b" " * hko.MAX_BYTES + b"}"])
def test_malformed_documents_raise_feed_format_error(parse, data):
    with pytest.raises(FeedFormatError):
        parse(data)


def test_structural_errors_name_the_field():
    doc = json.loads(fixture("rhrread_en.json"))
    doc["temperature"]["data"][2]["value"] = "warm"
    with pytest.raises(FeedFormatError, match="temperature at Wong Chuk Hang"):
        hko.parse_rhrread(json.dumps(doc).encode())
    del doc["updateTime"]
    with pytest.raises(FeedFormatError, match="updateTime is missing"):
        hko.parse_rhrread(json.dumps(doc).encode())
    fnd = json.loads(fixture("fnd_en.json"))
    fnd["weatherForecast"][0]["forecastDate"] = "2026-03-23"
    with pytest.raises(FeedFormatError, match=r"weatherForecast\[0\].forecastDate"):
        hko.parse_fnd(json.dumps(fnd).encode())
    with pytest.raises(FeedFormatError, match="WFIRE is not an object"):
        hko.parse_warnsum(b'{"WFIRE": "yes"}')


def test_registered_in_english():
    for name, parse in (("hko-rhrread", hko.parse_rhrread), ("hko-fnd", hko.parse_fnd),
                        ("hko-warnsum", hko.parse_warnsum)):
        source = get_source(name)
        assert source.parse is parse and source.url.endswith("&lang=en")
        assert f"dataType={name.removeprefix('hko-')}" in source.url
