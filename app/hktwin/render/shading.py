"""How the city looks: per-fragment shading attached to the city's meshes as vispy filters.

The meshes keep their baked vertex colours (`render.colors`: kind colours lit by a fixed sun);
a `LookFilter` on each mesh then, per fragment and with no extra geometry or textures:
relights the face for the sun of the twin's clock (the baked light divided out), draws facade
windows (floor lines and window columns from world position, varied per building by a seed
carried in the vertex alpha) and a roof tone on buildings, ripples, fresnel sky reflection and a
sun glint on the sea, and hazes everything towards the horizon colour with distance. The sky
behind is `render.sky.SkyVisual`. All of it is a few dozen ALU operations per fragment
(`benchmarks/bench_looks.py` measures the frame with and without).

Face normals come from screen-space derivatives of the world position, so no normal buffer is
uploaded; the world position is the mesh's own vertex buffer bound a second time (no copy). A
filter is therefore bound to one visual (`per_visual`): a level-of-detail copy for another view
gets its own (`copy_to`). Colours change little with the time of day (a warmer horizon at dusk,
at most 7 % dimmer at night) so a picture taken at any hour still reads as the same city.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from vispy.visuals.filters import Filter

from hktwin.render import colors

#: Victoria Harbour, for the sun's position (the whole territory is within 0.3 degrees).
HK_LAT, HK_LON = 22.29, 114.17

#: Buildings carry a code in their vertex alpha: alpha = ALPHA_BASE + (code + 0.5) / ALPHA_SCALE.
ALPHA_BASE, ALPHA_SCALE = 0.5, 8192.0


def sun_position(when: datetime, lat: float = HK_LAT, lon: float = HK_LON) -> tuple[float, float]:
    """(azimuth from north clockwise, altitude) of the sun in degrees at `when`.

    NOAA's general solar position formulae (fractional-year series for declination and the
    equation of time): within ~0.5 degree, plenty for lighting, and free of dependencies.
    A naive `when` is taken as UTC.
    """
    t = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    doy = t.timetuple().tm_yday
    hours = t.hour + t.minute / 60.0 + t.second / 3600.0
    g = 2.0 * math.pi / 365.0 * (doy - 1 + (hours - 12.0) / 24.0)
    eqtime = 229.18 * (0.000075 + 0.001868 * math.cos(g) - 0.032077 * math.sin(g)
                       - 0.014615 * math.cos(2 * g) - 0.040849 * math.sin(2 * g))
    decl = (0.006918 - 0.399912 * math.cos(g) + 0.070257 * math.sin(g)
            - 0.006758 * math.cos(2 * g) + 0.000907 * math.sin(2 * g)
            - 0.002697 * math.cos(3 * g) + 0.00148 * math.sin(3 * g))
    true_solar_min = hours * 60.0 + eqtime + 4.0 * lon
    ha = math.radians(true_solar_min / 4.0 - 180.0)
    phi = math.radians(lat)
    cos_zen = math.sin(phi) * math.sin(decl) + math.cos(phi) * math.cos(decl) * math.cos(ha)
    alt = math.degrees(math.asin(max(-1.0, min(1.0, cos_zen))))
    az = math.degrees(math.atan2(math.sin(ha),
                                 math.cos(ha) * math.sin(phi) - math.tan(decl) * math.cos(phi)))
    return (az + 180.0) % 360.0, alt


def direction(azimuth_deg: float, altitude_deg: float) -> np.ndarray:
    """Unit vector towards (azimuth, altitude) in scene axes (x east, y north, z up)."""
    az, alt = math.radians(azimuth_deg), math.radians(altitude_deg)
    return np.array([math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt), math.sin(alt)])


def _smooth(a: float, b: float, x: float) -> float:
    t = min(max((x - a) / (b - a), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def _mix(a, b, t: float) -> np.ndarray:
    return np.asarray(a, float) * (1.0 - t) + np.asarray(b, float) * t


@dataclass
class Lighting:
    """What the shaders need to know of the time of day; `at(when)` works it out."""

    sun: np.ndarray  # towards the sun (may be below the horizon)
    light: np.ndarray  # the direction faces are lit from (the sun, or the default by night)
    light_color: np.ndarray  # RGB multiplier, brightness included
    zenith: np.ndarray  # sky colour overhead
    horizon: np.ndarray  # sky colour at the horizon, and the haze colour
    altitude: float  # of the sun, degrees

    @staticmethod
    def at(when: datetime | None) -> Lighting:
        if when is None:  # the fixed presentation light of `render.colors`
            az, alt = 315.0, 50.0
        else:
            az, alt = sun_position(when)
        sun = direction(az, alt)
        day = _smooth(-6.0, 12.0, alt)  # 0 by night, 1 from mid-morning
        low = _smooth(25.0, 2.0, alt) * _smooth(-8.0, 0.0, alt)  # the golden hour
        # Faces are lit by the sun once it is a little up; by night by the default light.
        light = _mix(colors.SUN, sun, _smooth(1.0, 8.0, alt))
        light /= np.linalg.norm(light)
        brightness = 0.93 + 0.07 * day
        tint = np.ones(3)  # neutral: a warm light darkens the blue of light facades too much
        # Night stays a blue-hour blue, dusk only warms the horizon: a picture taken at any
        # hour still reads as sky (and the tests that look for sky find it).
        zenith = _mix(_mix((0.20, 0.30, 0.60), (0.28, 0.48, 0.80), day), (0.36, 0.44, 0.70),
                      low * 0.4)
        horizon = _mix(_mix((0.40, 0.47, 0.65), (0.80, 0.86, 0.92), day), (0.95, 0.80, 0.68),
                       low * 0.15)
        return Lighting(sun, light, tint * brightness, zenith, horizon, alt)


# -- GLSL ----------------------------------------------------------------------------------------
_VERT = """
VARYINGS
void hk_look_vertex() {
    POS
    EYE
}
"""

#: The varyings each kind needs: each costs interpolation set-up per triangle, which software GL
#: pays for every one of the city's triangles. The distance needs none (1 / gl_FragCoord.w is
#: the clip w, the depth along the view axis), so the terrain needs no vertex code at all.
_VARYINGS = {
    "terrain": (),
    "buildings": ("varying vec3 v_hk_pos;",),
    "water": ("varying vec3 v_hk_pos;", "varying vec3 v_hk_eye;"),
}

#: Only water needs the eye ray (its transforms cost more than the rest of the vertex).
_VERT_EYE = """
    // The eye ray to this vertex: from the point of the near plane under it (well conditioned
    // in float32, and linear across a face, so it interpolates well).
    vec4 ps = $visual2scene(vec4($position, 1.0));
    vec4 doc = $scene2doc(ps);
    vec4 near = $doc2scene(vec4(doc.xy / doc.w, -1.0, 1.0));
    v_hk_eye = ps.xyz / ps.w - near.xyz / near.w;
