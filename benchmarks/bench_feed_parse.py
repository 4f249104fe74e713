"""Feed parsing: a 4,405-segment `irnAvgSpeed-all.xml` through `td_speed.parse` (defused XML,
checks, Observation rows) against a bare `xml.etree.ElementTree.fromstring` + `findall` of the
same bytes, alternately in one process.

Run: .venv/bin/python benchmarks/bench_feed_parse.py [--runs 40] [--segments 4405]
Target: the full parse under 50 ms (median). The ratio is the price of safety and rows.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from _common import paired, save
from hktwin.feeds import td_speed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "feeds"))
from feed_docs import irn_document  # the tests' generator, shared on purpose

TARGET_S = 0.050


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--segments", type=int, default=4405)
    args = parser.parse_args()
    data = irn_document(args.segments)

    def ours() -> None:
        assert len(td_speed.parse(data)) == args.segments

    def bare() -> None:
        assert len(ET.fromstring(data).findall("./segments/segment")) == args.segments

    ours(), bare()  # warm caches and imports
    result = paired(ours, bare, args.runs)
    median = result["a_median_s"]
    print(f"td_speed.parse: {median * 1000:.1f} ms median, bare etree: "
          f"{result['b_median_s'] * 1000:.1f} ms, ratio {result['ratio_median']:.2f} "
          f"({'meets' if median < TARGET_S else 'MISSES'} the {TARGET_S * 1000:.0f} ms target)")
    save("feed_parse_irn_vs_bare_etree", {
        "segments": args.segments, "bytes": len(data), "target_s": TARGET_S,
        "meets_target": median < TARGET_S, "parse_over_bare": result.pop("ratio_median"),
        **{k.replace("a_", "parse_").replace("b_", "bare_"): v for k, v in result.items()},
    })


if __name__ == "__main__":
    main()
