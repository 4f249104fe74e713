"""5G coverage of a scenario on a street-level grid, evaluated tile by tile.

For every outdoor grid cell and every small cell within reach: path loss after TR 38.901
(`propagation`), line of sight from the 3D city (`los`) or the statistical LoS probability, the
antenna pattern; then the best server by RSRP, its SINR against the co-channel cells plus
thermal noise, and a Shannon estimate of the downlink throughput. Cells inside buildings (and
off the terrain) are NaN.

The work is split into tiles. A `TileTask` carries everything its tile needs (its grid window,
the ground and building mask there, the surface model around it and the sites in reach), so a
tile's result depends only on its inputs and the tiles can run in this process (a thread pool,
or one after another) or on a Dask distributed cluster.

Radio assumptions (documented figures, all in `EvaluationSettings` or constants below):
- The transmit power is spread evenly over every subcarrier of the carrier, so the power per
  resource element is P_tx - 10 log10(12 N_RB), N_RB from TS 38.101-1/-2 Table 5.3.2-1 (30 kHz
  subcarriers in n78, 120 kHz in n257/n258). RSRP = P_RE + G(angle) - PL.
- Every cell transmits at full load; cells of the same band interfere (co-channel reuse 1), each
  at its power spectral density over the victim's bandwidth; other bands do not interfere.
- SINR = S / (sum I + N), N = -174 dBm/Hz + 10 log10(B) + NF. Throughput =
  B (1 - overhead) min(log2(1 + SINR), 7.41 bit/s/Hz), single layer, zero below -10 dB.
- Cells farther than `max_range_m` of their band are not heard at all (neither as server nor as
  interferer); the defaults are where even LoS RSRP is below -110 dBm for a 30 dBm cell.
"""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import numpy as np

from hktwin.analysis import propagation as prop
from hktwin.analysis.los import (
    DSM,
    SEA_LEVEL_M,
    Grid,
    Surface,
    build_dsm,
    build_surface,
    dsm_resolution,
    los_resolution,
    surface_window_for,
    viewshed,
)
from hktwin.analysis.sites import BAND_GHZ, ARAnchor, Sensor, SiteSet, SmallCell
from hktwin.core.errors import Cancelled, HKTwinError
from hktwin.core.progress import Progress, no_progress, sub_progress

if TYPE_CHECKING:
    from hktwin.geo.buildings import Buildings
    from hktwin.geo.city import CityModel

#: Thermal noise density (dBm/Hz) at 290 K.
THERMAL_NOISE_DBM_HZ = -174.0
#: Highest NR spectral efficiency (bit/s/Hz): 256QAM, code rate 948/1024 (TS 38.214
#: Table 5.1.3.1-2), the per-bandwidth throughput cap.
MAX_SPECTRAL_EFFICIENCY = 7.4063
#: Below this SINR (dB) the link is lost (the lowest usable MCS, cf. TR 36.942 Annex A.2).
SINR_MIN_DB = -10.0
#: Subcarrier spacing (kHz) assumed per band: FR1 n78 30 kHz, FR2 n257/n258 120 kHz.
BAND_SCS_KHZ: dict[str, int] = {"n78": 30, "n257": 120, "n258": 120}
#: Maximum transmission bandwidth N_RB per channel bandwidth (MHz), TS 38.101-1 Table 5.3.2-1
#: (30 kHz) and TS 38.101-2 Table 5.3.2-1 (120 kHz).
N_RB: dict[int, dict[int, int]] = {
    30: {5: 11, 10: 24, 15: 38, 20: 51, 25: 65, 30: 78, 40: 106, 50: 133, 60: 162, 70: 189,
         80: 217, 90: 245, 100: 273},
    120: {50: 32, 100: 66, 200: 132, 400: 264},
}
#: Default reach per band (m): a 30 dBm, 8 dBi small cell's LoS RSRP falls below -110 dBm at
#: about 700 m in n78 and 400 m in FR2, so farther cells matter neither as servers nor much as
#: interferers.
DEFAULT_MAX_RANGE_M: Mapping[str, float] = MappingProxyType(
    {"n78": 1000.0, "n257": 400.0, "n258": 400.0})
#: Radius (m) around a site whose buildings decide UMi (antenna below their median height) or
#: UMa (above).
SCENARIO_RADIUS_M = 100.0
#: Obstacles this close to an antenna are its own mounting (a lamppost head, the facade it is
#: fixed to) and do not block it.
MOUNT_CLEARANCE_M = 2.0
#: Seconds to wait for a Dask scheduler to answer.
DASK_CONNECT_TIMEOUT_S = 10.0
#: With no building within that radius the nominal heights of Table 7.4.1-1 decide: UMi below
#: the midpoint of 10 m (UMi) and 25 m (UMa).
NOMINAL_SPLIT_M = 17.5

LosMode = Literal["city", "statistical"]
ScenarioChoice = Literal["auto", "UMi", "UMa"]


def _cancelled(done: int, total: int) -> Cancelled:
    """The app's one `Cancelled` (hktwin.core.errors), saying how far the evaluation got."""
    return Cancelled(f"coverage evaluation cancelled after {done} of {total} tiles")


class SettingsError(HKTwinError):
    """An evaluation setting or site attribute that cannot be used, naming it and the fix."""

    def __init__(self, field_name: str, problem: str, fix: str = "") -> None:
        self.field = field_name
        text = f"{field_name}: {problem}"
        super().__init__(f"{text}. Fix: {fix}" if fix else text)


