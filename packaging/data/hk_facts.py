"""Public facts about Hong Kong that the demo-city build turns into a bundle.

Every table here is hand-written from published facts, not copied from any data set:

* summit heights: Survey and Mapping Office (Lands Department) published spot heights as quoted on
  Wikipedia (list of mountains, peaks and hills in Hong Kong) and printed on the HM20C 1:20,000
  maps; positions to about 100-300 m from the same pages (source key ``SMO``). A few rows are
  shoulders read off the published topographic maps (key ``MAP``), and two Shenzhen peaks that
  shape the northern skyline come from Wikipedia (key ``WIKI-SZ``);
* tower heights and positions: CTBUH Skyscraper Center / Wikipedia "List of tallest buildings in
  Hong Kong" (key ``CTBUH``); positions are given to roughly 50-150 m;
* district names and codes: the District Councils of the HKSAR (www.districtcouncils.gov.hk);
  seed points are well-known places inside each district;
* road and reclamation outlines: approximate waypoints read from the published alignments
  (Highways Department route maps, Wikipedia route articles) to roughly 100-300 m.

Coordinates are WGS84 longitude, latitude in degrees; heights in metres above Principal Datum.
"""

from __future__ import annotations

from typing import NamedTuple

# --- source keys --------------------------------------------------------------------------------

SOURCES: dict[str, str] = {
    "SMO": "Survey and Mapping Office (Lands Department) spot height, via Wikipedia",
    "MAP": "read off the published HM20C 1:20,000 topographic map (approximate)",
    "WIKI-SZ": "Wikipedia (Shenzhen peaks just north of the boundary)",
    "CTBUH": "CTBUH Skyscraper Center / Wikipedia list of tallest buildings in Hong Kong",
    "DC": "District Councils of the HKSAR, www.districtcouncils.gov.hk",
    "HYD": "Highways Department route numbering / Wikipedia route articles, waypoints approximate",
    "CEDD": "Civil Engineering and Development Department reclamation history (outline approx.)",
}


# --- summits -------------------------------------------------------------------------------------


class Summit(NamedTuple):
    """A named summit: the DEM is interpolated from these."""

    name: str
    lon: float
    lat: float
    height_m: float
    source: str  # a key of SOURCES


SUMMITS: tuple[Summit, ...] = (
    # New Territories central massif
    Summit("Tai Mo Shan", 114.1244, 22.4107, 957, "SMO"),
    Summit("Tai Mo Shan west shoulder", 114.1050, 22.4110, 720, "MAP"),
    Summit("Tai Mo Shan east shoulder (Sze Fong Shan)", 114.1440, 22.4170, 702, "MAP"),
    Summit("Tai To Yan", 114.1130, 22.4370, 566, "SMO"),
    Summit("Kai Kung Leng", 114.0890, 22.4690, 585, "SMO"),
    Summit("Needle Hill", 114.1480, 22.3930, 532, "SMO"),
    Summit("Grassy Hill", 114.1590, 22.4010, 647, "SMO"),
    Summit("Cloudy Hill", 114.1620, 22.4700, 440, "SMO"),
    Summit("Golden Hill", 114.1500, 22.3610, 369, "SMO"),
    Summit("Smugglers' Ridge", 114.1380, 22.3800, 380, "MAP"),
    Summit("Lead Mine Pass ridge", 114.1560, 22.4210, 500, "MAP"),
    Summit("Tai Lam Chung heights", 114.0330, 22.3970, 400, "MAP"),
    Summit("Tai Lam Country Park north", 114.0550, 22.4150, 420, "MAP"),
    Summit("Tai Lam Country Park east", 114.0750, 22.3950, 480, "MAP"),
    Summit("Castle Peak", 113.9500, 22.3950, 583, "SMO"),
    Summit("Castle Peak north ridge", 113.9410, 22.4150, 420, "MAP"),
    Summit("Yuen Tau Shan", 113.9990, 22.3930, 350, "MAP"),
    Summit("Pat Sin Leng (Wong Leng)", 114.2030, 22.4935, 639, "SMO"),
    Summit("Pat Sin Leng east (Shun Yeung Fung)", 114.2250, 22.4910, 590, "MAP"),
    Summit("Robin's Nest", 114.1970, 22.5410, 492, "SMO"),
    Summit("Wutong Shan (Shenzhen)", 114.2070, 22.5830, 944, "WIKI-SZ"),
    Summit("Da Nanshan (Shekou, Shenzhen)", 113.9050, 22.4880, 336, "WIKI-SZ"),
    # Kowloon ridge and Sai Kung
    Summit("Beacon Hill", 114.1715, 22.3495, 457, "SMO"),
    Summit("Lion Rock", 114.1870, 22.3521, 495, "SMO"),
    Summit("Tate's Cairn", 114.2142, 22.3587, 577, "SMO"),
    Summit("Kowloon Peak (Fei Ngo Shan)", 114.2245, 22.3370, 602, "SMO"),
    Summit("Buffalo Hill", 114.2320, 22.3780, 606, "SMO"),
    Summit("Ma On Shan", 114.2480, 22.4045, 702, "SMO"),
    Summit("The Hunch Backs (Ngau Ngak Shan)", 114.2580, 22.3960, 674, "SMO"),
    Summit("Pyramid Hill", 114.2560, 22.3850, 536, "SMO"),
    Summit("Devil's Peak", 114.2420, 22.2920, 222, "SMO"),
    Summit("Black Hill", 114.2440, 22.3150, 304, "SMO"),
    Summit("High Junk Peak", 114.2830, 22.2960, 344, "SMO"),
    Summit("Shek Uk Shan", 114.3150, 22.4150, 481, "SMO"),
    Summit("Sharp Peak", 114.3660, 22.4280, 468, "SMO"),
    Summit("Tung Lung Chau", 114.2880, 22.2520, 232, "SMO"),
    Summit("Kai Kung Shan (Sai Kung West)", 114.3000, 22.4100, 399, "SMO"),
    Summit("Sai Kung East uplands", 114.3500, 22.4000, 380, "MAP"),
    Summit("High Island hills", 114.3550, 22.3600, 250, "MAP"),
    Summit("Clear Water Bay peninsula south", 114.2950, 22.2700, 280, "MAP"),
    Summit("Plover Cove uplands", 114.2550, 22.5000, 400, "MAP"),
    # Hong Kong Island
    Summit("Victoria Peak", 114.1455, 22.2759, 552, "SMO"),
    Summit("High West", 114.1375, 22.2730, 494, "SMO"),
    Summit("Mount Davis", 114.1255, 22.2745, 269, "SMO"),
    Summit("Mount Kellett", 114.1520, 22.2640, 501, "SMO"),
    Summit("Mount Cameron", 114.1727, 22.2620, 439, "SMO"),
    Summit("Mount Nicholson", 114.1840, 22.2575, 430, "SMO"),
    Summit("Jardine's Lookout", 114.2005, 22.2640, 433, "SMO"),
    Summit("Mount Butler", 114.2120, 22.2690, 436, "SMO"),
    Summit("Mount Parker", 114.2200, 22.2710, 532, "SMO"),
    Summit("Violet Hill", 114.2020, 22.2475, 433, "SMO"),
    Summit("The Twins", 114.2060, 22.2370, 386, "SMO"),
    Summit("Mount Collinson", 114.2330, 22.2545, 348, "SMO"),
    Summit("Pottinger Peak", 114.2425, 22.2560, 312, "SMO"),
    Summit("Shek O Peak (Dragon's Back)", 114.2440, 22.2345, 284, "SMO"),
    Summit("Brick Hill (Nam Long Shan)", 114.1700, 22.2420, 284, "SMO"),
    # Lantau and the islands
    Summit("Lantau Peak", 113.9198, 22.2510, 934, "SMO"),
    Summit("Sunset Peak", 113.9545, 22.2578, 869, "SMO"),
    Summit("Yi Tung Shan", 113.9370, 22.2560, 747, "SMO"),
    Summit("Lin Fa Shan", 113.9635, 22.2747, 766, "SMO"),
    Summit("Nei Lak Shan", 113.9020, 22.2640, 751, "SMO"),
    Summit("Keung Shan", 113.8700, 22.2400, 459, "SMO"),
    Summit("Lantau west ridge (Tiu Yue Yung)", 113.8800, 22.2350, 400, "MAP"),
    Summit("Por Kai Shan", 113.9950, 22.2890, 490, "SMO"),
    Summit("Lo Fu Tau", 114.0120, 22.3120, 465, "SMO"),
    Summit("Tai Ho Shan", 113.9750, 22.2850, 480, "MAP"),
    Summit("Chi Ma Wan (Lo Yan Shan)", 114.0000, 22.2290, 303, "SMO"),
    Summit("Cheung Chau north hill", 114.0290, 22.2180, 90, "SMO"),
    Summit("Mount Stenhouse (Lamma)", 114.1260, 22.1960, 353, "SMO"),
    Summit("Lamma north hill", 114.1178, 22.2258, 250, "MAP"),
    Summit("Sam Chi Heung (Tsing Yi Peak)", 114.1007, 22.3455, 334, "SMO"),
    Summit("Ma Wan hill", 114.0590, 22.3500, 70, "MAP"),
    Summit("Po Toi", 114.2560, 22.1700, 188, "SMO"),
    Summit("Peng Chau (Finger Hill)", 114.0410, 22.2840, 95, "SMO"),
)

