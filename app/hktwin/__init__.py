"""HK Twin: a GPU-rendered desktop digital twin of Hong Kong.

The package is kept light to import: heavy libraries (Qt, vispy, geopandas, rasterio) are imported
by the rooms that need them, never here, so `hktwin --version` and scripts start fast.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hk-twin")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