@dataclass(frozen=True)
class EvaluationSettings:
    """What to evaluate and how.

    - `rsrp_threshold_dbm` -105: SS-RSRP at which an outdoor user is counted as covered. About
      -105 to -110 dBm is where NR outdoor planning puts the usable edge (3-5 dB above the
      -110 dBm-class sensitivity, leaving room for shadow fading); -105 is the stricter choice.
    - `nr_overhead` 0.25: the share of resources not carrying user data (SSB, PDCCH, DMRS,
      CSI-RS, guard), the downlink overhead TS 38.306 §4.1.2 assumes for FR1 is 0.14 and FR2
      0.18; 0.25 adds uplink/guard slots of a typical TDD pattern.
    - `los_mode` "city": LoS from the surface model; "statistical": the expected power over the
      LoS probability of Table 7.4.2-1 (no geometry, as in a link budget).
    - `los_resolution_m`: cell of the DSM the viewshed reads; None picks
      `los.los_resolution(resolution_m)` (at most 1 m; coarsened for very large areas).
    - `interference_load` 1.0: the share of resources each interferer transmits on.
    """

    bounds: tuple[float, float, float, float]
    resolution_m: float = 5.0
    ue_height_m: float = 1.5
    noise_figure_db: float = 7.0
    rsrp_threshold_dbm: float = -105.0
    los_mode: LosMode = "city"
    nr_overhead: float = 0.25
    tile_size_m: float = 500.0
    max_range_m: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MAX_RANGE_M))
    scenario: ScenarioChoice = "auto"
    los_resolution_m: float | None = None
    interference_load: float = 1.0

    def __post_init__(self) -> None:
        try:
            b = tuple(float(v) for v in self.bounds)
        except (TypeError, ValueError):
            raise SettingsError("bounds", f"must be four numbers, not {self.bounds!r}",
                                "give (xmin, ymin, xmax, ymax) in EPSG:2326 metres") from None
        if len(b) != 4 or not all(math.isfinite(v) for v in b) or b[0] >= b[2] or b[1] >= b[3]:
            raise SettingsError("bounds", f"{self.bounds!r} is not a box",
                                "give (xmin, ymin, xmax, ymax) with xmin < xmax, ymin < ymax")
        object.__setattr__(self, "bounds", b)
        object.__setattr__(self, "max_range_m", dict(self.max_range_m))
        _positive("resolution_m", self.resolution_m)
        _positive("tile_size_m", self.tile_size_m)
        if self.tile_size_m < self.resolution_m:
            raise SettingsError("tile_size_m", "is smaller than one grid cell",
                                "make tiles at least resolution_m wide")
        cells = (b[2] - b[0]) * (b[3] - b[1]) / self.resolution_m**2
        if cells > 64e6:
            raise SettingsError("resolution_m", f"{self.resolution_m} m gives {cells:.3g} cells",
                                "use a coarser resolution or a smaller area (64 million max)")
        if not 1.5 <= self.ue_height_m <= 22.5:
            raise SettingsError("ue_height_m", f"{self.ue_height_m} is outside 1.5-22.5 m",
                                "TR 38.901 Table 7.4.1-1 is valid for 1.5 m <= h_UT <= 22.5 m")
        if not 0.0 <= self.nr_overhead < 1.0:
            raise SettingsError("nr_overhead", f"{self.nr_overhead} is not in [0, 1)")
        if not 0.0 <= self.interference_load <= 1.0:
            raise SettingsError("interference_load", f"{self.interference_load} not in [0, 1]")
        if self.los_mode not in ("city", "statistical"):
            raise SettingsError("los_mode", f"{self.los_mode!r} is unknown",
                                "use 'city' or 'statistical'")
        if self.scenario not in ("auto", "UMi", "UMa"):
            raise SettingsError("scenario", f"{self.scenario!r} is unknown",
                                "use 'auto', 'UMi' or 'UMa'")
        for band, reach in self.max_range_m.items():
            if not 0 < reach <= prop.D2D_MAX_M:
                raise SettingsError(f"max_range_m[{band}]", f"{reach} is outside (0, 5000] m",
                                    "TR 38.901 path loss is valid up to 5 km")
        if self.los_resolution_m is not None:
            _positive("los_resolution_m", self.los_resolution_m)

    @property
    def los_res(self) -> float:
        if self.los_resolution_m is not None:
            return float(self.los_resolution_m)
        return los_resolution(self.resolution_m)

    def reach(self, band: str) -> float:
        return float(self.max_range_m.get(band, DEFAULT_MAX_RANGE_M.get(band, 1000.0)))

    def to_dict(self) -> dict:
        out = asdict(self)
        out["bounds"] = list(self.bounds)
        return out


def preview_settings(x: float, y: float, half_m: float = 500.0, resolution_m: float = 20.0,
                     los_resolution_m: float = 5.0, **kwargs) -> EvaluationSettings:
    """Settings for a quick look while a site is dragged: a coarse grid over the box of
    `half_m` around (x, y), line of sight on a 5 m DSM (about 98% agreement with the exact
    test instead of 99.5%), one tile."""
    return EvaluationSettings(bounds=(x - half_m, y - half_m, x + half_m, y + half_m),
                              resolution_m=resolution_m, los_resolution_m=los_resolution_m,
                              tile_size_m=2 * half_m, **kwargs)


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise SettingsError(name, f"must be a positive number, not {value!r}")


# --- Per-site radio figures ---------------------------------------------------------------------


