"""Supervisor actions and the turnstile in the gate app.

`SupervisorActions` sits between the ledger worker and the window: it pulses
the turnstile for each recorded admission (off the GUI thread, through
`gatescan.gate.actuators.door.Door`), remembers the latest refusal for "admit
anyway", asks for the reason of an action (the manager view is behind the PIN)
and asks the ledger worker to record it. A "passed" sensor that saw nobody
makes it record `admission_undone` with the reason "no passage".
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from gatescan.gate.actuators.base import ActuatorError
from gatescan.gate.actuators.door import Door
from gatescan.gate.actuators.spec import RelaySettings, open_relay, open_sensor
from gatescan.gate.ledger.supervisor import NO_PASSAGE
from gatescan.gate.ui.ledger_worker import ScanResult
from gatescan.gate.ui.main_window import MainWindow
from gatescan.gate.ui.messages import MessageBridge
from gatescan.gate.ui.reasons import outcome_label
from gatescan.gate.ui.supervisor_dialog import ReasonDialog
from gatescan.protocol.token import format_ticket_id
from gatescan.protocol.verdict import Outcome

log = logging.getLogger(__name__)

OVERRIDE_PIN = "override"  # the PIN prompt's purpose for F4 "admit anyway"


def open_door(settings: RelaySettings, on_no_passage: Callable[[str], None],
              on_error: Callable[[ActuatorError], None]) -> Door | None:
    """The door for these settings, None without a relay; raises `ActuatorError`."""
    if settings.relay is None:
        return None
    relay = open_relay(settings.relay)
    try:
        sensor = None if settings.passed_pin is None else open_sensor(settings.passed_pin)
    except ActuatorError:
        relay.close()
        raise
    return Door(relay, pulse_ms=settings.pulse_ms, sensor=sensor,
                passed_timeout=settings.passed_timeout, on_no_passage=on_no_passage,
                on_error=on_error)


class SupervisorActions(QObject):
    """Admit anyway, undo the last admission, and one turnstile pulse per admission."""

    override_requested = Signal(str, str)  # refused scan id, reason
    undo_requested = Signal(str, str)  # reason, admission scan id ('' for the latest)
    _no_passage = Signal(str)  # from the door's thread: queued onto this object's thread
    _relay_failed = Signal(str)

    def __init__(self, relay: RelaySettings, messages: MessageBridge,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.messages = messages
        self.relay = relay
        self.refused: ScanResult | None = None  # the latest scan, if it was refused
        self.admitted: ScanResult | None = None  # the latest admission here
        self._no_passage.connect(self._undo_no_passage)
        self._relay_failed.connect(self._report_relay)
        self.door: Door | None = None

    def start(self) -> None:
        """Open the relay (and sensor); a missing one is an operator error, not a crash."""
        try:
            self.door = open_door(self.relay, self._no_passage.emit,
                                  lambda exc: self._relay_failed.emit(exc.message))
        except ActuatorError as exc:
            self._report_relay(exc.message)
            return
        if self.door is not None:
            log.info("turnstile relay %s, %d ms pulse", self.relay.relay and
                     self.relay.relay.describe(), self.relay.pulse_ms)

    def close(self) -> None:
        """Send queued pulses, release the relay."""
        door, self.door = self.door, None
        if door is not None and not door.close():
            log.warning("the turnstile thread did not stop in time")

    def attach(self, window: MainWindow) -> None:
        """Wire a (new) window: the manager view's two buttons, and F4 on the gate screen
        ("admit anyway" right on a refused verdict, after the manager PIN)."""
        window.manager.override_requested.connect(lambda: self.ask_override(window))
        window.manager.undo_requested.connect(lambda: self.ask_undo(window))
        QShortcut(QKeySequence(Qt.Key.Key_F4), window.gate, lambda: self._gate_override(window))
        window.pin_confirmed.connect(
            lambda purpose: self.ask_override(window) if purpose == OVERRIDE_PIN else None)

    def _gate_override(self, window: MainWindow) -> None:
        if self.refused is None:
            self.messages.post(self.tr("No refused scan to admit: the latest scan was not "
                                       "refused"), "warn")
            return
        window.request_pin(OVERRIDE_PIN, self.tr("Manager PIN to admit anyway"))

    # -- verdicts from the ledger worker ------------------------------------------------
    @Slot(object)
    def scan_recorded(self, result: ScanResult) -> None:
        """A scan durably recorded: pulse if it admits; remember it for the actions."""
        verdict = result.verdict
        if self.door is not None:
            self.door.admitted(result.scan_id, verdict)
        self.refused = None if verdict.admit else result
        if verdict.outcome in (Outcome.ADMITTED, Outcome.OVERRIDE_ADMITTED):
            self.admitted = result

    @Slot(object)
    def action_recorded(self, result: ScanResult) -> None:
        """A supervisor action recorded: an override opens the turnstile, an undo does not."""
        if result.verdict.outcome is not Outcome.ADMISSION_UNDONE:
            self.scan_recorded(result)
        else:
            self.admitted = self.refused = None
            ticket = result.verdict.ticket
            self.messages.post(self.tr("Admission undone: ticket {ticket} can enter again")
                               .format(ticket=format_ticket_id(ticket.ticket_id)
                                       if ticket else "—"), "info")

    @Slot(str, str)
    def action_refused(self, code: str, message: str) -> None:
        """The ledger would not record the action: say why."""
        texts = {
            "nothing_to_undo": self.tr("There is no admission to undo"),
            "already_undone": self.tr("That admission was already undone"),
            "too_late": self.tr("Too late: only recent scans can be changed"),
            "not_latest": self.tr("Another scan came after it: it cannot be changed now"),
            "not_refused": self.tr("That scan was not refused"),
            "no_reason": self.tr("A reason is required"),
        }
        self.messages.post(texts.get(code, message), "warn")

    # -- the manager's buttons -----------------------------------------------------------
    def ask_override(self, parent: QWidget) -> ReasonDialog | None:
        """Ask why the latest refusal is admitted anyway, then request it (None: nothing to do)."""
        refused = self.refused
        if refused is None:
            self.messages.post(self.tr("No refused scan to admit: the latest scan was not "
                                       "refused"), "warn")
            return None
        dialog = ReasonDialog(self.tr("Admit anyway"), self._about(refused),
                              self.tr("Admit anyway"), [self.tr("Checked with the box office"),
                                                        self.tr("Organizer decision")], parent)
        dialog.accepted.connect(lambda: self.override_requested.emit(refused.scan_id,
                                                                     dialog.reason()))
        dialog.open()
        return dialog

    def ask_undo(self, parent: QWidget) -> ReasonDialog:
        """Ask why the latest admission is undone, then request it (the ledger checks it)."""
        last = self.admitted
        about = self._about(last) if last is not None else self.tr("The latest admission here")
        dialog = ReasonDialog(self.tr("Undo last admission"), about,
                              self.tr("Undo admission"), [self.tr("Did not go through"),
                                                          self.tr("Turned back")], parent)
        dialog.accepted.connect(lambda: self.undo_requested.emit(dialog.reason(), ""))
        dialog.open()
        return dialog

    def _about(self, result: ScanResult) -> str:
        verdict = result.verdict
        ticket = verdict.ticket
        parts = [format_ticket_id(ticket.ticket_id) if ticket else self.tr("unreadable code")]
        if ticket is not None and ticket.type_name:
            parts.append(ticket.type_name)
        parts.append(outcome_label(verdict.outcome.value))
        return "  ·  ".join(parts)

    # -- the door's reports (arrive on this object's thread) ------------------------------
    def _undo_no_passage(self, scan_id: str) -> None:
        self.undo_requested.emit(NO_PASSAGE, scan_id)

    def _report_relay(self, message: str) -> None:
        self.messages.post(self.tr("Turnstile relay failed: {reason}").format(reason=message),
                           "error")
