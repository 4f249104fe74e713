"""What a planner places: 5G small cells, AR content anchors and sensors (plain, immutable data).

Positions are EPSG:2326 metres. `ground_m` is the ground (or roof) level the site stands on, set
when it is placed; heights above it are the planner's. The evented scenario in `hktwin.model`
holds lists of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Mounting = Literal["rooftop", "facade", "lamppost", "ground"]
Band = Literal["n78", "n257", "n258"]

#: Carrier frequency (GHz) of each NR band offered to planners.
BAND_GHZ: dict[str, float] = {"n78": 3.5, "n257": 28.0, "n258": 26.0}


@dataclass(frozen=True)
class SmallCell:
    """A 5G small cell. `azimuth_deg` None means an omnidirectional antenna."""

    id: str
    x: float
    y: float
    ground_m: float = 0.0  # terrain or roof level under the antenna
    height_m: float = 10.0  # antenna above `ground_m`
    mounting: Mounting = "lamppost"
    band: Band = "n78"
    tx_power_dbm: float = 30.0  # total transmit power into the antenna
    antenna_gain_dbi: float = 8.0
    azimuth_deg: float | None = None
    downtilt_deg: float = 6.0
    h_beamwidth_deg: float = 65.0
    v_beamwidth_deg: float = 10.0
    bandwidth_mhz: float = 100.0
    name: str = ""

    @property
    def antenna_z(self) -> float:
        return self.ground_m + self.height_m

    @property
    def frequency_ghz(self) -> float:
        return BAND_GHZ[self.band]


@dataclass(frozen=True)
class ARAnchor:
    """A place AR content is pinned to, and what viewers nearby need from the network."""

    id: str
    x: float
    y: float
    ground_m: float = 0.0
    height_m: float = 5.0  # content centre above ground
    content_size_m: float = 3.0
    required_dl_mbps: float = 50.0
    required_latency_ms: float = 20.0
    view_radius_m: float = 60.0  # where people stand to look at it
    name: str = ""


@dataclass(frozen=True)
class Sensor:
    id: str
    x: float
    y: float
    ground_m: float = 0.0
    height_m: float = 3.0
    kind: str = "air quality"
    range_m: float = 100.0
    name: str = ""


@dataclass(frozen=True)
class SiteSet:
    """Everything an evaluation needs from a scenario."""

    cells: tuple[SmallCell, ...] = ()
    anchors: tuple[ARAnchor, ...] = ()
    sensors: tuple[Sensor, ...] = field(default_factory=tuple)