def resource_blocks(bandwidth_mhz: float, scs_khz: int) -> int:
    """N_RB of a carrier (TS 38.101 Table 5.3.2-1; other widths: 98% (FR1) or 95% (FR2) of the
    channel filled with 12-subcarrier blocks)."""
    table = N_RB.get(scs_khz, {})
    if float(bandwidth_mhz).is_integer() and int(bandwidth_mhz) in table:
        return table[int(bandwidth_mhz)]
    fill = 0.98 if scs_khz <= 60 else 0.95
    return max(1, int(bandwidth_mhz * 1e3 * fill // (12 * scs_khz)))


def re_power_offset_db(cell: SmallCell) -> float:
    """10 log10(subcarriers): total power minus this is the power per resource element."""
    return 10.0 * math.log10(12 * resource_blocks(cell.bandwidth_mhz, BAND_SCS_KHZ[cell.band]))


def noise_dbm(bandwidth_mhz: float, noise_figure_db: float) -> float:
    """Thermal noise over the channel: -174 dBm/Hz + 10 log10(B) + NF."""
    return THERMAL_NOISE_DBM_HZ + 10.0 * math.log10(bandwidth_mhz * 1e6) + noise_figure_db


def throughput_mbps(sinr_db: np.ndarray, bandwidth_mhz: np.ndarray,
                    overhead: float) -> np.ndarray:
    """B (1 - overhead) min(log2(1 + SINR), 7.41): Shannon, capped at 256QAM, zero below
    `SINR_MIN_DB`."""
    sinr = 10.0 ** (np.asarray(sinr_db, np.float64) / 10.0)
    se = np.minimum(np.log2(1.0 + sinr), MAX_SPECTRAL_EFFICIENCY)
    se = np.where(np.asarray(sinr_db) >= SINR_MIN_DB, se, 0.0)
    return np.asarray(bandwidth_mhz) * (1.0 - overhead) * se


def validate_cells(cells: tuple[SmallCell, ...]) -> None:
    """Raise `SettingsError` naming `cells[i].field` for attributes the engine cannot use."""
    for i, c in enumerate(cells):
        where = f"cells[{i}] ({c.id})"
        if c.band not in BAND_GHZ:
            raise SettingsError(f"{where}.band", f"{c.band!r} is unknown",
                                f"use one of {', '.join(BAND_GHZ)}")
        for name in ("x", "y", "ground_m", "height_m", "tx_power_dbm", "antenna_gain_dbi",
                     "downtilt_deg", "h_beamwidth_deg", "v_beamwidth_deg", "bandwidth_mhz"):
            value = getattr(c, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    not math.isfinite(value):
                raise SettingsError(f"{where}.{name}", f"must be a finite number, not {value!r}")
        for name in ("height_m", "bandwidth_mhz", "h_beamwidth_deg", "v_beamwidth_deg"):
            if getattr(c, name) <= 0:
                raise SettingsError(f"{where}.{name}", f"must be positive, not {getattr(c, name)}")
        if c.azimuth_deg is not None and not (isinstance(c.azimuth_deg, int | float)
                                              and math.isfinite(c.azimuth_deg)):
            raise SettingsError(f"{where}.azimuth_deg", "must be a number or null (omni)")


@dataclass(frozen=True, eq=False)
class SiteArrays:
    """The small cells as columns, ready for vectorised evaluation (compact to pickle)."""

    index: np.ndarray  # int64, position in the scenario's cell list
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray  # antenna, m above HKPD
    h_bs: np.ndarray  # antenna above the street at the site (the formulas' h_BS)
    f_ghz: np.ndarray
    band: np.ndarray  # int64 index into `bands`
    tx_dbm: np.ndarray
    re_offset_db: np.ndarray
    gain_dbi: np.ndarray
    azimuth: np.ndarray  # NaN = omnidirectional
    tilt: np.ndarray
    hbw: np.ndarray
    vbw: np.ndarray
    bw_mhz: np.ndarray
    umi: np.ndarray  # bool
    reach_m: np.ndarray
    bands: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.index)

    def take(self, rows: np.ndarray) -> SiteArrays:
        values = {k: v[rows] for k, v in self.__dict__.items() if isinstance(v, np.ndarray)}
        return SiteArrays(**values, bands=self.bands)


def choose_scenarios(cells: tuple[SmallCell, ...], street_at_site: np.ndarray,
                     buildings: Buildings | None, choice: ScenarioChoice = "auto") -> np.ndarray:
    """True (UMi) where the antenna stands below the median height of the buildings within
    `SCENARIO_RADIUS_M`, False (UMa) above; the nominal-height rule where none stands near."""
    n = len(cells)
    if choice != "auto":
        return np.full(n, choice == "UMi")
    h_ant = np.array([c.antenna_z for c in cells]) - street_at_site
    out = h_ant < NOMINAL_SPLIT_M
    if buildings is None or len(buildings) == 0:
        return out
    bx, by, bh = buildings.centroid_x, buildings.centroid_y, buildings.height
    for i, c in enumerate(cells):  # one vectorised pass over the buildings per site
        near = (bx - c.x) ** 2 + (by - c.y) ** 2 <= SCENARIO_RADIUS_M**2
        if near.any():
            out[i] = h_ant[i] < float(np.median(bh[near]))
    return out


def site_arrays(cells: tuple[SmallCell, ...], street_at_site: np.ndarray, umi: np.ndarray,
                settings: EvaluationSettings) -> SiteArrays:
    bands = tuple(sorted({c.band for c in cells}))
    z = np.array([c.antenna_z for c in cells], np.float64)
    return SiteArrays(
        index=np.arange(len(cells)),
        x=np.array([c.x for c in cells], np.float64),
        y=np.array([c.y for c in cells], np.float64),
        z=z,
        h_bs=np.maximum(z - street_at_site, settings.ue_height_m),
        f_ghz=np.array([c.frequency_ghz for c in cells], np.float64),
        band=np.array([bands.index(c.band) for c in cells], np.int64),
        tx_dbm=np.array([c.tx_power_dbm for c in cells], np.float64),
        re_offset_db=np.array([re_power_offset_db(c) for c in cells], np.float64),
        gain_dbi=np.array([c.antenna_gain_dbi for c in cells], np.float64),
        azimuth=np.array([np.nan if c.azimuth_deg is None else c.azimuth_deg for c in cells],
                         np.float64),
        tilt=np.array([c.downtilt_deg for c in cells], np.float64),
        hbw=np.array([c.h_beamwidth_deg for c in cells], np.float64),
        vbw=np.array([c.v_beamwidth_deg for c in cells], np.float64),
        bw_mhz=np.array([c.bandwidth_mhz for c in cells], np.float64),
        umi=np.asarray(umi, bool),
        reach_m=np.array([settings.reach(c.band) for c in cells], np.float64),
        bands=bands,
    )


# --- Tiles ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TileTask:
    """Everything one tile needs; nothing else is read while it runs."""

    number: int
    grid: Grid  # the tile's window of the evaluation lattice
    ground: np.ndarray  # terrain at the tile's cell centres (NaN off the terrain)
    building: np.ndarray  # cells inside buildings
    dsm: DSM | None  # the DSM around the tile and its sites (city LoS), or None
    dsm_window: Grid | None  # that window, when the DSM is handed over whole (Dask)
    sites: SiteArrays  # the small cells within reach of the tile
    ue_height_m: float
    noise_figure_db: float
    nr_overhead: float
    interference_load: float
    statistical: bool


@dataclass(frozen=True, eq=False)
class TileResult:
    number: int
    grid: Grid
    rsrp_dbm: np.ndarray
    sinr_db: np.ndarray
    best_server: np.ndarray
    throughput_mbps: np.ndarray
    los_count: np.ndarray


def evaluate_tile(task: TileTask) -> TileResult:
    """Radio figures of one tile (pure: depends on `task` only)."""
    grid, sites = task.grid, task.sites
    shape = grid.shape
    valid = np.isfinite(task.ground) & ~task.building
    street = np.fmax(task.ground, np.float32(SEA_LEVEL_M))
    ue_z = (street + np.float32(task.ue_height_m)).astype(np.float64)
    xs, ys = grid.centres()
    n = len(sites)
    rx_mw = np.zeros((n, *shape))  # received power over the carrier, linear (mW)
    rsrp = np.full((n, *shape), -np.inf)
    los_count = np.zeros(shape, np.uint8)
    for s in range(n):  # a handful of sites; every step inside is vectorised over the cells
        d2 = np.hypot(xs[None, :] - sites.x[s], ys[:, None] - sites.y[s])
        heard = valid & (d2 <= sites.reach_m[s])
        if not heard.any():
            continue
        sel = np.flatnonzero(heard)
        rows, cols = np.divmod(sel, shape[1])
        dx = xs[cols] - sites.x[s]
        dy = ys[rows] - sites.y[s]
        d2s = d2.ravel()[sel]
        dz = ue_z.ravel()[sel] - sites.z[s]
        d3 = np.sqrt(d2s**2 + dz**2)
        scenario = "UMi" if sites.umi[s] else "UMa"
        args = (scenario, d2s, sites.f_ghz[s], sites.h_bs[s], task.ue_height_m, d3)
        if task.statistical or task.dsm is None:
            pl = prop.expected_path_loss(*args)
            los = prop.los_probability(scenario, d2s, task.ue_height_m) >= 0.5
        else:
            window = surface_window_for(task.dsm.grid, grid, sites.x[s], sites.y[s])
            seen = viewshed(task.dsm.window(window), sites.x[s], sites.y[s], sites.z[s],
                            grid, ue_z, sites.reach_m[s], clear_m=MOUNT_CLEARANCE_M)
            los = seen.ravel()[sel]
            pl_los, pl_nlos = prop.los_nlos(*args)
            pl = np.where(los, pl_los, pl_nlos)
        los_count.ravel()[sel] += los.astype(np.uint8)
        azimuth = np.degrees(np.arctan2(dx, dy)) % 360.0  # compass bearing from the antenna
        zenith = np.degrees(np.arctan2(d2s, dz))  # 90 = horizontal, > 90 = below the antenna
        boresight = None if np.isnan(sites.azimuth[s]) else sites.azimuth[s]
        gain = prop.antenna_gain(azimuth, zenith, boresight, sites.tilt[s], sites.hbw[s],
                                 sites.vbw[s], sites.gain_dbi[s])
        p_dbm = sites.tx_dbm[s] + gain - pl
        rx_mw[s].ravel()[sel] = 10.0 ** (p_dbm / 10.0)
        rsrp[s].ravel()[sel] = p_dbm - sites.re_offset_db[s]

    rsrp_best = np.full(shape, np.nan, np.float32)
    sinr = np.full(shape, np.nan, np.float32)
    tput = np.where(valid, 0.0, np.nan).astype(np.float32)
    best = np.full(shape, -1, np.int16)
    if n:
        k = np.argmax(rsrp, axis=0)
        top = np.take_along_axis(rsrp, k[None], axis=0)[0]
        served = np.isfinite(top)
        # Interference at the server's bandwidth from every same-band cell's power density.
        psd = rx_mw / sites.bw_mhz[:, None, None]
        bw_k = sites.bw_mhz[k]
        interference = np.zeros(shape)
        for b in range(len(sites.bands)):
            in_band = sites.band == b
            if in_band.any():
                band_psd = psd[in_band].sum(axis=0)
                interference = np.where(sites.band[k] == b, band_psd, interference)
        s_mw = np.take_along_axis(rx_mw, k[None], axis=0)[0]
        own_psd = s_mw / bw_k
        i_mw = np.maximum(interference - own_psd, 0.0) * bw_k * task.interference_load
        n_mw = 10.0 ** (np.array([noise_dbm(b, task.noise_figure_db) for b in sites.bw_mhz])
                        / 10.0)[k]
        with np.errstate(divide="ignore"):
            sinr_all = 10.0 * np.log10(s_mw / (i_mw + n_mw))
        rsrp_best[served] = top[served]
        sinr[served] = sinr_all[served]
        tput[served] = throughput_mbps(sinr_all[served], bw_k[served], task.nr_overhead)
        best[served] = sites.index[k[served]]
    return TileResult(task.number, grid, rsrp_best, sinr, best, tput, los_count)


# --- The result ------------------------------------------------------------------------------


@dataclass(eq=False)
class CoverageResult:
    """Rasters on the evaluation grid (row 0 is the north edge) and the metrics.

    `rsrp_dbm`, `sinr_db`: of the best server, NaN where no cell is heard or not outdoors;
    `throughput_mbps`: 0 where no cell is heard outdoors, NaN in buildings; `best_server`:
    index into `cells`, -1 where none; `los_count`: cells in LoS; `outdoor`: cells evaluated;
    `land`: outdoor cells above the sea surface (the metrics' area); `ground`: terrain height.
    """

    grid: Grid
    settings: EvaluationSettings
    cells: tuple[SmallCell, ...]
    scenarios: tuple[str, ...]
    rsrp_dbm: np.ndarray
    sinr_db: np.ndarray
    best_server: np.ndarray
    throughput_mbps: np.ndarray
    los_count: np.ndarray
    ground: np.ndarray
    outdoor: np.ndarray
    land: np.ndarray
    metrics: dict = field(default_factory=dict)
    elapsed_s: float = 0.0
    anchors: tuple[ARAnchor, ...] = ()
    sensors: tuple[Sensor, ...] = ()

    @property
    def transform(self):
        return self.grid.transform

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.grid.bounds

    @property
    def resolution_m(self) -> float:
        return self.grid.res

    @property
    def covered(self) -> np.ndarray:
        """Outdoor land cells at or above the RSRP threshold."""
        with np.errstate(invalid="ignore"):
            return self.land & (self.rsrp_dbm >= self.settings.rsrp_threshold_dbm)


# --- What an evaluation will cost ---------------------------------------------------------

#: Default memory budget (GB): what an evaluation may take on a 24 GB workstation, leaving the
#: rest to the window, the city's meshes and the system.
DEFAULT_MAX_MEMORY_GB = 16.0
#: Bytes per grid cell held for the whole run: surface (ground, buildings), the five result
#: rasters, the outdoor/land masks and the metrics' temporaries.
BYTES_PER_CELL = 48
#: Bytes per (cell, site in reach) of a tile in flight: received power and RSRP per site
#: (float64 each) plus the per-site temporaries of the cells it hears.
BYTES_PER_SITE_CELL = 24
#: Bytes per DSM cell: the heights (float32) and the terrain and roof rasters it is built from.
BYTES_PER_DSM_CELL = 16
#: Fixed overhead of the process (interpreter, libraries, the open city is counted apart).
BASE_BYTES = 300 * 2**20
#: Seconds per (cell, site in reach) on one core (path loss, antenna gain, LoS lookup), per grid
#: cell (surface, masks, metrics) and per DSM cell (building the surface model); fitted with
#: benchmarks/bench_estimate.py on a 2-core build machine (estimates came within 0.9-1.4x of
#: the measured time and 1.1-1.4x of the peak memory, erring high).
SECONDS_PER_SITE_CELL = 0.65e-6
SECONDS_PER_CELL = 0.6e-6
SECONDS_PER_DSM_CELL = 0.15e-6


class BudgetError(HKTwinError):
    """An evaluation estimated beyond the memory or time budget, refused before it starts."""


@dataclass(frozen=True)
class Estimate:
    """Cells, (cell, site in reach) pairs, DSM cells, and the memory and time they take."""

    cells: int
    site_cells: int
    dsm_cells: int
    tiles: int
    workers: int
    memory_bytes: int
    seconds: float

    @property
    def memory_gb(self) -> float:
        return self.memory_bytes / 1e9

    def text(self) -> str:
        minutes = self.seconds / 60
        when = f"{self.seconds:.0f} s" if minutes < 2 else f"{minutes:.0f} min"
        return (f"{self.cells:,} cells x sites in reach = {self.site_cells:,} cell-site pairs, "
                f"{self.dsm_cells:,} surface-model cells: about {self.memory_gb:.1f} GB of "
                f"memory and {when} on {self.workers} core(s)")

    def to_dict(self) -> dict:
        return {"cells": self.cells, "site_cells": self.site_cells, "dsm_cells": self.dsm_cells,
                "tiles": self.tiles, "workers": self.workers,
                "memory_gb": round(self.memory_gb, 3), "seconds": round(self.seconds, 1)}


def estimate_cost(settings: EvaluationSettings, cells: tuple[SmallCell, ...] | list,
                  scheduler: str | None = None, workers: int | None = None) -> Estimate:
    """The memory and time `evaluate` will need, from the grid, the tiles and the sites in
    reach of each tile (no city data read: this runs in milliseconds before anything starts)."""
    grid = Grid.over(settings.bounds, settings.resolution_m)
    tiles = plan_tiles(grid, settings.tile_size_m)
    cells = tuple(cells)
    if workers is None:
        workers = 1 if scheduler == "sync" else max(1, os.cpu_count() or 1)
    local = scheduler is None or scheduler in ("threads", "sync")
    n_cells = grid.rows * grid.cols
    site_cells, peak_tile, dsm_cells = 0, 0, 0
    if cells:
        xs = np.array([float(c.x) for c in cells])
        ys = np.array([float(c.y) for c in cells])
        reach_m = np.array([settings.reach(c.band) for c in cells])
        b = np.array([t.bounds for t in tiles])  # (tiles, 4)
        sizes = np.array([t.rows * t.cols for t in tiles], np.int64)
        counts = np.zeros(len(tiles), np.int64)
        for start in range(0, len(cells), 256):  # sites in chunks: (tiles x 256) at a time
            sl = slice(start, start + 256)
            dx = np.maximum(np.maximum(b[:, :1] - xs[sl], xs[sl] - b[:, 2:3]), 0.0)
            dy = np.maximum(np.maximum(b[:, 1:2] - ys[sl], ys[sl] - b[:, 3:4]), 0.0)
            counts += (np.hypot(dx, dy) <= reach_m[sl]).sum(axis=1)
        site_cells = int((sizes * counts).sum())
        peak_tile = int((sizes * counts).max(initial=0))
        if settings.los_mode == "city":
            r = float(reach_m.max())
            xmin, ymin, xmax, ymax = settings.bounds
            # Every tile's window, and the sites in reach around them.
            box = (min(xmin, max(xmin - r, float(xs.min()))),
                   min(ymin, max(ymin - r, float(ys.min()))),
                   max(xmax, min(xmax + r, float(xs.max()))),
                   max(ymax, min(ymax + r, float(ys.max()))))
            res = dsm_resolution(settings.los_res, box)
            dsm_cells = int((box[2] - box[0]) * (box[3] - box[1]) / res**2)
    in_flight = min(workers, len(tiles)) if local else 1
    memory = (BASE_BYTES + BYTES_PER_CELL * n_cells + BYTES_PER_DSM_CELL * dsm_cells
              + BYTES_PER_SITE_CELL * peak_tile * in_flight)
    seconds = (SECONDS_PER_SITE_CELL * site_cells / max(1, in_flight if local else workers)
               + SECONDS_PER_CELL * n_cells + SECONDS_PER_DSM_CELL * dsm_cells)
    return Estimate(n_cells, site_cells, dsm_cells, len(tiles), workers, int(memory), seconds)


def check_budget(estimate: Estimate, max_memory_gb: float | None = None,
                 max_minutes: float | None = None) -> None:
    """Refuse (`BudgetError`, with the figures) an evaluation estimated beyond the budget:
    `max_memory_gb` (default `$HKTWIN_MAX_MEMORY_GB`, else `DEFAULT_MAX_MEMORY_GB`),
    `max_minutes` (default: no limit)."""
    if max_memory_gb is None:  # the window's evaluations: the environment may set it
        try:
            max_memory_gb = float(os.environ.get("HKTWIN_MAX_MEMORY_GB", DEFAULT_MAX_MEMORY_GB))
        except ValueError:
            max_memory_gb = DEFAULT_MAX_MEMORY_GB
    limit = float(max_memory_gb)
    if estimate.memory_gb > limit:
        raise BudgetError(f"the evaluation would need about {estimate.memory_gb:.1f} GB of "
                          f"memory, more than the {limit:g} GB budget ({estimate.text()}). Fix: "
                          "use a coarser --resolution, a smaller area or fewer sites, or raise "
                          "--max-memory-gb")
    if max_minutes is not None and estimate.seconds > max_minutes * 60:
        raise BudgetError(f"the evaluation would take about {estimate.seconds / 60:.0f} min, "
                          f"more than the {max_minutes:g} min budget ({estimate.text()}). Fix: "
                          "use a coarser --resolution or a smaller area, or raise --max-minutes")


# --- The evaluation ---------------------------------------------------------------------------


def plan_tiles(grid: Grid, tile_size_m: float) -> list[Grid]:
    """Windows of `grid` no larger than `tile_size_m`, row by row."""
    step = max(1, round(tile_size_m / grid.res))
    return [grid.window(grid.row0 + r, grid.col0 + c, min(step, grid.rows - r),
                        min(step, grid.cols - c))
            for r in range(0, grid.rows, step) for c in range(0, grid.cols, step)]


def _sites_in_reach(sites: SiteArrays, tile: Grid) -> np.ndarray:
    xmin, ymin, xmax, ymax = tile.bounds
    dx = np.maximum(np.maximum(xmin - sites.x, sites.x - xmax), 0.0)
    dy = np.maximum(np.maximum(ymin - sites.y, sites.y - ymax), 0.0)
    return np.flatnonzero(np.hypot(dx, dy) <= sites.reach_m)


def _dsm_windows(grid: Grid, tiles: list[Grid], reach: list[np.ndarray], sites: SiteArrays,
                 res: float) -> list[Grid]:
    """Per tile, the window of a `res` DSM lattice holding the tile and its sites in reach."""
    lattice = Grid(grid.x0, grid.y0, res, 0, 0, 1, 1)
    out = []
    for tile, rows in zip(tiles, reach, strict=True):
        window = surface_window_for(lattice, tile, *tile.bounds[:2])
        for x, y in zip(sites.x[rows], sites.y[rows], strict=True):
            window = window.union(surface_window_for(lattice, tile, x, y))
        out.append(window)
    return out


def _union(windows: list[Grid]) -> Grid:
    whole = windows[0]
    for w in windows[1:]:
        whole = whole.union(w)
    return whole


def evaluate(
    city: CityModel,
    sites: SiteSet,
    settings: EvaluationSettings,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    scheduler: str | None = None,
) -> CoverageResult:
    """Evaluate a scenario's small cells over `settings.bounds`.

    `scheduler`: None or "threads" runs the tiles on a thread pool in this process, "sync" one
    after another, "tcp://HOST:PORT" on that running Dask distributed cluster. `cancel` is
    checked between tiles; when set, the evaluation stops and raises `Cancelled`.
    """
    started = time.perf_counter()
    report = progress or no_progress
    run = _runner(scheduler)
    notes: list[str] = []
    cells = tuple(sites.cells)
    validate_cells(cells)
    report(0.0, "Preparing the surface model")
    grid = Grid.over(settings.bounds, settings.resolution_m)
    terrain, buildings = city.terrain, city.buildings

    # The street under each antenna (the sea surface over water; the planner's ground_m off
    # the terrain raster).
    h = terrain.height_at([c.x for c in cells], [c.y for c in cells]) if cells else np.zeros(0)
    street_at_site = np.where(np.isfinite(h), np.fmax(h, SEA_LEVEL_M),
                              [c.ground_m for c in cells])
    umi = choose_scenarios(cells, street_at_site, buildings, settings.scenario)
    arrays = site_arrays(cells, street_at_site, umi, settings)
    for c, ground in zip(cells, street_at_site, strict=True):
        if c.antenna_z < ground:
            notes.append(f"cell {c.id}: the antenna ({c.antenna_z:.1f} m) is below the ground "
                         f"({ground:.1f} m) at its site; check its ground_m")

    eval_surface = build_surface(terrain, buildings, grid)
    tiles = plan_tiles(grid, settings.tile_size_m)
    reach = [_sites_in_reach(arrays, t) for t in tiles]
    statistical = settings.los_mode == "statistical"
    dsm, windows = None, []
    if not statistical and cells:
        report(0.03, "Building the surface model for line of sight")
        res = settings.los_res
        windows = _dsm_windows(grid, tiles, reach, arrays, res)
        coarse = dsm_resolution(res, _union(windows).bounds)
        if coarse != res:
            notes.append(f"line of sight read a {coarse:g} m surface model (the area is too "
                         f"large for {res:g} m)")
            windows = _dsm_windows(grid, tiles, reach, arrays, coarse)
        dsm = build_dsm(terrain, buildings, _union(windows))
    report(0.1, f"Evaluating {len(tiles)} tiles")

    def task(i: int) -> TileTask:
        local = eval_surface.window(tiles[i])
        return TileTask(i, tiles[i], local.ground, local.building,
                        None if dsm is None else dsm.window(windows[i]), None,
                        arrays.take(reach[i]), settings.ue_height_m, settings.noise_figure_db,
                        settings.nr_overhead, settings.interference_load, statistical)

    results = run(task, len(tiles), sub_progress(report, 0.1, 0.97), cancel, dsm)
    out = _assemble(grid, results, eval_surface, cells, umi, settings)
    out.anchors, out.sensors = tuple(sites.anchors), tuple(sites.sensors)
    out.elapsed_s = time.perf_counter() - started
    report(0.97, "Metrics")
    from hktwin.analysis.metrics import compute_metrics

    out.metrics = compute_metrics(out, city=city, population=city.vectors.get("population"))
    out.metrics["notes"] = notes + out.metrics["notes"]
    report(1.0, "Coverage done")
    return out


def _assemble(grid: Grid, results: list[TileResult], surface: Surface,
              cells: tuple[SmallCell, ...], umi: np.ndarray,
              settings: EvaluationSettings) -> CoverageResult:
    shape = grid.shape
    rsrp = np.full(shape, np.nan, np.float32)
    sinr = np.full(shape, np.nan, np.float32)
    tput = np.full(shape, np.nan, np.float32)
    best = np.full(shape, -1, np.int16)
    los = np.zeros(shape, np.uint8)
    for r in results:
        rows = slice(r.grid.row0 - grid.row0, r.grid.row0 - grid.row0 + r.grid.rows)
        cols = slice(r.grid.col0 - grid.col0, r.grid.col0 - grid.col0 + r.grid.cols)
        rsrp[rows, cols] = r.rsrp_dbm
        sinr[rows, cols] = r.sinr_db
        tput[rows, cols] = r.throughput_mbps
        best[rows, cols] = r.best_server
        los[rows, cols] = r.los_count
    outdoor = np.isfinite(surface.ground) & ~surface.building
    land = outdoor & (surface.ground > SEA_LEVEL_M)
    return CoverageResult(grid, settings, cells, tuple("UMi" if u else "UMa" for u in umi),
                          rsrp, sinr, best, tput, los, surface.ground, outdoor, land)


# --- Running tiles ---------------------------------------------------------------------------

Runner = Callable[[Callable[[int], TileTask], int, Progress, "threading.Event | None",
                   "DSM | None"], list[TileResult]]


def check_scheduler(scheduler: str | None) -> None:
    """Refuse an unknown scheduler, or a tcp:// address that is not a Dask scheduler, before
    any work starts (`SettingsError` saying what answered)."""
    _runner(scheduler)


def _runner(scheduler: str | None) -> Runner:
    if scheduler in (None, "threads"):
        return _run_threads
    if scheduler == "sync":
        return _run_sync
    if isinstance(scheduler, str) and scheduler.startswith(("tcp://", "tls://", "inproc://")):
        if scheduler.startswith("tcp://"):
            probe_dask_scheduler(scheduler)
        return lambda *args: _run_dask(scheduler, *args)
    raise SettingsError("scheduler", f"{scheduler!r} is not understood",
                        "use 'threads', 'sync' or a Dask scheduler address tcp://HOST:PORT")


def _describe_answer(data: bytes) -> str:
    if data.startswith(b"HTTP/"):
        return "an HTTP server answered (" + data.split(b"\r\n", 1)[0].decode("ascii", "replace") \
            + ")"
    if data.startswith(b"SSH-"):
        return "an SSH server answered"
    if data[:1] in (b"\x15", b"\x16"):
        return "a TLS server answered (use tls:// for a TLS scheduler)"
    text = data[:40].decode("ascii", "backslashreplace")
    return f"something answered {text!r}, not the Dask protocol"


def _is_dask_handshake(data: bytes) -> bool:
    """Dask's TCP comm opens with its framing (total length, frame count, frame lengths, all
    uint64 little-endian) around a msgpack map holding 'compression' and 'python'."""
    import struct

    if len(data) < 24:
        return False
    total, frames = struct.unpack_from("<QQ", data)
    return 0 < frames <= 64 and 0 < total < 1 << 20 and b"python" in data[:512]


def probe_dask_scheduler(address: str, timeout_s: float = DASK_CONNECT_TIMEOUT_S) -> None:
    """Connect to a tcp:// scheduler address with a timeout and check that what answers speaks
    Dask (a scheduler greets every connection at once); `SettingsError` saying what answered
    otherwise, so a wrong port never hangs the evaluation."""
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or not port:
        raise SettingsError("scheduler", f"{address!r} is not tcp://HOST:PORT",
                            "give the scheduler's address, e.g. tcp://127.0.0.1:8786")
    fix = "give the address the Dask scheduler prints (dask scheduler), or leave --scheduler out"
    try:
        sock = socket.create_connection((host, port), timeout=timeout_s)
    except TimeoutError:
        raise SettingsError("scheduler", f"no answer from {host}:{port} within {timeout_s:g} s",
                            fix) from None
    except OSError as exc:
        raise SettingsError("scheduler", f"cannot reach the Dask scheduler at {address} "
                            f"({exc.strerror or exc})", fix) from None
    data = b""
    try:
        sock.settimeout(min(timeout_s, 5.0))
        deadline = time.monotonic() + min(timeout_s, 5.0)
        while len(data) < 512 and time.monotonic() < deadline and not _is_dask_handshake(data):
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            block = sock.recv(512 - len(data))
            if not block:
                break
            if not data:  # the greeting has begun: the rest of it follows at once
                deadline = min(deadline, time.monotonic() + 0.3)
            data += block
    except (TimeoutError, OSError):
        pass
    finally:
        sock.close()
    if _is_dask_handshake(data):
        return
    if not data:
        raise SettingsError("scheduler", f"{host}:{port} accepted the connection but sent "
                            f"nothing within {min(timeout_s, 5.0):g} s, so it is not a Dask "
                            "scheduler", fix)
    raise SettingsError("scheduler", f"{host}:{port} is not a Dask scheduler: "
                        f"{_describe_answer(data)}", fix)


def _run_sync(make, n: int, progress: Progress, cancel, dsm=None) -> list[TileResult]:
    out = []
    for i in range(n):
        if cancel is not None and cancel.is_set():
            raise _cancelled(i, n)
        out.append(evaluate_tile(make(i)))
        progress((i + 1) / n, f"Tile {i + 1}/{n}")
    return out


def _run_threads(make, n: int, progress: Progress, cancel, dsm=None) -> list[TileResult]:
    workers = max(1, min(os.cpu_count() or 1, n))
    if workers == 1:
        return _run_sync(make, n, progress, cancel)
    out: list[TileResult] = []
    with ThreadPoolExecutor(workers, thread_name_prefix="hktwin-tile") as pool:
        pending = set()
        next_tile = 0
        while next_tile < n or pending:
            stop = cancel is not None and cancel.is_set()
            # Keep only as many tiles in flight as there are workers, so cancel is prompt.
            while not stop and next_tile < n and len(pending) < workers:
                pending.add(pool.submit(evaluate_tile, make(next_tile)))
                next_tile += 1
            if stop:
                wait(pending)
                raise _cancelled(len(out), n)
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                out.append(f.result())
            progress(len(out) / n, f"Tile {len(out)}/{n}")
    return out


def _evaluate_remote(task: TileTask, dsm: DSM | None) -> TileResult:
    """On a Dask worker: cut the tile's window from the DSM shared once with every worker."""
    if dsm is not None and task.dsm_window is not None:
        task = replace(task, dsm=dsm.window(task.dsm_window), dsm_window=None)
    return evaluate_tile(task)


def _run_dask(address: str, make, n: int, progress: Progress, cancel,
              dsm: DSM | None) -> list[TileResult]:
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
        raise SettingsError("scheduler", "dask.distributed is not installed",
                            "pip install 'dask[distributed]'") from exc
    try:
        client = Client(address, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise SettingsError("scheduler", f"cannot reach the Dask scheduler at {address} ({exc})",
                            "start one (dask scheduler) or leave --scheduler out") from exc
    run_id = uuid.uuid4().hex[:8]
    out: list[TileResult] = []
    try:
        # The DSM travels once per worker; each task names its window of it.
        shared = None if dsm is None else client.scatter(dsm, broadcast=True)
        futures = []
        for i in range(n):
            task = make(i)
            if task.dsm is not None:
                task = replace(task, dsm=None, dsm_window=task.dsm.grid)
            futures.append(client.submit(_evaluate_remote, task, shared,
                                         key=f"hktwin-tile-{run_id}-{i}", pure=False))
        for future in as_completed(futures, loop=client.loop):
            if cancel is not None and cancel.is_set():
                client.cancel(futures)
                raise _cancelled(len(out), n)
            out.append(future.result())
            progress(len(out) / n, f"Tile {len(out)}/{n} (dask)")
    finally:
        client.close()
    return out
