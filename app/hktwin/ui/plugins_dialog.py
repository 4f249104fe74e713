"""The Plugins dialog: every discovered plugin with its version, contributions and state; a
check box enables or disables it (kept in the settings), and a failed plugin's error and
traceback are shown. The built-ins (plugin `builtin`) cannot be switched off here."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("Plugin", "Version", "Contributes", "State")
ALWAYS_ON = ("builtin",)


def _state(plugin: Any) -> str:
    if plugin.error:
        return f"failed ({plugin.stage}): {plugin.error}"
    return "enabled" if plugin.enabled else "disabled"


class PluginsDialog(QDialog):
    """Lists `registry.plugins()`; toggling a row calls `registry.set_enabled` (saved)."""

    def __init__(self, registry: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from hktwin.plugins import registry as default_registry

        self.registry = registry or default_registry()
        self.setWindowTitle("Plugins")
        self.resize(760, 420)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumBlockCount(2000)
        note = QLabel("Disabling takes effect at once for what is not yet loaded; a plugin "
                      "enabled again is loaded at the next start.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 3)
        layout.addWidget(note)
        layout.addWidget(self.details, 2)
        layout.addWidget(buttons)
        self._filling = False
        self.refresh()
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.currentCellChanged.connect(self._on_current)

    def refresh(self) -> None:
        self._filling = True
        plugins = self.registry.plugins()
        self.table.setRowCount(len(plugins))
        for row, p in enumerate(plugins):
            contribs = p.to_json()["contributions"]
            name = QTableWidgetItem(p.title if p.title != p.name else p.name)
            name.setData(Qt.ItemDataRole.UserRole, p.name)
            name.setToolTip(p.description or p.name)
            flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
            if p.name not in ALWAYS_ON:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            name.setFlags(flags)
            name.setCheckState(Qt.CheckState.Checked if p.enabled else Qt.CheckState.Unchecked)
            cells = [name, QTableWidgetItem(p.version or "?"),
                     QTableWidgetItem(", ".join(f"{len(v)} {k}" for k, v in contribs.items())),
                     QTableWidgetItem(_state(p))]
            for col, item in enumerate(cells):
                if col:
                    item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self._filling = False

    def plugin_at(self, row: int) -> Any:
        item = self.table.item(row, 0)
        return self.registry.plugin(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def set_checked(self, name: str, enabled: bool) -> None:
        """Tick or untick a plugin's row, as a click would (tests, keyboard)."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == name:
                self.table.item(row, 0).setCheckState(
                    Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked)
                return
        raise KeyError(name)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        self.registry.set_enabled(name, item.checkState() == Qt.CheckState.Checked)
        self.table.item(item.row(), 3).setText(_state(self.registry.plugin(name)))

    def _on_current(self, row: int, *_: int) -> None:
        p = self.plugin_at(row) if row >= 0 else None
        if p is None:
            self.details.clear()
            return
        lines = [f"{p.name} {p.version} (plugin API {p.api or '?'})", p.description,
                 f"entry point: {p.entry_point}  distribution: {p.distribution or '?'}"]
        for kind, names in p.to_json()["contributions"].items():
            lines.append(f"{kind}: {', '.join(names)}")
        if p.error:
            lines += ["", f"Error ({p.stage}): {p.error}", "", p.traceback or ""]
        self.details.setPlainText("\n".join(lines))


def open_plugins_dialog(window: Any) -> PluginsDialog:
    """The `menus` contribution of the built-ins: Plugins > Manage Plugins..."""
    dialog = PluginsDialog(parent=window)
    dialog.open()
    return dialog
