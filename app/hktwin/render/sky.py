"""The sky behind the city: a vertical gradient (horizon to zenith) with a glow around the sun,
coloured by the twin's clock (`render.shading.Lighting`).

One screen-filling quad per view at the far plane, depth-tested and drawn before the city, so
it shows only where nothing else is drawn (it writes depth too: vispy's presets do
not set the depth mask, so turning it off here would leak to the meshes drawn next). Each pixel's
colour comes from the world direction of its eye ray (the view's render-to-scene transform,
set per view), so the horizon sits where the camera puts it, in the overview and at street
level alike, and other views draw it through vispy's views of a visual (`render.mirror`).
"""

from __future__ import annotations

import numpy as np
from vispy import gloo, scene
from vispy.visuals import Visual

from hktwin.render.shading import Looks

_VERT = """
attribute vec2 a_pos;
varying vec3 v_dir;
void main() {
    // The quad spans from just below the horizon to the top (`$bottom`, set per view), so the
    // pixels the ground covers are not shaded twice.
    vec2 pos = vec2(a_pos.x, mix($bottom, 1.0, 0.5 * (a_pos.y + 1.0)));
    // Two points of the pixel's ray on planes square to the view axis (so the difference is
    // linear across the screen and interpolates exactly); not the far plane, whose w is tiny.
    vec4 near = $render2visual(vec4(pos, -1.0, 1.0));
    vec4 mid = $render2visual(vec4(pos, 0.0, 1.0));
    v_dir = mid.xyz / mid.w - near.xyz / near.w;
    gl_Position = vec4(pos, 0.999999, 1.0);
}
"""

_FRAG = """
varying vec3 v_dir;
void main() {
    vec3 d = normalize(v_dir);
    float e = clamp(d.z, 0.0, 1.0);
    float q = 1.0 - e;
    q = q * q * q;
    vec3 c = mix($horizon, $zenith, 1.0 - q * q);
    // The sun's disc and glow: s^512 (about exp(512 (s - 1))) by squaring, and s^6.
    float s = max(dot(d, $sun), 0.0);
    float s3 = s * s * s;
    float p = s * s;
    p *= p; p *= p; p *= p; p *= p; p *= p; p *= p; p *= p; p *= p;
    c += $glow * (1.2 * p + 0.10 * s3 * s3);
    gl_FragColor = vec4(min(c, vec3(1.0)), 1.0);
}
"""


class SkyVisual(Visual):
    """The sky gradient of one twin's `Looks`."""

    def __init__(self, looks: Looks) -> None:
        super().__init__(vcode=_VERT, fcode=_FRAG)
        quad = np.array([[-1, -1], [1, -1], [-1, 1], [1, 1]], np.float32)
        self._quad = gloo.VertexBuffer(quad)
        self.shared_program["a_pos"] = self._quad
        self._draw_mode = "triangle_strip"
        self.set_gl_state(depth_test=True, depth_func="lequal", depth_mask=True, blend=False,
                          cull_face=False)
        self.looks = looks
        looks.skies.add(self)
        looks.bind(self.shared_program.frag, ("horizon", "zenith", "sun", "glow"))

    def _prepare_transforms(self, view) -> None:
        view.view_program.vert["render2visual"] = view.get_transform("render", "visual")

    def _prepare_draw(self, view) -> bool:
        # Per frame and per view (transforms are prepared once, before the camera moves): the
        # quad's bottom follows the horizon, and, drawn first, the sky hands this view's eye
        # height to the haze of the city drawn next.
        bottom, eye = _horizon_bottom(view.get_transform("render", "visual"))
        view.view_program.vert["bottom"] = bottom
        if eye is not None:
            self.looks.set_view(eye)
        return True

    def _compute_bounds(self, axis, view):  # not part of the city's extent
        return None


def _horizon_bottom(render2visual) -> tuple[float, np.ndarray | None]:
    """Where the quad may start (normalised device y): a little below the horizon seen by the
    view, or the bottom of the view when that cannot be told (looking straight down or up);
    and the eye (the point of the near plane at the centre; None when it cannot be told)."""
    try:
        near, mid = (np.asarray(render2visual.map([0.0, 0.0, z, 1.0]), float) for z in (-1, 0))
        near, mid = near[:3] / near[3], mid[:3] / mid[3]
        eye = near if np.all(np.isfinite(near)) else None
        ahead = mid[:2] - near[:2]
        if np.hypot(*ahead) < 1e-9:
            return -1.0, eye
        far = np.array([*(near[:2] + ahead / np.hypot(*ahead) * 1e5), near[2], 1.0])
        p = np.asarray(render2visual.imap(far), float)
        if p[3] <= 0:
            return -1.0, eye
        return float(np.clip(p[1] / p[3] - 0.1, -1.0, 1.0)), eye
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        return -1.0, None


Sky = scene.visuals.create_visual_node(SkyVisual)


def add_sky(parent: scene.Node, twin) -> Sky | None:
    """A sky under `parent` (the scene graph's root), drawn before its siblings; None when the
    looks are switched off. (Drawn last, the depth test would spare it the covered pixels, but
    it then paints over labels that do not write depth in the other views.)"""
    from hktwin.render import shading

    if not shading.ENABLED:
        return None
    sky = Sky(shading.looks_for(twin), parent=parent)
    sky.order = -10_000
    return sky