#: Ridges between summits (by name): the relief follows the crest between two summits, sagging
#: between them (a saddle), so that mountain ranges read as ranges rather than separate cones.
RIDGES: tuple[tuple[str, str], ...] = (
    ("Tai Mo Shan", "Tai Mo Shan west shoulder"),
    ("Tai Mo Shan", "Tai Mo Shan east shoulder (Sze Fong Shan)"),
    ("Tai Mo Shan east shoulder (Sze Fong Shan)", "Grassy Hill"),
    ("Tai Mo Shan east shoulder (Sze Fong Shan)", "Lead Mine Pass ridge"),
    ("Lead Mine Pass ridge", "Cloudy Hill"),
    ("Grassy Hill", "Needle Hill"),
    ("Needle Hill", "Smugglers' Ridge"),
    ("Smugglers' Ridge", "Golden Hill"),
    ("Golden Hill", "Beacon Hill"),
    ("Beacon Hill", "Lion Rock"),
    ("Lion Rock", "Tate's Cairn"),
    ("Tate's Cairn", "Kowloon Peak (Fei Ngo Shan)"),
    ("Tate's Cairn", "Buffalo Hill"),
    ("Buffalo Hill", "Ma On Shan"),
    ("Ma On Shan", "The Hunch Backs (Ngau Ngak Shan)"),
    ("The Hunch Backs (Ngau Ngak Shan)", "Pyramid Hill"),
    ("Kowloon Peak (Fei Ngo Shan)", "Black Hill"),
    ("Black Hill", "Devil's Peak"),
    ("Tai Mo Shan", "Tai To Yan"),
    ("Tai To Yan", "Kai Kung Leng"),
    ("Tai Mo Shan west shoulder", "Tai Lam Country Park east"),
    ("Tai Lam Country Park east", "Tai Lam Chung heights"),
    ("Tai Lam Country Park east", "Tai Lam Country Park north"),
    ("Tai Lam Chung heights", "Yuen Tau Shan"),
    ("Castle Peak", "Castle Peak north ridge"),
    ("Pat Sin Leng (Wong Leng)", "Pat Sin Leng east (Shun Yeung Fung)"),
    ("Victoria Peak", "High West"),
    ("High West", "Mount Davis"),
    ("Victoria Peak", "Mount Kellett"),
    ("Victoria Peak", "Mount Cameron"),
    ("Mount Cameron", "Mount Nicholson"),
    ("Mount Nicholson", "Jardine's Lookout"),
    ("Jardine's Lookout", "Mount Butler"),
    ("Mount Butler", "Mount Parker"),
    ("Jardine's Lookout", "Violet Hill"),
    ("Violet Hill", "The Twins"),
    ("Mount Parker", "Mount Collinson"),
    ("Mount Collinson", "Pottinger Peak"),
    ("Pottinger Peak", "Shek O Peak (Dragon's Back)"),
    ("Lantau Peak", "Yi Tung Shan"),
    ("Yi Tung Shan", "Sunset Peak"),
    ("Sunset Peak", "Lin Fa Shan"),
    ("Lantau Peak", "Nei Lak Shan"),
    ("Nei Lak Shan", "Keung Shan"),
    ("Keung Shan", "Lantau west ridge (Tiu Yue Yung)"),
    ("Lin Fa Shan", "Tai Ho Shan"),
    ("Tai Ho Shan", "Por Kai Shan"),
    ("Por Kai Shan", "Lo Fu Tau"),
    ("Mount Stenhouse (Lamma)", "Lamma north hill"),
    ("Sharp Peak", "Sai Kung East uplands"),
    ("Sai Kung East uplands", "Shek Uk Shan"),
    ("Shek Uk Shan", "Kai Kung Shan (Sai Kung West)"),
    ("High Junk Peak", "Clear Water Bay peninsula south"),
    ("Pat Sin Leng east (Shun Yeung Fung)", "Plover Cove uplands"),
)


# --- flat built-up and reclaimed ground ----------------------------------------------------------


class FlatZone(NamedTuple):
    """Low flat ground (reclamation, new-town platform, alluvial plain): a soft rounded rectangle.

    A modelling choice, not a measured fact: where the reclaimed waterfronts, new towns and the
    Yuen Long / Sheung Shui plains lie, read off the published maps to ~200 m.

    ``half_len_m``/``half_wid_m`` are half-sizes along/across ``angle_deg`` (counter-clockwise
    from east); ground inside rises from ~1 m at the shore to at most ``top_m``.
    """

    name: str
    lon: float
    lat: float
    half_len_m: float
    half_wid_m: float
    angle_deg: float
    top_m: float


