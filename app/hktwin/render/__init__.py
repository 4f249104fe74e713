"""Rendering: vispy adapters for layer models, the city scene and canvas, offscreen snapshots.

Imports vispy; never imports the Qt widgets of `hktwin.ui`.
"""

from vispy.gloo.wrappers import GL_PRESETS as _GL_PRESETS

# GL state is the context's, and vispy sets only what a visual names: a visual (a plugin's shadow
# or noise mesh) that turned polygon offset on left it on for every fill drawn after it (the
# terrain was pushed in front of the traffic links), and the sky's `lequal` depth test let the
# sea win every depth tie with low land (bands of sea over the coast in the territory view).
# Every preset now names both: no offset and a strict depth test unless a visual asks.
for _preset in _GL_PRESETS.values():
    _preset.setdefault("polygon_offset_fill", False)
    _preset.setdefault("depth_func", "less")
