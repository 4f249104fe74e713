"""How the city looks: shading attached to the city's meshes as vispy filters.

The meshes keep their baked vertex colours (`render.colors`: kind colours lit by a fixed sun);
a `LookFilter` on each mesh then, with no extra geometry or textures: relights the face for the
sun of the twin's clock (the baked light divided out), draws facade windows (floor lines and
window columns along each wall, varied per building by a seed) and a roof tone on buildings,
ripples, fresnel sky reflection and a sun glint on the sea, and hazes everything towards the
horizon colour with distance (starting further out from a high eye). The sky behind is
`render.sky.SkyVisual`. The facades do their per-face work per vertex and the fragment only
the window pattern (`benchmarks/bench_looks.py` measures the frame with and without).

A building's wall normal and seed travel in its vertex alpha (`look_alpha`), so no normal
buffer is uploaded; the facade shader reads the mesh's own position and colour attributes. A
filter is therefore bound to one visual (`per_visual`): a level-of-detail copy for another view
gets its own (`copy_to`). All filters and skies of a twin share one set of uniforms (`Looks`).
Colours change little with the time of day (a warmer horizon at dusk, at most 7 % dimmer at
night) so a picture taken at any hour still reads as the same city.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from vispy.gloo import VertexBuffer
from vispy.visuals.filters import Filter
from vispy.visuals.shaders import Variable

from hktwin.render import colors

#: Victoria Harbour, for the sun's position (the whole territory is within 0.3 degrees).
HK_LAT, HK_LON = 22.29, 114.17

#: Where the facade shader's window grid is phased from (central Hong Kong in EPSG:2326); each
#: view measures from the kilometre nearest its eye (Looks.set_view).
ORIGIN = (836000.0, 820000.0, 0.0)

#: Buildings carry a code in their vertex alpha: alpha = ALPHA_BASE + (code + 0.5) / ALPHA_SCALE.
ALPHA_BASE, ALPHA_SCALE = 0.5, 65536.0


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
# Written for software GL (Mesa llvmpipe), which shades 4x4 blocks and pays for every
# operation in them: no sin/cos/exp/pow (polynomials and squarings instead), nothing per
# fragment that a uniform or the vertex can hold, and a branch only where whole blocks skip it
# (both sides run where the block's fragments disagree).
_VERT = """
VARYINGS
void hk_look_vertex() {
    BODY
}
"""

#: The varyings each kind needs: each costs interpolation set-up per triangle, which software GL
#: pays for every one of the city's triangles. The distance needs none (1 / gl_FragCoord.w is
#: the clip w, the depth along the view axis), so the terrain needs no vertex code at all.
_VARYINGS = {
    "terrain": (),
    "buildings": ("varying vec4 v_hk_face;",),
    "water": ("varying vec3 v_hk_pos;", "varying vec3 v_hk_eye;"),
}

#: What each kind works out per vertex. Software GL shades a whole 4x4 block for each of the
#: city's many tiny far triangles, so per vertex (3 a triangle) is far cheaper than per
#: fragment: the facades decode their wall, relight it and set up the window grid here, and
#: the fragment only draws the windows.
_VERT_BODY = {"terrain": "", "water": """
    v_hk_pos = $position;
    // The eye ray to this vertex: from the point of the near plane under it (well conditioned
    // in float32, and linear across a face, so it interpolates well).
    vec4 ps = $visual2scene(vec4($position, 1.0));
    vec4 doc = $scene2doc(ps);
    vec4 near = $doc2scene(vec4(doc.xy / doc.w, -1.0, 1.0));
    v_hk_eye = ps.xyz / ps.w - near.xyz / near.w;
