"""First-run set-up: load the event (manifest file or enrollment), gate, camera, PIN, language."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from gatescan.gate.sync.handshake import HandshakeError, parse_handshake
from gatescan.gate.ui import theme
from gatescan.gate.ui.enrollment import problem_text
from gatescan.gate.ui.kinds import Direction
from gatescan.gate.ui.ledger_worker import LedgerInfo
from gatescan.gate.ui.paths import usb_dir
from gatescan.gate.ui.preview import CameraPreview
from gatescan.gate.ui.scrolling import scrolled
from gatescan.gate.ui.ui_settings import MIN_PIN_LENGTH

LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}


@dataclass(frozen=True, slots=True)
class SetupChoice:
    """What the operator chose on the set-up screen."""

    gate: str
    direction: Direction
    camera: str
    language: str
    pin: str | None  # None: keep the PIN already set


class SetupScreen(QWidget):
    """Collects the gate's configuration; emits `finished(SetupChoice)`."""

    manifest_chosen = Signal(str)
    enroll_requested = Signal(str)
    camera_chosen = Signal(str)
    finished = Signal(object)  # SetupChoice

    def __init__(self, cameras: list[tuple[str, str]], *, pin_set: bool, language: str,
                 enroll_available: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setup_screen")
        self._info = LedgerInfo()
        self._pin_set = pin_set
        self._enroll_available = enroll_available
        heading = QLabel(self.tr("Set up this gate"), self)
        heading.setProperty("role", "heading")
        heading.setFont(theme.font(30, bold=True))
        left = QVBoxLayout()
        left.setSpacing(12)
        left.addWidget(self._event_card(enroll_available))
        left.addWidget(self._gate_card())
        left.addWidget(self._pin_card(language))
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self._camera_card(cameras), 1)
        columns = QHBoxLayout()
        columns.setSpacing(16)
        columns.addLayout(left, 5)
        columns.addLayout(right, 4)
        self.error = QLabel(self)
        self.error.setObjectName("setup_error")
        self.error.setStyleSheet(f"color: {theme.BAD}; font-size: 18px;")
        self.error.setWordWrap(True)
        self.start_button = QPushButton(self.tr("Start scanning"), self)
        self.start_button.setObjectName("start_button")
        self.start_button.setProperty("primary", True)
        self.start_button.setMinimumHeight(56)
        self.start_button.clicked.connect(self._finish)
        bottom = QHBoxLayout()
        bottom.addWidget(self.error, 1)
        bottom.addWidget(self.start_button)
        body = QWidget(self)
        body.setLayout(columns)
        columns.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 12, 24, 12)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(scrolled(body, self), 1)  # the cards scroll on a small display
        layout.addLayout(bottom)
        self.set_info(self._info)

    # -- cards ---------------------------------------------------------------------------
    def _card(self, title: str) -> tuple[QFrame, QVBoxLayout]:
        card = QFrame(self)
        card.setProperty("role", "card")
        col = QVBoxLayout(card)
        col.setContentsMargins(18, 14, 18, 14)
        label = QLabel(title, card)
        label.setFont(theme.font(20, bold=True))
        col.addWidget(label)
        return card, col

    def _event_card(self, enroll_available: bool) -> QFrame:
        card, col = self._card(self.tr("1. Event"))
        self.event_status = QLabel(card)
        self.event_status.setObjectName("setup_event")
        self.event_status.setWordWrap(True)
        self.import_button = QPushButton(self.tr("Import manifest file (USB stick)…"), card)
        self.import_button.setObjectName("import_button")
        self.import_button.clicked.connect(self._ask_manifest)
        self.handshake = QLineEdit(card)
        self.handshake.setObjectName("handshake_field")
        self.handshake.setPlaceholderText(
            self.tr("…or paste the enrollment code, or show its QR code to the camera"))
        self.enroll_button = QPushButton(self.tr("Enroll"), card)
        self.enroll_button.setObjectName("enroll_button")
        self.enroll_button.clicked.connect(self._enroll)
        self.enroll_button.setEnabled(enroll_available)
        if not enroll_available:
            self.handshake.setToolTip(self.tr("This build has no sync engine: "
                                              "import a manifest file instead."))
        row = QHBoxLayout()
        row.addWidget(self.handshake, 1)
        row.addWidget(self.enroll_button)
        col.addWidget(self.event_status)
        col.addWidget(self.import_button)
        col.addLayout(row)
        return card

    def _gate_card(self) -> QFrame:
        card, col = self._card(self.tr("2. Gate"))
        self.gate_combo = QComboBox(card)
        self.gate_combo.setObjectName("gate_combo")
        self.entry_radio = QRadioButton(self.tr("Entry"), card)
        self.exit_radio = QRadioButton(self.tr("Exit"), card)
        self.entry_radio.setChecked(True)
        group = QButtonGroup(card)
        group.addButton(self.entry_radio)
        group.addButton(self.exit_radio)
        row = QHBoxLayout()
        row.addWidget(self.gate_combo, 1)
        row.addWidget(self.entry_radio)
        row.addWidget(self.exit_radio)
        col.addLayout(row)
        return card

    def _pin_card(self, language: str) -> QFrame:
        card, col = self._card(self.tr("3. Manager PIN and language"))
        self.pin1 = QLineEdit(card)
        self.pin1.setObjectName("pin1")
        self.pin2 = QLineEdit(card)
        self.pin2.setObjectName("pin2")
        for field in (self.pin1, self.pin2):
            field.setEchoMode(QLineEdit.EchoMode.Password)
            field.setMaxLength(12)
        keep = self.tr("(leave empty to keep the current PIN)") if self._pin_set else ""
        self.pin1.setPlaceholderText(self.tr("New PIN, {n}+ digits {keep}").format(
            n=MIN_PIN_LENGTH, keep=keep).strip())
        self.pin2.setPlaceholderText(self.tr("Repeat the PIN"))
        self.language_combo = QComboBox(card)
        self.language_combo.setObjectName("language_combo")
        for code, name in LANGUAGE_NAMES.items():
            self.language_combo.addItem(name, code)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(language)))
        grid = QGridLayout()
        grid.addWidget(self.pin1, 0, 0)
        grid.addWidget(self.pin2, 0, 1)
        grid.addWidget(QLabel(self.tr("Language"), card), 1, 0)
        grid.addWidget(self.language_combo, 1, 1)
        col.addLayout(grid)
        return card

    def _camera_card(self, cameras: list[tuple[str, str]]) -> QFrame:
        card, col = self._card(self.tr("4. Camera"))
        self.camera_combo = QComboBox(card)
        self.camera_combo.setObjectName("camera_combo")
        for spec, name in cameras:
            self.camera_combo.addItem(name, spec)
        self.camera_combo.currentIndexChanged.connect(self._camera_changed)
        self.preview = CameraPreview(card)
        self.preview.setMinimumHeight(240)
        hint = QLabel(self.tr("Check the picture: a phone held at the gate should fill "
                              "the middle of the frame."), card)
        hint.setProperty("role", "dim")
        hint.setWordWrap(True)
        col.addWidget(self.camera_combo)
        col.addWidget(self.preview, 1)
        col.addWidget(hint)
        return card

    # -- state -----------------------------------------------------------------------------
    def set_info(self, info: LedgerInfo) -> None:
        """Show the loaded event and offer its gates."""
        self._info = info
        if info.event_name is None:
            text = self.tr("No event loaded yet.")
            if info.pinned_keys:  # for a person to compare with the organizer's screen
                text += "\n" + self.tr("Issuer key to expect: {fingerprint}").format(
                    fingerprint=" ".join(info.pinned_keys[0][i:i + 8] for i in range(0, 64, 8)))
            self.event_status.setText(text)
        else:
            self.event_status.setText(self.tr("{event}: {tickets} tickets").format(
                event=info.event_name, tickets=f"{info.tickets:,}"))
        current = self.gate_combo.currentText()
        self.gate_combo.clear()
        for name, zone in info.gates:
            self.gate_combo.addItem(f"{name} ({zone})", name)
        index = self.gate_combo.findData(current)
        if index >= 0:
            self.gate_combo.setCurrentIndex(index)

    def preset(self, gate: str | None, direction: Direction, camera: str | None) -> None:
        """Pre-select the saved gate, direction and camera."""
        if gate is not None and self.gate_combo.findData(gate) >= 0:
            self.gate_combo.setCurrentIndex(self.gate_combo.findData(gate))
        (self.exit_radio if direction is Direction.EXIT else self.entry_radio).setChecked(True)
        if camera is not None:
            if self.camera_combo.findData(camera) < 0:
                self.camera_combo.addItem(camera, camera)
            self.camera_combo.setCurrentIndex(self.camera_combo.findData(camera))

    def set_enrolling(self, busy: bool) -> None:
        """While an enrollment runs the button says so and takes no second code."""
        self.enroll_button.setEnabled(self._enroll_available and not busy)
        self.enroll_button.setText(self.tr("Enrolling…") if busy else self.tr("Enroll"))

    def show_error(self, text: str) -> None:
        """A problem the operator must fix ('' clears it)."""
        self.error.setText(text)

    def code_scanned(self, text: str) -> bool:
        """A code seen by the camera: take it if it is an enrollment handshake."""
        try:
            parse_handshake(text)
        except HandshakeError:
            return False
        self.handshake.setText(text)
        if self.enroll_button.isEnabled():
            self._enroll()
        return True

    # -- actions ---------------------------------------------------------------------------
    def _ask_manifest(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Event manifest"), str(usb_dir()),
            self.tr("Manifests (*.gsm *.manifest);;All files (*)"),
            options=QFileDialog.Option.DontUseNativeDialog)
        if path:
            self.manifest_chosen.emit(path)

    def _enroll(self) -> None:
        text = self.handshake.text().strip()
        try:
            parse_handshake(text)
        except HandshakeError as exc:
            self.show_error(problem_text(exc.problem))
            return
        self.show_error("")
        self.set_enrolling(True)
        self.enroll_requested.emit(text)

    def _camera_changed(self, _index: int) -> None:
        spec = self.camera_combo.currentData()
        if spec is not None:
            self.preview.clear()
            self.camera_chosen.emit(str(spec))

    def _finish(self) -> None:
        if self._info.event_name is None:
            self.show_error(self.tr("Load the event first: import a manifest or enroll."))
            return
        gate = self.gate_combo.currentData()
        if gate is None:
            self.show_error(self.tr("Choose this gate."))
            return
        pin = self.pin1.text()
        if pin or not self._pin_set:
            if len(pin) < MIN_PIN_LENGTH or not pin.isdigit():
                self.show_error(self.tr("The manager PIN needs at least {n} digits.").format(
                    n=MIN_PIN_LENGTH))
                return
            if pin != self.pin2.text():
                self.show_error(self.tr("The two PINs differ."))
                return
        self.show_error("")
        self.finished.emit(SetupChoice(
            gate=str(gate),
            direction=Direction.EXIT if self.exit_radio.isChecked() else Direction.ENTRY,
            camera=str(self.camera_combo.currentData() or "0"),
            language=str(self.language_combo.currentData() or "en"), pin=pin or None))
