"""Manual lookup: type the ticket number of a visitor whose phone is dead; the gate checks it
and records the admission as manual."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ManualLookupPanel(QFrame):
    """A ticket-number field; emits `lookup_requested(text)` or `cancelled()`."""

    lookup_requested = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("manual_lookup")
        self.setProperty("role", "card")
        heading = QLabel(self.tr("Manual lookup"), self)
        heading.setProperty("role", "heading")
        hint = QLabel(self.tr("Phone dead? Check photo ID first, then type the ticket number "
                              "from the e-mail or the app (16 characters, dashes optional). "
                              "A valid ticket is admitted and recorded."), self)
        hint.setProperty("role", "dim")
        hint.setWordWrap(True)
        self.field = QLineEdit(self)
        self.field.setObjectName("lookup_field")
        self.field.setPlaceholderText("0123-4567-89ab-cdef")
        self.field.setMaxLength(40)
        self.field.returnPressed.connect(self._submit)
        go = QPushButton(self.tr("Check and admit"), self)
        go.setObjectName("lookup_go")
        go.setProperty("primary", True)
        go.clicked.connect(self._submit)
        cancel = QPushButton(self.tr("Cancel"), self)
        cancel.clicked.connect(self.close_panel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addWidget(self.field)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(go)
        layout.addLayout(row)
        self.hide()

    def open_panel(self) -> None:
        """Show the panel with an empty, focused field."""
        self.field.clear()
        self.show()
        self.raise_()
        self.field.setFocus()

    def close_panel(self) -> None:
        """Hide the panel."""
        self.field.clearFocus()
        self.hide()
        self.cancelled.emit()

    def _submit(self) -> None:
        text = self.field.text().strip()
        if text:
            self.field.clearFocus()
            self.hide()
            self.lookup_requested.emit(text)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape closes the panel."""
        if event.key() == Qt.Key.Key_Escape:
            self.close_panel()
            return
        super().keyPressEvent(event)
