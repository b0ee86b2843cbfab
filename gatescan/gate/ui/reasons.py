"""Turning verdicts and recording failures into the words on the verdict panel.

English shows the verifier's own plain-words reason ("Already used at Gate 3 at
19:02"); other languages get a translated sentence per outcome, filled in from
the verdict's structured fields where it has them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from gatescan.gate.ui.display import Tone, VerdictDisplay
from gatescan.gate.ui.kinds import ScanSource
from gatescan.protocol.clock import UTC_ZONE, EventTime, format_hm
from gatescan.protocol.token import format_ticket_id
from gatescan.protocol.verdict import Level, Outcome, TicketFacts, Verdict

translate = QCoreApplication.translate
SEP = "  ·  "


def _headlines() -> dict[Outcome, str]:
    return {
        Outcome.ADMITTED: translate("Verdict", "Ticket valid"),
        Outcome.EXIT_RECORDED: translate("Verdict", "Exit recorded"),
        Outcome.REPEAT_READ: translate("Verdict", "Already admitted here"),
        Outcome.ALREADY_USED: translate("Verdict", "Already used"),
        Outcome.REENTRY_NOT_ALLOWED: translate("Verdict", "No re-entry"),
        Outcome.STALE_CODE: translate("Verdict", "Screenshot or old code"),
        Outcome.FUTURE_CODE: translate("Verdict", "Code from the future"),
        Outcome.BAD_SIGNATURE: translate("Verdict", "Forged or altered code"),
        Outcome.UNKNOWN_KEY: translate("Verdict", "Unknown issuer key"),
        Outcome.WRONG_EVENT: translate("Verdict", "Different event"),
        Outcome.UNKNOWN_TICKET_TYPE: translate("Verdict", "Not on this gate's list"),
        Outcome.REVOKED: translate("Verdict", "Ticket cancelled"),
        Outcome.SUPERSEDED: translate("Verdict", "Old ticket: transferred"),
        Outcome.NOT_YET_VALID: translate("Verdict", "Not valid yet"),
        Outcome.EXPIRED: translate("Verdict", "Ticket expired"),
        Outcome.OUTSIDE_TIME_SLOT: translate("Verdict", "Outside time slot"),
        Outcome.WRONG_GATE: translate("Verdict", "Wrong entrance"),
        Outcome.CLOCK_UNSET: translate("Verdict", "Gate clock not set"),
        Outcome.MALFORMED: translate("Verdict", "Not a ticket code"),
        Outcome.OVERRIDE_ADMITTED: translate("Verdict", "Admitted by a supervisor"),
        Outcome.ADMISSION_UNDONE: translate("Verdict", "Admission undone"),
    }


def _explanations() -> dict[Outcome, str]:
    return {
        Outcome.EXIT_RECORDED: translate("Verdict", "Exit recorded"),
        Outcome.REPEAT_READ: translate("Verdict", "Admitted a moment ago: not counted again"),
        Outcome.STALE_CODE: translate(
            "Verdict", "The code has expired: ask for the live code in the ticket app"),
        Outcome.FUTURE_CODE: translate(
            "Verdict", "Check the phone's clock or this gate's clock"),
        Outcome.BAD_SIGNATURE: translate("Verdict", "This code was forged or altered"),
        Outcome.UNKNOWN_KEY: translate(
            "Verdict", "Signed by a key this gate does not trust: sync needed?"),
        Outcome.WRONG_EVENT: translate("Verdict", "This ticket is for a different event"),
        Outcome.UNKNOWN_TICKET_TYPE: translate(
            "Verdict", "Not on this gate's list: sync, then try again"),
        Outcome.REVOKED: translate("Verdict", "This ticket was cancelled (refund)"),
        Outcome.SUPERSEDED: translate(
            "Verdict", "It was transferred to someone else: ask for the new ticket"),
        Outcome.NOT_YET_VALID: translate("Verdict", "This ticket is not valid yet"),
        Outcome.EXPIRED: translate("Verdict", "This ticket has expired"),
        Outcome.OUTSIDE_TIME_SLOT: translate("Verdict", "Outside this ticket's time slot"),
        Outcome.WRONG_GATE: translate("Verdict", "This ticket is for another entrance"),
        Outcome.CLOCK_UNSET: translate("Verdict", "Sync with the server or set the time"),
        Outcome.MALFORMED: translate("Verdict", "Not a valid ticket code"),
        Outcome.OVERRIDE_ADMITTED: translate("Verdict", "A supervisor admitted this ticket"),
        Outcome.ADMISSION_UNDONE: translate("Verdict", "The person did not go through"),
    }


def outcome_label(code: str) -> str:
    """A short translated label for a stored outcome code ('already_used' -> 'Already used')."""
    try:
        return _headlines()[Outcome(code)]
    except ValueError:
        return code.replace("_", " ")


def level_word(tone: Tone) -> str:
    """The big word of a panel: ADMIT, REFUSED, CHECK, ALREADY ADMITTED HERE or NOT RECORDED."""
    words = {
        Tone.ADMIT: translate("Verdict", "ADMIT"),
        Tone.REFUSE: translate("Verdict", "REFUSED"),
        Tone.CHECK: translate("Verdict", "CHECK"),
        Tone.REPEAT: translate("Verdict", "ALREADY ADMITTED HERE"),
        Tone.ERROR: translate("Verdict", "NOT RECORDED"),
    }
    return words[tone]


def ago(seconds: float) -> str:
    """How long since the previous use, e.g. 8 s ago or 3 min ago."""
    n = max(0, int(seconds))
    if n < 120:
        return translate("Verdict", "{n} s ago").format(n=n)
    return translate("Verdict", "{n} min ago").format(n=n // 60)


def _or_list(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return translate("Verdict", "{names} or {last}").format(names=", ".join(names[:-1]),
                                                            last=names[-1])


def _repeat_display(verdict: Verdict, source: ScanSource) -> VerdictDisplay:
    """The blue panel of a repeat read: where (here), how long ago, the ticket; never a yes."""
    exit_ = verdict.previous_direction == "exit"
    word = translate("Verdict", "ALREADY SCANNED OUT HERE") if exit_ else level_word(Tone.REPEAT)
    title = ago(verdict.since_previous) if verdict.since_previous is not None \
        else _headlines()[Outcome.REPEAT_READ]
    detail = _facts_line(verdict.ticket, with_type=True)
    if source is ScanSource.MANUAL and verdict.ticket is not None:
        number = translate("Verdict", "Ticket {ticket}").format(
            ticket=format_ticket_id(verdict.ticket.ticket_id))
        detail = SEP.join(p for p in (detail, number) if p)
    return VerdictDisplay(Tone.REPEAT, word, title, detail,
                          _explanations()[Outcome.REPEAT_READ], source)


def _clock(t: float, zone: EventTime) -> str:
    return format_hm(t, zone)


def _used_at(gate: str, at: str) -> str:
    return translate("Verdict", "Already used at {gate} at {time}").format(gate=gate, time=at)


def _facts_line(facts: TicketFacts | None, with_type: bool, listed_note: bool = True) -> str:
    if facts is None:
        return ""
    parts = []
    if with_type and facts.type_name:
        parts.append(facts.type_name)
    if facts.seat:
        parts.append(facts.seat)
    if facts.zone:
        parts.append(translate("Verdict", "zone {zone}").format(zone=facts.zone))
    if not facts.listed and listed_note:
        parts.append(translate("Verdict", "not on this gate's list"))
    return SEP.join(parts)


def describe_verdict(verdict: Verdict, *, english: bool, zone: EventTime = UTC_ZONE,
                     source: ScanSource = ScanSource.CAMERA) -> VerdictDisplay:
    """The panel for a recorded verdict."""
    level = verdict.level or (Level.ADMIT if verdict.admit else Level.REFUSE)
    tone = Tone(level.value)
    if tone is Tone.REPEAT:
        return _repeat_display(verdict, source)
    outcome = verdict.outcome
    facts = verdict.ticket
    exit_ok = outcome is Outcome.EXIT_RECORDED
    word = translate("Verdict", "EXIT OK") if exit_ok else level_word(tone)
    if tone is Tone.ADMIT:
        named = facts.type_name if facts is not None else None
        title = named or _headlines()[outcome]
        detail = _facts_line(facts, with_type=False)
    else:
        title = _headlines()[outcome]
        # "Not on this gate's list" is the title already: not again in the line below it.
        detail = _facts_line(facts, with_type=True,
                             listed_note=outcome is not Outcome.UNKNOWN_TICKET_TYPE)
    reason = _reason(verdict, title, english, zone)
    if source is ScanSource.MANUAL:
        if facts is not None:  # staff check they typed the number they meant
            number = translate("Verdict", "Ticket {ticket}").format(
                ticket=format_ticket_id(facts.ticket_id))
            detail = SEP.join(p for p in (detail, number) if p)
        if verdict.admit and not english:
            reason = translate("Verdict", "Admitted by ticket number (no phone)")
    return VerdictDisplay(tone, word, title, detail, reason, source)


def _reason(verdict: Verdict, title: str, english: bool, zone: EventTime) -> str:
    outcome = verdict.outcome
    if english:
        return "" if verdict.reason.strip() == title else verdict.reason
    prev_gate, prev_time = verdict.previous_gate, verdict.previous_time
    if prev_gate is not None and prev_time is not None:
        at = _clock(prev_time, zone)
        if outcome is Outcome.ALREADY_USED and verdict.previous_here:
            return translate("Verdict", "Already used here at {time}").format(time=at)
        if outcome is Outcome.ALREADY_USED:
            return _used_at(prev_gate, at)
        if outcome is Outcome.REENTRY_NOT_ALLOWED:
            return translate("Verdict", "No re-entry: left at {gate} at {time}").format(
                gate=prev_gate, time=at)
    if outcome is Outcome.WRONG_GATE and verdict.go_to:
        return translate("Verdict", "Go to {gates}").format(gates=_or_list(verdict.go_to))
    return _explanations().get(outcome, "")


def describe_failure(code: str, message: str) -> VerdictDisplay:
    """The panel for a scan the ledger could not record: never green."""
    reasons = {
        "disk_full": translate("Verdict", "The disk is full: scans cannot be recorded"),
        "locked": translate("Verdict", "The ledger is busy: try again"),
        "read_only": translate("Verdict", "The ledger cannot be written"),
        "io_error": translate("Verdict", "Disk error while recording"),
        "corrupt": translate("Verdict", "The ledger file is damaged"),
        "ledger_gone": translate("Verdict", "The ledger file was deleted or replaced: "
                                            "restart the app, nothing is being recorded"),
        "ledger_damaged": translate("Verdict", "The ledger file is damaged: run gatescan "
                                               "recover (see the operations guide)"),
        "no_event": translate("Verdict", "No event loaded: import a manifest first"),
    }
    return VerdictDisplay(Tone.ERROR, level_word(Tone.ERROR),
                          translate("Verdict", "Do not admit: call a manager"), "",
                          reasons.get(code, message))


def describe_bad_ticket_number() -> VerdictDisplay:
    """The panel for a typed ticket number that is not one (nothing is recorded)."""
    return VerdictDisplay(Tone.REFUSE, level_word(Tone.REFUSE),
                          translate("Verdict", "Not a ticket number"), "",
                          translate("Verdict", "Type the 16-character ticket number"),
                          ScanSource.MANUAL)
