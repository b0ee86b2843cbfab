"""The sentence under a verdict's headline: one table, worded per language by Qt's catalogue.

The English sentences are the source texts (what English staff read: the same
words as the verifier's `Verdict.reason` on the command line); the zh_CN
catalogue (`i18n/gatescan_zh_CN.ts`) is the Chinese table. Every sentence is
filled in from the verdict's structured fields and its `Because`, never from
the English `reason` text (tests/gate/ui/test_sentences.py holds the two equal).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from gatescan.protocol.clock import EventTime, format_day_hm, format_hm, local_day
from gatescan.protocol.verdict import Outcome, Verdict

translate = QCoreApplication.translate


def _age(seconds: int) -> str:
    """How long, as the verifier counts it: seconds under 2 min, minutes under 2 h, hours."""
    if seconds < 120:
        return translate("Verdict", "{n} s").format(n=seconds)
    if seconds < 7200:
        return translate("Verdict", "{n} min").format(n=seconds // 60)
    return translate("Verdict", "{n} h").format(n=seconds // 3600)


def _or_list(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return translate("Verdict", "{names} or {last}").format(names=", ".join(names[:-1]),
                                                            last=names[-1])


def _when(verdict: Verdict, zone: EventTime) -> str:
    """The previous use's time: HH:MM on the day of this scan, else with the date."""
    t = verdict.previous_time
    assert t is not None
    now = t + (verdict.since_previous or 0.0)
    return format_hm(t, zone) if local_day(t, zone) == local_day(now, zone) \
        else format_day_hm(t, zone)


def _type_name(verdict: Verdict) -> str:
    return (verdict.ticket.type_name if verdict.ticket is not None else None) or ""


def _previous(verdict: Verdict, zone: EventTime) -> str:
    """Already used (a single ticket, or the last person of a group): where and when."""
    at, gate, group = _when(verdict, zone), verdict.previous_gate, verdict.because.max_entries
    if verdict.outcome is Outcome.REENTRY_NOT_ALLOWED:
        return translate("Verdict", "No re-entry: left at {gate} at {time}").format(
            gate=gate, time=at)
    if group is not None and verdict.previous_here:
        return translate("Verdict", "All {n} already admitted (last here at {time})").format(
            n=group, time=at)
    if group is not None:
        return translate("Verdict", "All {n} already admitted (last at {gate} at {time})"
                         ).format(n=group, gate=gate, time=at)
    if verdict.previous_here:
        return translate("Verdict", "Already used here at {time}").format(time=at)
    return translate("Verdict", "Already used at {gate} at {time}").format(gate=gate, time=at)


def _admitted(verdict: Verdict) -> str:
    why, name = verdict.because, _type_name(verdict)
    if why.reentry:
        text = translate("Verdict", "Welcome back: re-entry ({type})").format(type=name)
    elif why.entry is not None and why.max_entries is not None:
        text = translate("Verdict", "{type}: person {n} of {total}").format(
            type=name, n=why.entry, total=why.max_entries)
    else:
        text = name
    if why.manual:
        return translate("Verdict", "Manual: {admitted}").format(admitted=text)
    return text


def _not_listed(verdict: Verdict) -> str:
    why = verdict.because
    if why.number_unknown:
        return translate("Verdict", "Ticket number not on this gate's list: check it, or sync "
                                    "and try again")
    if why.type_unknown:
        type_id = verdict.ticket.type_id if verdict.ticket is not None else 0
        return translate("Verdict", "Unknown ticket type {type_id} (sync needed?)").format(
            type_id=type_id)
    return translate("Verdict", "Ticket not on this gate's list: sync, then try again")


