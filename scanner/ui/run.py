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
from PySide6.QtWidgets import QApplication

from scanner.settings import ScannerSettings
from scanner.sync.status import SyncService
from scanner.ui.app import AppDeps, GateApp
from scanner.ui.demo_launch import DeadPhoneScenes, DemoSplash, in_background
from scanner.ui.enrollment import Enroller
from scanner.ui.kiosk import AlreadyRunning, single_instance
from scanner.ui.options import UiOptions
from scanner.ui.screen_check import plugin_failed

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


def _demo_extras(gate: GateApp, options: UiOptions, pin: str | None) -> None:
    """The demo's PIN on screen, and its dead-phone scenes typed in on cue."""
    if pin:
        window = gate.window
        window.setWindowTitle(translate("MainWindow", "GateScan demo: manager PIN {pin}")
                              .format(pin=pin))
        window.gate.badge.setText(translate("MainWindow", "DEMO · manager PIN {pin}")
                                  .format(pin=pin))
    if options.video is not None:
        DeadPhoneScenes(gate.window.gate, options.video)


def run_app(settings: ScannerSettings, options: UiOptions, *,
            sync_service: SyncService | None = None, enroller: Enroller | None = None,
            started: float | None = None, prepare: Callable[[], Launch] | None = None,
            demo_pin: str | None = None) -> int:
    """Run the gate window until it is closed; returns the process exit status.

    With `prepare` (the demo), a window showing `demo_pin` opens at once and `prepare`
    runs in the background; the gate starts with what it returns."""
    t0 = started if started is not None else time.perf_counter()
    app = _application()
    app.setApplicationName("GateScan")
    app.setOrganizationName("GateScan")
    splash = None
    if prepare is not None:
        splash = DemoSplash(demo_pin or "")
        splash.resize(options.width, options.height)
        splash.showFullScreen() if options.kiosk else splash.show()
        log.info("demo window shown after %.1f s", time.perf_counter() - t0)
        try:
            launch = in_background(prepare)
        except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as exc:
            print(f"gatescan: the demo could not be prepared: {exc}", file=sys.stderr)
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
    if options.demo:
        _demo_extras(gate, options, demo_pin)
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
