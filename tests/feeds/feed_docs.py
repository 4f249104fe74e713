"""Documents for the feed tests and the parse benchmark: fixtures, variants, a generator."""

from __future__ import annotations

import random
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "hk-real"  # as tests/conftest.py
TD_NS = "http://data.one.gov.hk/td"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def with_td_namespace(data: bytes, root: str) -> bytes:
    """The same document with the TD default namespace declared on its root element."""
    for opening in (f"<{root}>".encode(), f"<{root} ".encode()):
        if opening in data:
            return data.replace(opening, opening[:-1] + f' xmlns="{TD_NS}"'.encode()
                                + opening[-1:], 1)
    raise ValueError(f"no <{root}> in the document")


def irn_document(segments: int = 4405, *, seed: int = 0, namespaced: bool = False,
                 invalid_share: float = 0.01) -> bytes:
    """An `irnAvgSpeed-all.xml` like the published one, with `segments` segments.

    About 1 % of segments are marked invalid (41 of 4,405 in a real sample) and one in 500 has
    the published quirk of an empty <speed/> with no valid flag.
    """
    rng = random.Random(seed)
    ns = f' xmlns="{TD_NS}"' if namespaced else ""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n',
             f'<segment_speed_list{ns} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
             "<date>2025-08-05</date><time>08:01:00</time><irn_version>20221210</irn_version>",
             "<segments>"]
    for i in range(segments):
        sid = 1000 + 13 * i
        if i % 500 == 499:
            parts.append(f"<segment><segment_id>{sid}</segment_id><speed/></segment>")
            continue
        valid = "N" if rng.random() < invalid_share else "Y"
        parts.append(f"<segment><segment_id>{sid}</segment_id><speed>{rng.uniform(5, 110):.1f}"
                     f"</speed><valid>{valid}</valid></segment>")
    parts.append("</segments></segment_speed_list>\n")
    return "\n".join(parts).encode()
