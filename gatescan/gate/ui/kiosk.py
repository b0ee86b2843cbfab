"""Kiosk mode: one instance per data directory, full screen, frameless, no cursor."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QLockFile, QRect, Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QLayout, QWidget

log = logging.getLogger(__name__)

LOCK_NAME = "gatescan-ui.lock"


class AlreadyRunning(RuntimeError):
    """Another GateScan window already runs on this data directory."""


def single_instance(data_dir: Path) -> QLockFile:
    """Hold the data directory's lock for the app's lifetime; raises `AlreadyRunning`.

    A lock left by a crashed instance is stale (its process is gone) and is taken over.
    """
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = QLockFile(str(data_dir / LOCK_NAME))
    lock.setStaleLockTime(0)  # only a dead owner makes a lock stale, never its age
    if not lock.tryLock(200):
        pid, host, _app = lock.getLockInfo()
        owner = f" (process {pid} on {host})" if pid else ""
        raise AlreadyRunning(f"GateScan is already running on {data_dir}{owner}")
    return lock


def enter_kiosk(window: QWidget) -> None:
    """Full screen, no decorations, no cursor, under any session.

    `showFullScreen` only asks the window manager; X with no window manager (a bare
    `xinit`, a kiosk Xorg) has nobody to ask, so the window also takes the screen's
    geometry itself, and follows it when the screen changes (a display plugged in late).
    Wayland compositors ignore the geometry and honour the full-screen request.

    The screen's size also wins over the screens' minimum sizes: a compositor that
    configures a full-screen window smaller than that minimum (weston at the Pi
    display's 800x480) closes the connection of a client that draws it bigger.
    """
    window.setWindowFlags(window.windowFlags() | Qt.WindowType.FramelessWindowHint)
    layout = window.layout()
    if layout is not None:
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        window.setMinimumSize(0, 0)
    QApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))
    screen = window.screen() or QApplication.primaryScreen()
    if screen is not None:
        window.setGeometry(screen.geometry())
    window.showFullScreen()
    if screen is None:
        return
    window.setGeometry(screen.geometry())

    def fill(rect: QRect) -> None:
        if window.isFullScreen():
            window.setGeometry(rect)

    screen.geometryChanged.connect(fill)


def leave_kiosk() -> None:
    """Give the cursor back (the window is closing)."""
    while QApplication.overrideCursor() is not None:
        QApplication.restoreOverrideCursor()
