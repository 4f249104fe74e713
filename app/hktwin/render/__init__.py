"""Rendering: vispy adapters for layer models, the city scene and canvas, offscreen snapshots.

Imports vispy; never imports the Qt widgets of `hktwin.ui`.
"""

from vispy.gloo.wrappers import GL_PRESETS as _GL_PRESETS

# GL state is the context's, and vispy sets only what a visual names: a visual (a plugin's shadow
# or noise mesh) that turns polygon offset on left it on for every fill drawn after it, so the
# terrain was pushed in front of the traffic lines and z-fought with the sea. Every preset now
# names polygon offset explicitly (off unless a visual asks for it).
for _preset in _GL_PRESETS.values():
    _preset.setdefault("polygon_offset_fill", False)
