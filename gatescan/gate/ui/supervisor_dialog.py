"""The reason a supervisor gives for "admit anyway" or "undo last admission" (mandatory)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gatescan.gate.ui import theme

MAX_REASON = 300  # what the ledger and the server keep of a reason


class ReasonDialog(QDialog):
    """Names the scan the action is about and asks why; OK only with a reason typed or picked."""

    def __init__(self, title: str, about: str, action: str, presets: list[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("supervisor_dialog")
        self.setWindowTitle(title)
        self.setModal(True)
        heading = QLabel(title, self)
        heading.setProperty("role", "heading")
        heading.setWordWrap(True)
        scan = QLabel(about, self)
        scan.setObjectName("supervisor_about")
        scan.setWordWrap(True)
        scan.setFont(theme.font(18, bold=True))
        ask = QLabel(self.tr("Reason (required, recorded with the scan):"), self)
        ask.setProperty("role", "dim")
        self.field = QLineEdit(self)
        self.field.setObjectName("supervisor_reason")
        self.field.setMaxLength(MAX_REASON)
        self.field.setMinimumHeight(52)
        self.field.textChanged.connect(self._changed)
        self.field.returnPressed.connect(self._submit)
        picks = QHBoxLayout()
        for text in presets:
            button = QPushButton(text, self)
            button.setMinimumHeight(56)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, t=text: self.field.setText(t))
            picks.addWidget(button)
        self.ok = QPushButton(action, self)
        self.ok.setObjectName("supervisor_ok")
        self.ok.setProperty("primary", True)
        self.ok.setMinimumHeight(56)
        self.ok.setEnabled(False)
        self.ok.clicked.connect(self._submit)
        cancel = QPushButton(self.tr("Cancel"), self)
        cancel.setObjectName("supervisor_cancel")
        cancel.setMinimumHeight(56)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addWidget(scan)
        layout.addWidget(ask)
        layout.addWidget(self.field)
        layout.addLayout(picks)
        layout.addLayout(buttons)
        self.setMinimumWidth(min(640, parent.width() - 40) if parent is not None else 560)

    def reason(self) -> str:
        """The reason as typed, with runs of spaces folded."""
        return " ".join(self.field.text().split())

    def _changed(self) -> None:
        self.ok.setEnabled(bool(self.reason()))

    def _submit(self) -> None:
        if self.reason():
            self.accept()
