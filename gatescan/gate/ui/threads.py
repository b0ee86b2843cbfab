"""Running a QObject worker on its own QThread, and stopping it the one right way.

A worker lives on its thread and talks to the UI only through signals. It is
stopped with `requestInterruption()` + `quit()` + `wait()`, never `terminate()`;
its `shutdown` slot (if any) runs on the worker's own thread as the thread ends,
so resources with thread affinity (an SQLite connection) are closed where they
were opened.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, Signal

log = logging.getLogger(__name__)
T = TypeVar("T")


class Worker(Protocol):
    """What `WorkerThread` needs from a worker: `start` and `shutdown` run on the worker thread."""

    def start(self) -> None:
        """Set up (open files, start timers) on the worker thread."""
        ...

    def shutdown(self) -> None:
        """Release resources on the worker thread, just before it ends."""
        ...


class WorkerThread:
    """Owns one QThread running one worker QObject."""

    def __init__(self, worker: QObject, name: str) -> None:
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        start = getattr(worker, "start", None)
        shutdown = getattr(worker, "shutdown", None)
        if start is not None:
            self.thread.started.connect(start)
        if shutdown is not None:
            # `finished` is emitted on the ending thread: a direct call runs there.
            self.thread.finished.connect(shutdown, Qt.ConnectionType.DirectConnection)
        # Then the worker's C++ object ends there too, as the thread ends (Qt deletes what
        # was deleteLater'ed at `finished`). Left to Python's garbage collector it would be
        # destroyed on whichever thread next collects: a worker of another app, whose
        # ~QObject then waits for the GIL under a Qt lock that the UI thread, holding the
        # GIL in setStyleSheet, waits for (the Python 3.13 deadlock of tests/gate/ui).
        self.thread.finished.connect(worker.deleteLater, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        """Start the thread (the worker's `start` slot then runs on it)."""
        self.thread.start()

    def stop(self, timeout_ms: int = 10_000) -> bool:
        """Ask the thread to end and wait for it; False (and an error log) if it did not."""
        if not self.thread.isRunning():
            return True
        self.thread.requestInterruption()
        self.thread.quit()
        if self.thread.wait(timeout_ms):
            return True
        log.error("worker thread %s did not stop within %d ms", self.thread.objectName(),
                  timeout_ms)
        return False


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

    thread = threading.Thread(target=run, name="gatescan-prepare", daemon=True)
    thread.start()
    if thread.is_alive() or not result:
        loop.exec()
    thread.join()
    if "error" in result:
        raise result["error"]
    value: T = result["value"]
    return value
