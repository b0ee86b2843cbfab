"""The ledger on its own thread: redeem scans and typed ticket ids, import manifests, export.

The UI never touches the database. It sends requests by signal; the worker
answers with past-tense signals. A redeem is answered only after the scan is
durably recorded (`scan_decided`), or with `scan_failed` when it could not be:
the UI then shows NOT RECORDED, never green.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from gatescan.gate.ledger import reports
from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.ledger.ledger import Ledger, Redemption, Source
from gatescan.gate.ledger.supervisor import DEFAULT_UNDO_WINDOW, SupervisorError
from gatescan.gate.sync.clock import CLOCK_KEY, GateClock
from gatescan.gate.sync.status import PINNED_KEYS
from gatescan.gate.ui.kinds import Direction, ScanSource
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.clock import UTC_ZONE, EventZone
from gatescan.protocol.manifest import ManifestError
from gatescan.protocol.token import TokenError, parse_ticket_id
from gatescan.protocol.verdict import Outcome, Verdict

log = logging.getLogger(__name__)

LedgerFactory = Callable[[], Ledger]
Clock = Callable[[], float]
CLOCK_SLACK = 300.0  # a gate clock this far behind the issuer's manifest time is "unset"


@dataclass(frozen=True, slots=True)
class LedgerInfo:
    """The loaded event and the gate's counters, as the UI shows them."""

    event_id: int | None = None
    event_name: str | None = None
    gates: tuple[tuple[str, str], ...] = ()  # (name, zone)
    tickets: int = 0
    admitted: int = 0
    pending_uploads: int = 0
    zone: EventZone = UTC_ZONE  # the event clock for every time shown
    generated_at: float | None = None
    pinned_keys: tuple[str, ...] = ()  # issuer key fingerprints from enrollment, to compare
    attendee_data: bool = False  # names and order codes on the list: lookup by them


@dataclass(frozen=True, slots=True)
class ScanResult:
    """A verdict the ledger has durably recorded."""

    verdict: Verdict
    source: ScanSource
    scan_id: str
    decoded_at: float  # time.perf_counter() when the code was read
    admitted: int
    pending_uploads: int
    zone: EventZone
    started_at: float = 0.0  # time.perf_counter() when the ledger thread took the scan up
    recorded_at: float = 0.0  # ... and when the scan was durably committed


@dataclass(frozen=True, slots=True)
class ScanFailure:
    """A scan the ledger could not record (`code` from `LedgerError`, or 'internal')."""

    code: str
    message: str
    source: ScanSource
    decoded_at: float


class CameraIntake(QObject):
    """Passes camera codes straight from the camera's decode thread to the ledger thread.

    `offer` runs on the thread that decoded the code (a direct connection) and
    decides there, as the code is read, whether the gate is taking scans; the
    ledger then gets it without a detour through the UI thread's event loop.
    """

    accepted = Signal(str, object, float)  # text, ScanSource, time.perf_counter() when decoded

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._screen = threading.Event()  # the UI: the gate screen is current
        self._ledger = threading.Event()  # the ledger thread: the ledger is open

    def set_screen(self, scanning: bool) -> None:
        """Set by the UI thread: whether the gate screen (not set-up or manager) shows."""
        (self._screen.set if scanning else self._screen.clear)()

    def set_ledger(self, ready: bool) -> None:
        """Set on the ledger thread as it opens the ledger (or fails to)."""
        (self._ledger.set if ready else self._ledger.clear)()

    def is_open(self) -> bool:
        """Whether codes go to the ledger now."""
        return self._screen.is_set() and self._ledger.is_set()

    def offer(self, text: str, decoded_at: float) -> None:
        """A decoded code (on the decoding thread): to the ledger if the gate takes scans."""
        if self.is_open():
            self.accepted.emit(text, ScanSource.CAMERA, decoded_at)