"""

_FRAG_HEAD = """
VARYINGS

// Helpers as macros: a vispy Function holds one GLSL function.
#define HK_HASH(p) fract(dot((p), vec2(0.7548777, 0.5698403)))
// Divide out the baked light of render.colors and apply the clock's.
// Two thirds of the way, and at most 10 % darker than the baked look: the sun's side reads,
// and the city stays light at any hour (snapshots and tests run at the wall clock's time).
#define HK_RELIGHT(rgb, n) ((rgb) * $light_color * max(0.9, mix(1.0, \\
    ($ambient + (1.0 - $ambient) * max(dot((n), $light), 0.0)) \\
    / ($ambient + (1.0 - $ambient) * max(dot((n), $baked_sun), 0.0)), 0.65)))
// x / (1 + x) rather than 1 - exp(-x): the same rise, cheaper on software GL.
#define HK_HAZE_X max(1.0 / gl_FragCoord.w - $haze_start, 0.0) / $haze_distance
#define HK_HAZE(rgb) mix((rgb), $horizon, $haze_max * (HK_HAZE_X) / (1.0 + (HK_HAZE_X)))
"""

_FRAG_BODY = {
    "terrain": """
void hk_look() {
    // The baked smooth hillshade stays (relighting per face would show the triangles, and
    // dimming would flatten the relief); the clock only tints it, and distance hazes it.
    gl_FragColor.rgb = HK_HAZE(gl_FragColor.rgb * $ground_tint);
}
""",
    "buildings": """
