"""Fixtures for the gate app tests: real widgets offscreen, real ledgers, thread hygiene."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QThread
from pytestqt.qtbot import QtBot

from gatescan.gate.camera.file_source import MemorySource
from gatescan.gate.camera.frames import FrameSource
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.status import SyncService
from gatescan.gate.ui.app import AppDeps, GateApp
from gatescan.gate.ui.display import Tone
from gatescan.gate.ui.options import UiOptions
from gatescan.gate.ui.ui_settings import UiSettings
from tests.factories import T0, Issuer

PIN = "2468"
GATE = "Gate 1"
TICKETS = [(0x1001, 1, 0, None), (0x1002, 1, 0, None), (0x2001, 2, 0, "Row A seat 7"),
           (0x3001, 3, 0, None), (0x4001, 1, 0, None)]


@pytest.fixture(autouse=True)
def no_dangling_qthreads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test that leaves a QThread (or a camera pipeline thread) running."""
    started: list[QThread] = []
    original = QThread.start

    def tracking_start(self: QThread, *args: Any) -> None:
        started.append(self)
        original(self, *args)

    monkeypatch.setattr(QThread, "start", tracking_start)
    yield
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        running = [t.objectName() or repr(t) for t in started if t.isRunning()]
        pipeline = [t.name for t in threading.enumerate() if t.name.startswith("gatescan-")]
        if not running and not pipeline:
            return
        time.sleep(0.05)
    pytest.fail(f"threads left running: QThreads {running}, pipeline threads {pipeline}")


class FakeClock:
    """A settable clock around the factories' T0 (the tickets are valid then)."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SoundLog:
    """Stands in for the speaker: records which tones were played."""

    backend = "test"

    def __init__(self) -> None:
        self.played: list[Tone] = []

    def play(self, tone: Tone) -> None:
        self.played.append(tone)


def blank_source(_spec: str) -> FrameSource:
    """A camera that shows an empty grey scene, forever, at 10 fps."""
    return MemorySource([np.full((120, 160, 3), 90, np.uint8)], fps=10.0, loop=True)


@pytest.fixture
def issuer() -> Issuer:
    """The test event's issuer (real Ed25519 keys)."""
    return Issuer()


@pytest.fixture
def clock() -> FakeClock:
    """The gate's clock, at T0."""
    return FakeClock()


@pytest.fixture
def data_dir(tmp_path: Path, issuer: Issuer) -> Path:
    """A gate data directory: the manifest preloaded and set-up done (gate, PIN)."""
    from gatescan.gate.ledger.ledger import Ledger

    data = tmp_path / "gate"
    data.mkdir()
    manifest = issuer.write_manifest(tmp_path / "event.manifest", TICKETS,
                                     revocations=[(0x4001, None, "refund")])
    with Ledger(data / "ledger.db") as ledger:
        ledger.import_manifest(manifest)
    ui = UiSettings.load(data)
    ui.gate, ui.language = GATE, "en"
    ui.set_pin(PIN)
    ui.save()
    return data


AppMaker = Callable[..., GateApp]


@pytest.fixture
def make_app(qtbot: QtBot, clock: FakeClock) -> Iterator[AppMaker]:
    """Build, start and (at teardown) stop a real `GateApp`."""
    apps: list[GateApp] = []

    def make(data: Path, *, source: Callable[[str], FrameSource] = blank_source,
             sync: SyncService | None = None, kiosk: bool = False,
             ledger_factory: Any = None, language: str | None = "en",
             wait_ready: bool = True, enroller: Any = None,
             clock_fn: Callable[[], float] | None = None,
             direct_scans: bool = True) -> GateApp:
        options = UiOptions(kiosk=kiosk, sound=False, language=language, camera="test",
                            preview_fps=10.0, width=1280, height=800)
        deps = AppDeps(ScannerSettings.build(data), options, source_factory=source,
                       sync_service=sync, clock=clock_fn or clock,
                       ledger_factory=ledger_factory, enroller=enroller,
                       sound=SoundLog(), direct_scans=direct_scans)  # type: ignore[arg-type]
        app = GateApp(deps)
        apps.append(app)
        qtbot.addWidget(app.window)
        if wait_ready:
            with qtbot.waitSignal(app.ready_to_scan, timeout=10_000):
                app.start()
        else:
            app.start()
        return app

    yield make
    for app in apps:
        assert app.stop(), "a worker thread did not stop"
        app.window.allow_close()
    apps.clear()
    free_here()


def free_here() -> None:
    """Destroy the finished test's windows and apps now, on the UI thread.

    pytest-qt only deleteLater's the windows, and an app and its window hold each other: left
    alone, they would be destroyed by the garbage collector on whichever thread next collects,
    often a worker of the next test, whose ~QObject then waits for the GIL under a Qt lock
    while the UI thread holds the GIL in setStyleSheet and waits for that lock (it deadlocked
    tests/gate/ui on Python 3.13).
    """
    QCoreApplication.sendPostedEvents()  # the stopped workers' last signals, to live windows
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
