"""Importers of official Hong Kong data into data-pack layers (EPSG:2326, GeoParquet, COG).

`detect` decides what a file is from its content (`--as` overrides it); `terrain` turns DTMs and
other rasters into Cloud-Optimised GeoTIFFs read in windows; `buildings` turns Lands Department
footprints (or any polygon file) into the pack's building schema; `vectors` handles roads, TD link
tables, districts, stations, population and anything else. `hktwin.geo.pack_writer` drives them
and swaps the result into the pack atomically.
"""

from __future__ import annotations

#: Every layer kind a pack may hold, in the order a manifest lists them.
KINDS = ("terrain", "buildings", "roads", "districts", "stations", "population", "vector",
         "raster")

__all__ = ["KINDS"]
