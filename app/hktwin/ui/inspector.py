"""The inspector: attributes of the picked feature, bound to the twin's selection."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from hktwin.model.twin import Twin

_FIELDS = (
    ("name", "Name"),
    ("kind", "Kind"),
    ("value", "Value"),
    ("limit_kmh", "Speed limit"),
    ("saturation", "Saturation"),
    ("height_m", "Height"),
    ("base_m", "Ground"),
    ("roof_m", "Roof"),
    ("easting", "Easting"),
    ("northing", "Northing"),
    ("lat", "Latitude"),
    ("lon", "Longitude"),
    ("id", "Id"),
)


def _format(key: str, value: Any, unit: str = "") -> str:
    if key in ("height_m", "base_m", "roof_m"):
        return f"{value:,.1f} m"
    if key in ("easting", "northing"):
        return f"{value:,.1f} m"
    if key in ("lat", "lon"):
        return f"{value:.5f}°"
    if key == "value":
        return f"{value:,.1f} {unit}".strip()
    if key == "limit_kmh":
        return f"{value:,.0f} km/h"
    return str(value)


class QtInspector(QWidget):
    """A form that shows what was clicked; empty text until something is picked."""

    def __init__(self, twin: Twin, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.twin = twin
        self.form = layout = QFormLayout(self)
        self.hint = QLabel("Click a building, a road link or a station to inspect it.")
        self.hint.setWordWrap(True)
        layout.addRow(self.hint)
        self.values: dict[str, QLabel] = {}
        for key, label in _FIELDS:
            value = QLabel("")
            value.setObjectName(f"inspector_{key}")
            value.setTextInteractionFlags(value.textInteractionFlags().TextSelectableByMouse)
            layout.addRow(label, value)
            self.values[key] = value
        twin.events.selection.connect(self._show)
        self._show(twin.selection)

    def _show(self, selection: dict[str, Any] | None) -> None:
        self.hint.setVisible(selection is None)
        for key, label in self.values.items():
            value = None if selection is None else selection.get(key)
            unit = "" if selection is None else str(selection.get("unit", ""))
            label.setText("" if value is None else _format(key, value, unit))
            self.form.setRowVisible(label, selection is None or value is not None)