FLATS: tuple[FlatZone, ...] = (
    FlatZone("Kennedy Town - Sheung Wan", 114.1400, 22.2860, 1700, 250, 3, 8),
    FlatZone("Central - Admiralty", 114.1610, 22.2825, 900, 420, -10, 30),
    FlatZone("Wan Chai - Causeway Bay", 114.1790, 22.2790, 1300, 420, 0, 20),
    FlatZone("Happy Valley", 114.1830, 22.2720, 550, 330, 20, 15),
    FlatZone("North Point", 114.1975, 22.2905, 900, 300, 20, 10),
    FlatZone("Quarry Bay - Tai Koo", 114.2170, 22.2855, 1000, 330, -20, 10),
    FlatZone("Shau Kei Wan", 114.2290, 22.2795, 700, 250, -30, 10),
    FlatZone("Chai Wan valley", 114.2375, 22.2645, 500, 280, 80, 14),
    FlatZone("Siu Sai Wan - Heng Fa Chuen", 114.2460, 22.2700, 600, 250, -60, 8),
    FlatZone("Aberdeen", 114.1560, 22.2490, 800, 180, 20, 8),
    FlatZone("Ap Lei Chau north", 114.1520, 22.2430, 700, 220, 20, 10),
    FlatZone("Wong Chuk Hang", 114.1690, 22.2480, 500, 200, 30, 12),
    FlatZone("Kowloon peninsula", 114.1700, 22.3130, 2300, 900, 97, 14),
    FlatZone("West Kowloon reclamation", 114.1560, 22.3150, 1900, 450, 95, 6),
    FlatZone("Sham Shui Po - Lai Chi Kok", 114.1530, 22.3360, 1400, 450, 25, 10),
    FlatZone("Hung Hom - Kowloon City", 114.1880, 22.3160, 1700, 600, 75, 10),
    FlatZone("Kai Tak", 114.2040, 22.3230, 1300, 700, 45, 7),
    FlatZone("Kai Tak runway", 114.2110, 22.3100, 1500, 160, -44, 6),
    FlatZone("Kowloon Bay - Kwun Tong", 114.2200, 22.3160, 1500, 420, 40, 10),
    FlatZone("Yau Tong", 114.2380, 22.2960, 400, 200, 60, 10),
    FlatZone("Tsuen Wan", 114.1150, 22.3700, 1300, 450, 20, 12),
    FlatZone("Kwai Chung", 114.1290, 22.3560, 1600, 500, 75, 10),
    FlatZone("Kwai Chung container terminals", 114.1230, 22.3440, 900, 400, 80, 5),
    FlatZone("Tsing Yi north-east", 114.1050, 22.3580, 800, 300, 60, 8),
    FlatZone("Tsing Yi container terminal 9", 114.1140, 22.3390, 700, 300, 80, 5),
    FlatZone("Sha Tin", 114.1900, 22.3820, 1900, 800, 30, 10),
    FlatZone("Tai Wai", 114.1790, 22.3720, 700, 400, 40, 12),
    FlatZone("Fo Tan", 114.1970, 22.3970, 500, 300, 60, 10),
    FlatZone("Ma On Shan new town", 114.2310, 22.4200, 1600, 380, 55, 10),
    FlatZone("Tai Po", 114.1700, 22.4480, 1600, 700, 30, 10),
    FlatZone("Tai Po Industrial Estate", 114.2130, 22.4560, 800, 400, 20, 6),
    FlatZone("Fanling - Sheung Shui plain", 114.1250, 22.5000, 2800, 1300, 40, 16),
    FlatZone("Yuen Long plain", 114.0300, 22.4500, 3000, 1500, 0, 12),
    FlatZone("Kam Tin plain", 114.0750, 22.4400, 2500, 900, 10, 20),
    FlatZone("San Tin - Mai Po marshes", 114.0400, 22.4950, 2800, 1000, 20, 4),
    FlatZone("Tin Shui Wai", 114.0020, 22.4600, 1500, 1300, 0, 5),
    FlatZone("Hung Shui Kiu", 113.9900, 22.4300, 1300, 700, 70, 10),
    FlatZone("Shek Kong airfield", 114.0800, 22.4360, 1500, 400, 10, 20),
    FlatZone("Tuen Mun", 113.9750, 22.3950, 2500, 700, 85, 10),
    FlatZone("Tseung Kwan O", 114.2600, 22.3110, 1800, 800, 85, 8),
    FlatZone("Tseung Kwan O south", 114.2700, 22.2850, 1300, 400, 80, 6),
    FlatZone("Tung Chung", 113.9430, 22.2890, 1400, 300, 20, 8),
    FlatZone("Hong Kong International Airport", 113.9140, 22.3110, 3300, 2100, 17, 7),
    FlatZone("Penny's Bay", 114.0430, 22.3130, 1000, 700, 0, 6),
    FlatZone("Siu Ho Wan", 113.9900, 22.3120, 700, 300, 0, 6),
    FlatZone("Cheung Chau isthmus", 114.0280, 22.2100, 400, 150, 90, 5),
    FlatZone("Mui Wo", 113.9980, 22.2660, 500, 250, 0, 5),
    FlatZone("Tai O", 113.8630, 22.2540, 400, 300, 0, 4),
    FlatZone("Sai Kung town", 114.2720, 22.3810, 500, 300, 0, 6),
    FlatZone("Stanley", 114.2120, 22.2200, 300, 200, 0, 10),
    FlatZone("Discovery Bay", 114.0170, 22.2960, 700, 300, 60, 15),
)


# --- land reclaimed after the GSHHG shoreline was surveyed ---------------------------------------

#: GSHHG's full-resolution shoreline around Hong Kong predates the reclamations of the 1990s and
#: 2000s (Chek Lap Kok airport, West Kowloon, Tseung Kwan O, ...). These approximate outlines are
#: added to the land so the airport exists and the towers standing on reclaimed land (ICC, IFC)
#: stand on land. Only the seaward edges matter; the inland parts overlap the GSHHG land.
#: Source for every outline: CEDD (the reclamation's extent as published), drawn to ~100-300 m.
RECLAMATIONS: dict[str, tuple[tuple[float, float], ...]] = {
    # Chek Lap Kok platform with the third runway: ~6.5 x 4.2 km, runways on bearing 073 deg.
    "Hong Kong International Airport": (
        (113.8768, 22.3250), (113.9372, 22.3415), (113.9488, 22.3030),
        (113.9390, 22.2985), (113.8893, 22.2845),
    ),
    "Hong Kong-Zhuhai-Macao Bridge Hong Kong Port": (
        (113.9450, 22.3070), (113.9590, 22.3100), (113.9575, 22.3230), (113.9430, 22.3200),
    ),
    "Tung Chung new town": (
        (113.9250, 22.2820), (113.9320, 22.2915), (113.9470, 22.2950), (113.9600, 22.2955),
        (113.9640, 22.2890), (113.9550, 22.2800), (113.9400, 22.2770),
    ),
    "Siu Ho Wan depot": ((113.9820, 22.3060), (114.0000, 22.3060), (114.0000, 22.3170),
                         (113.9820, 22.3170)),
    "Penny's Bay and Sunny Bay": (
        (114.0280, 22.3050), (114.0450, 22.3010), (114.0560, 22.3080), (114.0560, 22.3220),
        (114.0430, 22.3300), (114.0300, 22.3350), (114.0230, 22.3250),
    ),
    "West Kowloon": (
        (114.1700, 22.2955), (114.1660, 22.2948), (114.1600, 22.2975), (114.1535, 22.3005),
        (114.1515, 22.3070), (114.1525, 22.3160), (114.1500, 22.3225), (114.1440, 22.3250),
        (114.1370, 22.3232), (114.1310, 22.3240), (114.1305, 22.3280), (114.1400, 22.3300),
        (114.1470, 22.3330), (114.1580, 22.3350), (114.1700, 22.3150),
    ),
    "Central and Wan Chai": (
        (114.1470, 22.2878), (114.1520, 22.2890), (114.1565, 22.2897), (114.1600, 22.2893),
        (114.1625, 22.2880), (114.1655, 22.2860), (114.1700, 22.2852), (114.1725, 22.2864),
        (114.1748, 22.2862), (114.1768, 22.2838), (114.1800, 22.2828), (114.1830, 22.2825),
        (114.1830, 22.2790), (114.1470, 22.2840),
    ),
    "Heng Fa Chuen": ((114.2350, 22.2735), (114.2450, 22.2735), (114.2450, 22.2795),
                      (114.2350, 22.2800)),
    "Tsing Yi north-east": ((114.1000, 22.3510), (114.1120, 22.3540), (114.1120, 22.3600),
                            (114.1030, 22.3620)),
    "Tsing Yi container terminal 9": ((114.1070, 22.3310), (114.1200, 22.3330),
                                      (114.1190, 22.3460), (114.1070, 22.3440)),
    "Tsuen Wan West": ((114.0990, 22.3670), (114.1140, 22.3675), (114.1150, 22.3740),
                       (114.1000, 22.3730)),
    "Tseung Kwan O": (
        (114.2450, 22.3040), (114.2540, 22.3030), (114.2620, 22.3035), (114.2655, 22.3000),
        (114.2660, 22.2900), (114.2680, 22.2790), (114.2720, 22.2680), (114.2850, 22.2680),
        (114.2850, 22.3000), (114.2750, 22.3250), (114.2550, 22.3300), (114.2450, 22.3180),
    ),
    "Ma On Shan new town": (
        (114.2200, 22.4040), (114.2250, 22.4120), (114.2305, 22.4200), (114.2350, 22.4265),
        (114.2450, 22.4320), (114.2500, 22.4300), (114.2400, 22.4180), (114.2280, 22.4030),
    ),
}


# --- landmark towers -----------------------------------------------------------------------------


class Landmark(NamedTuple):
    """A real tower: position and height from CTBUH/Wikipedia, footprint approximate."""

    name: str
    lon: float
    lat: float
    height_m: float
    length_m: float  # footprint along angle_deg
    width_m: float
    angle_deg: float  # counter-clockwise from east
    round_plan: bool = False


