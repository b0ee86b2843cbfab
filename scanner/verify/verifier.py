"""The verifier: a pure function of (token text, now, ledger view, gate) -> Verdict.

Checks run from the cheapest-to-forge to the most specific: format, event,
issuer key and signature, holder signature and time step, then the ticket's
status, validity, slot, gate, and its earlier movements. The first failing
check decides; every path returns a `Verdict`, none raises.
"""

from __future__ import annotations

import time

from scanner.verify.policy import EventPolicy, TicketType
from scanner.verify.token import Token, TokenError, parse_token
from scanner.verify.verdict import Level, Outcome, TicketFacts, Verdict
from scanner.verify.view import GateContext, LedgerView, Movement, TicketRecord


def _clock(t: float, policy: EventPolicy) -> str:
    """Event-local HH:MM for reasons shown to staff."""
    return time.strftime("%H:%M", time.gmtime(t + policy.tz_offset_minutes * 60))


def _day_clock(t: float, policy: EventPolicy) -> str:
    return time.strftime("%d %b %H:%M", time.gmtime(t + policy.tz_offset_minutes * 60))


def verify(text: str | bytes, now: float, view: LedgerView, gate: GateContext) -> Verdict:
    """Decide one scan. Pure: reads `view`, writes nothing."""
    try:
        token = parse_token(text)
    except TokenError as exc:
        return Verdict(Outcome.MALFORMED, f"Not a valid ticket code: {exc.message}")
    cred = token.credential
    policy = view.event(cred.event_id)
    if policy is None:
        return Verdict(Outcome.WRONG_EVENT, "Ticket is for a different event",
                       event_id=cred.event_id)
    return _verify_for_event(token, now, view, gate, policy)


