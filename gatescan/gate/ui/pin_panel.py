"""The manager PIN prompt: an in-window panel with a keypad (works on a touch screen)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gatescan.gate.ui import theme


class PinPanel(QFrame):
    """Asks for the manager PIN; emits `pin_entered(pin)` or `cancelled()`."""

    pin_entered = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pin_panel")
        self.setProperty("role", "card")
        self.setFixedWidth(420)
        self.setProperty("overlay", True)  # opened over the screen on purpose
        self.prompt = QLabel(self)
        self.prompt.setObjectName("pin_prompt")
        self.prompt.setProperty("role", "heading")
        self.prompt.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("pin_error")
        self.error.setStyleSheet(f"color: {theme.BAD}; font-size: 17px;")
        self.field = QLineEdit(self)
        self.field.setObjectName("pin_field")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setMaxLength(12)
        self.field.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.field.setFont(theme.font(30, bold=True))
        self.field.returnPressed.connect(self._submit)
        keys = QGridLayout()
        keys.setSpacing(8)
        self._keys: list[QPushButton] = []
        for n, label in enumerate(["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "✓"]):
            button = QPushButton(label, self)
            button.setMinimumHeight(64)
            button.setFont(theme.font(26, bold=True))
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, key=label: self._key(key))
            self._keys.append(button)
            keys.addWidget(button, n // 3, n % 3)
        cancel = QPushButton(self.tr("Cancel"), self)
        cancel.setObjectName("pin_cancel")
        cancel.clicked.connect(self._cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(12)
        layout.addWidget(self.prompt)
        layout.addWidget(self.field)
        layout.addWidget(self.error)
        layout.addLayout(keys)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        layout.addLayout(row)
        self.hide()

    def fit(self, width: int, height: int) -> None:
        """Size the panel and its keys for a window of `width` x `height` (keys never
        under 48 px: a gloved finger)."""
        self.setFixedWidth(min(theme.scaled(420, height, least=360), width - 24))
        key = max(48, min(theme.scaled(64, height), (height - 250) // 4))
        for button in self._keys:
            button.setMinimumHeight(key)
            button.setFont(theme.font(theme.scaled(26, height, least=20), bold=True))

    def ask(self, prompt: str) -> None:
        """Show the panel with `prompt`, empty and focused."""
        self.prompt.setText(prompt)
        self.error.clear()
        self.field.clear()
        self.show()
        self.raise_()
        self.field.setFocus()

    def reject(self, message: str) -> None:
        """The PIN was wrong: say so and let them try again."""
        self.error.setText(message)
        self.field.clear()
        self.field.setFocus()

    def _key(self, key: str) -> None:
        if key == "⌫":
            self.field.backspace()
        elif key == "✓":
            self._submit()
        else:
            self.field.insert(key)

    def _submit(self) -> None:
        self.pin_entered.emit(self.field.text())

    def _cancel(self) -> None:
        self.field.clear()
        self.hide()
        self.cancelled.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape cancels."""
        if event.key() == Qt.Key.Key_Escape:
            self._cancel()
            return
        super().keyPressEvent(event)
