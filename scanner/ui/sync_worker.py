"""The sync engine on its own thread, driven only through the `SyncService` protocol.

Runs `sync_once()` every interval and on request, and reports each resulting
`SyncStatus`. With no sync service at all (a manifest from a USB stick) the
app simply does not start this worker.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from scanner.sync.status import SyncService

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 15.0


class SyncWorker(QObject):
    """Calls the sync service periodically; never lets a failure escape the thread."""

    status_changed = Signal(object)  # SyncStatus
    sync_failed = Signal(str)

    def __init__(self, service: SyncService, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        super().__init__()
        self._service = service
        self._interval_ms = max(100, int(interval_s * 1000))
        self._timer: QTimer | None = None

    @Slot()
    def start(self) -> None:
        """Report the current state at once, then sync every interval (on the sync thread)."""
        self._timer = QTimer(self)
        self._timer.setInterval(self._interval_ms)
        self._timer.timeout.connect(self.sync_now)
        self._timer.start()
        try:
            self.status_changed.emit(self._service.status())
        except Exception as exc:  # the engine's bug: logged in full, shown as a failure
            log.exception("sync status failed")
            self.sync_failed.emit(str(exc))
        QTimer.singleShot(0, self.sync_now)

    @Slot()
    def shutdown(self) -> None:
        """Stop the timer (on the sync thread, as it ends)."""
        if self._timer is not None:
            self._timer.stop()

    @Slot()
    def sync_now(self) -> None:
        """Run one sync round now (a manager's "force sync", or the timer)."""
        thread = QThread.currentThread()
        if thread is not None and thread.isInterruptionRequested():
            return
        try:
            status = self._service.sync_once()
        except Exception as exc:  # sync_once promises not to raise: a bug, logged in full
            log.exception("sync round failed")
            self.sync_failed.emit(str(exc))
            return
        if status.error:
            log.warning("sync: %s", status.error)
            self.sync_failed.emit(status.error)
        self.status_changed.emit(status)

