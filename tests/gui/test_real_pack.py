"""A pack built from the real government files opens in the window (issue acceptance): the DTM
crops of Hong Kong Island, the District Council boundaries, the census and the stations."""

from __future__ import annotations

import numpy as np
from gui_helpers import render

from hktwin.model.camera import CameraPose

FILES = ("dtm/hk-island-north-5m.tif", "dtm/hk-island-south-lamma-5m.tif",
         "districts/district-council-2001.geojson",
         "census/census-2021-stpug-hk-island.geojson",
         "stations/Network_of_Weather_Stations_in_Hong_Kong.geojson")


def test_a_pack_of_real_data_opens_in_the_window(qtbot, window, load, real_data, tmp_path):
    from hktwin.geo.pack_writer import import_files

    pack = tmp_path / "real-pack"
    import_files([real_data / f for f in FILES], pack)
    load(window, pack)
    twin = window.twin
    assert not twin.city.approximate
    # The island crops are drawn over the demo city (issue 13): the notice says which is which.
    assert twin.city.base is not None
    assert "official data inside the outline" in window.notice_label.text().lower()
    assert {"Terrain", "Sea", "Districts"} <= set(twin.layers.names())
    terrain = twin.layers.get("Terrain")
    assert terrain.terrain.cell_size == 5.0 and np.nanmax(terrain.terrain.heights) > 500
    # Look at the Peak from the north: real 5 m relief fills the view.
    twin.camera = CameraPose((833_000.0, 815_000.0, 200.0), 6000.0, 180.0, 35.0)
    image = render(window)[..., :3].astype(int)
    greenish = (image[..., 1] > image[..., 2]) & (image[..., 1] > 60)
    assert greenish.mean() > 0.2, "the island's terrain should fill much of the view"
    shade = image[greenish].mean(axis=1)
    assert shade.std() > 8, "hill-shading of the real DTM shows relief"
