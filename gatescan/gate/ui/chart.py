"""A bar chart of scans per five minutes: admitted (green) stacked under refused (red)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from gatescan.gate.ledger.reports import Bucket
from gatescan.gate.ui import theme
from gatescan.protocol.clock import UTC_ZONE, EventTime, format_hm, local_time


class ScanChart(QWidget):
    """Paints the buckets handed to `set_buckets`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scan_chart")
        self._buckets: list[Bucket] = []
        self.zone: EventTime = UTC_ZONE
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(180)

    def sizeHint(self) -> QSize:
        """Wide and short."""
        return QSize(700, 240)

    def set_buckets(self, buckets: list[Bucket]) -> None:
        """Show these five-minute buckets, oldest first."""
        self._buckets = list(buckets)
        self.update()

    def set_zone(self, zone: EventTime) -> None:
        """Label the time axis in this event zone."""
        self.zone = zone
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
        for n, b in enumerate(buckets):
            x = area.left() + n * slot + (slot - bar) / 2
            h_ok = area.height() * b.admitted / scale
            h_bad = area.height() * b.refused / scale
            p.fillRect(QRectF(x, area.bottom() - h_ok, bar, h_ok), QColor(theme.OK))
            p.fillRect(QRectF(x, area.bottom() - h_ok - h_bad, bar, h_bad), QColor(theme.BAD))
        p.setPen(QColor(theme.TEXT_DIM))
        for rect, text in self.time_labels():
            p.drawText(rect, Qt.AlignmentFlag.AlignLeft, text)
        p.end()

    def _half_hour(self, t: float) -> bool:
        return local_time(t, self.zone).minute % 30 == 0  # event-local: zones off by :30 too

    def time_labels(self) -> list[tuple[QRectF, str]]:
        """Where the time labels go: the first bucket and each half hour, never overlapping.

        A label that would touch the one before it is left out (the first bucket at 08:50
        and the half hour at 09:00 would otherwise print "08:5009:00").
        """
        if not self._buckets:
            return []
        metrics = QFontMetricsF(theme.font(13))
        left, right = 48.0, 16.0
        slot = (self.width() - left - right) / len(self._buckets)
        y = self.height() - 28.0 + 4
        placed: list[tuple[QRectF, str]] = []
        for n, b in enumerate(self._buckets):
            if n and not self._half_hour(b.start):
                continue
            text = format_hm(b.start, self.zone)
            rect = QRectF(left + n * slot, y, metrics.horizontalAdvance(text) + 2, 20)
            if rect.right() > self.width():
                break
            if placed and rect.left() < placed[-1][0].right() + LABEL_GAP:
                if len(placed) == 1 and not self._half_hour(self._buckets[0].start):
                    placed[0] = (rect, text)  # a round half hour beats the odd first bucket
                continue
            placed.append((rect, text))
        return placed


LABEL_GAP = 10.0  # pixels between two time labels


def _nice(peak: int) -> int:
    """A round axis maximum at or above `peak`."""
    for step in (4, 8, 20, 40, 100, 200, 400, 1000, 2000, 4000, 10000):
        if peak <= step:
            return step
    return peak