class LedgerWorker(QObject):
    """Owns the gate's `Ledger` on the ledger thread."""

    opened = Signal(object)  # LedgerInfo
    open_failed = Signal(str, str)  # code, message
    scan_decided = Signal(object)  # ScanResult
    scan_failed = Signal(object)  # ScanFailure
    counts_changed = Signal(int, int)  # admitted, pending uploads
    stats_loaded = Signal(object)  # reports.GateReport
    manifest_imported = Signal(object)  # LedgerInfo
    manifest_failed = Signal(str)
    scans_exported = Signal(str, int)
    export_failed = Signal(str)
    action_recorded = Signal(object)  # ScanResult of a supervisor action (override, undo)
    action_refused = Signal(str, str)  # SupervisorError or LedgerError code, message
    tickets_found = Signal(str, object, object)  # query, [TicketMatch] or None, {type: name}

    def __init__(self, factory: LedgerFactory, gate: GateContext, *,
                 clock: Clock = time.time, undo_window: float = DEFAULT_UNDO_WINDOW) -> None:
        super().__init__()
        self._factory = factory
        self._undo_window = undo_window
        self._gate = gate
        self._clock = clock
        self._offset = 0.0
        self._sync_trusts_clock = True
        self._ledger: Ledger | None = None
        self._info = LedgerInfo()

    # -- life cycle (on the worker thread) ------------------------------------------
    @Slot()
    def start(self) -> None:
        """Open the ledger and report what it holds."""
        try:
            self._ledger = self._factory()
            self._info = self._read_info()
        except LedgerError as exc:
            log.error("ledger cannot be opened: %s", exc.message)
            self.open_failed.emit(exc.code, exc.message)
            return
        self.opened.emit(self._info)

    @Slot()
    def shutdown(self) -> None:
        """Close the ledger (committed scans are already on disk)."""
        ledger, self._ledger = self._ledger, None
        if ledger is not None:
            ledger.close()

    def _read_info(self) -> LedgerInfo:
        assert self._ledger is not None
        status = self._ledger.status()
        policy = self._ledger.event(status.event.event_id) if status.event else None
        generated = status.manifest_generated_at
        admitted, pending = reports.gate_counts(self._ledger)  # this gate's own scans
        return LedgerInfo(
            event_id=policy.event_id if policy else None,
            event_name=policy.name if policy else None,
            gates=tuple((g.name, g.zone) for g in policy.gates) if policy else (),
            tickets=status.tickets, admitted=admitted, pending_uploads=pending,
            zone=EventZone.of(policy),
            attendee_data=policy.attendee_data if policy else False,
            generated_at=float(generated) if generated is not None else None,
            pinned_keys=tuple((self._ledger.sync_state(PINNED_KEYS) or "").split()))

    @Slot()
    def reload_info(self) -> None:
        """Re-read the event (after enrollment or a sync pulled a manifest) and report it."""
        if self._ledger is None:
            return
        try:
            self._info = self._read_info()
        except LedgerError as exc:
            self.open_failed.emit(exc.code, exc.message)
            return
        self.opened.emit(self._info)

    # -- settings ---------------------------------------------------------------------
    @Slot(str, object)
    def set_gate(self, gate: str, direction: Direction) -> None:
        """Scan as this gate and direction from now on."""
        self._gate = replace(self._gate, gate=gate, direction=direction.for_gate())

    @Slot(str)
    def set_device(self, device_id: str) -> None:
        """Record scans under this device id from now on (enrollment assigns the server's)."""
        self._gate = replace(self._gate, device_id=device_id)

    @Slot(float, bool)
    def set_clock(self, offset: float, trusted: bool) -> None:
        """Apply the sync engine's clock offset (server minus device) and its trust."""
        self._offset = offset
        self._sync_trusts_clock = trusted

    def now(self) -> float:
        """The gate's best idea of the time."""
        return self._clock() + self._offset

    def _context(self, now: float, *, confirm: bool = True) -> GateContext:
        """The gate's context for a decision at `now`.

        With `confirm` False the ledger's sync state is not read: a scanned code confirms
        the time by its own step, so the verifier never asks (one read less before a
        scan's verdict).
        """
        generated = self._info.generated_at
        plausible = generated is None or now >= generated - CLOCK_SLACK
        return replace(self._gate, clock_trusted=self._sync_trusts_clock and plausible,
                       clock_confirmed=self._server_time_known() if confirm else False)

    def _server_time_known(self) -> bool:
        """Whether a sync on this boot gave the server's time (the engine keeps it in the ledger).

        Only then may a typed ticket number be decided by date or hour: a scanned code
        confirms the clock by itself, a typed number does not.
        """
        assert self._ledger is not None
        return GateClock().restore(self._ledger.sync_state(CLOCK_KEY))

    # -- scanning ---------------------------------------------------------------------
    @Slot(str, object, float)
    def redeem(self, text: str, source: ScanSource, decoded_at: float) -> None:
        """Verify and durably record one scanned code, then report it."""
        checked: Source = "wedge" if source is ScanSource.WEDGE else "camera"
        self._record(source, decoded_at,
                     lambda ledger, now, gate: ledger.redeem(text, now, gate, source=checked),
                     confirm=False)

    @Slot(str, float)
    def redeem_manual(self, ticket: str, decoded_at: float) -> None:
        """Admit a typed ticket id (a dead phone): checked, recorded as 'manual', reported."""
        try:
            ticket_id = parse_ticket_id(ticket)
        except TokenError as exc:  # the UI parses first: reaching here is a bug
            self.scan_failed.emit(ScanFailure("internal", exc.message, ScanSource.MANUAL,
                                              decoded_at))
            return
        self._record(ScanSource.MANUAL, decoded_at,
                     lambda ledger, now, gate: ledger.redeem_manual(ticket_id, now, gate))

    def _record(self, source: ScanSource, decoded_at: float,
                redeem: Callable[[Ledger, float, GateContext], Redemption], *,
                confirm: bool = True) -> None:
        if self._ledger is None:
            self.scan_failed.emit(ScanFailure("not_open", "the ledger is not open", source,
                                              decoded_at))
            return
        started = time.perf_counter()
        now = self.now()
        try:
            result = redeem(self._ledger, now, self._context(now, confirm=confirm))
        except LedgerError as exc:
            log.error("scan NOT recorded (%s): %s", exc.code, exc.message)
            self.scan_failed.emit(ScanFailure(exc.code, exc.message, source, decoded_at))
            return
        except Exception as exc:  # a bug: logged in full, and the gate must not show green
            log.exception("redeem failed unexpectedly")
            self.scan_failed.emit(ScanFailure("internal", str(exc), source, decoded_at))
            return
        assert result.scan_id is not None
        verdict = result.verdict
        admitted = self._info.admitted + (verdict.outcome is Outcome.ADMITTED)
        # Codes that did not parse never leave the gate (docs/sync-client.md).
        pending = self._info.pending_uploads + (verdict.ticket is not None)
        self._info = replace(self._info, admitted=admitted, pending_uploads=pending)
        self.scan_decided.emit(ScanResult(verdict, source, result.scan_id, decoded_at,
                                          admitted, pending, self._info.zone, started,
                                          time.perf_counter()))

    @Slot(str)
    def find_tickets(self, query: str) -> None:
        """Look tickets up for the manual lookup panel; None for matches: the ledger failed."""
        if self._ledger is None:
            self.tickets_found.emit(query, None, {})
            return
        try:
            matches = self._ledger.find_tickets(query)
            event_id = self._info.event_id
            policy = self._ledger.event(event_id) if event_id is not None else None
        except LedgerError as exc:
            log.error("manual lookup failed: %s", exc.message)
            self.tickets_found.emit(query, None, {})
            return
        names = {t.id: t.name for t in policy.ticket_types} if policy else {}
        self.tickets_found.emit(query, matches, names)

    # -- supervisor actions (gatescan.gate.ledger.supervisor) ---------------------------------
    @Slot(str, str)
    def admit_anyway(self, scan_id: str, reason: str) -> None:
        """Record "admit anyway" for this gate's latest scan, a refusal, with the reason."""
        self._act(lambda ledger, now, gate: ledger.admit_anyway(
            scan_id, reason, now, gate, window=self._undo_window))

    @Slot(str, str)
    def undo_admission(self, reason: str, scan_id: str) -> None:
        """Record that the person of the latest admission (or of `scan_id`) did not go through."""
        self._act(lambda ledger, now, gate: ledger.undo_admission(
            reason, now, gate, scan_id=scan_id or None, window=self._undo_window))

    def _act(self, action: Callable[[Ledger, float, GateContext], Redemption]) -> None:
        if self._ledger is None:
            self.action_refused.emit("not_open", "the ledger is not open")
            return
        now = self.now()
        try:
            result = action(self._ledger, now, self._context(now))
            admitted, pending = reports.gate_counts(self._ledger)
        except (SupervisorError, LedgerError) as exc:
            log.warning("supervisor action refused (%s): %s", exc.code, exc.message)
            self.action_refused.emit(exc.code, exc.message)
            return
        assert result.scan_id is not None
        self._info = replace(self._info, admitted=admitted, pending_uploads=pending)
        self.action_recorded.emit(ScanResult(result.verdict, ScanSource.MANUAL, result.scan_id,
                                             time.perf_counter(), admitted, pending,
                                             self._info.zone))

    # -- manager ----------------------------------------------------------------------
    @Slot()
    def refresh_counts(self) -> None:
        """Re-read the counters (after a sync marked scans uploaded)."""
        if self._ledger is None:
            return
        try:
            admitted, pending = reports.gate_counts(self._ledger)
        except LedgerError as exc:
            log.error("reading the gate counters failed: %s", exc.message)
            return
        self._info = replace(self._info, admitted=admitted, pending_uploads=pending)
        self.counts_changed.emit(admitted, pending)

    @Slot()
    def load_stats(self) -> None:
        """Report counts, five-minute buckets, recent scans and conflicts for the manager view."""
        if self._ledger is None:
            return
        try:
            stats = reports.gate_report(self._ledger, self.now())
        except LedgerError as exc:
            log.error("reading the manager statistics failed: %s", exc.message)
            return
        self.stats_loaded.emit(stats)

    @Slot(str, bool)
    def import_manifest(self, path: str, replace_event: bool) -> None:
        """Load a manifest file (a USB stick); `replace_event` switches to another event."""
        if self._ledger is None:
            self.manifest_failed.emit("the ledger is not open")
            return
        try:
            # An enrolled gate pins a USB manifest to its enrollment's keys, as sync does.
            result = self._ledger.import_manifest(path, replace=replace_event,
                                                  pinned=self._info.pinned_keys)
            self._info = self._read_info()
        except ManifestError as exc:
            self.manifest_failed.emit(f"{exc.message} ({exc.code})")
            return
        except LedgerError as exc:
            self.manifest_failed.emit(exc.message)
            return
        except OSError as exc:
            self.manifest_failed.emit(exc.strerror or str(exc))
            return
        log.info("imported manifest #%d of event %d: %d tickets", result.sequence,
                 result.event.event_id, result.tickets)
        self.manifest_imported.emit(self._info)

    @Slot(str)
    def export_scans(self, path: str) -> None:
        """Write the scan log as CSV to `path`."""
        if self._ledger is None:
            self.export_failed.emit("the ledger is not open")
            return
        try:
            count = reports.export_scans(self._ledger, Path(path))
        except LedgerError as exc:
            log.error("exporting scans failed: %s", exc.message)
            self.export_failed.emit(exc.message)
            return
        except OSError as exc:
            log.error("exporting scans failed: %s", exc)
            self.export_failed.emit(exc.strerror or str(exc))
            return
        self.scans_exported.emit(path, count)
