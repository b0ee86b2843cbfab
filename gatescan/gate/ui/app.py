"""The gate app: builds the workers and the window and wires them together by signals.

Worker signals always land on `GateApp` (which lives as long as the app);
`GateApp` then updates whichever window is current, so the window can be
rebuilt (a language change) without touching the workers.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from gatescan.gate.camera.decoders import DEFAULT_BACKEND, Decoder, make_decoder
from gatescan.gate.camera.frames import SourceState
from gatescan.gate.camera.health import CameraHealth
from gatescan.gate.camera.pipeline import PipelineSettings
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.reports import GateReport
from gatescan.gate.mesh.status import mesh_summary
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.handshake import Enrolled, Enroller
from gatescan.gate.sync.status import ClockState, SyncService, SyncStatus
from gatescan.gate.ui import kiosk, reasons, sources, theme, translations
from gatescan.gate.ui.camera_worker import CameraWorker, SourceFactory
from gatescan.gate.ui.display import VerdictDisplay
from gatescan.gate.ui.enrollment import EnrollWorker
from gatescan.gate.ui.gate_screen import GateScreen
from gatescan.gate.ui.kinds import Direction, ScanSource, Screen
from gatescan.gate.ui.latency import LatencyLog
from gatescan.gate.ui.ledger_worker import (
    CameraIntake,
    LedgerFactory,
    LedgerInfo,
    LedgerWorker,
    ScanFailure,
    ScanResult,
)
from gatescan.gate.ui.main_window import MainWindow
from gatescan.gate.ui.manager_view import ManagerView
from gatescan.gate.ui.messages import MessageBridge
from gatescan.gate.ui.options import UiOptions
from gatescan.gate.ui.setup_screen import SetupChoice, SetupScreen
from gatescan.gate.ui.sounds import Alert, SoundPlayer
from gatescan.gate.ui.supervisor import SupervisorActions
from gatescan.gate.ui.sync_worker import SyncWorker
from gatescan.gate.ui.threads import WorkerThread
from gatescan.gate.ui.ui_settings import UiSettings
from gatescan.gate.ui.wedge import KeyboardWedge
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.token import TokenError, format_ticket_id, parse_ticket_id
from gatescan.protocol.verdict import Outcome

log = logging.getLogger(__name__)

Clock = Callable[[], float]
STATS_REFRESH_MS = 5000
MESH_REFRESH_MS = 1000
AFTER_VERDICT_MS = 250  # the counters update by then even if the verdict was never painted


@dataclass
class AppDeps:
    """What the app is built from; tests swap the ledger, source, clock and sync service."""

    settings: ScannerSettings
    options: UiOptions = field(default_factory=UiOptions)
    ledger_factory: LedgerFactory | None = None
    source_factory: SourceFactory | None = None
    decoder_factory: Callable[[], Decoder] | None = None
    sync_service: SyncService | None = None
    enroller: Enroller | None = None
    clock: Clock = time.time
    sound: SoundPlayer | None = None
    # Camera codes go straight from the camera thread to the ledger thread; False routes
    # them through the UI thread first, as before (bench/ui.py measures both).
    direct_scans: bool = True
    # The verdict's way to the screen since issue 15 (painted at once, the panel over
    # nothing, the aiming frame drawn once); False keeps the way before it (bench/ui.py
    # measures both, verdict by verdict).
    quick_verdict: bool = True


class GateApp(QObject):
    """Owns the workers, the window and the gate's settings."""

    # requests to the workers (queued across threads)
    redeem_requested = Signal(str, object, float)  # text, ScanSource, perf_counter when read
    manual_requested = Signal(str, float)  # ticket id (printed form), perf_counter at entry
    device_changed = Signal(str)
    stats_requested = Signal()
    import_requested = Signal(str, bool)
    export_requested = Signal(str)
    gate_changed = Signal(str, object)  # gate name, Direction
    clock_changed = Signal(float, bool)
    counts_requested = Signal()
    info_requested = Signal()
    source_requested = Signal(str)
    preview_resized = Signal(int, int)
    sync_requested = Signal()
    sync_soon_requested = Signal()
    enroll_requested = Signal(str)
    lookup_search_requested = Signal(str)  # manual lookup: number, order code or name
    # events for tests and the bench
    ready_to_scan = Signal()
    verdict_displayed = Signal(object)  # VerdictDisplay

    def __init__(self, deps: AppDeps) -> None:
        super().__init__()
        self.deps = deps
        self.options = deps.options
        self.settings = deps.settings
        self.ui = UiSettings.load(deps.settings.data_dir)
        self.language = translations.choose_language(self.options.language or self.ui.language)
        self.messages = MessageBridge(self)
        self.info = LedgerInfo()
        self.sync_status: SyncStatus | None = None
        self.latencies: collections.deque[float] = collections.deque(maxlen=5000)
        self.latency_log = LatencyLog()
        self._after_verdict: list[Callable[[], None]] = []  # run once the verdict is painted
        self._deferred_counts: tuple[int, int] | None = None
        self._pending_latency: float | None = None
        self._verdict_in_paint = False  # the verdict panel painted in the pass under way
        self.quick_verdict = deps.quick_verdict
        self._ready_announced = False
        self._camera_live = False
        self._camera_health = CameraHealth.STARTING.value
        self._ledger_open = False
        self._translator = translations.install(QApplication.instance() or QApplication([]),
                                                self.language)
        self.sound = deps.sound or SoundPlayer(deps.settings.data_dir / "sounds",
                                               enabled=self.options.sound)
        self.gate_name = self.options.gate or self.ui.gate or ""
        self.direction: Direction = self.options.direction or self.ui.direction
        self.camera_spec = self.options.camera_spec(self.ui.camera)
        self.wedge = KeyboardWedge(self)
        self.wedge.text_scanned.connect(self._wedge_scanned)
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(STATS_REFRESH_MS)
        self._stats_timer.timeout.connect(self.stats_requested.emit)
        self._mesh_timer = QTimer(self)  # the mesh node (own process) rewrites its file each second
        self._mesh_timer.setInterval(MESH_REFRESH_MS)
        self._mesh_timer.timeout.connect(self.refresh_mesh)
        self._threads: list[WorkerThread] = []
        self._build_workers()
        self.window: MainWindow = self._build_window()
        self.messages.message_posted.connect(self._message)
        self.refresh_mesh()
        self._mesh_timer.start()

    # -- building ---------------------------------------------------------------------------
    def _build_workers(self) -> None:
        deps = self.deps
        path = self.settings.ledger_path

        def open_ledger() -> Ledger:
            self.settings.ensure_dir()
            return Ledger(path)

        gate = GateContext(self.gate_name or "Gate", self.direction.for_gate(),
                           self.settings.device_id())
        self.ledger = LedgerWorker(deps.ledger_factory or open_ledger, gate, clock=deps.clock,
                                   undo_window=self.options.undo_window)
        self.ledger.opened.connect(self._ledger_opened)
        self.ledger.open_failed.connect(self._ledger_failed)
        self.ledger.scan_decided.connect(self._scan_decided)
        self.ledger.scan_failed.connect(self._scan_failed)
        self.ledger.counts_changed.connect(self._counts_changed)
        self.ledger.stats_loaded.connect(self._stats_loaded)
        self.ledger.manifest_imported.connect(self._manifest_imported)
        self.ledger.manifest_failed.connect(self._manifest_failed)
        self.ledger.scans_exported.connect(self._scans_exported)
        self.ledger.export_failed.connect(self._export_failed)
        self.redeem_requested.connect(self.ledger.redeem)
        self.manual_requested.connect(self.ledger.redeem_manual)
        self.lookup_search_requested.connect(self.ledger.find_tickets)
        self.ledger.tickets_found.connect(self._tickets_found)
        self.device_changed.connect(self.ledger.set_device)
        self.stats_requested.connect(self.ledger.load_stats)
        self.import_requested.connect(self.ledger.import_manifest)
        self.export_requested.connect(self.ledger.export_scans)
        self.gate_changed.connect(self.ledger.set_gate)
        self.clock_changed.connect(self.ledger.set_clock)
        self.counts_requested.connect(self.ledger.refresh_counts)
        self.info_requested.connect(self.ledger.reload_info)
        self._threads.append(WorkerThread(self.ledger, "gatescan-ledger"))
        # The turnstile pulses for recorded admissions; supervisor actions (ui/supervisor.py).
        self.supervisor = SupervisorActions(self.options.relay, self.messages, self)
        self.ledger.scan_decided.connect(self.supervisor.scan_recorded)
        self.ledger.action_recorded.connect(self.supervisor.action_recorded)
        self.ledger.action_recorded.connect(self._action_recorded)
        self.ledger.action_refused.connect(self.supervisor.action_refused)
        self.supervisor.override_requested.connect(self.ledger.admit_anyway)
        self.supervisor.undo_requested.connect(self.ledger.undo_admission)

        loop, profile = self.options.loop, self.options.camera_profile
        self.camera = CameraWorker(
            deps.source_factory or (lambda spec: sources.make_source(spec, loop=loop,
                                                                      profile=profile)),
            deps.decoder_factory or (lambda: make_decoder(DEFAULT_BACKEND)),
            PipelineSettings(preview_fps=self.options.preview_fps))
        self.camera.frame_ready.connect(self._frame_ready)
        self.camera.code_decoded.connect(self._camera_decoded)
        self.intake = CameraIntake(self)
        if deps.direct_scans:
            # Decided on the camera's decode thread and queued to the ledger thread: the
            # verdict does not wait for the UI thread's event loop twice (paints, timers).
            self.camera.code_decoded.connect(self.intake.offer,
                                             Qt.ConnectionType.DirectConnection)
            self.intake.accepted.connect(self.ledger.redeem)
            # On the ledger thread as it happens, not when the UI thread gets to it.
            direct = Qt.ConnectionType.DirectConnection
            self.ledger.opened.connect(lambda _info: self.intake.set_ledger(True), direct)
            self.ledger.open_failed.connect(lambda *_: self.intake.set_ledger(False), direct)
        self.camera.state_changed.connect(self._camera_state)
        self.camera.camera_health_changed.connect(self._camera_health_changed)
        self.camera.fps_measured.connect(self._camera_fps)
        self.source_requested.connect(self.camera.open_source)
        self.preview_resized.connect(self.camera.set_preview_size)
        self._threads.append(WorkerThread(self.camera, "gatescan-camera"))

        self.sync: SyncWorker | None = None
        if deps.sync_service is not None:
            self.sync = SyncWorker(deps.sync_service, self.options.sync_interval)
            self.sync.status_changed.connect(self._sync_status)
            self.sync.sync_failed.connect(self._sync_failed)
            self.sync_requested.connect(self.sync.sync_now)
            self.sync_soon_requested.connect(self.sync.sync_soon)
            self._threads.append(WorkerThread(self.sync, "gatescan-sync"))
        self.enroll: EnrollWorker | None = None
        if deps.enroller is not None:
            self.enroll = EnrollWorker(deps.enroller)
            self.enroll.enrolled.connect(self._enrolled)
            self.enroll.enroll_failed.connect(self._enroll_failed)
            self.enroll_requested.connect(self.enroll.enroll)
            self._threads.append(WorkerThread(self.enroll, "gatescan-enroll"))

    def _build_window(self) -> MainWindow:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setStyleSheet(theme.STYLE_SHEET)
        gate = GateScreen(quick=self.quick_verdict)
        manager = ManagerView()
        window = MainWindow(gate, manager, check_pin=self.check_pin, kiosk=self.options.kiosk)
        window.set_setup(self._build_setup())
        gate.manual_requested.connect(self._manual_typed)
        gate.lookup.search_requested.connect(self.lookup_search_requested)
        gate.verdict.painted.connect(self._verdict_painting)
        gate.preview.resized.connect(self.preview_resized.emit)
        gate.strip.set_gate(self.gate_name or "—", self.direction)
        gate.strip.set_sync(self.sync_status)
        gate.strip.set_counts(self.info.admitted, self.info.pending_uploads)
        gate.set_warning(self._warning_text())
        gate.set_event(self.info.event_name)
        gate.set_camera_health(self._camera_health)
        gate.strip.set_camera_health(self._camera_health)
        if self.options.demo:
            gate.badge.setText(self.tr("DEMO"))
        manager.set_sync(self.sync_status)
        manager.export_requested.connect(self.export_requested.emit)
        manager.sync_requested.connect(self.sync_requested.emit)
        manager.switch_event_requested.connect(lambda path: self.import_requested.emit(path,
                                                                                       True))
        manager.setup_requested.connect(window.show_setup)
        self.supervisor.attach(window)  # manager buttons, F4 "admit anyway" behind the PIN
        window.manager_opened.connect(self._manager_opened)
        window.screen_changed.connect(self._screen_changed)
        window.repainted.connect(self._window_repainted)
        window.resize(self.options.width, self.options.height)
        self._open_intake(Screen(window.current_screen()))
        return window

    def set_quick_verdict(self, quick: bool) -> None:
        """Switch between the verdict path since issue 15 and the one before (the bench
        alternates them verdict by verdict)."""
        self.quick_verdict = quick
        self.window.gate.set_quick(quick)

    def _open_intake(self, screen: Screen) -> None:
        """Camera codes go to the ledger only while the gate screen shows (and it is open)."""
        self.intake.set_screen(self.deps.direct_scans and screen is Screen.GATE)

    def _build_setup(self) -> SetupScreen:
        setup = SetupScreen(sources.camera_choices(self.camera_spec), pin_set=self.ui.pin_set,
                            language=self.language, enroll_available=self.enroll is not None)
        setup.set_info(self.info)
        setup.preset(self.gate_name or None, self.direction, self.camera_spec)
        setup.manifest_chosen.connect(lambda path: self.import_requested.emit(path, False))
        setup.enroll_requested.connect(self.enroll_requested.emit)
        setup.camera_chosen.connect(self._camera_chosen)
        setup.finished.connect(self._setup_finished)
        self.setup = setup
        return setup

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the workers and show the window (full screen in kiosk mode)."""
        for thread in self._threads:
            thread.start()
        self.supervisor.start()
        self.source_requested.emit(self.camera_spec)
        self.wedge.install(self._qapp())
        if self.options.kiosk:
            kiosk.enter_kiosk(self.window)
        else:
            self.window.show()

    def stop(self) -> bool:
        """Stop every worker thread (camera, ledger, sync) and wait for them."""
        self._stats_timer.stop()
        self._mesh_timer.stop()
        self._after_verdict.clear()  # no deferred repaint of a window that is going away
        interrupt = getattr(self.deps.sync_service, "interrupt", None)
        if callable(interrupt):
            interrupt()  # a sync round in progress ends after its current batch
        self.wedge.remove(self._qapp())
        ok = True
        for thread in reversed(self._threads):
            ok = thread.stop() and ok
        self.supervisor.close()
        if self.options.kiosk:
            kiosk.leave_kiosk()
        translations.uninstall(self._qapp(), self._translator)  # the next app chooses its own
        self._translator = None
        return ok

    @staticmethod
    def _qapp() -> QApplication:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        return app

    def check_pin(self, pin: str) -> bool:
        """The manager PIN; with none set yet (set-up not done) any entry opens."""
        return self.ui.check_pin(pin) if self.ui.pin_set else True

    # -- routing scans ----------------------------------------------------------------------
    def _camera_decoded(self, text: str, decoded_at: float) -> None:
        if self.deps.direct_scans and self._screen() in (Screen.GATE, Screen.MANAGER):
            return  # the intake passed it to the ledger, or dropped it, on the camera thread
        self._route(text, ScanSource.CAMERA, decoded_at)

    def _wedge_scanned(self, text: str, decoded_at: float) -> None:
        self._route(text, ScanSource.WEDGE, decoded_at)

    def _route(self, text: str, source: ScanSource, decoded_at: float) -> None:
        screen = self._screen()
        if screen is Screen.SETUP:
            if not self.setup.code_scanned(text):
                self.setup.show_error(self.tr("That code is not an enrollment code."))
            return
        if screen is not Screen.GATE or not self._ledger_open:
            log.info("code ignored: the gate screen is not active")
            return
        self.latency_log.routed(decoded_at)
        self.redeem_requested.emit(text, source, decoded_at)

    def _manual_typed(self, text: str) -> None:
        """A ticket number typed for a dead phone: checked and recorded by the ledger."""
        entered = time.perf_counter()
        if self._screen() is not Screen.GATE or not self._ledger_open:
            return
        try:
            ticket_id = parse_ticket_id(text)
        except TokenError:
            self._show(reasons.describe_bad_ticket_number())
            return
        self.manual_requested.emit(format_ticket_id(ticket_id), entered)

    def _tickets_found(self, query: str, matches: Any, type_names: Any) -> None:
        self.window.gate.lookup.show_matches(query, matches, type_names)

    def _scan_decided(self, result: ScanResult) -> None:
        log.info("verdict %s (%s)", result.verdict.outcome.value, result.source)
        display = reasons.describe_verdict(result.verdict, zone=result.zone,
                                           source=result.source)
        self._pending_latency = result.decoded_at
        self.latency_log.received(result.decoded_at, result.started_at, result.recorded_at)
        shown = self._show(display)
        self.latency_log.updated()
        if shown and self.quick_verdict:
            # Painted and handed to the screen now, not after whatever else is queued for
            # the UI thread (camera frames, timers): the verdict goes first.
            self.window.gate.verdict.repaint()
        counts = (result.admitted, result.pending_uploads)
        if shown:  # the counters repaint after the verdict, not in the same paint before it
            self._deferred_counts = counts
            self._after_verdict.append(self._show_deferred_counts)
            QTimer.singleShot(AFTER_VERDICT_MS, self, self._run_after_verdict)  # no paint?
        else:
            self._counts_changed(*counts)
        if self.sync_status is not None and self.sync_status.online:
            self.sync_soon_requested.emit()  # push the scan up within moments, while online

    def _action_recorded(self, result: ScanResult) -> None:
        """A supervisor action is in the log: new counts; an override shows green at the gate."""
        self._counts_changed(result.admitted, result.pending_uploads)
        if result.verdict.outcome is Outcome.OVERRIDE_ADMITTED:
            self.window.show_gate()
            self._scan_decided(result)
        elif self._screen() is Screen.MANAGER:
            self.stats_requested.emit()

    def _scan_failed(self, failure: ScanFailure) -> None:
        self._pending_latency = failure.decoded_at
        self._show(reasons.describe_failure(failure.code, failure.message))
        self.messages.post(self.tr("Scans are NOT being recorded: {reason}").format(
            reason=failure.message), "error")

    def _show(self, display: VerdictDisplay) -> bool:
        """Put `display` on the gate screen; False if another screen is current."""
        if self._screen() is not Screen.GATE:
            return False
        self.window.gate.lookup.hide()
        self.window.gate.show_display(display)
        self.sound.play(display.tone)
        self.verdict_displayed.emit(display)
        return True

    def _verdict_painting(self) -> None:
        self._verdict_in_paint = True

    def _window_repainted(self) -> None:
        """A paint pass reached the screen: if the verdict panel was in it, the verdict shows."""
        if self._verdict_in_paint:
            self._verdict_in_paint = False
            self._verdict_painted()

    def _verdict_painted(self) -> None:
        if self._pending_latency is not None:  # a verdict's first paint
            self.latencies.append(time.perf_counter() - self._pending_latency)
            self._pending_latency = None
        if self.latency_log.painted():
            QTimer.singleShot(0, self.latency_log.flushed)
        if self._after_verdict:
            QTimer.singleShot(0, self, self._run_after_verdict)

    def settling(self) -> bool:
        """True while the verdict shown last still has work queued after its paint."""
        return bool(self._after_verdict)

    def _run_after_verdict(self) -> None:
        work, self._after_verdict = self._after_verdict, []
        for job in work:
            job()

    # -- camera -----------------------------------------------------------------------------
    def _frame_ready(self, image: QImage) -> None:
        screen = self._screen()
        if screen is Screen.GATE:
            self.window.gate.show_frame(image)
        elif screen is Screen.SETUP:
            self.setup.preview.show_frame(image)

    def _camera_state(self, state: str, detail: str) -> None:
        self.window.gate.strip.set_camera(state, detail)
        if state == SourceState.UNAVAILABLE.value:
            log.warning("camera unavailable: %s", detail)
        self._camera_live = state == SourceState.LIVE.value
        self._check_ready()

    def _camera_health_changed(self, health: str, detail: str) -> None:
        """READY or CAMERA NOT WORKING, the strip, the preview's message; one alarm an outage."""
        self._camera_health = health
        gate = self.window.gate
        gate.strip.set_camera_health(health, detail)
        if gate.set_camera_health(health):
            self.sound.play(Alert.CAMERA_DOWN)
        messages = {
            CameraHealth.STARTING.value: self.tr("Starting the camera…"),
            CameraHealth.MISSING.value: self.tr("No camera found: check the cable"),
            CameraHealth.LOST.value: self.tr("Camera lost: plug it back in (retrying)"),
            CameraHealth.FROZEN.value: self.tr("The camera stopped sending pictures"),
            CameraHealth.BLACK.value: self.tr("Camera picture black: lens covered?"),
            CameraHealth.FAILED.value: self.tr("Camera failed: {detail}").format(detail=detail),
            CameraHealth.ENDED.value: self.tr("The video has ended"),
        }
        text = messages.get(health, "")
        for preview in (gate.preview, self.setup.preview):
            preview.set_message(text)

    def _camera_fps(self, fps: float) -> None:
        self.window.gate.strip.set_fps(fps)

    def _camera_chosen(self, spec: str) -> None:
        self.camera_spec = spec
        self.source_requested.emit(spec)

    # -- ledger -----------------------------------------------------------------------------
    def _ledger_opened(self, info: LedgerInfo) -> None:
        self.info = info
        self._ledger_open = True
        gate = self.window.gate
        gate.set_event(info.event_name)
        gate.strip.set_zone(info.zone)
        gate.lookup.set_attendee_search(info.attendee_data)
        self.window.manager.set_zone(info.zone)
        gate.strip.set_counts(info.admitted, info.pending_uploads)
        self.setup.set_info(info)
        gate_names = {name for name, _ in info.gates}
        if info.event_name is None or not self.gate_name or (
                gate_names and self.gate_name not in gate_names) or not (
                self.ui.pin_set or self.options.demo):
            self.setup.preset(self.gate_name or None, self.direction, self.camera_spec)
            self.window.show_setup()
        elif self._screen() is Screen.SETUP:
            self.window.show_gate()
        self._check_ready()

    def _ledger_failed(self, code: str, message: str) -> None:
        self._ledger_open = False
        self._show_always(reasons.describe_failure(code, message))
        self.messages.post(self.tr("The ledger cannot be opened: {reason}").format(
            reason=message), "error")

    def _show_always(self, display: VerdictDisplay) -> None:
        self.window.show_gate()
        self._show(display)

    def _counts_changed(self, admitted: int, pending: int) -> None:
        self._deferred_counts = None  # newer than any verdict's counters still waiting
        self.window.gate.strip.set_counts(admitted, pending)

    def _show_deferred_counts(self) -> None:
        if self._deferred_counts is not None:
            self._counts_changed(*self._deferred_counts)

    def _manifest_imported(self, info: LedgerInfo) -> None:
        self.messages.post(self.tr("Loaded {event}: {tickets} tickets").format(
            event=info.event_name, tickets=f"{info.tickets:,}"), "info")
        self.setup.show_error("")
        switching = self._screen() is Screen.MANAGER
        self._ledger_opened(info)
        if switching:
            self.stats_requested.emit()

    def _manifest_failed(self, message: str) -> None:
        text = self.tr("Manifest refused: {reason}").format(reason=message)
        self.setup.show_error(text)
        self.messages.post(text, "error")

    def _scans_exported(self, path: str, count: int) -> None:
        self.messages.post(self.tr("Exported {count} scans to {path}").format(
            count=f"{count:,}", path=Path(path).name), "info")

    def _export_failed(self, message: str) -> None:
        self.messages.post(self.tr("Export failed: {reason}").format(reason=message), "error")

    # -- manager ------------------------------------------------------------------------------
    def _manager_opened(self) -> None:
        self.stats_requested.emit()
        self._stats_timer.start()

    def _screen(self) -> Screen:
        """The screen that is up (the window names it by the enum's value)."""
        return Screen(self.window.current_screen())

    def _screen_changed(self, value: str) -> None:
        screen = Screen(value)
        self.wedge.enabled = screen in (Screen.GATE, Screen.SETUP)
        self._open_intake(screen)
        if screen is not Screen.MANAGER:
            self._stats_timer.stop()
        self._check_ready()

    def refresh_mesh(self) -> None:
        """Show the mesh as its node last wrote it (status strip chip, manager's peer list)."""
        mesh = mesh_summary(self.settings.data_dir)
        self.window.gate.strip.set_mesh(mesh)
        self.window.manager.set_mesh(mesh)

    def _stats_loaded(self, stats: GateReport) -> None:
        self.window.manager.set_stats(stats)

    # -- sync and enrollment ------------------------------------------------------------------
    def _sync_status(self, status: SyncStatus) -> None:
        revoked_now = status.device_revoked and not (self.sync_status is not None
                                                     and self.sync_status.device_revoked)
        self.sync_status = status
        self.window.gate.strip.set_sync(status)
        self.window.manager.set_sync(status)
        self.window.gate.set_warning(self._warning_text())
        self.clock_changed.emit(status.clock_offset or 0.0,
                                status.clock_state is not ClockState.UNSET)
        self.counts_requested.emit()
        if revoked_now:
            text = self.tr("This device was revoked by the server")
            self.messages.post(text, "error")
            self.setup.show_error(text)
            self.info_requested.emit()  # its event data is gone

    def _warning_text(self) -> str:
        """What the banner under the status strip says while it applies ('' for nothing)."""
        status = self.sync_status
        if status is None:
            return ""
        if status.device_revoked:
            return self.tr("This gate was revoked by the organizer: it admits nobody. "
                           "Ask a manager.")
        if status.clock_state is ClockState.UNSET:
            return self.tr("The gate clock is not set: tickets cannot be checked against the "
                           "time (amber CHECK). Connect to the server, or set the clock.")
        if status.error_code == "signer_not_pinned":
            return self.tr("The event data from the network is signed by a key this gate was "
                           "not enrolled with: it was refused. Ask a manager.")
        if status.server_rollback is not None:
            return self.tr("The server has lost data (restored from an older backup?): this "
                           "gate sent its scans again. Ask a manager.")
        return ""

    def _sync_failed(self, message: str) -> None:
        log.warning("sync failed: %s", message)

    def _enrolled(self, outcome: Enrolled) -> None:
        self.setup.set_enrolling(False)
        # Enrollment made the server's device id this gate's: scans from now on carry it.
        self.device_changed.emit(self.settings.device_id())
        if outcome.gate and not self.gate_name:
            self.gate_name = outcome.gate
            self.setup.preset(outcome.gate, self.direction, None)
        if outcome.warning:
            self.messages.post(self.tr("Enrolled; {warning}").format(warning=outcome.warning),
                               "warn")
        else:
            self.messages.post(self.tr("Enrolled with the server"), "info")
        self.info_requested.emit()
        self.sync_requested.emit()  # the status strip learns the link at once

    def _enroll_failed(self, message: str) -> None:
        self.setup.set_enrolling(False)
        self.setup.show_error(self.tr("Enrollment failed: {reason}").format(reason=message))

    # -- set-up ---------------------------------------------------------------------------------
    def _setup_finished(self, choice: SetupChoice) -> None:
        self.ui.gate, self.ui.direction, self.ui.camera = (choice.gate, choice.direction,
                                                           choice.camera)
        relabel = choice.language != self.language
        self.ui.language = choice.language
        if choice.pin is not None:
            self.ui.set_pin(choice.pin)
        try:
            self.ui.save()
        except OSError as exc:
            self.setup.show_error(self.tr("Cannot save the settings: {reason}").format(
                reason=exc.strerror or str(exc)))
            return
        self.gate_name, self.direction = choice.gate, choice.direction
        self.gate_changed.emit(choice.gate, choice.direction)
        if relabel:
            self._switch_language(choice.language)
        self.window.gate.strip.set_gate(choice.gate, choice.direction)
        self.window.show_gate()

    def _switch_language(self, language: str) -> None:
        """Rebuild the window in another language (the workers keep running)."""
        app = self._qapp()
        translations.uninstall(app, self._translator)
        self.language = language
        self._translator = translations.install(app, language)
        old = self.window
        self.window = self._build_window()
        old.allow_close()
        old.deleteLater()
        if self.options.kiosk:
            kiosk.enter_kiosk(self.window)
        else:
            self.window.show()

    # -- readiness and messages --------------------------------------------------------------------
    def _check_ready(self) -> None:
        if self._ready_announced or not (self._camera_live and self._ledger_open):
            return
        if self._screen() is not Screen.GATE:
            return
        self._ready_announced = True
        log.info("ready to scan")
        self.ready_to_scan.emit()

    def _message(self, text: str, level: str) -> None:
        self.window.gate.show_message(text, level)