def _when_valid(verdict: Verdict, zone: EventTime) -> str | None:
    """Validity dates and time slots."""
    outcome, why = verdict.outcome, verdict.because
    if outcome is Outcome.NOT_YET_VALID and why.valid_from is not None:
        return translate("Verdict", "Not valid yet: valid from {time}").format(
            time=format_day_hm(why.valid_from, zone))
    if outcome is Outcome.EXPIRED and why.valid_until is not None:
        return translate("Verdict", "Ticket expired {time}").format(
            time=format_day_hm(why.valid_until, zone))
    if outcome is Outcome.OUTSIDE_TIME_SLOT and why.slot is not None:
        start, end = format_hm(why.slot[0], zone), format_hm(why.slot[1], zone)
        if why.slot_ahead:
            return translate("Verdict", "Outside time slot {start}–{end} (starts {start})"
                             ).format(start=start, end=end)
        return translate("Verdict", "Outside time slot {start}–{end} (ended {end})").format(
            start=start, end=end)
    return None


def _refused(verdict: Verdict) -> str:
    """The sentences that need nothing from the time or the movements."""
    outcome, why = verdict.outcome, verdict.because
    if outcome is Outcome.REVOKED:
        if why.revoked_reason:
            return translate("Verdict", "Ticket cancelled ({why})").format(
                why=why.revoked_reason)
        return translate("Verdict", "Ticket cancelled")
    if outcome is Outcome.WRONG_GATE and verdict.go_to:
        return translate("Verdict", "Wrong entrance: go to {gates} ({type})").format(
            gates=_or_list(verdict.go_to), type=_type_name(verdict))
    if outcome is Outcome.WRONG_GATE:
        return translate("Verdict", "Wrong entrance: no gate of this event admits {type}"
                         ).format(type=_type_name(verdict))
    if outcome is Outcome.MALFORMED and why.problem:
        return translate("Verdict", "Not a valid ticket code: {problem}").format(
            problem=why.problem)
    if outcome is Outcome.BAD_SIGNATURE and why.phone_signature:
        return translate("Verdict", "Forged or altered code (phone signature)")
    if outcome is Outcome.CLOCK_UNSET and why.clock_unconfirmed:
        return translate("Verdict", "Gate clock not confirmed: sync with the server or scan "
                                    "the phone's code")
    if outcome is Outcome.EXIT_RECORDED:
        return translate("Verdict", "Exit recorded ({type})").format(type=_type_name(verdict))
    fixed = {
        Outcome.MALFORMED: translate("Verdict", "Not a valid ticket code"),
        Outcome.BAD_SIGNATURE: translate("Verdict",
                                         "Forged or altered ticket (issuer signature)"),
        Outcome.CLOCK_UNSET: translate("Verdict", "Gate clock is not set: sync with the "
                                                  "server or set the time"),
        Outcome.WRONG_EVENT: translate("Verdict", "Ticket is for a different event"),
        Outcome.UNKNOWN_KEY: translate("Verdict", "Ticket signed by an issuer key this gate "
                                                  "does not trust (sync needed?)"),
        Outcome.FUTURE_CODE: translate("Verdict", "Code is from the future: check the "
                                                  "phone's clock or this gate's clock"),
        Outcome.SUPERSEDED: translate("Verdict",
                                      "Old ticket: it was transferred to someone else"),
        Outcome.NEEDS_FULL_CODE: translate("Verdict", "Short code this gate cannot check yet: "
                                                      "ask for the full code ('Full code' in "
                                                      "the wallet)"),
    }
    return fixed.get(outcome, "")


def sentence(verdict: Verdict, zone: EventTime) -> str:
    """The verdict's sentence in the UI's language (English: the verifier's own words)."""
    outcome = verdict.outcome
    if outcome is Outcome.ADMITTED:
        return _admitted(verdict)
    if outcome in (Outcome.ALREADY_USED, Outcome.REENTRY_NOT_ALLOWED) \
            and verdict.previous_time is not None:
        return _previous(verdict, zone)
    if outcome is Outcome.UNKNOWN_TICKET_TYPE:
        return _not_listed(verdict)
    if outcome is Outcome.STALE_CODE and verdict.because.code_age is not None:
        return translate("Verdict", "Screenshot or old code: it expired {age} ago").format(
            age=_age(verdict.because.code_age))
    if outcome in (Outcome.OVERRIDE_ADMITTED, Outcome.ADMISSION_UNDONE):
        return verdict.reason  # the supervisor's own note: data, not wording
    return _when_valid(verdict, zone) or _refused(verdict)
