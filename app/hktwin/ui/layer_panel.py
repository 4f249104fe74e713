"""The layer panel: visibility, opacity and order of the twin's layers, bound to the LayerList."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from hktwin.model.layers import Layer, LayerList


class QtLayerPanel(QWidget):
    """Lists layers top-most first (as in QGIS and napari); the checkbox toggles visibility."""

    def __init__(self, layers: LayerList, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layers = layers
        self.list = QListWidget()
        self.list.setObjectName("layerList")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Opacity of the selected layer")
        self.up = QPushButton("Raise")
        self.down = QPushButton("Lower")
        buttons = QHBoxLayout()
        buttons.addWidget(self.up)
        buttons.addWidget(self.down)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(QLabel("Opacity"))
        layout.addWidget(self.opacity)
        layout.addLayout(buttons)

        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(self._on_current_changed)
        self.opacity.valueChanged.connect(self._on_slider)
        self.up.clicked.connect(lambda: self._move(+1))
        self.down.clicked.connect(lambda: self._move(-1))
        for signal in (layers.events.inserted, layers.events.removed, layers.events.moved,
                       layers.events.reordered, layers.events.changed):
            signal.connect(self._rebuild)
        self._watched: list[Layer] = []
        self._current: Layer | None = None  # kept by identity: rows shift when layers move
        self._rebuild()

    # Row r shows layer len-1-r: the top of the list is drawn last (on top).
    def _layer_at(self, row: int) -> Layer | None:
        index = len(self.layers) - 1 - row
        return self.layers[index] if 0 <= index < len(self.layers) else None

    def current_layer(self) -> Layer | None:
        return self._layer_at(self.list.currentRow())

    def _rebuild(self, *_: object) -> None:
        current = self._current
        for layer in self._watched:
            layer.events.visible.disconnect(self._sync_item)
            layer.events.opacity.disconnect(self._sync_slider)
        self._watched = list(self.layers)
        self.list.blockSignals(True)
        self.list.clear()
        for layer in reversed(self.layers):
            item = QListWidgetItem(layer.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
            item.setToolTip(layer.summary)
            self.list.addItem(item)
            layer.events.visible.connect(self._sync_item)
            layer.events.opacity.connect(self._sync_slider)
        self.list.blockSignals(False)
        rows = [r for r in range(self.list.count()) if self._layer_at(r) is current]
        self.list.setCurrentRow(rows[0] if rows else 0)
        self._on_current_changed(self.list.currentRow())

    def _sync_item(self, *_: object) -> None:
        self.list.blockSignals(True)
        for row in range(self.list.count()):
            layer = self._layer_at(row)
            state = Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked
            self.list.item(row).setCheckState(state)
        self.list.blockSignals(False)

    def _sync_slider(self, *_: object) -> None:
        self._on_current_changed(self.list.currentRow())

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        layer = self._layer_at(self.list.row(item))
        if layer is not None:
            layer.visible = item.checkState() == Qt.CheckState.Checked

    def _on_current_changed(self, row: int) -> None:
        layer = self._layer_at(row)
        self._current = layer
        self.opacity.setEnabled(layer is not None)
        self.up.setEnabled(row > 0)
        self.down.setEnabled(0 <= row < self.list.count() - 1)
        if layer is not None:
            self.opacity.blockSignals(True)
            self.opacity.setValue(round(layer.opacity * 100))
            self.opacity.blockSignals(False)

    def _on_slider(self, value: int) -> None:
        layer = self.current_layer()
        if layer is not None:
            layer.opacity = value / 100.0

    def _move(self, step: int) -> None:
        """Raise (+1) or lower (-1) the current layer in drawing order."""
        layer = self.current_layer()
        if layer is None:
            return
        index = self.layers.index(layer)
        target = index + step
        if 0 <= target < len(self.layers):
            # EventedList.move inserts before dest_index, so moving up needs one more.
            self.layers.move(index, target + 1 if step > 0 else target)
