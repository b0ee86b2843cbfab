"""Starting the gate app: the QApplication, the single-instance lock, signals, the event loop."""

from __future__ import annotations

import gc
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from PySide6.QtCore import (
    QCoreApplication,
    QMessageLogContext,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QWidget

from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.handshake import Enroller
from gatescan.gate.sync.status import SyncService
from gatescan.gate.ui.app import AppDeps, GateApp
from gatescan.gate.ui.kiosk import AlreadyRunning, single_instance
from gatescan.gate.ui.options import UiOptions
from gatescan.gate.ui.screen_check import plugin_failed
from gatescan.gate.ui.threads import in_background

log = logging.getLogger(__name__)
translate = QCoreApplication.translate


def _crash_handler(kind: type[BaseException], value: BaseException,
                   tb: TracebackType | None) -> None:
    """A bug: log it in full (journald keeps it); the gate keeps running if it can."""
    log.critical("unexpected error", exc_info=(kind, value, tb))


@dataclass(frozen=True, slots=True)
class Launch:
    """What the gate window runs with, once a demo has been prepared."""

    settings: ScannerSettings
    options: UiOptions
    sync_service: SyncService | None = None
    enroller: Enroller | None = None


def _application() -> QApplication:
    """The QApplication; if Qt cannot start its platform plugin (a display that refuses the
    connection...), one sentence and exit status 2 instead of Qt's abort."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    held: list[str] = []

    def on_message(mode: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if mode == QtMsgType.QtFatalMsg and "platform plugin" in message:
            log.debug("Qt: %s", " | ".join(held))
            sys.stderr.write(f"gatescan: {plugin_failed(os.environ.get('QT_QPA_PLATFORM', ''))}.\n")
            sys.stderr.flush()
            os._exit(2)  # Qt aborts when this returns
        held.append(message)

    previous = qInstallMessageHandler(on_message)
    try:
        app = QApplication(sys.argv[:1])
    finally:
        qInstallMessageHandler(previous)
    for message in held:  # what Qt said on the way: as it would have, now that it worked
        sys.stderr.write(message + "\n")
    return app


@dataclass(frozen=True, slots=True)
class Staging:
    """A launcher that prepares the gate while a first window shows (the demo's).

    `splash` is shown at once; `prepare` runs on a thread meanwhile, and the gate
    starts with the `Launch` it returns; `decorate` then adds to the gate window.
    """

    splash: Callable[[], QWidget] | None = None
    prepare: Callable[[], Launch] | None = None
    decorate: Callable[[GateApp], None] | None = None


def run_app(settings: ScannerSettings, options: UiOptions, *,
            sync_service: SyncService | None = None, enroller: Enroller | None = None,
            started: float | None = None, staging: Staging | None = None) -> int:
    """Run the gate window until it is closed; returns the process exit status.

    With `staging` (the demo), its splash window opens at once and its `prepare`
    runs in the background; the gate starts with what it returns."""
    t0 = started if started is not None else time.perf_counter()
    app = _application()
    app.setApplicationName("GateScan")
    app.setOrganizationName("GateScan")
    splash = None
    if staging is not None and staging.prepare is not None:
        splash = staging.splash() if staging.splash is not None else QWidget()
        splash.resize(options.width, options.height)
        splash.showFullScreen() if options.kiosk else splash.show()
        log.info("first window shown after %.1f s", time.perf_counter() - t0)
        try:
            launch = in_background(staging.prepare)
        except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as exc:
            print(f"gatescan: the gate could not be prepared: {exc}", file=sys.stderr)
            return 1
        settings, options = launch.settings, launch.options
        sync_service, enroller = launch.sync_service, launch.enroller
    try:
        lock = single_instance(settings.data_dir)
    except AlreadyRunning as exc:
        print(f"gatescan: {exc}", file=sys.stderr)
        return 2
    sys.excepthook = _crash_handler
    # Hand the GIL over sooner: the UI thread then waits less behind the camera threads.
    sys.setswitchinterval(0.001)
    gate = GateApp(AppDeps(settings, options, sync_service=sync_service, enroller=enroller))
    if staging is not None and staging.decorate is not None:
        staging.decorate(gate)
    if options.announce_ready:
        gate.ready_to_scan.connect(
            lambda: print(f"READY {time.perf_counter() - t0:.3f}", flush=True))
    app.aboutToQuit.connect(gate.stop)
    # systemd stops the kiosk with SIGTERM: close cleanly (the PIN guard does not apply).
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: gate.window.allow_close())
    wake = QTimer()
    wake.timeout.connect(lambda: None)  # lets Python run its signal handlers
    wake.start(250)
    gate.start()
    if splash is not None:
        splash.close()
    # Everything built so far lives as long as the app: keep it out of the collector's
    # full passes, which otherwise stall the UI thread for tens of milliseconds.
    gc.collect()
    gc.freeze()
    try:
        return int(app.exec())
    finally:
        wake.stop()
        lock.unlock()
