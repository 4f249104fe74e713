"""One vispy font manager per canvas for the labels it draws.

Each `FontManager` keeps its own glyph atlas, a 1024 x 1024 RGB texture (3 MB uploaded at its
first draw), and vispy gives every `Text` visual a manager of its own unless told otherwise; so
the labels of a canvas share one. Not across canvases: a texture belongs to one GL context.
"""

from __future__ import annotations

from typing import Any


def canvas_fonts(canvas: Any) -> Any:
    """The font manager of `canvas` (made on first use)."""
    fonts = getattr(canvas, "_hktwin_fonts", None)
    if fonts is None:
        from vispy.visuals.text.text import FontManager

        fonts = FontManager(method="cpu")
        frozen = getattr(canvas, "_Frozen__isfrozen", False)
        if frozen:
            canvas.unfreeze()
        canvas._hktwin_fonts = fonts
        if frozen:
            canvas.freeze()
    return fonts
