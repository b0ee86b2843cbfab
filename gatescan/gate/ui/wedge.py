"""Keyboard-wedge input: a USB handheld scanner that "types" the code, with no field focused.

An application-wide event filter collects printable keys while the gate screen
is active and no text field has focus. A scan ends at Enter or Tab, or, for
scanners configured to send no terminator, after a short idle gap. Typing by a
person is slow and short, so bursts below `min_length` are dropped.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

log = logging.getLogger(__name__)

IDLE_COMMIT_MS = 120  # scanners type a character every 2-20 ms
MAX_GAP_S = 0.5  # a longer pause between keys starts a new burst (a person typing)
MIN_LENGTH = 8
MAX_LENGTH = 4096
_TERMINATORS = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab}
_TEXT_INPUTS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox, QComboBox)


class KeyboardWedge(QObject):
    """Turns fast bursts of key presses into `text_scanned(text, perf_counter)`."""

    text_scanned = Signal(str, float)

    def __init__(self, parent: QObject | None = None, *, idle_ms: int = IDLE_COMMIT_MS,
                 min_length: int = MIN_LENGTH) -> None:
        super().__init__(parent)
        self.enabled = True
        self.min_length = min_length
        self._buffer: list[str] = []
        self._last_key = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(idle_ms)
        self._timer.timeout.connect(self.commit)

    def install(self, app: QApplication) -> None:
        """Listen to every key press of the application."""
        app.installEventFilter(self)

    def remove(self, app: QApplication) -> None:
        """Stop listening."""
        app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Take printable keys and terminators while enabled and no text field has focus."""
        if event.type() != QEvent.Type.KeyPress or not self.enabled:
            return False
        if not isinstance(event, QKeyEvent) or not watched.isWidgetType():
            return False
        if isinstance(QApplication.focusWidget(), _TEXT_INPUTS):
            return False
        if event.key() in _TERMINATORS:
            if not self._buffer:
                return False
            self._timer.stop()
            self.commit()
            return True
        text = event.text()
        if len(text) != 1 or not text.isprintable():
            return False
        now = time.monotonic()
        if self._buffer and now - self._last_key > MAX_GAP_S:
            self._buffer.clear()
        self._last_key = now
        if len(self._buffer) < MAX_LENGTH:
            self._buffer.append(text)
        self._timer.start()
        return True

    def commit(self) -> None:
        """End the current burst: emit it if it is long enough to be a scan."""
        text = "".join(self._buffer)
        self._buffer.clear()
        if len(text) >= self.min_length:
            log.debug("keyboard wedge: %d characters", len(text))
            self.text_scanned.emit(text, time.perf_counter())
        elif text:
            log.debug("keyboard wedge: dropped %d typed characters", len(text))
