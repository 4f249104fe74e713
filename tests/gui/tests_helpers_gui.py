"""Mouse helpers: QTest cannot send a plain mouse move with no button on every platform."""

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication


def move_mouse(qtbot, widget, x: int, y: int) -> None:
    local = QPointF(x, y)
    event = QMouseEvent(QMouseEvent.Type.MouseMove, local, widget.mapToGlobal(local),
                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    qtbot.wait(100)
