"""Safe reading of published XML documents, and the field conversions every parser shares.

Feeds come from the network, so a document is refused before parsing when it is too large, and
parsed with defusedxml with DTDs, entity declarations and external references all forbidden: a
"billion laughs" or an external-entity document fails at its declaration instead of expanding.
Every failure is a `FeedFormatError` naming the source, with a snippet of the offending bytes.

Transport Department documents appear both with the default namespace `http://data.one.gov.hk/td`
and without any, so `parse` returns the root's namespace prefix (`"{uri}"` or `""`) and the
parsers build their tag names from it once, instead of searching per element.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_etree
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden

from hktwin.feeds.base import HK_TZ_OFFSET_HOURS, FeedFormatError

TD_NAMESPACE = "http://data.one.gov.hk/td"
HKT = timezone(timedelta(hours=HK_TZ_OFFSET_HOURS))
DEFAULT_MAX_BYTES = 20_000_000


def parse(data: bytes, source: str, roots: Iterable[str], *,
          namespaces: Iterable[str] = ("", TD_NAMESPACE),
          max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[Element, str]:
    """Parse `data` and check its root; returns (root element, namespace prefix of the root).

    `roots` are the accepted local names of the root element and `namespaces` the accepted
    namespace URIs ("" for none). The prefix is "{uri}" or "" and applies to the children too.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"{source}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) > max_bytes:
        raise FeedFormatError(source, f"document of {len(data):,} bytes is over the "
                              f"{max_bytes:,} byte limit", snippet(data))
    if not data.strip():
        raise FeedFormatError(source, "empty document")
    try:
        root = safe_etree.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                     forbid_external=True)
    except DTDForbidden:
        raise FeedFormatError(source, "document type declaration (DTD) refused",
                              snippet(data, data.find(b"<!"))) from None
    except EntitiesForbidden:
        raise FeedFormatError(source, "entity declaration refused",
                              snippet(data, data.find(b"<!ENTITY"))) from None
    except DefusedXmlException as err:  # external references and the like
        raise FeedFormatError(source, f"refused: {type(err).__name__}", snippet(data)) from None
    except ParseError as err:
        raise FeedFormatError(source, f"malformed XML: {err}",
                              snippet(data, _offset(data, err))) from None
    except (ValueError, LookupError, RecursionError) as err:  # bad encodings, absurd nesting
        raise FeedFormatError(source, f"unreadable XML: {err}", snippet(data)) from None
    uri, local = split_tag(root.tag)
    roots = tuple(roots)
    if local not in roots:
        raise FeedFormatError(source, f"root element <{local}> is not "
                              + " or ".join(f"<{r}>" for r in roots), snippet(data))
    namespaces = tuple(namespaces)
    if uri not in namespaces:
        raise FeedFormatError(source, f"root element <{local}> in namespace '{uri}', expected "
                              + " or ".join(repr(n) if n else "none" for n in namespaces),
                              snippet(data))
    return root, f"{{{uri}}}" if uri else ""


def split_tag(tag: object) -> tuple[str, str]:
    """'{uri}local' -> ('uri', 'local'); 'local' -> ('', 'local'). Comments/PIs give ('', '')."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local
    return "", tag


def child(elem: Element, prefix: str, name: str) -> Element | None:
    """The first direct child called `name` in the namespace `prefix` ("{uri}" or "")."""
    return elem.find(prefix + name)


def child_text(elem: Element, prefix: str, name: str) -> str | None:
    """The stripped text of the first child `name`: None when absent, "" when empty."""
    found = elem.find(prefix + name)
    if found is None:
        return None
    return (found.text or "").strip()


def snippet(data: bytes, at: int = 0, width: int = 120) -> str:
    """A readable excerpt of `data` around byte offset `at` for error messages."""
    at = max(0, min(at, len(data)))
    start = max(0, at - width // 3)
    return data[start:start + width].decode("utf-8", "replace")


def _offset(data: bytes, err: ParseError) -> int:
    """Byte offset of an expat error position (line 1-based, column 0-based)."""
    line, column = getattr(err, "position", (1, 0))
    start = 0
    for _ in range(max(0, line - 1)):
        start = data.find(b"\n", start) + 1
        if start == 0:
            return len(data)
    return start + column


def hk_time(text: str | None, source: str, field: str) -> datetime:
    """An ISO 8601 time; Hong Kong time (+08:00) is attached when it carries no offset."""
    if not text:
        raise FeedFormatError(source, f"{field} is missing")
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FeedFormatError(source, f"{field} is not an ISO 8601 time", text) from None
    return when.replace(tzinfo=HKT) if when.tzinfo is None else when


def number(text: object, source: str, field: str,
           limits: tuple[float, float] | None = None, unit: str = "") -> float | None:
    """A finite float from a published value; None when absent or empty. With `limits`, a value
    outside them cannot be real (`core.limits`) and the document is refused naming it."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise FeedFormatError(source, f"{field} is not a number", repr(text))
    try:
        value = float(text)
    except (ValueError, OverflowError):
        raise FeedFormatError(source, f"{field} is not a number", repr(text)) from None
    if not math.isfinite(value):
        raise FeedFormatError(source, f"{field} is not a finite number", repr(text))
    if limits is not None and not limits[0] <= value <= limits[1]:
        raise FeedFormatError(source, f"{field} is {value:g} {unit}, outside "
                              f"{limits[0]:g}..{limits[1]:g} {unit}: it cannot be real".replace(
                                  "  ", " "), repr(text))
    return value