LANDMARKS: tuple[Landmark, ...] = (
    # source for every row: CTBUH; positions +-50-150 m (Union Square rows +-150 m)
    Landmark("International Commerce Centre", 114.1601, 22.3033, 484, 70, 70, 0),
    Landmark("Two International Finance Centre (Two IFC)", 114.1589, 22.2850, 412, 57, 57, 10),
    Landmark("One International Finance Centre (One IFC)", 114.1572, 22.2858, 210, 45, 45, 10),
    Landmark("Central Plaza", 114.1738, 22.2800, 374, 60, 60, 0),
    Landmark("Bank of China Tower", 114.1615, 22.2793, 367, 52, 52, 45),
    Landmark("The Center", 114.1548, 22.2845, 346, 42, 42, 5),
    Landmark("Nina Tower", 114.1100, 22.3700, 320, 50, 35, 20),
    Landmark("One Island East", 114.2128, 22.2862, 298, 55, 45, -15),
    Landmark("Cheung Kong Center", 114.1597, 22.2795, 283, 50, 50, 0),
    Landmark("The Cullinan North Tower", 114.1627, 22.3042, 270, 45, 35, 0),
    Landmark("The Cullinan South Tower", 114.1635, 22.3028, 270, 45, 35, 0),
    Landmark("The Masterpiece", 114.1737, 22.2978, 261, 40, 30, 10),
    Landmark("Sorrento Tower 1", 114.1612, 22.3075, 256, 40, 30, 0),
    Landmark("The Harbourside", 114.1590, 22.3048, 255, 60, 30, 90),
    Landmark("Langham Place Office Tower", 114.1685, 22.3180, 255, 50, 40, 7),
    Landmark("Highcliff", 114.1828, 22.2656, 252, 30, 25, 30),
    Landmark("The Arch", 114.1632, 22.3060, 231, 60, 25, 0),
    Landmark("COSCO Tower (Grand Millennium Plaza)", 114.1520, 22.2860, 228, 50, 40, 10),
    Landmark("The Summit", 114.1838, 22.2664, 220, 30, 30, 30),
    Landmark("Hopewell Centre", 114.1718, 22.2745, 216, 46, 46, 0, True),
    Landmark("Sun Hung Kai Centre", 114.1770, 22.2803, 215, 55, 45, 0),
    Landmark("Island Shangri-La (Two Pacific Place)", 114.1650, 22.2773, 213, 45, 30, 0),
    Landmark("Citibank Plaza", 114.1603, 22.2783, 205, 50, 40, 0),
    Landmark("Hysan Place", 114.1838, 22.2797, 204, 50, 45, 0),
    Landmark("Times Square Tower One", 114.1822, 22.2782, 194, 45, 45, 0),
    Landmark("One Exchange Square", 114.1570, 22.2836, 188, 45, 45, 10),
    Landmark("Two Exchange Square", 114.1580, 22.2843, 188, 45, 45, 10),
    Landmark("Lippo Centre Tower 1", 114.1635, 22.2795, 186, 40, 40, 0),
    Landmark("Lippo Centre Tower 2", 114.1643, 22.2788, 172, 40, 40, 0),
    Landmark("AIA Central", 114.1610, 22.2810, 185, 40, 40, 0),
    Landmark("Standard Chartered Bank Building", 114.1603, 22.2802, 185, 35, 35, 0),
    Landmark("Jardine House", 114.1595, 22.2835, 179, 48, 48, 10),
    Landmark("HSBC Main Building", 114.1594, 22.2803, 178, 70, 55, 0),
    Landmark("China Resources Building", 114.1754, 22.2803, 178, 45, 45, 0),
)


# --- districts -----------------------------------------------------------------------------------


class District(NamedTuple):
    """One of the 18 District Council districts, with seed points at well-known places in it.

    Source of code, names and region: DC. Seeds are town centres, estates and hills known to lie
    in the district (positions ~100 m); they only drive the approximate boundaries.
    """

    code: str  # the government's DC code letter (there is no I or O)
    name_en: str
    name_zh: str
    region: str
    seeds: tuple[tuple[float, float], ...]


DISTRICTS: tuple[District, ...] = (
    District("A", "Central and Western", "中西區", "Hong Kong Island", (
        (114.1280, 22.2810), (114.1420, 22.2860), (114.1520, 22.2870), (114.1580, 22.2820),
        (114.1500, 22.2780), (114.1470, 22.2720), (114.1220, 22.2740), (114.1370, 22.2700),
    )),
    District("B", "Wan Chai", "灣仔區", "Hong Kong Island", (
        (114.1730, 22.2780), (114.1840, 22.2790), (114.1840, 22.2700), (114.1680, 22.2780),
        (114.1800, 22.2640), (114.1920, 22.2760), (114.1750, 22.2640), (114.1700, 22.2830),
    )),
    District("C", "Eastern", "東區", "Hong Kong Island", (
        (114.2000, 22.2900), (114.2130, 22.2860), (114.2280, 22.2790), (114.2380, 22.2650),
        (114.2500, 22.2620), (114.2220, 22.2720), (114.2030, 22.2800), (114.1950, 22.2850),
        (114.2450, 22.2740),
    )),
    District("D", "Southern", "南區", "Hong Kong Island", (
        (114.1550, 22.2480), (114.1530, 22.2420), (114.1350, 22.2620), (114.1680, 22.2480),
        (114.1970, 22.2370), (114.2120, 22.2180), (114.2200, 22.2450), (114.2500, 22.2300),
        (114.1850, 22.2450), (114.1300, 22.2560), (114.2350, 22.2400), (114.1450, 22.2550),
    )),
    District("E", "Yau Tsim Mong", "油尖旺區", "Kowloon", (
        (114.1720, 22.2980), (114.1700, 22.3050), (114.1700, 22.3120), (114.1700, 22.3190),
        (114.1610, 22.3210), (114.1580, 22.3050), (114.1600, 22.3170), (114.1760, 22.2990),
    )),
    District("F", "Sham Shui Po", "深水埗區", "Kowloon", (
        (114.1620, 22.3310), (114.1550, 22.3360), (114.1450, 22.3380), (114.1380, 22.3380),
        (114.1680, 22.3330), (114.1540, 22.3270), (114.1350, 22.3230), (114.1480, 22.3450),
        (114.1600, 22.3400),
    )),
    District("G", "Kowloon City", "九龍城區", "Kowloon", (
        (114.1850, 22.3030), (114.1900, 22.3050), (114.1780, 22.3130), (114.1900, 22.3280),
        (114.1900, 22.3170), (114.1780, 22.3350), (114.2040, 22.3200), (114.2130, 22.3090),
        (114.1820, 22.3220),
    )),
    District("H", "Wong Tai Sin", "黃大仙區", "Kowloon", (
        (114.1940, 22.3420), (114.2010, 22.3400), (114.2000, 22.3500), (114.1870, 22.3380),
        (114.1970, 22.3350), (114.2070, 22.3350), (114.1870, 22.3500), (114.2150, 22.3450),
    )),
    District("J", "Kwun Tong", "觀塘區", "Kowloon", (
        (114.2250, 22.3120), (114.2130, 22.3230), (114.2200, 22.3170), (114.2350, 22.3070),
        (114.2380, 22.2970), (114.2320, 22.3200), (114.2160, 22.3300), (114.2260, 22.3300),
        (114.2420, 22.2960),
    )),
    District("K", "Tsuen Wan", "荃灣區", "New Territories", (
        (114.1170, 22.3720), (114.1100, 22.3680), (114.0600, 22.3680), (114.0800, 22.3700),
        (114.0600, 22.3500), (114.1240, 22.4070), (114.1100, 22.3950), (114.0950, 22.3850),
        (114.1350, 22.3900),
    )),
    District("L", "Tuen Mun", "屯門區", "New Territories", (
        (113.9750, 22.3920), (113.9750, 22.3750), (114.0100, 22.3750), (113.9500, 22.3900),
        (113.9150, 22.3850), (113.9650, 22.3750), (114.0300, 22.3700), (113.9780, 22.4120),
        (114.0000, 22.4000), (113.9400, 22.4150),
    )),
    District("M", "Yuen Long", "元朗區", "New Territories", (
        (114.0350, 22.4450), (114.0030, 22.4600), (113.9900, 22.4300), (114.0600, 22.4400),
        (114.0900, 22.4300), (113.9850, 22.4700), (114.0700, 22.5000), (114.0400, 22.4900),
        (114.0700, 22.4800), (114.0300, 22.4700), (114.0400, 22.4100), (114.0850, 22.4450),
        (114.0600, 22.4150),
    )),
    District("N", "North", "北區", "New Territories", (
        (114.1280, 22.5000), (114.1400, 22.4900), (114.1130, 22.5280), (114.1500, 22.5300),
        (114.2200, 22.5450), (114.1000, 22.5100), (114.1800, 22.5000), (114.1970, 22.5400),
        (114.3000, 22.5400), (114.2400, 22.5100), (114.2200, 22.5200), (114.1700, 22.5300),
        (114.1200, 22.4800),
    )),
    District("P", "Tai Po", "大埔區", "New Territories", (
        (114.1700, 22.4480), (114.2150, 22.4550), (114.1850, 22.4300), (114.1400, 22.4600),
        (114.2400, 22.4700), (114.2350, 22.4700), (114.3600, 22.4700), (114.2900, 22.4400),
        (114.2000, 22.4600), (114.3100, 22.4550), (114.3300, 22.4400), (114.2000, 22.4850),
        (114.1600, 22.4700), (114.1500, 22.4300),
    )),
    District("Q", "Sai Kung", "西貢區", "New Territories", (
        (114.3700, 22.4100), (114.3300, 22.3900), (114.2720, 22.3810), (114.3600, 22.3500),
        (114.2600, 22.3100), (114.2500, 22.3300), (114.3000, 22.3200), (114.2900, 22.2700),
        (114.3200, 22.3600), (114.2850, 22.4000), (114.2750, 22.2850), (114.2880, 22.2520),
        (114.3900, 22.3800), (114.2400, 22.3350), (114.2480, 22.3250),
    )),
    District("R", "Sha Tin", "沙田區", "New Territories", (
        (114.1900, 22.3830), (114.1780, 22.3720), (114.1950, 22.3950), (114.2300, 22.4200),
        (114.2430, 22.4300), (114.2100, 22.4130), (114.2050, 22.3750), (114.2100, 22.3600),
        (114.1850, 22.3600), (114.1600, 22.3800), (114.2320, 22.3780), (114.2050, 22.3850),
        (114.2480, 22.4050), (114.2620, 22.4000), (114.1700, 22.3620), (114.1950, 22.3620),
        (114.2220, 22.3680),
    )),
    District("S", "Kwai Tsing", "葵青區", "New Territories", (
        (114.1300, 22.3600), (114.1280, 22.3570), (114.1320, 22.3650), (114.1250, 22.3500),
        (114.1000, 22.3500), (114.1050, 22.3650), (114.1000, 22.3350), (114.1200, 22.3450),
        (114.1400, 22.3700), (114.1450, 22.3520),
    )),
    District("T", "Islands", "離島區", "New Territories", (
        (113.9400, 22.2880), (113.9150, 22.3100), (113.9950, 22.2650), (114.0150, 22.3000),
        (113.8600, 22.2550), (113.9050, 22.2570), (113.9700, 22.2400), (113.9900, 22.2350),
        (114.0400, 22.3150), (114.0300, 22.3300), (113.8500, 22.2300), (113.9900, 22.3000),
        (114.0280, 22.2100), (114.0400, 22.2850), (114.1200, 22.2100), (114.1100, 22.2300),
        (114.2560, 22.1700), (113.9000, 22.1700), (113.9500, 22.2700), (113.9200, 22.2400),
    )),
)


