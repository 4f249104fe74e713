"""Edit the selected site's fields; every change goes through the undoable scenario editor.

The form is built from `SITE_FIELDS`: numbers are spin boxes, choices combo boxes, text a line
(a few lines for a card's body), and a file path (an anchor's image or model) a line with a
"..." button that picks a file and writes it relative to the scenario file's folder.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QToolButton,
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


class QtMultilineEdit(QPlainTextEdit):
    """A few lines of text, applied when the edit loses focus (like a line's editingFinished)."""

    editingFinished = Signal()

    def __init__(self, text: str, max_length: int) -> None:
        super().__init__(text)
        self.max_length = max_length
        self.setTabChangesFocus(True)
        self.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 12)

    def text(self) -> str:
        return self.toPlainText()[: self.max_length]

    def setText(self, text: str) -> None:
        self.setPlainText(text)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.editingFinished.emit()


class QtPathEdit(QWidget):
    """A file path with a "..." button; picked files are written relative to `base()`."""

    editingFinished = Signal()

    def __init__(self, text: str, spec: FieldSpec, base) -> None:
        super().__init__()
        self.spec = spec
        self.base = base  # () -> the folder relative paths are taken from, or None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.line = QLineEdit(text)
        self.line.setMaxLength(spec.max_length)
        self.line.setPlaceholderText("none")
        self.line.editingFinished.connect(self.editingFinished)
        self.button = QToolButton()
        self.button.setText("...")
        self.button.setToolTip(f"Choose a {', '.join(spec.suffixes)} file")
        self.button.clicked.connect(self.choose)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.button)

    def text(self) -> str:
        return self.line.text()

    def setText(self, text: str) -> None:
        self.line.setText(text)

    def hasFocus(self) -> bool:
        return self.line.hasFocus()

    def relative(self, picked: str) -> str:
        """A picked file as the field stores it: relative to the scenario file's folder when
        there is one, else absolute."""
        base = self.base()
        if base is None:
            return str(Path(picked).absolute())
        try:
            return Path(os.path.relpath(picked, base)).as_posix()
        except ValueError:  # another drive
            return str(Path(picked).absolute())

    def choose(self) -> None:
        patterns = " ".join(f"*{s}" for s in self.spec.suffixes)
        start = self.base()
        picked, _ = QFileDialog.getOpenFileName(self, self.spec.label,
                                                "" if start is None else str(start),
                                                f"{self.spec.label} ({patterns})")
        if picked:
            self.line.setText(self.relative(picked))
            self.editingFinished.emit()


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
        if spec.is_path:
            path = QtPathEdit(str(value), spec, self._content_base)
            path.editingFinished.connect(lambda n=name, w=path: self._apply(n, w.text()))
            return path
        if spec.multiline:
            lines = QtMultilineEdit(str(value), spec.max_length)
            lines.editingFinished.connect(lambda n=name, w=lines: self._apply(n, w.text()))
            return lines
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

    def _content_base(self) -> Path | None:
        """The folder the scenario's relative content paths are taken from (its file's), or
        None for a scenario not yet read or saved (a picked file is then kept absolute)."""
        from hktwin.model.scenario_io import known_content_base

        return known_content_base(self.scenario)

    def _apply(self, name: str, value: Any) -> None:
        if self._site_id is None:
            return
        record = self.scenario.get(self._site_id)
        if record is None or getattr(record, name) == value:
            return
        from hktwin.core.errors import DataError

        try:
            self.editor.update_site(self._site_id, **{name: value})
        except DataError as exc:  # e.g. an image path that is not a PNG or JPEG: say so, revert
            self.hint.setText(f"{type(record).__name__} {record.id}: {exc.problem}. {exc.fix}")
            self.hint.setWordWrap(True)
            self._refresh_values(force=True)
            return
        self.hint.setText(f"{type(record).__name__} {record.id}")

    def _refresh_values(self, force: bool = False) -> None:
        """Undo, redo and drags change the record under the form: show its values (`force`:
        also in the widget being edited, to take back a refused value)."""
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
            elif (isinstance(widget, QLineEdit | QtPathEdit | QtMultilineEdit)
                  and (force or not widget.hasFocus())):
                widget.setText(str(value))
            widget.blockSignals(False)
