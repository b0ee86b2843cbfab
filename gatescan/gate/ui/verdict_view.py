"""The verdict panel: fills the screen in the verdict's colour with icon, word, type, reason."""

from __future__ import annotations

import collections
import unicodedata
from collections.abc import Callable, Hashable

from PySide6.QtCore import QPoint, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPixmap, QRegion, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gatescan.gate.ui import theme
from gatescan.gate.ui.display import Tone, VerdictDisplay
from gatescan.gate.ui.kinds import ScanSource
from gatescan.gate.ui.level_icon import LevelIcon
from gatescan.gate.ui.preview import CameraPreview


def _width(text: str) -> int:
    """Text width in Latin letters: a Chinese character is about two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class PaintCache:
    """A widget's own painting kept as pixmaps, by what it shows (text, font, colour, size).

    The panel shows the same few words and icons over and over, in glyphs too big
    for Qt's glyph cache (the raster engine fills them as paths on every paint):
    a cached paint is one blit. A new key is painted as usual and rendered into
    the cache just after, off the verdict's way to the screen.
    """

    def __init__(self, widget: QWidget, key: Callable[[], Hashable], size: int = 24) -> None:
        self._widget = widget
        self._key = key
        self._pixmaps: collections.OrderedDict[Hashable, QPixmap] = collections.OrderedDict()
        self._size = size
        self.rendering = False  # True while `fill` renders the widget the ordinary way

    def paint(self) -> bool:
        """Blit the pixmap of what the widget shows; False (and a fill queued) if none yet."""
        if self.rendering:
            return False
        key = self._key()
        pixmap = self._pixmaps.get(key)
        if pixmap is None:
            QTimer.singleShot(0, self._widget, lambda: self.fill(key))
            return False
        self._pixmaps.move_to_end(key)
        p = QPainter(self._widget)
        p.drawPixmap(0, 0, pixmap)
        p.end()
        return True

    def fill(self, key: Hashable) -> None:
        """Render the widget as it is now into the cache under `key` (if it still shows it)."""
        widget = self._widget
        if key in self._pixmaps or key != self._key() or widget.width() <= 0:
            return
        ratio = widget.devicePixelRatioF()
        pixmap = QPixmap(widget.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        self.rendering = True
        try:
            widget.render(pixmap, QPoint(), QRegion(), QWidget.RenderFlag(0))
        finally:
            self.rendering = False
        self._pixmaps[key] = pixmap
        while len(self._pixmaps) > self._size:
            self._pixmaps.popitem(last=False)


class CachedLabel(QLabel):
    """A QLabel whose painting is cached by text, font, style and size (see `PaintCache`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cache = PaintCache(self, self.paint_key)

    def paint_key(self) -> Hashable:
        """Text, font, colour (the style sheet), alignment, size and pixel ratio."""
        return (self.text(), self.font().key(), self.styleSheet(), self.width(), self.height(),
                int(self.alignment()), self.devicePixelRatioF())

    def paintEvent(self, event: QPaintEvent) -> None:
        """The cached pixmap, or an ordinary paint (and the cache filled just after)."""
        if not self.text() and not self.cache.rendering:
            return  # no text on a clear background paints nothing (a camera scan's source)
        if not self.cache.paint():
            super().paintEvent(event)


class CachedIcon(LevelIcon):
    """The tone's symbol, its antialiased drawing cached by tone, colour and size."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cache = PaintCache(self, self.paint_key, size=10)

    def paint_key(self) -> Hashable:
        """Tone, colour, size and pixel ratio."""
        return (self.tone(), self._color.rgba(), self.width(), self.height(),
                self.devicePixelRatioF())

    def paintEvent(self, event: QPaintEvent) -> None:
        """The cached pixmap, or the ordinary drawing (and the cache filled just after)."""
        if not self.cache.paint():
            super().paintEvent(event)


def _label(parent: QWidget, name: str) -> QLabel:
    label = CachedLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    label.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
    return label


class VerdictView(QWidget):
    """Shows one `VerdictDisplay`, readable from two metres; a bar counts down to ready."""

    painted = Signal()  # after each paint of the panel (its children paint after it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verdict")
        # Opaque: it fills its whole rectangle, and the gate screen keeps the ready page
        # shown under it (a verdict is a raise, not a page switch), so nothing under the
        # panel is painted while it is up.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._display: VerdictDisplay | None = None
        self._remaining = 0.0
        self._fitted: tuple[int, int, float] | None = None
        self._word_font: QFont | None = None  # the word's font as fitted last
        self._foreground = ""  # the labels' colour now: re-styled only when it changes
        self.icon = CachedIcon(self)
        self.word = _label(self, "word")
        self.title = _label(self, "title")
        self.detail = _label(self, "detail")
        self.reason = _label(self, "reason")
        self.source = _label(self, "source")
        self.inset = CameraPreview(self, guides=False)
        self.inset.setFixedSize(224, 126)
        text = QVBoxLayout()
        text.setSpacing(6)
        text.addStretch(1)
        for label in (self.word, self.title, self.detail, self.reason, self.source):
            text.addWidget(label)
        text.addStretch(1)
        # The camera inset sits under the icon, beside the words: never over them.
        side = QVBoxLayout()
        side.addWidget(self.icon, 1)
        side.addWidget(self.inset, 0, Qt.AlignmentFlag.AlignHCenter)
        self._side = side
        row = QHBoxLayout(self)
        self._row = row
        row.addLayout(side, 4)
        row.addLayout(text, 7)
        self.setAutoFillBackground(False)

    def display(self) -> VerdictDisplay | None:
        """What is shown now."""
        return self._display

    def show_display(self, display: VerdictDisplay) -> None:
        """Fill the panel with `display`."""
        self._display = display
        style = theme.TONES[display.tone]
        fg = QColor(style.foreground)
        self.icon.set_tone(display.tone, fg)
        self.word.setText(display.word)
        self.title.setText(display.title)
        self.detail.setText(display.detail)
        self.detail.setVisible(bool(display.detail))
        self.reason.setText(display.reason)
        self.reason.setVisible(bool(display.reason))
        sources = {ScanSource.MANUAL: self.tr("Manual lookup"),
                   ScanSource.WEDGE: self.tr("Handheld scanner")}
        self.source.setText(sources.get(display.source, ""))
        manual = display.source is ScanSource.MANUAL
        if manual:
            self.inset.clear()  # a typed ticket: the camera's last picture is someone else
        self.inset.setVisible(not manual)
        if style.foreground != self._foreground:  # a style sheet costs a re-polish: only if new
            self._foreground = style.foreground
            for label in (self.word, self.title, self.detail, self.reason, self.source):
                label.setStyleSheet(f"color: {style.foreground}; background: transparent;")
        self._fit_fonts()
        self.update()

    def set_remaining(self, fraction: float) -> None:
        """The countdown bar: 1.0 just shown, 0.0 back to ready."""
        self._remaining = max(0.0, min(1.0, fraction))
        self.update(0, self.height() - 16, self.width(), 16)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Scale the fonts with the panel."""
        super().resizeEvent(event)
        self._fit_fonts()

    def _fit_fonts(self) -> None:
        h, w = self.height(), self.width()
        length = _width(self._display.word) if self._display is not None else 0
        word_size = 0.19 if length <= 8 else 0.13 if length <= 14 else 0.105
        if self._fitted == (w, h, word_size) and self.word.font() == self._word_font:
            # Re-setting fonts re-lays out every label: skipped on each verdict, unless a
            # style sheet set since (the window's, the labels' colours) put them back.
            return
        self._fitted = (w, h, word_size)
        unit = min(h, int(w * 0.62))
        margin = max(12, unit // 14)
        self._row.setContentsMargins(margin, margin, margin, margin + 12)
        self._row.setSpacing(margin)
        self._side.setSpacing(margin // 2)
        self._word_font = theme.font(int(unit * word_size), bold=True)
        self.word.setFont(self._word_font)
        self.title.setFont(theme.font(int(unit * 0.085), bold=True))
        self.detail.setFont(theme.font(max(13, int(unit * 0.048))))
        self.reason.setFont(theme.font(max(14, int(unit * 0.054)), bold=True))
        self.source.setFont(theme.font(max(12, int(unit * 0.035))))
        inset_w = max(128, min(320, (w - 3 * margin) * 4 // 11, int(unit * 0.6)))
        self.inset.setFixedSize(inset_w, inset_w * 9 // 16)

    def paintEvent(self, _event: QPaintEvent) -> None:
        """The tone's background and the countdown bar."""
        p = QPainter(self)
        tone = self._display.tone if self._display else Tone.CHECK
        style = theme.TONES[tone]
        p.fillRect(self.rect(), QColor(style.background))
        if self._remaining > 0:
            bar = QRectF(0, self.height() - 10, self.width() * self._remaining, 10)
            fg = QColor(style.foreground)
            fg.setAlpha(150)
            p.fillRect(bar, fg)
        p.end()
        self.painted.emit()
