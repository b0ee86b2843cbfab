"""The camera preview: paints the newest frame, letterboxed, with an aiming frame."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen, QPixmap, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from gatescan.gate.ui import theme


class CameraPreview(QWidget):
    """Shows frames handed to `show_frame`; shows `message` when there is no live picture."""

    resized = Signal(int, int)  # the camera worker scales frames to this size

    def __init__(self, parent: QWidget | None = None, *, guides: bool = True,
                 cache_guides: bool = True) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._message = ""
        self._guides = guides
        self._cache_guides = cache_guides
        self._overlay: tuple[tuple[float, ...], QPixmap] | None = None  # (key, drawn guides)
        self.frames_painted = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:
        """16:9."""
        return QSize(640, 360)

    def show_frame(self, image: QImage) -> None:
        """Keep `image` (already a private copy) and repaint; skipped while hidden."""
        self._image = image
        if self.isVisible():
            self.update()

    def set_cache_guides(self, cache: bool) -> None:
        """Draw the aiming frame from a pixmap drawn once (True) or stroke it on each paint."""
        self._cache_guides = cache

    def set_message(self, text: str) -> None:
        """Text drawn over the preview ('' for none): camera starting, unplugged, ..."""
        if text != self._message:
            self._message = text
            self.update()

    def clear(self) -> None:
        """Forget the last frame (the source changed)."""
        self._image = None
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Tell whoever scales the frames how big they should be."""
        super().resizeEvent(event)
        self.resized.emit(self.width(), self.height())

    def paintEvent(self, _event: QPaintEvent) -> None:
        """Letterbox the frame; draw corner guides and any message."""
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#05080b"))
        target = QRectF(self.rect())
        image = self._image
        if image is not None and not image.isNull():
            scale = min(self.width() / image.width(), self.height() / image.height())
            w, h = image.width() * scale, image.height() * scale
            target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            if abs(scale - 1.0) < 0.02:  # already scaled on the camera thread: a plain copy
                target = QRectF((self.width() - image.width()) // 2,
                                (self.height() - image.height()) // 2,
                                image.width(), image.height())
            elif scale > 0.5:
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(target, image)
            self.frames_painted += 1
        if self._guides and self._cache_guides:
            p.drawPixmap(0, 0, self._guides_overlay(target))
            # as stroking them leaves the painter: the message band's edges antialiased too
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
        elif self._guides:
            self._draw_guides(p, target)
        if self._message:
            p.setPen(QColor(theme.TEXT))
            p.setFont(theme.font(max(14, self.height() // 16), bold=True))
            band = QRectF(0, self.height() * 0.42, self.width(), self.height() * 0.16)
            p.fillRect(band, QColor(0, 0, 0, 170))
            p.drawText(band, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self._message)
        p.end()

    def _guides_overlay(self, target: QRectF) -> QPixmap:
        """The aiming frame drawn once on a clear pixmap: the antialiased strokes cost more
        than the picture under them, on every frame."""
        ratio = self.devicePixelRatioF()
        key = (target.x(), target.y(), target.width(), target.height(), float(self.width()),
               float(self.height()), ratio)
        if self._overlay is None or self._overlay[0] != key:
            pixmap = QPixmap(self.size() * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            self._draw_guides(painter, target)
            painter.end()
            self._overlay = (key, pixmap)
        return self._overlay[1]

    @staticmethod
    def _draw_guides(p: QPainter, area: QRectF) -> None:
        side = min(area.width(), area.height()) * 0.6
        box = QRectF(area.center().x() - side / 2, area.center().y() - side / 2, side, side)
        arm = side * 0.16
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(255, 255, 255, 200), max(3.0, side * 0.015)))
        for x, y, dx, dy in ((box.left(), box.top(), 1, 1), (box.right(), box.top(), -1, 1),
                             (box.left(), box.bottom(), 1, -1),
                             (box.right(), box.bottom(), -1, -1)):
            p.drawLine(int(x), int(y), int(x + dx * arm), int(y))
            p.drawLine(int(x), int(y), int(x), int(y + dy * arm))
