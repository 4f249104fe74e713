"""`hktwin data fetch NAME --pack DIR`: download an official dataset, check it, import it.

A small catalogue of datasets the Hong Kong government publishes on its open-data portals
(DATA.GOV.HK, the Common Spatial Data Infrastructure portal). Downloads go through pooch into the
user cache (`downloads/`), with a progress bar and a SHA-256 check: a file whose checksum differs
from the catalogue's is refused and deleted, never imported. Where a publisher gives no checksum
(`sha256=None`: the files are re-published in place) the file's hash is printed with a warning,
so the user can pin it with `--sha256` next time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hktwin.core.errors import HKTwinError
from hktwin.core.progress import Progress, no_progress, sub_progress


class FetchError(HKTwinError):
    """A download that failed or was refused; the pack is untouched."""


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    publisher: str
    page: str  # the dataset's page on the portal (licence, description)
    url: str | None  # the published download address; None: download by hand from `page`
    filename: str
    kind: str | None  # import as this kind (None: detect from the content)
    sha256: str | None = None  # None: not published; print the hash and warn
    crs: str | None = None  # assign on import (the ESRI ASCII DTM carries no CRS)
    note: str = ""


CATALOGUE: dict[str, Dataset] = {d.name: d for d in (
    Dataset(
        "landsd-dtm-5m", "Digital Terrain Model, 5 m grid, whole territory",
        "Lands Department", "https://data.gov.hk/en-data/dataset/hk-landsd-openmap-5m-grid-dtm",
        "https://www.landsd.gov.hk/landsd_psi_data/SMO/data/Whole_HK_DTM_5m.zip",
        "Whole_HK_DTM_5m.zip", "terrain", crs="EPSG:2326",
        note="about 29 MB zipped; an ESRI ASCII grid of 12751 x 9601 cells (302 MB) in HK1980 "
             "Grid, read straight out of the zip in bands of rows"),
    Dataset(
        "td-links", "Traffic Speed Map: link and node table",
        "Transport Department", "https://data.gov.hk/en-data/dataset/hk-td-tis-traffic-speed-map",
        "https://static.data.gov.hk/td/traffic-speed-map/en/tsm_link_and_node_info_v2.csv",
        "tsm_link_and_node_info_v2.csv", "roads",
        note="617 road links between nodes in HK1980 Grid; the geometry of the speed feed"),
    Dataset(
        "census-2021-stpug", "2021 Population Census by Small Tertiary Planning Unit Group",
        "Census and Statistics Department",
        "https://data.gov.hk/en-data/dataset/hk-censtatd-census_geo-2021-population-census-by-dcd",
        "https://portal.csdi.gov.hk/server/rest/services/common/censtatd_rcd_1635933193720_58660/"
        "FeatureServer/0/query?where=1%3D1&outFields=OBJECTID,stpug,t_pop,Shape__Area"
        "&outSR=4326&f=geojson",
        "census-2021-stpug.geojson", "population",
        note="polygons with the total population t_pop (GeoJSON, WGS84)"),
    Dataset(
        "landsd-buildings", "Building footprints with heights (3D spatial data)",
        "Lands Department",
        "https://data.gov.hk/en-data/dataset/hk-landsd-openmap-landsd-building", None,
        "buildings", "buildings",
        note="published as a File Geodatabase / GeoJSON download on the page and as a paged "
             "map service; download it there, then `hktwin data import FILE --pack DIR`"),
)}


@dataclass
class FetchResult:
    dataset: Dataset
    file: Path
    sha256: str
    verified: bool  # False: no checksum was known, the hash was only recorded
    report: Any  # the ImportReport


def download(dataset: Dataset, url: str | None = None, sha256: str | None = None,
             folder: Path | None = None, progress: Progress = no_progress,
             timeout: float = 60.0) -> tuple[Path, str, bool]:
    """Download (or reuse a verified copy of) the dataset; returns (file, sha256, verified)."""
    import pooch
    import requests

    from hktwin.core.paths import cache_dir
    from hktwin.geo.tiles import file_digest

    url = url or dataset.url
    if url is None:
        raise FetchError(f"{dataset.name}: {dataset.publisher} publishes no direct download "
                         f"address for it. Fix: download it from {dataset.page}, then run "
                         "hktwin data import FILE --pack DIR")
    expected = (sha256 or dataset.sha256 or "").lower() or None
    folder = folder or cache_dir() / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    pooch.get_logger().setLevel("ERROR")  # we say what matters ourselves, once
    if expected is None:  # nothing to check a cached copy against: fetch what is published now
        (folder / dataset.filename).unlink(missing_ok=True)
    bar = _PoochBar(progress, dataset.filename)
    try:
        path = pooch.retrieve(url, known_hash=f"sha256:{expected}" if expected else None,
                              fname=dataset.filename, path=folder, progressbar=bar,
                              downloader=pooch.HTTPDownloader(progressbar=bar, timeout=timeout))
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        reason = exc.response.reason if exc.response is not None else ""
        raise FetchError(f"{dataset.name}: the server answered {status} {reason} for {url}. "
                         f"Fix: the address may have moved; check {dataset.page} and pass the "
                         "new one with --url") from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise FetchError(f"{dataset.name}: cannot reach {url} ({type(exc).__name__}). Fix: "
                         "check the network connection (or a proxy) and try again") from exc
    except ValueError as exc:  # pooch: the checksum does not match
        if "hash" not in str(exc).lower():
            raise
        raise FetchError(f"{dataset.name}: refused: the downloaded file's SHA-256 does not "
                         f"match the expected {expected}; it was deleted and nothing was "
                         "imported. Fix: the publisher may have updated the file; check "
                         f"{dataset.page}, then pass the new checksum with --sha256") from exc
    digest = file_digest(Path(path))
    return Path(path), digest, expected is not None


def fetch_dataset(name: str, pack_dir: str | Path, progress: Progress = no_progress, *,
                  url: str | None = None, sha256: str | None = None,
                  folder: Path | None = None,
                  catalogue: dict[str, Dataset] | None = None) -> FetchResult:
    """Download the named dataset and import it into the pack."""
    from hktwin.geo.pack_writer import import_files

    catalogue = CATALOGUE if catalogue is None else catalogue
    dataset = catalogue.get(name)
    if dataset is None:
        raise FetchError(f"unknown dataset '{name}'. Fix: use one of "
                         f"{', '.join(sorted(catalogue))} (hktwin data fetch --list)")
    file, digest, verified = download(dataset, url, sha256, folder,
                                      sub_progress(progress, 0.0, 0.5))
    report = import_files([file], pack_dir, as_kind=dataset.kind, crs=dataset.crs,
                          progress=sub_progress(progress, 0.5, 1.0))
    return FetchResult(dataset, file, digest, verified, report)


def catalogue_lines(catalogue: dict[str, Dataset] | None = None) -> list[str]:
    lines = []
    for d in (CATALOGUE if catalogue is None else catalogue).values():
        how = d.url or f"download by hand from {d.page}"
        lines += [f"{d.name:<20} {d.title} ({d.publisher})", f"{'':<20} {how}",
                  f"{'':<20} {d.note}" if d.note else ""]
    return [line for line in lines if line]


class _PoochBar:
    """pooch's progress-bar protocol (total, update, reset, close) -> our Progress."""

    def __init__(self, progress: Progress, label: str) -> None:
        self.progress, self.label = progress, label
        self.total = 0
        self.done = 0

    def update(self, n: int) -> None:
        self.done += n
        if self.total:
            self.progress(min(self.done / self.total, 1.0),
                          f"Downloading {self.label}: {self.done / 1e6:.1f} MB")
        else:
            self.progress(0.0, f"Downloading {self.label}: {self.done / 1e6:.1f} MB")

    def reset(self) -> None:
        self.done = 0

    def close(self) -> None:
        self.progress(1.0, f"Downloaded {self.label}")
