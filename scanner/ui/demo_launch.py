"""The demo's first seconds: a window at once (with the manager PIN on it) while the demo
event and its video are made in the background, then the gate; and the demo's dead-phone
scene, typed into the real manual lookup at its moment in the video."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from scanner.ui import demo_video, theme
from scanner.ui.gate_screen import GateScreen

log = logging.getLogger(__name__)
T = TypeVar("T")


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


class _Done(QObject):
    finished = Signal()


def in_background(work: Callable[[], T]) -> T:
    """Run `work` on a thread while the event loop keeps the windows painted; its result
    (or its exception, re-raised here)."""
    result: dict[str, Any] = {}
    done = _Done()
    loop = QEventLoop()
    done.finished.connect(loop.quit, Qt.ConnectionType.QueuedConnection)

    def run() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # handed to the caller, re-raised there
            result["error"] = exc
        done.finished.emit()

    thread = threading.Thread(target=run, name="gatescan-demo-prepare", daemon=True)
    thread.start()
    if thread.is_alive() or not result:
        loop.exec()
    thread.join()
    if "error" in result:
        raise result["error"]
    value: T = result["value"]
    return value


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
