"""A large painted icon per verdict tone: tick, cross, exclamation, clock, stop sign.

Shapes differ as well as colours, so a colour-blind steward reads the verdict.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from gatescan.gate.ui.display import Tone


class LevelIcon(QWidget):
    """Paints the tone's symbol in `color`, as large as the widget allows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tone = Tone.ADMIT
        self._color = QColor("white")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)

    def set_tone(self, tone: Tone, color: QColor) -> None:
        """Show `tone`'s symbol in `color`."""
        self._tone, self._color = tone, color
        self.update()

    def tone(self) -> Tone:
        """The symbol shown."""
        return self._tone

    def sizeHint(self) -> QSize:
        """A square."""
        return QSize(240, 240)

    def paintEvent(self, _event: QPaintEvent) -> None:
        """Draw the symbol centred in a square."""
        side = min(self.width(), self.height()) * 0.92
        box = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        stroke = side * 0.09
        pen = QPen(self._color, stroke, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        inner = box.adjusted(stroke / 2, stroke / 2, -stroke / 2, -stroke / 2)

        def at(fx: float, fy: float) -> QPointF:
            return QPointF(box.left() + fx * side, box.top() + fy * side)

        if self._tone is Tone.ADMIT:
            p.drawEllipse(inner)
            p.drawPolyline(QPolygonF([at(0.28, 0.52), at(0.44, 0.68), at(0.73, 0.35)]))
        elif self._tone is Tone.REFUSE:
            p.drawEllipse(inner)
            p.drawLine(at(0.33, 0.33), at(0.67, 0.67))
            p.drawLine(at(0.67, 0.33), at(0.33, 0.67))
        elif self._tone is Tone.REPEAT:  # a clock face: "a moment ago", neither yes nor no
            p.drawEllipse(inner)
            p.drawLine(at(0.5, 0.5), at(0.5, 0.24))
            p.drawLine(at(0.5, 0.5), at(0.7, 0.6))
        elif self._tone is Tone.CHECK:
            p.drawPolygon(QPolygonF([at(0.5, 0.08), at(0.95, 0.88), at(0.05, 0.88)]))
            p.drawLine(at(0.5, 0.36), at(0.5, 0.62))
            p.drawPoint(at(0.5, 0.76))
        else:
            points = [at(0.5 + 0.45 * c, 0.5 + 0.45 * s) for c, s in _OCTAGON]
            p.drawPolygon(QPolygonF(points))
            p.drawLine(at(0.5, 0.27), at(0.5, 0.56))
            p.drawPoint(at(0.5, 0.72))
        p.end()


# unit-circle corners of an octagon with flat top (stop sign)
_OCTAGON = [(0.3827, -0.9239), (0.9239, -0.3827), (0.9239, 0.3827), (0.3827, 0.9239),
            (-0.3827, 0.9239), (-0.9239, 0.3827), (-0.9239, -0.3827), (-0.3827, -0.9239)]
