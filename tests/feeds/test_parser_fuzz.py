"""Every parser, fed random bytes or mutated real and fixture documents, either returns
well-formed rows or raises FeedFormatError - never another exception, never a hang."""

from __future__ import annotations

import json
import math
import re
from functools import cache
from xml.sax.saxutils import escape

import pytest
from feed_docs import REAL, fixture
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hktwin.feeds.base import FeedFormatError, Observation
from hktwin.feeds.sources import get_source

FUZZ = settings(max_examples=150, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# source -> fixture documents (+ one real document where the real folder has one)
DOCS = {
    "td-speedmap": ["__real__:td/20161014-180048-speedmap.xml"],
    "td-speed": ["irnAvgSpeed-all.xml"],
    "td-journey": ["Journeytimev2.xml"],
    "aqhi": ["aqhi_ind_rss_Eng.xml", "24aqhi_Eng.xml"],
    "hko-rhrread": ["rhrread_en.json", "__real__:hko/rhrread.json"],
    "hko-fnd": ["fnd_en.json", "__real__:hko/fnd.json"],
    "hko-warnsum": ["warnsum_en.json", "__real__:hko/warnsum.json"],
}
XML_SOURCES = ["td-speedmap", "td-speed", "td-journey", "aqhi"]
JSON_SOURCES = ["hko-rhrread", "hko-fnd", "hko-warnsum"]
SPEEDMAP_SAMPLE = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<jtis_speedlist>'
                   b"<jtis_speedmap><LINK_ID>3006-30069</LINK_ID><REGION>K</REGION>"
                   b"<ROAD_TYPE>URBAN ROAD</ROAD_TYPE><ROAD_SATURATION_LEVEL>TRAFFIC AVERAGE"
                   b"</ROAD_SATURATION_LEVEL><TRAFFIC_SPEED>27</TRAFFIC_SPEED><CAPTURE_DATE>"
                   b"2016-10-14T17:56:35</CAPTURE_DATE></jtis_speedmap></jtis_speedlist>")
TOKENS = [b"<", b">", b"</", b"/>", b"&", b"&amp;", b"&lol;", b"<!DOCTYPE x>", b'"', b"'", b"\x00",
          b"10+", b"-1", b"N", b"Y", b":", b" : ", b"T", b"+08:00", b"{", b"}", b"[", b"]", b",",
          b"null", b'""', b"NaN", b"1e999", b"\xe4\xb8\xad", b"\xff"]
ODD_TEXT = ["", " ", "-1", "0", "10+", "N", "Y", "nan", "inf", "1e999", "99999999999999999999",
            "2016-13-45T25:61:00", "Sun, 32 Mar 2026 25:00:00 +0800", " 12 ", "abc", "a : b : c",
            "中西區", "TRUE", "9.5"]


@cache
def documents(source: str) -> tuple[bytes, ...]:
    docs = []
    for name in DOCS[source]:
        if name.startswith("__real__:"):
            path = REAL / name.removeprefix("__real__:")
            if path.is_file():
                docs.append(path.read_bytes())
        else:
            docs.append(fixture(name))
    if source == "td-speedmap":
        docs.append(SPEEDMAP_SAMPLE)  # the real folder may be absent
    return tuple(docs)


@cache
def text_spans(data: bytes) -> tuple[tuple[int, int], ...]:
    return tuple(m.span(1) for m in re.finditer(rb">([^<>]*)<", data))


def check(source: str, data: bytes) -> None:
    """The property: rows that make sense, or a FeedFormatError naming the source."""
    try:
        rows = get_source(source).parse(data)
    except FeedFormatError as err:
        assert err.source == source
        return
    assert isinstance(rows, list)
    for row in rows:
        assert isinstance(row, Observation) and row.source == source
        assert isinstance(row.key, str) and row.key
        assert row.observed_at.utcoffset() is not None
        assert row.value is None or (isinstance(row.value, float) and math.isfinite(row.value))
        assert not set(row.attrs) & {"source", "key", "time", "value", "unit"}  # to_json merges
        json.dumps(row.to_json(), allow_nan=False)


@st.composite
def mutated(draw, source: str) -> bytes:
    """A real or fixture document with a few byte-level edits."""
    data = bytearray(draw(st.sampled_from(documents(source))))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["truncate", "delete", "insert", "token", "replace", "copy"]))
        if edit == "truncate":
            del data[at:]
        elif edit == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif edit == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif edit == "replace":
            blob = draw(st.binary(min_size=1, max_size=8))
            data[at:at + len(blob)] = blob
        else:
            data[at:at] = data[at:at + draw(st.integers(1, 200))]
    return bytes(data)


@st.composite
def xml_field_edited(draw, source: str) -> bytes:
    """A well-formed document with one element's text replaced by odd but escaped text."""
    data = draw(st.sampled_from(documents(source)))
    start, end = draw(st.sampled_from(text_spans(data)))
    text = draw(st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=20)))
    return data[:start] + escape(text).encode("utf-8") + data[end:]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(ODD_TEXT),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=8)


def _slots(node, out):
    """Every (container, key) in a JSON tree."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        out.append((node, key))
        if isinstance(value, dict | list):
            _slots(value, out)
    return out


@st.composite
def json_edited(draw, source: str) -> bytes:
    """A real or fixture JSON response with one member replaced, removed or retyped."""
    doc = json.loads(draw(st.sampled_from(documents(source))))
    slots = _slots(doc, [])
    for _ in range(draw(st.integers(1, 3))):
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        if draw(st.booleans()) and isinstance(container, dict):
            container.pop(key, None)
        elif isinstance(container, dict) or key < len(container):
            container[key] = draw(JSON_VALUES)
    return json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()


@pytest.mark.parametrize("source", XML_SOURCES + JSON_SOURCES)
@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes(source, data):
    check(source, data)


@pytest.mark.parametrize("source", XML_SOURCES + JSON_SOURCES)
@FUZZ
@given(data=st.data())
def test_mutated_documents(source, data):
    check(source, data.draw(mutated(source)))


@pytest.mark.parametrize("source", XML_SOURCES)
@FUZZ
@given(data=st.data())
def test_xml_documents_with_odd_field_text(source, data):
    check(source, data.draw(xml_field_edited(source)))


@pytest.mark.parametrize("source", JSON_SOURCES)
@FUZZ
@given(data=st.data())
def test_json_documents_with_odd_members(source, data):
    check(source, data.draw(json_edited(source)))


@pytest.mark.parametrize("source", XML_SOURCES + JSON_SOURCES)
def test_the_seed_documents_parse(source):
    for data in documents(source):
        assert get_source(source).parse(data), source

