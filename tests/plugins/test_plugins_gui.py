"""The window with the example plugins installed: their layers and dock are there, the Plugins
dialog switches plugins on and off (kept in the settings) and shows why one failed."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest
from plugin_test_helpers import write_broken_layer_plugin, write_plugin

pytestmark = pytest.mark.gui
if not os.environ.get("DISPLAY") and shutil.which("Xvfb") is None:
    pytest.skip("GUI tests need Xvfb or a DISPLAY", allow_module_level=True)

SHOTS = Path(__file__).resolve().parents[2] / ".cache" / "snapshots"
EXAMPLES = ("hktwin_noise", "hktwin_sun", "hktwin_kmb")


def test_the_dialog_toggles_plugins_and_shows_a_failure(qtbot, site, fresh):
    from PySide6.QtCore import Qt

    from hktwin.core import settings
    from hktwin.ui.plugins_dialog import PluginsDialog

    write_plugin(site, "wobbly", """
        [plugin]
        name = "wobbly"
        api = "1"
        [[analyses]]
        name = "w"
        run = "hkt_test_wobbly.code:run"
        """, {"code.py": "raise RuntimeError('wobbly at import')"})
    write_plugin(site, "steady", "[plugin]\nname = 'steady'\napi = '1'\n")
    reg = fresh()
    with pytest.raises(Exception, match="wobbly at import"):
        reg.contribution("analyses", "w").load("run")
    dialog = PluginsDialog(reg)
    qtbot.addWidget(dialog)
    rows = {dialog.table.item(r, 0).data(Qt.ItemDataRole.UserRole): r
            for r in range(dialog.table.rowCount())}
    assert {"builtin", "wobbly", "steady"} <= set(rows)
    assert dialog.table.item(rows["wobbly"], 3).text().startswith("failed (import)")
    assert not dialog.table.item(rows["builtin"], 0).flags() & Qt.ItemFlag.ItemIsUserCheckable
    dialog.set_checked("steady", False)
    assert settings.load().enabled_plugins == {"steady": False}
    assert dialog.table.item(rows["steady"], 3).text() == "disabled"
    dialog.table.setCurrentCell(rows["wobbly"], 0)
    assert "wobbly at import" in dialog.details.toPlainText()
    assert "Traceback" in dialog.details.toPlainText()
    dialog.set_checked("steady", True)
    assert json.loads(settings.settings_path().read_text())["enabled_plugins"] == {"steady": True}


@pytest.mark.slow  # the whole demo city in a window, with every layer: about a minute
def test_the_window_shows_the_example_plugins(qtbot, monkeypatch, tmp_path):
    missing = [m for m in EXAMPLES if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"example plugins not installed ({', '.join(missing)})")
    import vispy

    vispy.use("pyside6")
    from hktwin.plugins.registry import PluginRegistry, reset_registry
    from hktwin.ui.main_window import MainWindow

    monkeypatch.setenv("HKTWIN_CONFIG_DIR", str(tmp_path))
    old = reset_registry(PluginRegistry())
    try:
        win = MainWindow()
        qtbot.addWidget(win)
        win.resize(1280, 800)
        win.show()
        qtbot.waitExposed(win)
        win.load_pack(None)
        qtbot.waitUntil(lambda: win.twin.layers.get("Road noise") is not None
                        and not win.session.loading, timeout=120_000)
        names = win.twin.layers.names()
        assert {"Road noise", "Sun and shadow", "KMB 1A arrivals"} <= set(names)
        panel_rows = [win.layer_panel.list.item(r).text()
                      for r in range(win.layer_panel.list.count())]
        assert any("Road noise" in row for row in panel_rows)
        assert "Sun and shadow" in win.docks
        assert "builtin:manage-plugins" in win.actions
        dock = win.docks["Sun and shadow"].widget()
        dock.slider.setValue(dock.slider.value() + 3)  # 15:30
        shadow = win.twin.layers.get("Sun and shadow")
        qtbot.waitUntil(lambda: len(shadow.ground_triangles) > 0, timeout=60_000)
        assert shadow.visible and shadow.computed_for is not None
        assert "sun" in dock.position.text()
        qtbot.wait(200)
        SHOTS.mkdir(parents=True, exist_ok=True)
        win.grab().save(str(SHOTS / "window-plugins.png"))
        from hktwin.ui.plugins_dialog import PluginsDialog

        win.actions["builtin:manage-plugins"].trigger()
        qtbot.waitUntil(lambda: win.findChild(PluginsDialog) is not None)
        assert win.findChild(PluginsDialog).table.rowCount() >= 4
    finally:
        reset_registry(old)


def test_a_plugin_that_cannot_draw_is_reported_and_the_window_carries_on(
        qtbot, site, fresh, tiny_pack):
    import vispy

    vispy.use("pyside6")
    from hktwin.ui.main_window import MainWindow

    write_broken_layer_plugin(site)
    reg = fresh()
    win = MainWindow()
    qtbot.addWidget(win)
    said: list[str] = []
    win.session.status.connect(said.append)
    win.show()
    qtbot.waitExposed(win)
    win.load_pack(tiny_pack)
    qtbot.waitUntil(lambda: win.twin.layers.get("bad one") is not None
                    and not win.session.loading, timeout=60_000)
    assert reg.plugin("brokenlayer").stage == "draw"
    assert any("Plugin 'brokenlayer' failed (draw)" in s for s in said)
    image = win.canvas.render()  # the rest of the city still draws
    assert image.shape[0] > 0 and image[..., :3].std() > 5
    assert win.twin.layers.get("Buildings") is not None


def test_make_window_opens_a_window_on_a_loaded_twin(make_window, tiny_pack):
    win = make_window(tiny_pack)
    assert win.isVisible() and win.twin.city is not None
    assert win.twin.layers.get("Buildings") is not None
    assert win.canvas.render()[..., :3].std() > 5