# --- generated building stock --------------------------------------------------------------------


class Profile(NamedTuple):
    """How a kind of built-up area looks: lot grid, footprint fill, height range, kinds."""

    lot_m: tuple[float, float]  # lot size along, across the street grid
    block_lots: tuple[int, int]  # lots per street block along, across
    street_m: float  # street width between blocks
    fill: tuple[float, float]  # footprint side as a fraction of the lot side (min, max)
    height_m: tuple[float, float]  # height range above base
    gamma: float  # > 1 skews heights towards the low end of the range
    keep: float  # fraction of lots built on
    cluster: float  # 0: uniform; > 0: that fraction of the area left empty, in clumps
    kinds: tuple[tuple[str, float], ...]  # building kinds and their shares
    l_shapes: float  # share of L-shaped footprints
    max_slope_deg: float = 18.0  # steepest ground built on (Mid-Levels towers stand on ~30 deg)
    max_ground_m: float = 150.0  # highest ground built on (Mid-Levels climbs to ~220 m)


PROFILES: dict[str, Profile] = {
    # Central / Admiralty office towers: big plots, 80-250 m.
    "cbd": Profile((55, 50), (2, 2), 18, (0.55, 0.8), (80, 250), 1.7, 0.8, 0.0,
                   (("commercial", 0.9), ("public", 0.1)), 0.1),
    # Wan Chai, Causeway Bay, TST, Mong Kok: dense mixed blocks, 40-150 m.
    "commercial": Profile((26, 22), (4, 2), 14, (0.65, 0.88), (35, 150), 1.5, 0.88, 0.0,
                          (("commercial", 0.6), ("residential", 0.35), ("public", 0.05)), 0.15),
    # Old tenement districts (Sham Shui Po, To Kwa Wan, North Point): narrow plots, 20-90 m.
    "tenement": Profile((18, 17), (5, 2), 12, (0.7, 0.9), (20, 90), 1.3, 0.9, 0.0,
                        (("residential", 0.85), ("commercial", 0.1), ("public", 0.05)), 0.1),
    # Public and private housing estates: slab and cruciform towers, 100-180 m.
    "estate": Profile((62, 58), (2, 2), 20, (0.45, 0.62), (90, 185), 0.9, 0.8, 0.1,
                      (("residential", 0.9), ("public", 0.1)), 0.2, 20.0),
    # New-town centres: mixed estates, malls and schools, 40-170 m.
    "newtown": Profile((50, 45), (3, 2), 18, (0.45, 0.7), (40, 170), 1.1, 0.8, 0.1,
                       (("residential", 0.72), ("commercial", 0.18), ("public", 0.1)), 0.2),
    # Industrial and godown districts: 30-70 m.
    "industrial": Profile((50, 45), (3, 2), 16, (0.6, 0.85), (25, 75), 1.2, 0.85, 0.05,
                          (("industrial", 0.9), ("commercial", 0.1)), 0.1),
    # Villages: three-storey New Territories exempted houses, ~9 m, in clumps.
    "village": Profile((18, 18), (4, 3), 8, (0.5, 0.7), (7, 11), 1.0, 0.55, 0.6,
                       (("village", 1.0),), 0.0),
    # Island and market towns (Cheung Chau, Tai O, Sai Kung): dense 2-5 storey houses.
    "town": Profile((16, 15), (4, 2), 8, (0.6, 0.8), (7, 16), 1.3, 0.75, 0.0,
                    (("village", 0.8), ("residential", 0.15), ("public", 0.05)), 0.0),
    # Two-storey suburban estates (Fairview Park, Palm Springs): uniform rows of houses.
    "suburb": Profile((20, 18), (6, 2), 10, (0.5, 0.7), (6, 9), 1.0, 0.9, 0.0,
                      (("residential", 1.0),), 0.1),
    # Low-rise suburbs (Kowloon Tong, Discovery Bay, Sai Kung): 8-30 m.
    "lowrise": Profile((32, 30), (3, 2), 12, (0.4, 0.6), (8, 30), 1.3, 0.75, 0.1,
                       (("residential", 0.95), ("public", 0.05)), 0.2),
    # Hillside residential towers (Mid-Levels, Pok Fu Lam, Repulse Bay): 50-180 m.
    "midlevels": Profile((40, 38), (2, 2), 14, (0.45, 0.65), (50, 180), 1.2, 0.7, 0.1,
                         (("residential", 0.95), ("public", 0.05)), 0.15, 30.0, 220.0),
    # Airport and port: few large low sheds.
    "airport": Profile((140, 110), (2, 2), 40, (0.35, 0.6), (12, 35), 1.0, 0.35, 0.3,
                       (("public", 0.5), ("industrial", 0.5)), 0.0),
}

