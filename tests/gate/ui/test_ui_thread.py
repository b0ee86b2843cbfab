"""Qt objects end on the right thread, and the window restyles outside its resize event.

Python 3.13 deadlocked tests/gate/ui: the garbage collector, run on a worker thread, destroyed
a previous test's app there; its ~QObject waited for the GIL under a Qt lock that the UI
thread, holding the GIL in setStyleSheet, was waiting for.
"""

from __future__ import annotations

import threading
from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gatescan.gate.ui import theme
from gatescan.gate.ui.threads import WorkerThread
from tests.gate.ui.conftest import AppMaker


class _Worker(QObject):
    """A worker that only says which thread it ends on."""

    def __init__(self) -> None:
        super().__init__()
        self.ended_on: list[str] = []
        self.destroyed.connect(lambda: self.ended_on.append(threading.current_thread().name),
                               Qt.ConnectionType.DirectConnection)


def test_a_stopped_worker_is_destroyed_on_its_own_thread(qtbot: QtBot) -> None:
    worker = _Worker()
    ended_on = worker.ended_on
    thread = WorkerThread(worker, "gatescan-test-worker")
    thread.start()
    assert thread.stop()
    assert not shiboken6.isValid(worker)  # not left to the garbage collector
    assert ended_on and ended_on != [threading.main_thread().name]


class _StyleChanges(QObject):
    """Counts the window's StyleChange events (each setStyleSheet sends one)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.StyleChange:
            self.count += 1
        return False


def test_the_window_restyles_once_per_size_class_after_the_resize(
        qtbot: QtBot, make_app: AppMaker, data_dir: Path) -> None:
    window = make_app(data_dir).window
    QApplication.processEvents()
    assert window.styleSheet() == theme.sized_style(800)
    changes = _StyleChanges()
    window.installEventFilter(changes)
    for height in (803, 806, 809):  # one size class: no restyle at all
        window.resize(1280, height)
        QApplication.processEvents()
    assert changes.count == 0
    window.resize(800, 480)  # another class: restyled, but not inside the resize
    assert window.size().height() == 480 and changes.count == 0
    qtbot.waitUntil(lambda: changes.count == 1, timeout=2000)
    assert window.styleSheet() == theme.sized_style(480)
    window.removeEventFilter(changes)
