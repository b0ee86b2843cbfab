"""A bar chart of scans per five minutes: admitted (green) stacked under refused (red)."""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from scanner.ledger.reports import Bucket
from scanner.ui import theme


class ScanChart(QWidget):
    """Paints the buckets handed to `set_buckets`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scan_chart")
        self._buckets: list[Bucket] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(180)

    def sizeHint(self) -> QSize:
        """Wide and short."""
        return QSize(700, 240)

    def set_buckets(self, buckets: list[Bucket]) -> None:
        """Show these five-minute buckets, oldest first."""
        self._buckets = list(buckets)
        self.update()

    def buckets(self) -> list[Bucket]:
        """The buckets shown."""
        return list(self._buckets)

    def paintEvent(self, _event: QPaintEvent) -> None:
        """Axes, bars, time labels and a legend."""
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(theme.SURFACE))
        left, right, top, bottom = 48.0, 16.0, 34.0, 28.0
        area = QRectF(left, top, self.width() - left - right, self.height() - top - bottom)
        p.setFont(theme.font(13))
        p.setPen(QColor(theme.TEXT_DIM))
        admitted, refused = self.tr("Admitted"), self.tr("Refused")
        p.fillRect(QRectF(left, 10, 14, 14), QColor(theme.OK))
        p.drawText(QRectF(left + 20, 6, 160, 22), Qt.AlignmentFlag.AlignVCenter, admitted)
        p.fillRect(QRectF(left + 180, 10, 14, 14), QColor(theme.BAD))
        p.drawText(QRectF(left + 200, 6, 160, 22), Qt.AlignmentFlag.AlignVCenter, refused)
        buckets = self._buckets
        peak = max([b.admitted + b.refused for b in buckets] + [1])
        scale = _nice(peak)
        p.setPen(QPen(QColor("#33404d"), 1))
        for k in range(5):
            y = area.bottom() - area.height() * k / 4
            p.drawLine(int(area.left()), int(y), int(area.right()), int(y))
            p.drawText(QRectF(0, y - 9, left - 8, 18),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                       str(round(scale * k / 4)))
        if not buckets:
            p.end()
            return
        slot = area.width() / len(buckets)
        bar = max(1.0, slot * 0.72)
        label_w = p.fontMetrics().horizontalAdvance("00:00") + 10
        label_end: float = -label_w  # labels never overlap: one is skipped instead
        for n, b in enumerate(buckets):
            x = area.left() + n * slot + (slot - bar) / 2
            h_ok = area.height() * b.admitted / scale
            h_bad = area.height() * b.refused / scale
            p.fillRect(QRectF(x, area.bottom() - h_ok, bar, h_ok), QColor(theme.OK))
            p.fillRect(QRectF(x, area.bottom() - h_ok - h_bad, bar, h_bad), QColor(theme.BAD))
            if (int(b.start) % 1800 == 0 or n == 0) and x - 30 >= label_end:
                label_end = x - 30 + label_w
                p.setPen(QColor(theme.TEXT_DIM))
                p.drawText(QRectF(x - 30, area.bottom() + 4, 60 + bar, 20),
                           Qt.AlignmentFlag.AlignLeft,
                           time.strftime("%H:%M", time.localtime(b.start)))
        p.end()


def _nice(peak: int) -> int:
    """A round axis maximum at or above `peak`."""
    for step in (4, 8, 20, 40, 100, 200, 400, 1000, 2000, 4000, 10000):
        if peak <= step:
            return step
    return peak