#: Public buildings (schools, markets, clinics) are low and broad, whatever the area.
PUBLIC_HEIGHT_M: tuple[float, float] = (12.0, 40.0)


class Area(NamedTuple):
    """A built-up area on a street grid (centre, size, grid angle ccw from east, profile).

    Centres and extents of the built-up districts are read off the published maps (~200 m); the
    buildings placed in them are generated, not surveyed.
    """

    name: str
    lon: float
    lat: float
    length_m: float
    width_m: float
    angle_deg: float
    profile: str


#: Street-grid angles follow the shoreline / main street of each area: Nathan Road runs a few
#: degrees west of north (97 deg), the Island's north shore runs roughly east-west.
AREAS: tuple[Area, ...] = (
    # Hong Kong Island north shore (west to east)
    Area("Kennedy Town", 114.1290, 22.2840, 1100, 600, 5, "tenement"),
    Area("Sai Ying Pun - Sheung Wan", 114.1450, 22.2870, 2000, 600, 3, "tenement"),
    Area("Central", 114.1575, 22.2835, 1100, 650, -12, "cbd"),
    Area("Admiralty", 114.1655, 22.2805, 750, 450, -8, "cbd"),
    Area("Mid-Levels", 114.1500, 22.2800, 2250, 650, 5, "midlevels"),
    Area("Wan Chai", 114.1735, 22.2785, 1600, 650, 0, "commercial"),
    Area("Wan Chai North", 114.1755, 22.2825, 1250, 300, 0, "cbd"),
    Area("Causeway Bay", 114.1845, 22.2795, 1250, 650, 0, "commercial"),
    Area("Happy Valley", 114.1840, 22.2705, 1400, 1150, 20, "midlevels"),
    Area("Tai Hang", 114.1920, 22.2770, 600, 400, 0, "tenement"),
    Area("Tin Hau - North Point", 114.1990, 22.2905, 1900, 600, 30, "tenement"),
    Area("Quarry Bay - Taikoo", 114.2140, 22.2860, 2000, 650, -15, "estate"),
    Area("Sai Wan Ho - Shau Kei Wan", 114.2270, 22.2805, 1600, 600, -30, "tenement"),
    Area("Chai Wan", 114.2380, 22.2660, 1250, 800, 80, "estate"),
    Area("Chai Wan industrial", 114.2365, 22.2600, 750, 500, 80, "industrial"),
    Area("Heng Fa Chuen", 114.2400, 22.2765, 600, 400, -10, "estate"),
    Area("Siu Sai Wan", 114.2500, 22.2630, 750, 500, -40, "estate"),
    # Hong Kong Island south
    Area("Aberdeen", 114.1550, 22.2490, 1250, 500, 20, "tenement"),
    Area("Ap Lei Chau", 114.1530, 22.2430, 1100, 650, 20, "estate"),
    Area("Wong Chuk Hang", 114.1680, 22.2475, 750, 400, 30, "industrial"),
    Area("Pok Fu Lam", 114.1360, 22.2620, 750, 500, 60, "estate"),
    Area("Repulse Bay", 114.1970, 22.2380, 600, 300, 20, "midlevels"),
    Area("Stanley", 114.2120, 22.2190, 400, 300, 0, "lowrise"),
    Area("Shek O", 114.2520, 22.2300, 300, 250, 0, "town"),
    # Kowloon
    Area("Tsim Sha Tsui", 114.1720, 22.2990, 1100, 850, 97, "commercial"),
    Area("Tsim Sha Tsui East", 114.1790, 22.2985, 750, 450, 30, "commercial"),
    Area("Jordan - Yau Ma Tei", 114.1705, 22.3085, 1750, 1300, 97, "tenement"),
    Area("Mong Kok", 114.1695, 22.3200, 1600, 1300, 97, "commercial"),
    Area("Tai Kok Tsui - Olympic", 114.1610, 22.3190, 1250, 800, 97, "estate"),
    Area("West Kowloon (Austin)", 114.1645, 22.3085, 750, 500, 97, "estate"),
    Area("Sham Shui Po", 114.1625, 22.3310, 1750, 1150, 35, "tenement"),
    Area("Shek Kip Mei", 114.1690, 22.3355, 750, 500, 35, "estate"),
    Area("Cheung Sha Wan - Lai Chi Kok", 114.1520, 22.3370, 1750, 800, 30, "industrial"),
    Area("Mei Foo", 114.1385, 22.3385, 750, 500, 30, "estate"),
    Area("Kowloon City - To Kwa Wan", 114.1880, 22.3200, 1750, 1150, 60, "tenement"),
    Area("Hung Hom - Whampoa", 114.1885, 22.3075, 1250, 800, 30, "newtown"),
    Area("Ho Man Tin", 114.1780, 22.3130, 900, 650, 0, "estate"),
    Area("Kowloon Tong", 114.1790, 22.3350, 900, 600, 90, "lowrise"),
    Area("Kai Tak", 114.2030, 22.3220, 1500, 800, 45, "estate"),
    Area("Kai Tak runway", 114.2115, 22.3095, 1500, 220, -44, "lowrise"),
    Area("San Po Kong", 114.1990, 22.3340, 750, 400, 0, "industrial"),
    Area("Wong Tai Sin", 114.1960, 22.3420, 1250, 650, 0, "estate"),
    Area("Tsz Wan Shan - Diamond Hill", 114.2030, 22.3490, 1000, 650, 0, "estate"),
    Area("Choi Hung - Ngau Chi Wan", 114.2080, 22.3350, 750, 500, 40, "estate"),
    Area("Kowloon Bay", 114.2110, 22.3230, 1100, 800, 40, "industrial"),
    Area("Kwun Tong", 114.2220, 22.3115, 1500, 800, 40, "industrial"),
    Area("Ngau Tau Kok - Sau Mau Ping", 114.2280, 22.3210, 1500, 1050, 40, "estate"),
    Area("Shun Lee - Jordan Valley", 114.2240, 22.3290, 900, 650, 40, "estate"),
    Area("Lam Tin - Yau Tong", 114.2360, 22.3030, 1250, 900, 60, "estate"),
    # New Territories
    Area("Tsuen Wan", 114.1160, 22.3720, 2250, 1050, 20, "newtown"),
    Area("Kwai Chung industrial", 114.1320, 22.3600, 1100, 650, 75, "industrial"),
    Area("Kwai Chung estates", 114.1330, 22.3700, 1250, 800, 75, "estate"),
    Area("Lai King", 114.1270, 22.3500, 750, 500, 75, "estate"),
    Area("Tsing Yi town", 114.1040, 22.3580, 1250, 800, 70, "estate"),
    Area("Tsing Yi south", 114.1010, 22.3440, 750, 500, 70, "estate"),
    Area("Tsing Yi container terminal 9", 114.1120, 22.3390, 900, 500, 80, "industrial"),
    Area("Sham Tseng", 114.0600, 22.3680, 900, 400, 10, "estate"),
    Area("Ma Wan", 114.0600, 22.3510, 750, 500, 60, "estate"),
    Area("Sha Tin", 114.1880, 22.3820, 2250, 1150, 30, "newtown"),
    Area("Tai Wai", 114.1780, 22.3720, 1100, 800, 45, "estate"),
    Area("Fo Tan", 114.1960, 22.3960, 750, 500, 60, "industrial"),
    Area("Sha Tin Wai - City One", 114.2040, 22.3820, 1100, 800, 30, "estate"),
    Area("Ma On Shan", 114.2300, 22.4200, 2500, 900, 55, "estate"),
    Area("Wu Kai Sha", 114.2430, 22.4290, 750, 500, 40, "estate"),
    Area("Tai Po", 114.1680, 22.4470, 2250, 1150, 30, "newtown"),
    Area("Tai Po Industrial Estate", 114.2120, 22.4560, 1000, 650, 20, "industrial"),
    Area("Sheung Shui", 114.1270, 22.5020, 1900, 1050, 45, "newtown"),
    Area("Fanling", 114.1400, 22.4920, 1900, 1050, 45, "estate"),
    Area("Tuen Mun", 113.9740, 22.3930, 3500, 1700, 85, "newtown"),
    Area("Tuen Mun north", 113.9760, 22.4150, 1250, 1050, 85, "estate"),
    Area("Yuen Long", 114.0300, 22.4440, 2000, 900, 5, "tenement"),
    Area("Tin Shui Wai", 114.0020, 22.4600, 2000, 1800, 95, "estate"),
    Area("Tseung Kwan O", 114.2590, 22.3120, 2500, 1700, 90, "estate"),
    Area("LOHAS Park", 114.2700, 22.2950, 750, 650, 90, "estate"),
    Area("Tseung Kwan O Industrial Estate", 114.2760, 22.2800, 1250, 650, 80, "industrial"),
    Area("Tung Chung", 113.9420, 22.2880, 1900, 650, 20, "estate"),
    Area("Discovery Bay", 114.0160, 22.2950, 1200, 700, 60, "lowrise"),
    Area("Sai Kung town", 114.2700, 22.3820, 600, 400, 0, "town"),
    Area("Hong Kong International Airport", 113.9250, 22.3100, 2000, 900, 17, "airport"),
    Area("Lok Fu - Wang Tau Hom", 114.1880, 22.3390, 900, 650, 0, "estate"),
    Area("Lei Cheng Uk - So Uk", 114.1580, 22.3400, 1000, 500, 30, "estate"),
    Area("Fairview Park", 114.0450, 22.4770, 1300, 900, 15, "suburb"),
    Area("Palm Springs", 114.0350, 22.4870, 800, 500, 15, "suburb"),
    Area("Silverstrand - Clear Water Bay", 114.2750, 22.3300, 800, 500, 60, "lowrise"),
    Area("Sai Kung lowrise", 114.2600, 22.3760, 700, 500, 45, "lowrise"),
    Area("Gold Coast", 113.9850, 22.3720, 700, 300, 10, "lowrise"),
    Area("Tai Po Kau", 114.1850, 22.4280, 600, 300, 45, "lowrise"),
    # Villages and small island towns
    Area("Sha Tau Kok", 114.2250, 22.5440, 400, 300, 0, "town"),
    Area("Luk Keng - Wu Kau Tang villages", 114.2150, 22.5200, 1500, 800, 0, "village"),
    Area("Ting Kok villages", 114.2150, 22.4700, 1500, 600, 10, "village"),
    Area("Tsing Lung Tau villages", 114.0400, 22.3650, 1500, 500, 10, "village"),
    Area("Lam Tei villages", 113.9850, 22.4200, 1200, 1000, 80, "village"),
    Area("Hang Hau villages", 114.2700, 22.3200, 1200, 800, 60, "village"),
    Area("Ho Chung villages", 114.2450, 22.3550, 800, 600, 45, "village"),
    Area("Ngau Tam Mei villages", 114.0750, 22.4800, 2000, 1000, 20, "village"),
    Area("Kwu Tung villages", 114.1000, 22.5050, 1500, 700, 20, "village"),
    Area("Shap Pat Heung villages", 114.0400, 22.4300, 1500, 800, 0, "village"),
    Area("Ha Tsuen villages", 113.9750, 22.4500, 1500, 800, 90, "village"),
    Area("South Lantau villages", 113.9700, 22.2400, 1500, 400, 20, "village"),
    Area("Tung Chung villages", 113.9300, 22.2800, 800, 500, 20, "village"),
    Area("Kam Tin villages", 114.0600, 22.4400, 2500, 1500, 10, "village"),
    Area("Pat Heung villages", 114.0900, 22.4300, 2000, 1200, 10, "village"),
    Area("San Tin villages", 114.0700, 22.5000, 1500, 800, 30, "village"),
    Area("Ping Shan - Hung Shui Kiu villages", 113.9900, 22.4350, 2000, 1200, 70, "village"),
    Area("Lau Fau Shan", 113.9850, 22.4680, 800, 500, 0, "village"),
    Area("Ta Kwu Ling villages", 114.1550, 22.5300, 1200, 800, 20, "village"),
    Area("Sheung Shui villages", 114.1100, 22.5100, 1500, 700, 40, "village"),
    Area("Lam Tsuen villages", 114.1400, 22.4550, 1500, 800, 30, "village"),
    Area("Sai Kung villages", 114.2600, 22.3700, 1200, 700, 45, "village"),
    Area("Cheung Chau", 114.0280, 22.2100, 500, 400, 90, "town"),
    Area("Mui Wo", 113.9920, 22.2650, 400, 300, 0, "town"),
    Area("Peng Chau", 114.0400, 22.2860, 300, 300, 0, "town"),
    Area("Tai O", 113.8620, 22.2550, 500, 300, 0, "town"),
    Area("Yung Shue Wan", 114.1110, 22.2260, 300, 200, 0, "town"),
)