""", "buildings": """
    // The vertex alpha (look_alpha): 6 bits each of the wall normal's x and y, 4 of the seed.
    float t1 = $code.a * 64.0 - $alpha_base * 64.0;
    float f1 = fract(t1);
    float t2 = f1 * 64.0;
    float seed = fract(t2);
    vec2 nxy = vec2(t1 - f1, t2 - seed) * (1.0 / 31.5) - 1.0;
    float roof = step(1.5, dot(nxy, nxy));  // roofs carry (-1, -1), which no wall can
    vec3 n = vec3(nxy * (1.0 - roof), roof);
    // Divide out the baked light of render.colors and apply the clock's (Looks.relight_terms:
    // two thirds of the way, at most 10 % darker than the baked look, brightness folded in);
    // roofs a darker tone, varied per building.
    float light = max($relight_floor, $relight_base
        + ($relight_num.x + $relight_num.y * max(dot(n, $light), 0.0))
        / ($relight_den.x + $relight_den.y * max(dot(n, $baked_sun), 0.0)));
    light *= 1.0 - roof * (0.21 - 0.084 * seed);
    // Facades: floors every 3-3.5 m, window columns every 2.4-4 m, per building; along the
    // wall from its exact direction (so columns do not jitter kilometres from the origin),
    // from an origin in the territory (float32 keeps the grid steady); the seed also shifts
    // the grid by whole cells, which varies the panes' shade from building to building.
    // From an origin near the eye (per view, in kilometre steps: Looks.set_view), so the
    // interpolated cell coordinates stay small where windows are seen (float32 interpolation
    // of large ones moves the window edges by a pixel between views); its phase from a fixed
    // origin added back, so the windows stay put whoever looks.
    vec3 p = $position - $origin;
    vec2 t = vec2(-n.y, n.x);
    vec2 cell_k = vec2(0.25 + 0.167 * seed, 0.333 - 0.047 * fract(seed * 7.31));  // per metre
    vec2 cell = vec2(dot(p.xy, t), p.z) * cell_k;
    cell.x += fract(dot($origin_offset, t) * cell_k.x);
    cell += floor(seed * 16.0) * vec2(17.0, 5.0);
    float ww = 0.55 + 0.3 * fract(seed * 3.7);  // window width share of a column
    // Roofs: no windows (width 0, and a cell coordinate no window reaches).
    v_hk_face = mix(vec4(cell, ww, light), vec4(0.25, 0.0, 0.0, light), roof);
"""}

_FRAG_HEAD = """
VARYINGS

// Helpers as macros: a vispy Function holds one GLSL function.
#define HK_HASH(p) fract(dot((p), vec2(0.7548777, 0.5698403)))
// Distance haze: g^2 of g = 1 - start / distance (0 up to the start, towards 1 far away);
// 1 / gl_FragCoord.w is the distance along the view axis, so this needs no division. The
// start grows with the eye's height (Looks.set_view): a view from high above is not
// washed out.
#define HK_HAZE(rgb) mix((rgb), $horizon, \
    $haze_max * max(1.0 - $haze_start * gl_FragCoord.w, 0.0) \
              * max(1.0 - $haze_start * gl_FragCoord.w, 0.0))
"""

_FRAG_BODY = {
    "terrain": """
void hk_look() {
    // The baked smooth hillshade stays (relighting per face would show the triangles, and
    // dimming would flatten the relief; the light is neutral, so there is no tint): distance
    // only hazes it.
    gl_FragColor.rgb = HK_HAZE(gl_FragColor.rgb);
}
""",
    "buildings": """
void hk_look() {
    // v_hk_face: the window cell (x along the wall, y up), the window width share, the light.
    vec3 rgb = gl_FragColor.rgb * v_hk_face.w;
    // Where a cell shrinks under a few pixels, fade to its mean (no moire at distance).
    vec2 fw = fwidth(v_hk_face.xy);
    float fade = clamp(1.6 - 3.0 * max(fw.x, fw.y), 0.0, 1.0);
    float w = v_hk_face.z * 0.208;
    float pane = 1.0;
    // llvmpipe skips a branch no fragment of a block takes: far facades (most of the city's
    // triangles) skip the window pattern.
    if (fade > 0.0) {
        vec2 f = fract(v_hk_face.xy) - vec2(0.5, 0.56);
        float win = step(abs(f.x), 0.5 * v_hk_face.z) * step(abs(f.y), 0.26);
        w = mix(w, win, fade);
        pane = 1.0 + fade * (0.3 * HK_HASH(v_hk_face.xy - f) - 0.15);
    }
    rgb = mix(rgb, $glass * pane, 0.72 * w);
    gl_FragColor = vec4(HK_HAZE(rgb), 1.0);
}
""",
    "water": """