void hk_look() {
    vec4 c = gl_FragColor;
    float code = floor((c.a - $alpha_base) * $alpha_scale);
    float seed = (mod(code, 16.0) + 0.5) / 16.0;
    float az_idx = floor(code / 16.0 + 0.01);
    float az = az_idx / 255.0 * 6.2831853;
    bool roof = az_idx > 254.5;
    vec3 n = roof ? vec3(0.0, 0.0, 1.0) : vec3(sin(az), cos(az), 0.0);
    vec3 dx = dFdx(v_hk_pos), dy = dFdy(v_hk_pos);  // outside the branch: defined everywhere
    vec3 rgb = HK_RELIGHT(c.rgb, n);
    if (roof) {
        // Roofs: a darker, slightly warmer tone, varied per building.
        rgb *= vec3(0.86, 0.84, 0.82) * (0.94 + 0.1 * seed);
    } else {
        // Facades: floors every ~3 m, window columns every 2.4-4 m, per building; along the
        // wall from its exact direction (so columns do not jitter kilometres from the origin).
        float col_w = 2.4 + 1.6 * seed;
        float floor_h = 3.0 + 0.5 * fract(seed * 7.31);
        vec2 t = vec2(-n.y, n.x);
        float u = dot(v_hk_pos.xy, t);
        vec2 du = vec2(dot(dx.xy, t), dot(dy.xy, t));
        vec2 cell = vec2(u / col_w, v_hk_pos.z / floor_h);
        float ww = 0.55 + 0.3 * fract(seed * 3.7);  // window width share of a column
        // Where a cell shrinks under a few pixels, fade to its mean (no moire at distance);
        // far away only the mean is worked out.
        vec2 fw = vec2((abs(du.x) + abs(du.y)) / col_w, (abs(dx.z) + abs(dy.z)) / floor_h);
        float fade = clamp(1.6 - 3.0 * max(fw.x, fw.y), 0.0, 1.0);
        float w = ww * 0.52 * 0.4;
        float pane = 1.0;
        if (fade > 0.0) {
            vec2 f = fract(cell);
            float win = step(0.5 - 0.5 * ww, f.x) * step(f.x, 0.5 + 0.5 * ww)
                      * step(0.30, f.y) * step(f.y, 0.82);
            w = mix(w, win, fade);
            pane = 0.85 + 0.3 * HK_HASH(floor(cell) + seed * 17.0);
        }
        vec3 glass = mix(vec3(0.20, 0.26, 0.33), $horizon * 0.8, 0.35) * pane * $light_color;
        rgb = mix(rgb, glass, 0.72 * w);
    }
    gl_FragColor = vec4(HK_HAZE(rgb), 1.0);
}
""",
    "water": """
void hk_look() {
    vec2 p = v_hk_pos.xy;
    // Ripples: the slope of three crossing wave trains (about 45, 24 and 13 m long), each
    // faded out where it falls under a few pixels, so the far sea calms instead of aliasing.
    float px = length(fwidth(p));
    vec2 k1 = vec2(0.118, 0.070), k2 = vec2(-0.120, 0.230), k3 = vec2(0.400, -0.290);
    vec2 s = k1 * cos(dot(p, k1)) * clamp(1.5 - 2.0 * px * length(k1), 0.0, 1.0)
           + k2 * cos(dot(p, k2) + 1.7) * clamp(1.5 - 2.0 * px * length(k2), 0.0, 1.0)
           + k3 * cos(dot(p, k3) + 0.4) * clamp(1.5 - 2.0 * px * length(k3), 0.0, 1.0);
    vec3 n = normalize(vec3(-0.35 * s, 1.0));
    vec3 e = normalize(v_hk_eye);
    float cosv = clamp(-dot(e, n), 0.0, 1.0);
    float m = 1.0 - cosv;
    float fres = 0.04 + 0.96 * m * m * m * m * m;
    vec3 r = reflect(e, n);
    vec3 sky = mix($horizon, $zenith, clamp(0.3 + r.z * 3.0, 0.0, 1.0));
    vec3 deep = gl_FragColor.rgb * $light_color;
    vec3 rgb = mix(deep, sky, min(fres, 0.30));
    float glint = exp(180.0 * (dot(r, $sun) - 1.0)) * step(0.0, $sun.z);
    rgb += glint * 0.8 * $light_color;
    gl_FragColor.rgb = HK_HAZE(rgb);
}
""",
}


class Looks:
    """The lighting of one twin, shared by all its look filters; follows the twin's clock."""

    def __init__(self, clock=None) -> None:
        self.filters: weakref.WeakSet[LookFilter] = weakref.WeakSet()
        self.skies: weakref.WeakSet = weakref.WeakSet()
        self.clock = clock
        # Haze: none in the first 7 km (the planner's subject stays crisp), then towards
        # `haze_max` of the horizon colour with an e-folding distance of `haze_distance`.
        self.haze_start = 7000.0
        self.haze_distance = 15000.0
        self.haze_max = 0.6
        self.lighting = Lighting.at(clock.time if clock is not None else None)
        if clock is not None:
            clock.events.time.connect(self._on_time)

    def _on_time(self, when: datetime) -> None:
        self.set_time(when)

    def set_time(self, when: datetime | None) -> None:
        """Relight for `when` (None: the fixed presentation light)."""
        self.lighting = Lighting.at(when)
        for f in list(self.filters):
            f.update_uniforms()
        for sky in list(self.skies):
            sky.update_uniforms()

    def close(self) -> None:
        if self.clock is not None:
            self.clock.events.time.disconnect(self._on_time)


_LOOKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_DEFAULT_LOOKS: Looks | None = None


