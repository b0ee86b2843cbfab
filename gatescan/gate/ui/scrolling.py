"""A vertical scroll area for screens taller than a small display (set-up, manager view),
scrollable by dragging a finger as well as by the wheel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QScroller, QWidget


def scrolled(content: QWidget, parent: QWidget | None = None) -> QScrollArea:
    """`content` in a frameless area that scrolls up and down (never sideways) when the
    window is shorter than it."""
    area = QScrollArea(parent)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(content)
    QScroller.grabGesture(area.viewport(), QScroller.ScrollerGestureType.TouchGesture)
    return area
