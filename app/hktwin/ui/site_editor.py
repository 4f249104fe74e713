"""Edit the selected site's fields; every change goes through the undoable scenario editor."""

from __future__ import annotations

import dataclasses
from typing import Any, get_args

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from hktwin.analysis.sites import Band, Mounting

# field -> (label, minimum, maximum, decimals, suffix)
_NUMBERS = {
    "x": ("Easting", 790_000.0, 870_000.0, 1, " m"),
    "y": ("Northing", 795_000.0, 850_000.0, 1, " m"),
    "ground_m": ("Ground / roof", -20.0, 1000.0, 1, " m"),
    "height_m": ("Height above it", 0.0, 500.0, 1, " m"),
    "tx_power_dbm": ("Transmit power", 0.0, 50.0, 1, " dBm"),
    "antenna_gain_dbi": ("Antenna gain", 0.0, 30.0, 1, " dBi"),
    "azimuth_deg": ("Azimuth", 0.0, 359.9, 1, "°"),
    "downtilt_deg": ("Downtilt", -10.0, 45.0, 1, "°"),
    "h_beamwidth_deg": ("Horizontal beamwidth", 5.0, 360.0, 1, "°"),
    "v_beamwidth_deg": ("Vertical beamwidth", 2.0, 90.0, 1, "°"),
    "bandwidth_mhz": ("Bandwidth", 5.0, 400.0, 0, " MHz"),
    "content_size_m": ("Content size", 0.1, 100.0, 1, " m"),
    "required_dl_mbps": ("Required downlink", 0.0, 5000.0, 0, " Mbit/s"),
    "required_latency_ms": ("Required latency", 1.0, 1000.0, 0, " ms"),
    "view_radius_m": ("Viewing radius", 5.0, 1000.0, 0, " m"),
    "range_m": ("Range", 1.0, 5000.0, 0, " m"),
}
_CHOICES = {"mounting": ("Mounting", get_args(Mounting)), "band": ("Band", get_args(Band))}


class QtSiteEditor(QWidget):
    """A form generated from the selected record's fields."""

    def __init__(self, scenario, editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scenario = scenario
        self.editor = editor
        self.form = QFormLayout(self)
        self.hint = QLabel("Select a site to edit it.")
        self.form.addRow(self.hint)
        self.widgets: dict[str, QWidget] = {}
        self._site_id: str | None = None
        scenario.events.selected.connect(self.show_selected)
        scenario.changed.connect(self._refresh_values)
        self.show_selected(scenario.selected)

    def set_scenario(self, scenario, editor) -> None:
        self.scenario.events.selected.disconnect(self.show_selected)
        self.scenario.changed.disconnect(self._refresh_values)
        self.scenario, self.editor = scenario, editor
        scenario.events.selected.connect(self.show_selected)
        scenario.changed.connect(self._refresh_values)
        self.show_selected(scenario.selected)

    def show_selected(self, site_id: str | None = None) -> None:
        while self.form.rowCount() > 1:
            self.form.removeRow(1)
        self.widgets = {}
        self._site_id = site_id
        record = self.scenario.get(site_id) if site_id else None
        self.hint.setText("Select a site to edit it." if record is None
                          else f"{type(record).__name__} {record.id}")
        if record is None:
            return
        for f in dataclasses.fields(record):
            widget = self._widget_for(f.name, getattr(record, f.name))
            if widget is not None:
                label = _NUMBERS.get(f.name, _CHOICES.get(f.name, (f.name.replace("_", " ").
                                                                    capitalize(),)))[0]
                widget.setObjectName(f"site_{f.name}")
                self.form.addRow(label, widget)
                self.widgets[f.name] = widget

    def _widget_for(self, name: str, value: Any) -> QWidget | None:
        if name in _NUMBERS:
            _, lo, hi, decimals, suffix = _NUMBERS[name]
            spin = QDoubleSpinBox()
            spin.setRange(lo, hi)
            spin.setDecimals(decimals)
            spin.setSuffix(suffix)
            spin.setKeyboardTracking(False)
            if name == "azimuth_deg":
                spin.setSpecialValueText("omni")  # the minimum shows as omni
                spin.setRange(-1.0, hi)
                spin.setValue(-1.0 if value is None else value)
            else:
                spin.setValue(value)
            spin.valueChanged.connect(lambda v, n=name: self._apply(n, v))
            return spin
        if name in _CHOICES:
            combo = QComboBox()
            combo.addItems(list(_CHOICES[name][1]))
            combo.setCurrentText(str(value))
            combo.currentTextChanged.connect(lambda v, n=name: self._apply(n, v))
            return combo
        if name in ("name", "kind"):
            line = QLineEdit(str(value))
            line.editingFinished.connect(lambda n=name, w=line: self._apply(n, w.text()))
            return line
        if isinstance(value, bool):
            box = QCheckBox()
            box.setChecked(value)
            box.toggled.connect(lambda v, n=name: self._apply(n, v))
            return box
        return None

    def _apply(self, name: str, value: Any) -> None:
        if self._site_id is None:
            return
        if name == "azimuth_deg" and value < 0:
            value = None
        record = self.scenario.get(self._site_id)
        if record is None or getattr(record, name) == value:
            return
        self.editor.update_site(self._site_id, **{name: value})

    def _refresh_values(self) -> None:
        """Undo, redo and drags change the record under the form: show its values."""
        record = self.scenario.get(self._site_id) if self._site_id else None
        if record is None:
            if self._site_id is not None:
                self.show_selected(None)
            return
        for name, widget in self.widgets.items():
            value = getattr(record, name)
            widget.blockSignals(True)
            if isinstance(widget, QDoubleSpinBox):
                widget.setValue(-1.0 if value is None else value)
            elif isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif isinstance(widget, QLineEdit) and not widget.hasFocus():
                widget.setText(str(value))
            widget.blockSignals(False)