#: Open ground inside built-up areas (parks, racecourses, sports grounds): centre, radius in m;
#: positions from the published maps (~50 m), radii approximate.
OPEN_SPACES: tuple[tuple[str, float, float, float], ...] = (
    ("Victoria Park", 114.1885, 22.2820, 220),
    ("Happy Valley Racecourse", 114.1826, 22.2725, 330),
    ("Hong Kong Park", 114.1615, 22.2775, 120),
    ("Tamar Park", 114.1660, 22.2830, 100),
    ("Kowloon Park", 114.1700, 22.3010, 180),
    ("Sha Tin Racecourse", 114.2030, 22.4010, 450),
    ("Kai Tak Sports Park", 114.1990, 22.3260, 250),
    ("Tai Po Waterfront Park", 114.1800, 22.4530, 250),
    ("Shek Kip Mei Park", 114.1660, 22.3340, 120),
    ("Morse Park", 114.1910, 22.3390, 150),
    ("Sha Tin Park", 114.1880, 22.3800, 130),
    ("Tuen Mun Park", 113.9760, 22.3900, 150),
    ("Kowloon Walled City Park", 114.1903, 22.3320, 110),
)


# --- roads ---------------------------------------------------------------------------------------


class Road(NamedTuple):
    """A named trunk road: approximate WGS84 waypoints along its alignment (source: HYD)."""

    name: str
    route: str
    kind: str  # expressway, trunk, tunnel, bridge, street
    waypoints: tuple[tuple[float, float], ...]