// A cheap wave: about -sin(2 pi t), a parabola per half cycle (no trigonometry).
#define HK_WAVE(t) (8.0 * (fract(t) - 0.5) * (1.0 - 2.0 * abs(fract(t) - 0.5)))
void hk_look() {
    vec2 p = v_hk_pos.xy;
    // Ripples: the slope of three crossing wave trains (about 45, 24 and 13 m long), each
    // faded out where it falls under a few pixels, so the far sea calms instead of aliasing.
    // (The k / 2 pi are the wave numbers in cycles per metre.)
    float px = 2.0 * length(fwidth(p));
    vec2 k1 = vec2(0.118, 0.070), k2 = vec2(-0.120, 0.230), k3 = vec2(0.400, -0.290);
    vec2 s = k1 * HK_WAVE(dot(p, k1 * 0.15915494)) * clamp(1.5 - px * 0.1372, 0.0, 1.0)
           + k2 * HK_WAVE(dot(p, k2 * 0.15915494) + 0.27) * clamp(1.5 - px * 0.2594, 0.0, 1.0)
           + k3 * HK_WAVE(dot(p, k3 * 0.15915494) + 0.06) * clamp(1.5 - px * 0.4941, 0.0, 1.0);
    vec3 n = normalize(vec3(-0.35 * s, 1.0));
    vec3 e = normalize(v_hk_eye);
    float cosv = clamp(-dot(e, n), 0.0, 1.0);
    float m = 1.0 - cosv;
    float m2 = m * m;
    float fres = 0.04 + 0.96 * m2 * m2 * m;
    vec3 r = reflect(e, n);
    vec3 sky = mix($horizon, $zenith, clamp(0.3 + r.z * 3.0, 0.0, 1.0));
    vec3 rgb = mix(gl_FragColor.rgb * $light_color, sky, min(fres, 0.30));
    // The sun's glint: x^192, about exp(192 (x - 1)), by squaring.
    float g = max(dot(r, $sun), 0.0);
    g *= g; g *= g; g *= g; g *= g; g *= g; g *= g;
    float g64 = g;
    g *= g;
    rgb += g * g64 * $glint;
    gl_FragColor.rgb = HK_HAZE(rgb);
}
""",
}


def _uniform(name: str, value):
    from vispy.visuals.shaders import Variable

    value = np.asarray(value, np.float32)
    kind = "float" if value.ndim == 0 else f"vec{value.size}"
    return Variable(f"uniform {kind} u_hk_{name}", float(value) if value.ndim == 0
                    else tuple(float(v) for v in value))


class Looks:
    """The lighting of one twin, shared by all its look filters; follows the twin's clock.

    Its uniforms are vispy `Variable`s shared by every filter and sky of the twin, so a change
    of the clock or of the eye's height is one assignment, not one per tile.
    """

    def __init__(self, clock=None) -> None:
        self.filters: weakref.WeakSet[LookFilter] = weakref.WeakSet()
        self.skies: weakref.WeakSet = weakref.WeakSet()
        self.clock = clock
        # Haze: none in the first 7 km (the planner's subject stays crisp), then towards
        # `haze_max` of the horizon colour (a quarter of it at twice the start distance).
        # From above `haze_height` the start grows with the eye's height (`set_view`):
        # the territory seen from 50 km up is not washed out, the harbour from 3 km unchanged.
        self.haze_start = 7000.0
        self.haze_max = 0.6
        self.haze_height = 3000.0
        self.eye_height = 0.0
        self.uniforms: dict[str, object] = {}
        self.origin = ORIGIN[:2]  # until a sky reports its view's eye (set_view)
        self._set("origin", ORIGIN)
        self._set("origin_offset", (0.0, 0.0))
        self.lighting = Lighting.at(clock.time if clock is not None else None)
        self._update_uniforms()
        if clock is not None:
            clock.events.time.connect(self._on_time)

    def _on_time(self, when: datetime) -> None:
        self.set_time(when)

    def set_time(self, when: datetime | None) -> None:
        """Relight for `when` (None: the fixed presentation light)."""
        self.lighting = Lighting.at(when)
        self._update_uniforms()
        for sky in list(self.skies):
            sky.update()

    def haze(self, eye_height: float) -> float:
        """Where the haze starts, seen from `eye_height` metres up."""
        return self.haze_start + 1.25 * max(float(eye_height) - self.haze_height, 0.0)

    def set_view(self, eye) -> None:
        """The eye (scene coordinates) of the view about to be drawn: `render.sky` sets it per
        view, before the city is drawn. The haze starts further out from a high eye, and the
        facades measure their windows from the kilometre nearest the eye; changes under 2 %
        of the height or within the kilometre upload nothing."""
        height = float(eye[2])
        if abs(height - self.eye_height) > 0.02 * max(abs(self.eye_height), 50.0):
            self.eye_height = height
            self._set("haze_start", self.haze(height))
        origin = (round(float(eye[0]) / 1000.0) * 1000.0, round(float(eye[1]) / 1000.0) * 1000.0)
        if origin != self.origin:
            self.origin = origin
            self._set("origin", (*origin, 0.0))
            self._set("origin_offset", (origin[0] - ORIGIN[0], origin[1] - ORIGIN[1]))

    def _set(self, name: str, value) -> None:
        var = self.uniforms.get(name)
        if var is None:
            self.uniforms[name] = _uniform(name, value)
        else:
            var.value = float(value) if np.ndim(value) == 0 else tuple(float(v) for v in value)

    def _update_uniforms(self) -> None:
        lt = self.lighting
        glass = _mix((0.20, 0.26, 0.33), lt.horizon * 0.8, 0.35) * lt.light_color
        values = {
            "ambient": float(colors.AMBIENT), "baked_sun": colors.SUN, "light": lt.light,
            "light_color": lt.light_color, "horizon": lt.horizon, "zenith": lt.zenith,
            "sun": lt.sun, "haze_start": self.haze(self.eye_height), "haze_max": self.haze_max,
            "alpha_base": ALPHA_BASE, "glass": glass, **self.relight_terms(),
            "glint": 0.8 * lt.light_color * (1.0 if lt.sun[2] >= 0.0 else 0.0),
            "glow": lt.light_color * (1.0 if lt.altitude > -2.0 else 0.0),
        }
        for name, value in values.items():
            self._set(name, value)

    def relight_terms(self) -> dict:
        """The facade relighting's constants: brightness * max(0.9, mix(1, N / D, 0.65)) with
        N = a + (1 - a) max(n . light, 0) and D the same for the baked sun, as
        max(floor, base + (num.x + num.y max(n . light, 0)) / (den.x + den.y max(...)))."""
        a = float(colors.AMBIENT)
        b = float(np.mean(self.lighting.light_color))  # the light is neutral (Lighting.at)
        return {"relight_floor": 0.9 * b, "relight_base": 0.35 * b,
                "relight_num": (0.65 * b * a, 0.65 * b * (1.0 - a)),
                "relight_den": (a, 1.0 - a)}

    def bind(self, function, names=None) -> None:
        """Point the template variables of a shader function (all it has, or `names`) at the
        shared uniforms."""
        names = function.template_vars if names is None else set(names)
        for name in names & self.uniforms.keys():
            function[name] = self.uniforms[name]

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
        self.vertex_code = bool(varyings)  # the terrain needs none
        vcode = _VERT.replace("VARYINGS", varyings).replace("BODY", _VERT_BODY[kind])
        fcode = _FRAG_HEAD.replace("VARYINGS", varyings) + _FRAG_BODY[kind]
        super().__init__(vcode=vcode if self.vertex_code else None, vhook="post", vpos=1,
                         fcode=fcode, fhook="post", fpos=1)
        self.kind = kind
        self.looks = looks
        self._visual_ref = None  # the visual whose attributes the facades read (_attach)
        looks.filters.add(self)
        looks.bind(self.fshader)
        if self.vertex_code:
            looks.bind(self.vshader)

    def _attach(self, visual) -> None:
        super()._attach(visual)
        if self.vertex_code and "position" in self.vshader.template_vars:
            self.vshader["position"] = visual._vertices  # the mesh's own buffer, bound again
        # And its colours (the code in the alpha), as they change. Views of the visual (another
        # view box's mirror) attach the same filter again: they share the original's buffers.
        events = getattr(visual.events, "data_updated", None)
        if self.kind == "buildings" and self._visual_ref is None and events is not None:
            self._visual_ref = weakref.ref(visual)
            self.vshader["code"] = (0.0, 0.0, 0.0, 1.0)  # until the mesh has data
            events.connect(self._on_data_updated)
            self._on_data_updated()
        _ATTACHED[visual] = self
        if self.kind == "water":
            tr = visual.transforms
            self.vshader["visual2scene"] = tr.get_transform("visual", "scene")
            self.vshader["scene2doc"] = tr.get_transform("scene", "document")
            self.vshader["doc2scene"] = tr.get_transform("document", "scene")

    def _on_data_updated(self, event=None) -> None:
        """Read the mesh's own position and colour attributes (the same variables as its
        shader's, so software GL fetches each once per vertex), as they are (re)set."""
        visual = self._visual_ref() if self._visual_ref is not None else None
        if visual is None:
            return
        main = visual.view_program.vert
        for theirs, mine in (("position", "position"), ("base_color", "code")):
            try:
                var = main[theirs]
            except KeyError:  # no data yet
                continue
            if isinstance(var, Variable) and var.vtype == "attribute":
                self.vshader[mine] = var
            elif mine == "code" and isinstance(visual.shared_program.vert[theirs], VertexBuffer):
                self.vshader[mine] = visual.shared_program.vert[theirs]

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
    """The vertex alpha that carries a building's seed (16 levels) and its wall's normal (x and
    y in 64 levels each; roofs (-1, -1)) to the facade shader, which sets it back to opaque.

    Exact per face (all of a face's vertices carry the same value), where a normal from
    screen-space derivatives is noisy by degrees at kilometres from the origin in float32; and
    decoded with a few multiplies and `fract`s (no trigonometry per fragment). A normal off by
    a degree or two shifts and stretches the window grid along its wall imperceptibly.
    """
    n = np.asarray(normals, np.float64)
    xy = n[:, :2] / np.maximum(np.hypot(n[:, 0], n[:, 1]), 1e-9)[:, None]
    q = np.clip(np.round((xy + 1.0) * 31.5), 0, 63).astype(np.int64)
    q[n[:, 2] > 0.6] = 0  # roofs: (-1, -1), longer than any wall's unit normal
    s = np.minimum((np.asarray(seed) * 16).astype(np.int64), 15)
    code = q[:, 0] * 1024 + q[:, 1] * 16 + s
    return (ALPHA_BASE + (code + 0.5) / ALPHA_SCALE).astype(np.float32)
