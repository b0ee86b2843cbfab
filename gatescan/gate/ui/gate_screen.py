"""The gate screen: status strip, a warning banner, camera preview with a 'ready' prompt,
and the verdict panel."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedLayout,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gatescan.gate.camera.health import CameraHealth
from gatescan.gate.ui import theme
from gatescan.gate.ui.display import Tone, VerdictDisplay
from gatescan.gate.ui.manual_lookup import ManualLookupPanel
from gatescan.gate.ui.preview import CameraPreview
from gatescan.gate.ui.status_strip import StatusStrip
from gatescan.gate.ui.verdict_view import VerdictView

HOLD_MS = {Tone.ADMIT: 2500, Tone.REFUSE: 5000, Tone.CHECK: 8000, Tone.ERROR: 10000,
           Tone.REPEAT: 3000}


class GateScreen(QWidget):
    """What gate staff look at; verdicts come in through `show_display`."""

    manual_requested = Signal(str)  # a ticket number typed in for a visitor with a dead phone
    manager_requested = Signal()
    ready_shown = Signal()

    def __init__(self, parent: QWidget | None = None, *,
                 hold_ms: dict[Tone, int] | None = None, quick: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("gate_screen")
        self._hold_ms = dict(HOLD_MS if hold_ms is None else hold_ms)
        self.camera_down = False  # READY is replaced by CAMERA NOT WORKING while True
        self._fitted_height = 0
        self._frame: QImage | None = None  # the newest camera frame
        self.strip = StatusStrip(self)
        self.warning = QLabel(self)
        self.warning.setObjectName("warning_banner")
        self.warning.setFont(theme.font(22, bold=True))
        self.warning.setWordWrap(True)
        self.warning.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.warning.setStyleSheet(f"background: {theme.WARN}; color: #111111; padding: 10px;")
        self.warning.hide()
        self.preview = CameraPreview(self)
        self.verdict = VerdictView(self)
        self.set_quick(quick)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._ready_page())
        self.pages.addWidget(self.verdict)
        # Both pages stay shown, the current one on top: a verdict then costs a raise, not
        # hiding the ready page and showing the verdict (show events and a layout pass
        # through both, most of the UI thread's time per verdict before).
        layout_ = self.pages.layout()
        assert isinstance(layout_, QStackedLayout)
        layout_.setStackingMode(QStackedLayout.StackingMode.StackAll)
        self.lookup = ManualLookupPanel(self)
        self.lookup.lookup_requested.connect(self.manual_requested)
        self.lookup.setFixedWidth(560)
        self.lookup.setProperty("overlay", True)  # opened over the screen on purpose
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.strip)
        layout.addWidget(self.warning)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self._bottom_bar())
        self._return = QTimer(self)
        self._return.setSingleShot(True)
        self._return.timeout.connect(self.show_ready)
        self._countdown = QTimer(self)
        self._countdown.setInterval(100)
        self._countdown.timeout.connect(self._tick)
        self._shown = QElapsedTimer()
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self.strip.tick)
        self._clock.start()
        QShortcut(QKeySequence(Qt.Key.Key_F2), self, self.open_lookup)
        QShortcut(QKeySequence(Qt.Key.Key_F10), self, self.manager_requested.emit)

    # -- building -------------------------------------------------------------------
    def _ready_page(self) -> QWidget:
        page = QWidget(self)
        side = QFrame(page)
        side.setObjectName("ready_panel")
        side.setProperty("role", "card")
        self.ready_word = QLabel(self.tr("READY"), side)
        self.ready_word.setObjectName("ready_word")
        self.ready_word.setFont(theme.font(84, bold=True))
        self.ready_word.setStyleSheet(f"color: {theme.OK};")
        self.ready_hint = QLabel(self.tr("Hold the ticket code up to the camera"), side)
        self.ready_hint.setFont(theme.font(30))
        self.ready_hint.setWordWrap(True)
        self.event_label = QLabel(side)
        self.event_label.setObjectName("event_name")
        self.event_label.setFont(theme.font(22))
        self.event_label.setStyleSheet(f"color: {theme.TEXT_DIM};")
        self.event_label.setWordWrap(True)
        self.last_label = QLabel(side)
        self.last_label.setObjectName("last_scan")
        self.last_label.setFont(theme.font(20))
        self.last_label.setStyleSheet(f"color: {theme.TEXT_DIM};")
        self.last_label.setWordWrap(True)
        col = self._ready_col = QVBoxLayout(side)
        col.setContentsMargins(32, 32, 32, 32)
        col.setSpacing(18)
        col.addStretch(1)
        for w in (self.ready_word, self.ready_hint, self.event_label):
            col.addWidget(w)
        col.addStretch(2)
        col.addWidget(self.last_label)
        row = self._ready_row = QHBoxLayout(page)
        row.setContentsMargins(20, 20, 20, 20)
        row.setSpacing(20)
        row.addWidget(self.preview, 62)
        row.addWidget(side, 38)
        return page

    def _bottom_bar(self) -> QWidget:
        bar = QFrame(self)
        bar.setObjectName("bottom_bar")
        bar.setStyleSheet(f"QFrame#bottom_bar {{ background: {theme.SURFACE}; }}"
                          " QLabel { background: transparent; }")
        self.lookup_button = QPushButton(self.tr("Manual lookup (F2)"), bar)
        self.lookup_button.setObjectName("lookup_button")
        self.lookup_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.lookup_button.clicked.connect(self.open_lookup)
        self.manager_button = QPushButton(self.tr("Manager (F10)"), bar)
        self.manager_button.setObjectName("manager_button")
        self.manager_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.manager_button.clicked.connect(self.manager_requested.emit)
        self.message = QLabel(bar)
        self.message.setObjectName("message")
        self.message.setFont(theme.font(18))
        self.message.setWordWrap(True)
        self.badge = QLabel(bar)
        self.badge.setObjectName("badge")
        self.badge.setFont(theme.font(16, bold=True))
        self.badge.setStyleSheet(f"color: {theme.WARN};")
        row = QHBoxLayout(bar)
        row.setContentsMargins(16, 8, 16, 8)
        row.addWidget(self.lookup_button)
        row.addWidget(self.message, 1)
        row.addWidget(self.badge)
        row.addWidget(self.manager_button)
        return bar

    def set_quick(self, quick: bool) -> None:
        """The verdict's way to the screen since issue 15 (True), or the one before it:
        the aiming frame is stroked on each paint (bench/ui.py measures both)."""
        self.preview.set_cache_guides(quick)

    # -- verdicts -------------------------------------------------------------------------
    def show_display(self, display: VerdictDisplay) -> None:
        """Fill the screen with a verdict; it returns to ready after the tone's hold time."""
        self.verdict.show_display(display)
        if display.source != "manual" and self._frame is not None:
            # The inset starts from the picture the code was read in, not from the last
            # verdict's (someone else): the same paint, a fresher frame.
            self.verdict.inset.show_frame(self._frame)
        self.pages.setCurrentWidget(self.verdict)
        hold = self._hold_ms.get(display.tone, 5000)
        self._return.start(hold)
        self._shown.start()
        self._countdown.start()
        self.verdict.set_remaining(1.0)
        word = f"{display.word} · {display.title}" if display.title else display.word
        self.last_label.setText(self.tr("Last: {verdict} at {time}").format(
            verdict=word, time=self.strip.now_text()))

    def show_ready(self) -> None:
        """Back to the camera preview and the ready prompt."""
        self._return.stop()
        self._countdown.stop()
        self.pages.setCurrentIndex(0)
        self.ready_shown.emit()

    def is_ready(self) -> bool:
        """True while the ready page (not a verdict) is shown."""
        return self.pages.currentIndex() == 0

    def _tick(self) -> None:
        hold = max(1, self._return.interval())
        self.verdict.set_remaining(1.0 - self._shown.elapsed() / hold)

    # -- feeds ------------------------------------------------------------------------------
    def show_frame(self, image: QImage) -> None:
        """A new camera frame: to the big preview, or the inset while a verdict shows."""
        self._frame = image
        if self.is_ready():
            self.preview.show_frame(image)
        else:
            self.verdict.inset.show_frame(image)

    def set_event(self, name: str | None) -> None:
        """The loaded event's name under the ready prompt."""
        self.event_label.setText(name or self.tr("No event loaded"))

    def show_message(self, text: str, level: str = "info") -> None:
        """A one-line operator message in the bottom bar ('' clears it)."""
        colors = {"info": theme.TEXT, "warn": theme.WARN, "error": theme.BAD}
        self.message.setStyleSheet(f"color: {colors.get(level, theme.TEXT)};")
        self.message.setText(text)

    def set_warning(self, text: str) -> None:
        """A condition staff must know about while it lasts (clock not set...); '' hides it."""
        self.warning.setText(text)
        self.warning.setVisible(bool(text))

    # -- camera health ------------------------------------------------------------------------
    def set_camera_health(self, health: str) -> bool:
        """READY, or CAMERA NOT WORKING while the camera is out; True if an outage just began.

        Only the ready page changes: a verdict on screen stays until it times out,
        and then the camera's state is what shows.
        """
        down = CameraHealth(health).is_outage
        began = down and not self.camera_down
        self.camera_down = down
        if down:
            self.ready_word.setText(self.tr("CAMERA NOT WORKING"))
            self.ready_word.setStyleSheet(f"color: {theme.BAD};")
            self.ready_hint.setText(self.tr("Use manual lookup (F2) or the handheld scanner"))
        else:
            self.ready_word.setText(self.tr("READY"))
            self.ready_word.setStyleSheet(f"color: {theme.OK};")
            self.ready_hint.setText(self.tr("Hold the ticket code up to the camera"))
        self.ready_word.setWordWrap(down)
        self._size_ready_word()
        return began

    def _size_ready_word(self) -> None:
        """READY big; the longer CAMERA NOT WORKING smaller, wrapped, to fit the same panel."""
        size = 44 if self.camera_down else 84
        self.ready_word.setFont(theme.font(theme.scaled(size, self._fitted_height or 800),
                                           bold=True))

    def open_lookup(self) -> None:
        """Show the manual lookup panel."""
        self.lookup.open_panel()
        self._place_lookup()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Scale the text with the window's height; keep the lookup panel centred."""
        super().resizeEvent(event)
        self._fit(self.height())
        self._place_lookup()

    def _fit(self, height: int) -> None:
        if height == self._fitted_height:
            return
        self._fitted_height = height
        px = theme.scaled
        self.strip.set_text_size(px(16, height, least=13))
        self.warning.setFont(theme.font(px(22, height, least=15), bold=True))
        self._size_ready_word()
        self.ready_hint.setFont(theme.font(px(30, height, least=17)))
        self.event_label.setFont(theme.font(px(22, height, least=14)))
        self.last_label.setFont(theme.font(px(20, height, least=13)))
        self.message.setFont(theme.font(px(18, height, least=13)))
        self.badge.setFont(theme.font(px(16, height, least=13), bold=True))
        gap = px(20, height, least=10)
        self._ready_row.setContentsMargins(gap, gap, gap, gap)
        self._ready_row.setSpacing(gap)
        pad = px(32, height, least=14)
        self._ready_col.setContentsMargins(pad, pad, pad, pad)
        self._ready_col.setSpacing(px(18, height, least=8))
        self.lookup.setFixedWidth(min(px(560, height, least=400), self.width() - 2 * gap))
        self.lookup.setMaximumHeight(self.height() - gap)  # its buttons always on screen

    def _place_lookup(self) -> None:
        self.lookup.fit_in_parent()
