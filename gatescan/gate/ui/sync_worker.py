"""The sync engine on its own thread, driven only through the `SyncService` protocol.

Runs `sync_once()` every interval (or the engine's own `next_delay()`, which
backs off while offline), soon after each new scan while online, and on request,
and reports each resulting `SyncStatus`. With no sync service at all (a
manifest from a USB stick) the app simply does not start this worker.
"""

from __future__ import annotations

import contextlib
import logging

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from gatescan.gate.sync.status import SyncService

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 15.0
SOON_MS = 500  # scans arriving together are pushed in one round


class SyncWorker(QObject):
    """Calls the sync service periodically; never lets a failure escape the thread."""

    status_changed = Signal(object)  # SyncStatus
    sync_failed = Signal(str)

    def __init__(self, service: SyncService, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        super().__init__()
        self._service = service
        self._interval_ms = max(100, int(interval_s * 1000))
        self._timer: QTimer | None = None
        self._soon: QTimer | None = None

    @Slot()
    def start(self) -> None:
        """Report the current state at once, then sync every interval (on the sync thread)."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.sync_now)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(SOON_MS)
        self._soon.timeout.connect(self.sync_now)
        try:
            self.status_changed.emit(self._service.status())
        except Exception as exc:  # the engine's bug: logged in full, shown as a failure
            log.exception("sync status failed")
            self.sync_failed.emit(str(exc))
        QTimer.singleShot(0, self.sync_now)

    @Slot()
    def shutdown(self) -> None:
        """Stop the timer (on the sync thread, as it ends)."""
        for timer in (self._timer, self._soon):
            if timer is not None:
                timer.stop()

    @Slot()
    def sync_soon(self) -> None:
        """Sync shortly (a new scan to push); several requests make one round."""
        if self._soon is not None and not self._soon.isActive():
            self._soon.start()

    def _schedule(self) -> None:
        delay = getattr(self._service, "next_delay", None)
        ms = self._interval_ms
        if callable(delay):
            with contextlib.suppress(TypeError, ValueError):
                ms = max(100, int(float(delay()) * 1000))
        if self._timer is not None:
            self._timer.start(ms)

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
            self._schedule()
            return
        self._schedule()
        if status.error:
            log.warning("sync: %s", status.error)
            self.sync_failed.emit(status.error)
        self.status_changed.emit(status)