ROADS: tuple[Road, ...] = (
    Road("Connaught Road - Harcourt Road - Gloucester Road", "Route 4", "trunk", (
        (114.1400, 22.2880), (114.1480, 22.2878), (114.1530, 22.2870), (114.1570, 22.2846),
        (114.1605, 22.2826), (114.1640, 22.2816), (114.1680, 22.2808), (114.1720, 22.2803),
        (114.1760, 22.2803), (114.1800, 22.2808), (114.1840, 22.2815), (114.1870, 22.2830),
    )),
    Road("Island Eastern Corridor", "Route 4", "expressway", (
        (114.1870, 22.2830), (114.1930, 22.2885), (114.1990, 22.2935), (114.2060, 22.2925),
        (114.2130, 22.2895), (114.2180, 22.2868), (114.2240, 22.2843), (114.2300, 22.2822),
        (114.2360, 22.2800), (114.2410, 22.2765),
    )),
    Road("Nathan Road", "", "street", (
        (114.1716, 22.2945), (114.1722, 22.2985), (114.1717, 22.3040), (114.1707, 22.3120),
        (114.1697, 22.3190), (114.1685, 22.3245), (114.1672, 22.3275),
    )),
    Road("Cross-Harbour Tunnel", "Route 1", "tunnel", (
        (114.1810, 22.2810), (114.1820, 22.2858), (114.1832, 22.2940), (114.1840, 22.3020),
    )),
    Road("Western Harbour Crossing", "Route 3", "tunnel", (
        (114.1470, 22.2880), (114.1510, 22.2930), (114.1555, 22.2990), (114.1590, 22.3045),
    )),
    Road("Eastern Harbour Crossing", "Route 2", "tunnel", (
        (114.2115, 22.2895), (114.2180, 22.2950), (114.2240, 22.3000), (114.2300, 22.3040),
    )),
    Road("West Kowloon Highway", "Route 3", "expressway", (
        (114.1590, 22.3045), (114.1555, 22.3120), (114.1540, 22.3200), (114.1525, 22.3270),
        (114.1465, 22.3340), (114.1400, 22.3370),
    )),
    Road("Tsing Sha Highway", "Route 8", "expressway", (
        (114.1880, 22.3780), (114.1780, 22.3690), (114.1650, 22.3560), (114.1570, 22.3450),
        (114.1500, 22.3360), (114.1400, 22.3300), (114.1330, 22.3290), (114.1190, 22.3320),
        (114.1080, 22.3400), (114.0980, 22.3480), (114.0920, 22.3530),
    )),
    Road("Stonecutters Bridge", "Route 8", "bridge", (
        (114.1370, 22.3290), (114.1280, 22.3300), (114.1190, 22.3320),
    )),
    Road("Lantau Link (Tsing Ma Bridge - Kap Shui Mun Bridge)", "Route 8", "bridge", (
        (114.0920, 22.3530), (114.0800, 22.3525), (114.0670, 22.3510), (114.0590, 22.3500),
        (114.0510, 22.3490), (114.0440, 22.3450),
    )),
    Road("North Lantau Highway", "Route 8", "expressway", (
        (114.0440, 22.3450), (114.0330, 22.3380), (114.0250, 22.3300), (114.0120, 22.3220),
        (113.9990, 22.3180), (113.9850, 22.3120), (113.9700, 22.3050), (113.9580, 22.2990),
        (113.9470, 22.2975), (113.9400, 22.3020), (113.9350, 22.3080),
    )),
    Road("Ting Kau Bridge", "Route 3", "bridge", (
        (114.0880, 22.3560), (114.0800, 22.3620), (114.0720, 22.3680),
    )),
    Road("Tuen Mun Road", "Route 9", "expressway", (
        (114.1080, 22.3700), (114.0950, 22.3690), (114.0800, 22.3685), (114.0600, 22.3710),
        (114.0400, 22.3715), (114.0200, 22.3740), (114.0050, 22.3790), (113.9920, 22.3860),
        (113.9820, 22.3940), (113.9790, 22.4050),
    )),
    Road("Castle Peak Road (Sham Shui Po - Tsuen Wan)", "", "trunk", (
        (114.1640, 22.3300), (114.1550, 22.3350), (114.1450, 22.3400), (114.1370, 22.3480),
        (114.1320, 22.3560), (114.1280, 22.3640), (114.1200, 22.3700), (114.1120, 22.3730),
    )),
    Road("Tolo Highway", "Route 9", "expressway", (
        (114.1900, 22.3820), (114.1960, 22.3920), (114.2010, 22.4010), (114.2060, 22.4110),
        (114.2020, 22.4210), (114.1930, 22.4300), (114.1830, 22.4400), (114.1720, 22.4500),
        (114.1620, 22.4560),
    )),
    Road("Fanling Highway", "Route 9", "expressway", (
        (114.1620, 22.4560), (114.1520, 22.4620), (114.1450, 22.4750), (114.1380, 22.4880),
        (114.1300, 22.4960), (114.1180, 22.5010), (114.1000, 22.5040), (114.0850, 22.5040),
    )),
    Road("San Tin Highway", "Route 9", "expressway", (
        (114.0850, 22.5040), (114.0700, 22.4900), (114.0600, 22.4750), (114.0530, 22.4600),
        (114.0500, 22.4500),
    )),
    Road("Yuen Long Highway", "Route 9", "expressway", (
        (114.0500, 22.4500), (114.0400, 22.4430), (114.0300, 22.4400), (114.0150, 22.4350),
        (114.0000, 22.4280), (113.9880, 22.4180), (113.9800, 22.4080), (113.9790, 22.4050),
    )),
    Road("Tai Lam Tunnel", "Route 3", "tunnel", (
        (114.0720, 22.3680), (114.0700, 22.3820), (114.0650, 22.4000), (114.0600, 22.4200),
        (114.0550, 22.4380), (114.0500, 22.4500),
    )),
    Road("Tai Po Road", "", "trunk", (
        (114.1680, 22.3330), (114.1630, 22.3420), (114.1590, 22.3520), (114.1620, 22.3600),
        (114.1700, 22.3680), (114.1790, 22.3760), (114.1860, 22.3820),
    )),
    Road("Lion Rock Tunnel Road", "Route 1", "tunnel", (
        (114.1800, 22.3400), (114.1810, 22.3500), (114.1830, 22.3620), (114.1850, 22.3720),
        (114.1880, 22.3780),
    )),
    Road("Kwun Tong Road", "", "trunk", (
        (114.2060, 22.3350), (114.2120, 22.3260), (114.2170, 22.3190), (114.2240, 22.3130),
        (114.2310, 22.3060), (114.2370, 22.2990),
    )),
    Road("Lung Cheung Road", "Route 7", "trunk", (
        (114.1600, 22.3380), (114.1700, 22.3395), (114.1800, 22.3410), (114.1880, 22.3430),
        (114.1950, 22.3440), (114.2030, 22.3400), (114.2080, 22.3370),
    )),
    Road("Tseung Kwan O Tunnel Road", "Route 7", "tunnel", (
        (114.2150, 22.3360), (114.2250, 22.3300), (114.2330, 22.3230), (114.2430, 22.3190),
        (114.2530, 22.3180),
    )),
    Road("Aberdeen Tunnel", "Route 1", "tunnel", (
        (114.1830, 22.2700), (114.1790, 22.2630), (114.1740, 22.2560), (114.1700, 22.2500),
    )),
    Road("Tsuen Wan Road", "Route 5", "expressway", (
        (114.1400, 22.3370), (114.1330, 22.3440), (114.1260, 22.3520), (114.1210, 22.3600),
        (114.1150, 22.3660), (114.1080, 22.3700),
    )),
    Road("Hong Kong-Zhuhai-Macao Bridge Hong Kong Link Road", "", "bridge", (
        (113.9510, 22.3160), (113.9470, 22.3040), (113.9300, 22.2960), (113.9100, 22.2880),
        (113.8900, 22.2820), (113.8700, 22.2800), (113.8500, 22.2810), (113.8200, 22.2840),
    )),
)


# --- the boundary of the HKSAR -------------------------------------------------------------------

#: The HKSAR's land and sea boundary inside the demo box, approximate (source: the boundary
#: described in the Basic Law annex maps / State Council Order No. 221, as drawn on Lands
#: Department maps): the western waters line, the Deep Bay line, the Shenzhen River from its mouth
#: to Sha Tau Kok, then out across Mirs Bay. Land north of it is Shenzhen: it stays in the terrain
#: and land layers but gets no district and no buildings.
HK_BOUNDARY: tuple[tuple[float, float], ...] = (
    (113.8350, 22.1000), (114.4500, 22.1000), (114.4500, 22.5000), (114.3700, 22.5400),
    (114.3000, 22.5650), (114.2450, 22.5600), (114.2260, 22.5450), (114.2220, 22.5480),
    (114.2150, 22.5560), (114.2050, 22.5630), (114.1950, 22.5600), (114.1800, 22.5530),
    (114.1650, 22.5480), (114.1500, 22.5450), (114.1300, 22.5370), (114.1150, 22.5330),
    (114.1050, 22.5300), (114.0900, 22.5240), (114.0750, 22.5140), (114.0600, 22.5160),
    (114.0400, 22.5130), (114.0200, 22.5100), (113.9900, 22.4980), (113.9500, 22.4750),
    (113.8700, 22.4400), (113.8350, 22.4000),
)
