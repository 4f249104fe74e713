"""Traffic links are named by what the TD table says of them (road type, region), not by the
two node numbers of their id alone."""

from __future__ import annotations

import numpy as np

from hktwin.core.paths import resources_dir
from hktwin.geo.td_links import read_td_links
from hktwin.model.live_layers import TrafficLayer


def test_link_names_read_road_type_and_region():
    links = read_td_links(resources_dir() / "demo_city" / "feeds" / "td_links.csv")
    names = links.names
    assert len(names) == len(links)
    for name, i, region in zip(names[:50], links.ids[:50], links.region[:50], strict=True):
        assert name.endswith(f"(link {i})")
        assert name.startswith(("Major route, ", "Urban road, "))
        if region == "K":
            assert "Kowloon" in name
    layer = TrafficLayer("Traffic", source="td-speedmap", keys=links.ids[:2],
                         limits=links.limits[:2], names=names[:2],
                         values=np.array([40.0, 30.0], np.float32),
                         saturation=np.full(2, -1, np.int8))
    assert layer.describe(1)["name"] == names[1]
    bare = TrafficLayer("Traffic", source="td-speedmap", keys=links.ids[:1],
                        limits=links.limits[:1], values=np.array([40.0], np.float32),
                        saturation=np.full(1, -1, np.int8))
    assert bare.describe(0)["name"] == f"Link {links.ids[0]}"