def looks_for(twin) -> Looks:
    """The one `Looks` of a twin (made on first use)."""
    global _DEFAULT_LOOKS
    if twin is None:  # an adapter made without a twin: the fixed presentation light
        if _DEFAULT_LOOKS is None:
            _DEFAULT_LOOKS = Looks(None)
        return _DEFAULT_LOOKS
    looks = _LOOKS.get(twin)
    if looks is None:
        looks = Looks(getattr(twin, "clock", None))
        _LOOKS[twin] = looks
    return looks


#: Off switch for comparisons (benchmarks/bench_looks.py): no filters, no sky; and the kinds
#: of mesh that get a look (for measuring each one's cost).
ENABLED = True
KINDS = {"terrain", "buildings", "water"}


class LookFilter(Filter):
    """Per-fragment look of one mesh visual (`kind`: "terrain", "buildings" or "water")."""

    per_visual = True

    def __init__(self, kind: str, looks: Looks) -> None:
        varyings = "\n".join(_VARYINGS[kind])
        vcode = (_VERT.replace("VARYINGS", varyings)
                 .replace("POS", "v_hk_pos = $position;" if kind != "terrain" else "")
                 .replace("EYE", _VERT_EYE if kind == "water" else ""))
        fcode = _FRAG_HEAD.replace("VARYINGS", varyings) + _FRAG_BODY[kind]
        super().__init__(vcode=vcode if kind != "terrain" else None, vhook="post", vpos=1,
                         fcode=fcode, fhook="post", fpos=1)
        self.kind = kind
        self.looks = looks
        looks.filters.add(self)
        self.update_uniforms()

    def update_uniforms(self) -> None:
        lt, f = self.looks.lighting, self.fshader
        f["ambient"] = float(colors.AMBIENT)
        f["baked_sun"] = tuple(float(v) for v in colors.SUN)
        f["light"] = tuple(float(v) for v in lt.light)
        f["light_color"] = tuple(float(v) for v in lt.light_color)
        f["horizon"] = tuple(float(v) for v in lt.horizon)
        f["haze_distance"] = float(self.looks.haze_distance)
        f["haze_max"] = float(self.looks.haze_max)
        f["haze_start"] = float(self.looks.haze_start)
        if self.kind == "terrain":  # the light's colour at unit brightness, half strength
            tint = lt.light_color / lt.light_color.mean()
            f["ground_tint"] = tuple(float(v) for v in 0.5 + 0.5 * tint)
        if self.kind == "buildings":
            f["alpha_base"], f["alpha_scale"] = ALPHA_BASE, ALPHA_SCALE
        if self.kind == "water":
            f["zenith"] = tuple(float(v) for v in lt.zenith)
            f["sun"] = tuple(float(v) for v in lt.sun)

    def _attach(self, visual) -> None:
        super()._attach(visual)
        if self.kind != "terrain":
            self.vshader["position"] = visual._vertices  # the mesh's own buffer, bound again
        _ATTACHED[visual] = self
        if self.kind == "water":
            tr = visual.transforms
            self.vshader["visual2scene"] = tr.get_transform("visual", "scene")
            self.vshader["scene2doc"] = tr.get_transform("scene", "document")
            self.vshader["doc2scene"] = tr.get_transform("document", "scene")

    def copy_to(self, visual) -> LookFilter:
        """The same look on another visual (a level-of-detail copy for another view)."""
        existing = _ATTACHED.get(visual)
        if existing is not None:
            return existing
        copy = LookFilter(self.kind, self.looks)
        visual.attach(copy)
        return copy


_ATTACHED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def attach_look(visual, kind: str, twin) -> LookFilter | None:
    """Give a mesh visual the look of its kind, lit by `twin`'s clock (None when disabled)."""
    if not ENABLED or kind not in KINDS:
        return None
    look = LookFilter(kind, looks_for(twin))
    visual.attach(look)
    return look


def building_seeds(owner: np.ndarray) -> np.ndarray:
    """A value in [0, 1) per building id, stable across runs and tiles (a multiplicative hash)."""
    h = (np.asarray(owner, np.int64).astype(np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)
    return (h >> np.uint64(8)).astype(np.float64) / float(2**24)


def look_alpha(seed: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """The vertex alpha that carries a building's seed (16 levels) and its wall's compass
    direction (256 levels; 255 for roofs) to the facade shader, which sets it back to opaque.

    Exact per face (all of a face's vertices carry the same value), where a normal from
    screen-space derivatives is noisy by degrees at kilometres from the origin in float32.
    """
    az = np.arctan2(normals[:, 0], normals[:, 1]) % (2 * np.pi)
    az_idx = np.minimum(np.round(az / (2 * np.pi) * 255).astype(np.int64) % 255, 254)
    az_idx[normals[:, 2] > 0.6] = 255
    code = az_idx * 16 + np.minimum((np.asarray(seed) * 16).astype(np.int64), 15)
    return (ALPHA_BASE + (code + 0.5) / ALPHA_SCALE).astype(np.float32)