def _verify_for_event(token: Token, now: float, view: LedgerView, gate: GateContext,
                      policy: EventPolicy) -> Verdict:
    cred = token.credential
    record = view.ticket(cred.ticket_id)
    ttype = policy.ticket_type(cred.type_id)
    gate_info = policy.gate(gate.gate)
    facts = TicketFacts(
        ticket_id=cred.ticket_id,
        serial=cred.serial,
        type_id=cred.type_id,
        type_name=ttype.name if ttype else None,
        seat=record.seat if record else None,
        zone=gate_info.zone if gate_info else None,
        listed=record is not None,
    )

    def refuse(outcome: Outcome, reason: str, level: Level | None = None) -> Verdict:
        return Verdict(outcome, reason, facts, level=level, event_id=policy.event_id)

    keys = view.issuer_keys(policy.event_id, cred.kid)
    if not keys:
        return refuse(Outcome.UNKNOWN_KEY,
                      "Ticket signed by an issuer key this gate does not trust (sync needed?)")
    if not any(token.issuer_signature_ok(k) for k in keys):
        return refuse(Outcome.BAD_SIGNATURE, "Forged or altered ticket (issuer signature)")
    if not token.holder_signature_ok():
        return refuse(Outcome.BAD_SIGNATURE, "Forged or altered code (phone signature)")

    if not gate.clock_trusted:
        return refuse(Outcome.CLOCK_UNSET,
                      "Gate clock is not set: sync with the server or set the time",
                      Level.CHECK)
    now_step = int(now // policy.rotation_period)
    tolerance = policy.clock_tolerance_steps
    if token.step < now_step - tolerance:
        age = int(now - token.step * policy.rotation_period)
        return refuse(Outcome.STALE_CODE,
                      f"Screenshot or old code: it expired {_age(age)} ago")
    if token.step > now_step + tolerance:
        return refuse(Outcome.FUTURE_CODE,
                      "Code is from the future: check the phone's clock or this gate's clock")

    if ttype is None:
        return refuse(Outcome.UNKNOWN_TICKET_TYPE,
                      f"Unknown ticket type {cred.type_id} (sync needed?)")
    if record is not None and record.revoked and record.serial <= cred.serial:
        why = f" ({record.revoked_reason})" if record.revoked_reason else ""
        return refuse(Outcome.REVOKED, f"Ticket cancelled{why}")
    if record is not None and record.serial > cred.serial:
        return refuse(Outcome.SUPERSEDED,
                      "Old ticket: it was transferred to someone else")
    if record is None and not policy.admit_unlisted:
        return refuse(Outcome.UNKNOWN_TICKET_TYPE,
                      "Ticket not on this gate's list: sync, then try again", Level.CHECK)
    if now < cred.valid_from:
        return refuse(Outcome.NOT_YET_VALID,
                      f"Not valid yet: valid from {_day_clock(cred.valid_from, policy)}")
    if now > cred.valid_until:
        return refuse(Outcome.EXPIRED,
                      f"Ticket expired {_day_clock(cred.valid_until, policy)}")
    if ttype.slot is not None and not ttype.slot.contains(now):
        slot = ttype.slot
        when = "starts" if now < slot.start else "ended"
        at = slot.start if now < slot.start else slot.end
        return refuse(Outcome.OUTSIDE_TIME_SLOT,
                      f"Outside time slot {_clock(slot.start, policy)}–{_clock(slot.end, policy)}"
                      f" ({when} {_clock(at, policy)})")
    wrong = _wrong_gate(ttype, gate, gate_info.zone if gate_info else None)
    if wrong:
        return refuse(Outcome.WRONG_GATE, wrong)
    return _decide_movement(token, now, view, gate, policy, ttype, record, facts)


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def _wrong_gate(ttype: TicketType, gate: GateContext, zone: str | None) -> str | None:
    if ttype.gates and gate.gate.casefold() not in {g.casefold() for g in ttype.gates}:
        return f"{ttype.name}: use {' or '.join(ttype.gates)}"
    if ttype.zones and zone not in ttype.zones:
        return (f"Wrong entrance: {ttype.name} is for {' / '.join(ttype.zones)},"
                f" this gate is {zone or 'not in the event plan'}")
    return None


def _decide_movement(token: Token, now: float, view: LedgerView, gate: GateContext,
                     policy: EventPolicy, ttype: TicketType, record: TicketRecord | None,
                     facts: TicketFacts) -> Verdict:
    moves = view.movements(token.credential.ticket_id)

    def verdict(outcome: Outcome, reason: str, prev: Movement | None = None) -> Verdict:
        return Verdict(outcome, reason, facts, event_id=policy.event_id,
                       previous_time=prev.time if prev else None,
                       previous_gate=prev.gate if prev else None)

    last = moves[-1] if moves else None
    if (last is not None and last.direction == gate.direction
            and last.device_id == gate.device_id and last.gate == gate.gate
            and 0 <= now - last.time <= policy.repeat_read_seconds):
        return verdict(Outcome.REPEAT_READ,
                       f"Just {'admitted' if gate.direction == 'entry' else 'scanned out'} here"
                       f" ({int(now - last.time)} s ago)", last)
    if gate.direction == "exit":
        return verdict(Outcome.EXIT_RECORDED, f"Exit recorded ({ttype.name})")

    if ttype.per_day:
        today = policy.local_day(now)
        moves = [m for m in moves if policy.local_day(m.time) == today]
    entries = [m for m in moves if m.direction == "entry"]
    if not entries:
        return verdict(Outcome.ADMITTED, _admit_reason(ttype, 1))
    last = moves[-1]
    if last.direction == "exit":
        if ttype.reentry:
            return verdict(Outcome.ADMITTED, f"Welcome back: re-entry ({ttype.name})")
        return verdict(Outcome.REENTRY_NOT_ALLOWED,
                       f"No re-entry: left at {last.gate} at {_clock(last.time, policy)}", last)
    if len(entries) < ttype.max_entries:
        return verdict(Outcome.ADMITTED, _admit_reason(ttype, len(entries) + 1))
    used = entries[-1]
    if ttype.max_entries > 1:
        where = f"{used.gate} at {_clock(used.time, policy)}"
        return verdict(Outcome.ALREADY_USED,
                       f"All {ttype.max_entries} already admitted (last at {where})", used)
    # Two admissions of a single-entry ticket happen when gates were offline at once; this
    # gate knows its own, so name the other gate's (the news for the person at this one).
    used = next((m for m in reversed(entries) if m.device_id != gate.device_id), used)
    where = f"{used.gate} at {_clock(used.time, policy)}"
    return verdict(Outcome.ALREADY_USED, f"Already used at {where}", used)


def _admit_reason(ttype: TicketType, nth: int) -> str:
    if ttype.max_entries > 1:
        return f"{ttype.name}: person {nth} of {ttype.max_entries}"
    return ttype.name
