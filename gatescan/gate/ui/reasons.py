"""Turning verdicts and recording failures into the words on the verdict panel.

All staff-facing words come from one table per language: the English source
texts here and in `sentences.py`, and their zh_CN translations in the catalogue.
The sentence under the headline is filled in from the verdict's structured
fields (`gatescan.gate.ui.sentences`), in English the verifier's own words.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from gatescan.gate.ui.display import Tone, VerdictDisplay
from gatescan.gate.ui.kinds import ScanSource
from gatescan.gate.ui.sentences import sentence
from gatescan.protocol.clock import UTC_ZONE, EventTime
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
        Outcome.NEEDS_FULL_CODE: translate("Verdict", "Ask for the full code"),
        Outcome.OVERRIDE_ADMITTED: translate("Verdict", "Admitted by a supervisor"),
        Outcome.ADMISSION_UNDONE: translate("Verdict", "Admission undone"),
    }


def _repeat_sentence() -> str:
    return translate("Verdict", "Admitted a moment ago: not counted again")


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
                          _repeat_sentence(), source)


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


def describe_verdict(verdict: Verdict, *, zone: EventTime = UTC_ZONE,
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
    reason = sentence(verdict, zone)
    if reason.strip() == title:
        reason = ""
    if source is ScanSource.MANUAL and facts is not None:
        # staff check they typed the number they meant
        number = translate("Verdict", "Ticket {ticket}").format(
            ticket=format_ticket_id(facts.ticket_id))
        detail = SEP.join(p for p in (detail, number) if p)
    return VerdictDisplay(tone, word, title, detail, reason, source)


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
