"""Edit the selected site's fields; every change goes through the undoable scenario editor."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from hktwin.analysis.sites import RECORD_TYPES, SITE_FIELDS, FieldSpec

#: Fields shown but not edited here (an id changes by renaming, not by typing over it).
_READ_ONLY = frozenset({"id"})


def spin_range(spec: FieldSpec) -> tuple[float, float]:
    """The spin box range for a numeric field: the table's bounds, an excluded lower bound
    nudged up by one step of the shown decimals, and one step below for "omni" (None)."""
    step = 10.0 ** -spec.decimals
    lo = spec.lo + step if spec.exclusive_lo else spec.lo
    if spec.nullable:
        lo -= step if not spec.exclusive_lo else 2 * step
    return lo, spec.hi


def _spec_for(record: Any, name: str) -> FieldSpec | None:
    kind = next((k for k, t in RECORD_TYPES.items() if type(record) is t), None)
    return next((spec for spec in SITE_FIELDS.get(kind, ()) if spec.name == name), None)


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
            spec = _spec_for(record, f.name)
            widget = None if spec is None else self._widget_for(spec, getattr(record, f.name))
            if widget is not None:
                widget.setObjectName(f"site_{f.name}")
                widget.setToolTip(spec.description)
                self.form.addRow(spec.label, widget)
                self.widgets[f.name] = widget

    def _widget_for(self, spec: FieldSpec, value: Any) -> QWidget | None:
        name = spec.name
        if name in _READ_ONLY:
            return None
        if spec.is_number:
            spin = QDoubleSpinBox()
            spin.setDecimals(spec.decimals)
            spin.setRange(*spin_range(spec))
            spin.setSuffix(f" {spec.unit}" if spec.unit and spec.unit != "°" else spec.unit)
            spin.setKeyboardTracking(False)
            if spec.nullable:
                spin.setSpecialValueText("omni")  # the minimum, below the bounds, is None
            spin.setValue(spin.minimum() if value is None else value)
            spin.valueChanged.connect(lambda v, n=name, w=spin: self._apply(
                n, None if spec.nullable and v <= w.minimum() else v))
            return spin
        if spec.choices:
            combo = QComboBox()
            combo.addItems(list(spec.choices))
            combo.setCurrentText(str(value))
            combo.currentTextChanged.connect(lambda v, n=name: self._apply(n, v))
            return combo
        if spec.text:
            line = QLineEdit(str(value))
            line.setMaxLength(spec.max_length)
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
                widget.setValue(widget.minimum() if value is None else value)
            elif isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif isinstance(widget, QLineEdit) and not widget.hasFocus():
                widget.setText(str(value))
            widget.blockSignals(False)
