"""Hostile and broken XML is refused with a FeedFormatError, quickly and without expansion."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from feed_server import BOMB

from hktwin.feeds import aqhi, td_journey, td_speed, td_speedmap, xmlsafe
from hktwin.feeds.base import FeedFormatError

# The classic billion-laughs document, with a ROOT element the tests rename per parser.
BILLION_LAUGHS = BOMB.split(b"]>")[0] + b"]>\n<ROOT>&lol9;</ROOT>"

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE ROOT [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ROOT>&xxe;</ROOT>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE ROOT SYSTEM "http://example.invalid/evil.dtd">
<ROOT/>"""

PLAIN_DTD = b"""<?xml version="1.0"?><!DOCTYPE ROOT><ROOT/>"""

# (parser, root element) of every XML source
XML_SOURCES = [(td_speedmap.parse, "jtis_speedlist"), (td_speed.parse, "segment_speed_list"),
               (td_journey.parse, "jtis_journey_list"), (aqhi.parse, "rss")]


def hostile(root: str) -> dict[str, bytes]:
    """The attacks and breakages, aimed at the parser's own root element."""
    r = root.encode()
    return {
        "billion laughs": BILLION_LAUGHS.replace(b"ROOT", r),
        "external entity": EXTERNAL_ENTITY.replace(b"ROOT", r),
        "external dtd": EXTERNAL_DTD.replace(b"ROOT", r),
        "dtd": PLAIN_DTD.replace(b"ROOT", r),
        "truncated": b'<?xml version="1.0"?><' + r + b"><item><x>1</x></it",
        "junk": bytes(range(256)) * 3,
        "empty": b"",
        "whitespace": b"   \n\t ",
        "wrong root": b"<html><body>Service unavailable</body></html>",
        "json": b'{"segment_speed_list": []}',
        "unknown encoding": b'<?xml version="1.0" encoding="x-nonsense"?><' + r + b"/>",
    }


CASES = [(parse, root, name) for parse, root in XML_SOURCES for name in hostile(root)]


@pytest.mark.parametrize(("parse", "root", "case"), CASES,
                         ids=[f"{p.__module__.rsplit('.', 1)[1]}-{c}" for p, _, c in CASES])
def test_hostile_and_broken_documents_raise_feed_format_error_quickly(parse, root, case):
    data = hostile(root)[case]
    started = time.perf_counter()
    with pytest.raises(FeedFormatError) as info:
        parse(data)
    assert time.perf_counter() - started < 2.0, "refusal must not expand or hang"
    assert info.value.source in {"td-speedmap", "td-speed", "td-journey", "aqhi"}
    assert "root:x:0:0" not in str(info.value)  # the external file was never read


@pytest.mark.parametrize(("parse", "root"), XML_SOURCES)
def test_oversize_input_is_refused_before_parsing(parse, root):
    limit = {"jtis_speedlist": td_speedmap.MAX_BYTES, "segment_speed_list": td_speed.MAX_BYTES,
             "jtis_journey_list": td_journey.MAX_BYTES, "rss": aqhi.MAX_BYTES}[root]
    data = f"<{root}>".encode() + b" " * limit + f"</{root}>".encode()
    with pytest.raises(FeedFormatError, match="byte limit"):
        parse(data)


def test_dtd_refusal_names_the_source_and_shows_the_declaration():
    with pytest.raises(FeedFormatError) as info:
        xmlsafe.parse(BILLION_LAUGHS, "test-source", ("ROOT",))
    assert info.value.source == "test-source"
    assert "DTD" in info.value.problem
    assert "<!DOCTYPE" in info.value.snippet


def test_malformed_xml_snippet_points_near_the_error():
    data = b"<root>\n<a>1</a>\n<b>2</c>\n</root>"
    with pytest.raises(FeedFormatError) as info:
        xmlsafe.parse(data, "s", ("root",))
    assert "malformed XML" in info.value.problem
    assert "<b>2</c>" in info.value.snippet


def test_root_and_namespace_are_checked():
    root, prefix = xmlsafe.parse(b"<a><b>x</b></a>", "s", ("a",))
    assert prefix == "" and xmlsafe.child_text(root, prefix, "b") == "x"
    ns = f"<a xmlns='{xmlsafe.TD_NAMESPACE}'><b> x </b><c/></a>".encode()
    root, prefix = xmlsafe.parse(ns, "s", ("a",))
    assert prefix == "{http://data.one.gov.hk/td}"
    assert xmlsafe.child_text(root, prefix, "b") == "x"
    assert xmlsafe.child_text(root, prefix, "c") == ""
    assert xmlsafe.child_text(root, prefix, "d") is None
    assert xmlsafe.child_text(root, "", "b") is None  # the namespace matters
    with pytest.raises(FeedFormatError, match="root element <a> is not <z>"):
        xmlsafe.parse(b"<a/>", "s", ("z",))
    with pytest.raises(FeedFormatError, match="namespace 'urn:other'"):
        xmlsafe.parse(b"<a xmlns='urn:other'/>", "s", ("a",))
    with pytest.raises(FeedFormatError, match="namespace"):
        xmlsafe.parse(ns, "s", ("a",), namespaces=("",))


def test_other_encodings_parse():
    data = '<?xml version="1.0" encoding="UTF-16"?><a>九龍</a>'.encode("utf-16")
    root, _ = xmlsafe.parse(data, "s", ("a",))
    assert root.text == "九龍"


def test_non_bytes_is_a_programming_error():
    with pytest.raises(TypeError):
        xmlsafe.parse("<a/>", "s", ("a",))  # type: ignore[arg-type]


def test_split_tag():
    assert xmlsafe.split_tag("{urn:x}name") == ("urn:x", "name")
    assert xmlsafe.split_tag("name") == ("", "name")
    assert xmlsafe.split_tag(None) == ("", "")


def test_hk_time_attaches_hong_kong_time_only_when_missing():
    naive = xmlsafe.hk_time("2016-10-14T17:56:35", "s", "CAPTURE_DATE")
    assert naive.utcoffset() == timedelta(hours=8)
    assert naive.isoformat() == "2016-10-14T17:56:35+08:00"
    utc = xmlsafe.hk_time("2016-10-14T09:56:35+00:00", "s", "f")
    assert utc.utcoffset() == timedelta(0) and utc == naive
    with pytest.raises(FeedFormatError, match="CAPTURE_DATE is missing"):
        xmlsafe.hk_time("", "s", "CAPTURE_DATE")
    with pytest.raises(FeedFormatError, match="CAPTURE_DATE is not an ISO 8601 time"):
        xmlsafe.hk_time("14/10/2016 17:56", "s", "CAPTURE_DATE")


@pytest.mark.parametrize(("text", "expected"), [("27", 27.0), (" 65.3 ", 65.3), ("", None),
                                                (None, None), (12, 12.0), ("-1", -1.0)])
def test_number_reads_published_values(text, expected):
    assert xmlsafe.number(text, "s", "speed") == expected


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "1e999", True, [1], "27 km/h"])
def test_number_refuses_what_is_not_a_finite_number(text):
    with pytest.raises(FeedFormatError, match="speed of link 1"):
        xmlsafe.number(text, "s", "speed of link 1")
