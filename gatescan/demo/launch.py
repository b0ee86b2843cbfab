"""The demo's first seconds: a window at once (with the manager PIN on it) while the demo
event and its video are made in the background, then the gate; and the demo's dead-phone
scene, typed into the real manual lookup at its moment in the video."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gatescan.demo import video as demo_video
from gatescan.gate.ui import theme
from gatescan.gate.ui.app import GateApp
from gatescan.gate.ui.gate_screen import GateScreen

log = logging.getLogger(__name__)
translate = QCoreApplication.translate


class DemoSplash(QWidget):
    """What the demo shows while it prepares: what is happening, and the PIN it uses."""

    def __init__(self, pin: str) -> None:
        super().__init__()
        self.setObjectName("demo_splash")
        self.setWindowTitle(self.tr("GateScan demo: manager PIN {pin}").format(pin=pin))
        self.setStyleSheet(f"background: {theme.BACKGROUND}; color: {theme.TEXT};")
        title = QLabel(self.tr("GateScan demo"), self)
        title.setFont(theme.font(40, bold=True))
        self.status = QLabel(self.tr("Preparing a demo event, its tickets and a video of "
                                     "phones held up to the gate…"), self)
        self.status.setObjectName("demo_status")
        self.status.setFont(theme.font(22))
        self.status.setWordWrap(True)
        self.pin = QLabel(self.tr("Manager PIN: {pin}").format(pin=pin), self)
        self.pin.setObjectName("demo_pin")
        self.pin.setFont(theme.font(28, bold=True))
        self.pin.setStyleSheet(f"color: {theme.WARN};")
        col = QVBoxLayout(self)
        col.setContentsMargins(48, 48, 48, 48)
        col.setSpacing(24)
        col.addStretch(1)
        for label in (title, self.status, self.pin):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            col.addWidget(label)
        col.addStretch(1)


class DeadPhoneScenes(QObject):
    """Types the demo video's dead-phone ticket numbers into the manual lookup, each when
    its scene plays (the video's timeline starts at the sidecar's `start_at`)."""

    def __init__(self, gate: GateScreen, video: Path,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(gate)
        self.gate = gate
        self.timers: list[QTimer] = []
        info = demo_video.read_sidecar(video) or {}
        start_at = float(info.get("start_at", clock()))
        for scene in info.get("scenes", []):
            number = scene.get("typed")
            if not number:
                continue
            at = start_at + float(scene["start"])
            self._at(at - clock(), self.gate.open_lookup)
            self._at(at - clock() + 1.2, partial(self._type, str(number)))

    def _at(self, delay_s: float, action: Callable[[], None]) -> None:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.timeout.connect(action)
        timer.start(max(0, int(delay_s * 1000)))
        self.timers.append(timer)

    def _type(self, number: str) -> None:
        if not self.gate.lookup.isVisible():
            self.gate.open_lookup()
        self.gate.lookup.field.setText(number)
        self.gate.lookup.field.returnPressed.emit()
        log.info("demo: typed a ticket number into the manual lookup")


def demo_extras(gate: GateApp, video: Path | None, pin: str | None) -> None:
    """The demo's PIN on screen, and its dead-phone scenes typed in on cue."""
    if pin:
        window = gate.window
        window.setWindowTitle(translate("MainWindow", "GateScan demo: manager PIN {pin}")
                              .format(pin=pin))
        window.gate.badge.setText(translate("MainWindow", "DEMO · manager PIN {pin}")
                                  .format(pin=pin))
    if video is not None:
        DeadPhoneScenes(gate.window.gate, video)
