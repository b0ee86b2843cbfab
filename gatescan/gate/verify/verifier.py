"""The verifier: a pure function of (token text, now, ledger view, gate) -> Verdict.

Checks run from the cheapest-to-forge to the most specific: format, event,
issuer key and signature, holder signature and time step, then the ticket's
status, validity, slot, gate, and its earlier movements. The first failing
check decides; every path returns a `Verdict`, none raises.

The ticket-level half (status, validity, slot, gate, movements) works from a
`TicketClaim`, so `verify_manual` runs it for a ticket id typed in by staff
(a dead phone): the same rules, minus what only a signed code can prove.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gatescan.gate.verify.view import GateContext, LedgerView, Movement, TicketRecord
from gatescan.protocol import clock
from gatescan.protocol.policy import EventPolicy, TicketType
from gatescan.protocol.token import (
    CompactToken,
    Credential,
    Token,
    TokenError,
    is_compact,
    parse_compact,
    parse_credential,
    parse_token,
    step_for,
)
from gatescan.protocol.verdict import Because, Level, Outcome, TicketFacts, Verdict


def _clock(t: float, policy: EventPolicy) -> str:
    """Event-local HH:MM for reasons shown to staff."""
    return clock.format_hm(t, policy)


def _day_clock(t: float, policy: EventPolicy) -> str:
    return clock.format_day_hm(t, policy)


@dataclass(frozen=True, slots=True)
class TicketClaim:
    """Which ticket a scan is about: from a verified credential, or the ledger for a typed id.

    `valid_from`/`valid_until` come from the credential; None means not known
    (the ledger does not keep them), so that check is skipped.
    """

    ticket_id: int
    type_id: int
    serial: int
    valid_from: int | None = None
    valid_until: int | None = None


MANUAL_PREFIX = "Manual"  # an admit from a typed ticket id says so in its reason
PLAIN = Because()  # a sentence with nothing to fill in


def verify(text: str | bytes, now: float, view: LedgerView, gate: GateContext) -> Verdict:
    """Decide one scan (a v1 or a compact v2 code). Pure: reads `view`, writes nothing."""
    if is_compact(text):
        return _verify_compact(text, now, view, gate)
    try:
        token = parse_token(text)
    except TokenError as exc:
        return Verdict(Outcome.MALFORMED, f"Not a valid ticket code: {exc.message}",
                       because=Because(problem=exc.message))
    cred = token.credential
    policy = view.event(cred.event_id)
    if policy is None:
        return Verdict(Outcome.WRONG_EVENT, "Ticket is for a different event",
                       event_id=cred.event_id)
    return _verify_for_event(token, now, view, gate, policy)


def _verify_for_event(token: Token, now: float, view: LedgerView, gate: GateContext,
                      policy: EventPolicy) -> Verdict:
    refused = _issuer_refusal(token, view, policy)
    if refused is not None:
        return refused
    if not token.holder_signature_ok():
        return _unverified(policy, Outcome.BAD_SIGNATURE,
                           "Forged or altered code (phone signature)",
                           Because(phone_signature=True))
    return _signed(token.credential, token.step, now, view, gate, policy)


def _unverified(policy: EventPolicy, outcome: Outcome, reason: str,
                because: Because = PLAIN) -> Verdict:
    """Until both signatures hold, nothing read from the code is shown or recorded."""
    return Verdict(outcome, reason, None, event_id=policy.event_id, because=because)


def _issuer_refusal(token: Token, view: LedgerView, policy: EventPolicy) -> Verdict | None:
    """The refusal if no trusted issuer key of the event signed the credential, else None."""
    keys = view.issuer_keys(policy.event_id, token.credential.kid)
    if not keys:
        return _unverified(policy, Outcome.UNKNOWN_KEY, "Ticket signed by an issuer key this "
                           "gate does not trust (sync needed?)")
    if not any(token.issuer_signature_ok(k) for k in keys):
        return _unverified(policy, Outcome.BAD_SIGNATURE,
                           "Forged or altered ticket (issuer signature)")
    return None


def _verify_compact(text: str | bytes, now: float, view: LedgerView,
                    gate: GateContext) -> Verdict:
    """A v2 code: the signed credential comes from the ledger, checked like a v1 code's.

    The code proves nothing by itself (no issuer signature in it), so a ticket
    whose credential for exactly this serial the gate lacks is `needs_full_code`
    (amber, never admitted), with no ticket facts.
    """
    try:
        code = parse_compact(text)
    except TokenError as exc:
        return Verdict(Outcome.MALFORMED, f"Not a valid ticket code: {exc.message}",
                       because=Because(problem=exc.message))
    signed = view.credential(code.ticket_id)
    held = _held_credential(signed, code)
    if held is None or signed is None:
        return Verdict(Outcome.NEEDS_FULL_CODE, "Short code this gate cannot check yet: "
                       "ask for the full code ('Full code' in the wallet)", level=Level.CHECK)
    policy = view.event(held.event_id)
    if policy is None:
        return Verdict(Outcome.WRONG_EVENT, "Ticket is for a different event",
                       event_id=held.event_id)
    refused = _issuer_refusal(parse_credential(signed), view, policy)
    if refused is not None:
        return refused
    step = code.full_step(step_for(now, policy.rotation_period))
    if not code.holder_signature_ok(signed, step):
        return _unverified(policy, Outcome.BAD_SIGNATURE,
                           "Forged or altered code (phone signature)",
                           Because(phone_signature=True))
    return _signed(held, step, now, view, gate, policy)


def _held_credential(signed: bytes | None, code: CompactToken) -> Credential | None:
    """The gate's credential if it is for the code's ticket, serial and event tag."""
    if signed is None:
        return None
    try:
        cred = parse_credential(signed).credential
    except TokenError:
        return None
    if (cred.ticket_id, cred.serial, cred.event_id & 0xFF) != (
            code.ticket_id, code.serial, code.event_tag):
        return None
    return cred


def _signed(cred: Credential, step: int, now: float, view: LedgerView, gate: GateContext,
            policy: EventPolicy) -> Verdict:
    """Both signatures held: the clock and time step, then the ticket-level checks."""
    claim = TicketClaim(cred.ticket_id, cred.type_id, cred.serial, cred.valid_from,
                        cred.valid_until)
    record = view.ticket(cred.ticket_id)
    facts = _facts(claim, record, policy, gate)

    def refuse(outcome: Outcome, reason: str, because: Because = PLAIN) -> Verdict:
        return Verdict(outcome, reason, facts, event_id=policy.event_id, because=because)

    if not gate.clock_trusted:
        return _clock_unset(facts, policy)
    now_step = step_for(now, policy.rotation_period)
    tolerance = policy.clock_tolerance_steps
    if step < now_step - tolerance:
        age = int(now - step * policy.rotation_period)
        return refuse(Outcome.STALE_CODE,
                      f"Screenshot or old code: it expired {_age(age)} ago", Because(code_age=age))
    if step > now_step + tolerance:
        return refuse(Outcome.FUTURE_CODE,
                      "Code is from the future: check the phone's clock or this gate's clock")
    # The phone's code agreed with this clock to within the tolerance: the time is confirmed.
    return _check_ticket(claim, record, facts, now, view, gate, policy, clock_confirmed=True)


def verify_manual(ticket_id: int, now: float, view: LedgerView, gate: GateContext,
                  policy: EventPolicy) -> Verdict:
    """Decide an admission by typed ticket id (no phone). Pure: reads `view`, writes nothing.

    Without a code there is no signature to check, so the ticket must be on
    this gate's list; then the ticket-level rules apply as for a scan. An admit
    is green and its reason starts with "Manual".
    """
    record = view.ticket(ticket_id)
    if record is None:
        facts = TicketFacts(ticket_id, serial=0, type_id=0, listed=False)
        return Verdict(Outcome.UNKNOWN_TICKET_TYPE,
                       "Ticket number not on this gate's list: check it, or sync and try again",
                       facts, level=Level.CHECK, event_id=policy.event_id,
                       because=Because(number_unknown=True))
    claim = TicketClaim(record.ticket_id, record.type_id, record.serial)
    facts = _facts(claim, record, policy, gate)
    if record.revoked:  # before the clock: a cancelled ticket is refused whatever the time
        return Verdict(Outcome.REVOKED, _revoked_reason(record), facts,
                       event_id=policy.event_id,
                       because=Because(revoked_reason=record.revoked_reason))
    if not gate.clock_trusted:
        return _clock_unset(facts, policy)
    verdict = _check_ticket(claim, record, facts, now, view, gate, policy,
                            clock_confirmed=gate.clock_confirmed)
    if verdict.admit:
        return replace(verdict, reason=f"{MANUAL_PREFIX}: {verdict.reason}",
                       because=replace(verdict.because, manual=True))
    return verdict


def _facts(claim: TicketClaim, record: TicketRecord | None, policy: EventPolicy,
           gate: GateContext) -> TicketFacts:
    ttype = policy.ticket_type(claim.type_id)
    gate_info = policy.gate(gate.gate)
    return TicketFacts(
        ticket_id=claim.ticket_id,
        serial=claim.serial,
        type_id=claim.type_id,
        type_name=ttype.name if ttype else None,
        seat=record.seat if record else None,
        zone=gate_info.zone if gate_info else None,
        listed=record is not None,
    )


def _clock_unset(facts: TicketFacts, policy: EventPolicy) -> Verdict:
    return Verdict(Outcome.CLOCK_UNSET,
                   "Gate clock is not set: sync with the server or set the time", facts,
                   level=Level.CHECK, event_id=policy.event_id)


def _revoked_reason(record: TicketRecord) -> str:
    why = f" ({record.revoked_reason})" if record.revoked_reason else ""
    return f"Ticket cancelled{why}"


def _check_ticket(claim: TicketClaim, record: TicketRecord | None, facts: TicketFacts,
                  now: float, view: LedgerView, gate: GateContext,
                  policy: EventPolicy, *, clock_confirmed: bool) -> Verdict:
    """The ticket-level checks: type, status, validity, slot, gate, then earlier movements.

    `clock_confirmed` says whether something besides this device vouches for `now`
    (a scanned code's time step, or the server's time): a type whose rules
    depend on the date or hour (per-day passes, time slots) is decided only then.
    """

    def refuse(outcome: Outcome, reason: str, level: Level | None = None,
               because: Because = PLAIN) -> Verdict:
        return Verdict(outcome, reason, facts, level=level, event_id=policy.event_id,
                       because=because)

    ttype = policy.ticket_type(claim.type_id)
    if ttype is None:
        return refuse(Outcome.UNKNOWN_TICKET_TYPE,
                      f"Unknown ticket type {claim.type_id} (sync needed?)",
                      because=Because(type_unknown=True))
    if record is not None and record.revoked and record.serial <= claim.serial:
        return refuse(Outcome.REVOKED, _revoked_reason(record),
                      because=Because(revoked_reason=record.revoked_reason))
    if record is not None and record.serial > claim.serial:
        return refuse(Outcome.SUPERSEDED,
                      "Old ticket: it was transferred to someone else")
    if record is None and not policy.admit_unlisted:
        return refuse(Outcome.UNKNOWN_TICKET_TYPE,
                      "Ticket not on this gate's list: sync, then try again", Level.CHECK)
    if not clock_confirmed and (ttype.per_day or ttype.slot is not None):
        return refuse(Outcome.CLOCK_UNSET,
                      "Gate clock not confirmed: sync with the server or scan the phone's code",
                      Level.CHECK, Because(clock_unconfirmed=True))
    if claim.valid_from is not None and now < claim.valid_from:
        return refuse(Outcome.NOT_YET_VALID,
                      f"Not valid yet: valid from {_day_clock(claim.valid_from, policy)}",
                      because=Because(valid_from=claim.valid_from))
    if claim.valid_until is not None and now > claim.valid_until:
        return refuse(Outcome.EXPIRED,
                      f"Ticket expired {_day_clock(claim.valid_until, policy)}",
                      because=Because(valid_until=claim.valid_until))
    if ttype.slot is not None and not ttype.slot.contains(now):
        slot = ttype.slot
        when = "starts" if now < slot.start else "ended"
        at = slot.start if now < slot.start else slot.end
        return refuse(Outcome.OUTSIDE_TIME_SLOT,
                      f"Outside time slot {_clock(slot.start, policy)}–{_clock(slot.end, policy)}"
                      f" ({when} {_clock(at, policy)})",
                      because=Because(slot=(slot.start, slot.end), slot_ahead=now < slot.start))
    wrong = _wrong_gate(ttype, gate, facts.zone, policy)  # facts.zone: this gate's zone
    if wrong is not None:
        reason, go_to = wrong
        return Verdict(Outcome.WRONG_GATE, reason, facts, event_id=policy.event_id, go_to=go_to)
    return _decide_movement(claim.ticket_id, now, view, gate, policy, ttype, facts)


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def _wrong_gate(ttype: TicketType, gate: GateContext, zone: str | None,
                policy: EventPolicy) -> tuple[str, tuple[str, ...]] | None:
    """None if this gate admits the type, else the reason and the gates that do."""
    named_here = not ttype.gates or gate.gate.casefold() in {g.casefold() for g in ttype.gates}
    if named_here and (not ttype.zones or zone in ttype.zones):
        return None
    # Where to go, by gate name: the event's gates that admit the type.
    accepting = policy.gates_for(ttype) or (() if policy.gates else ttype.gates)
    if not accepting:
        return f"Wrong entrance: no gate of this event admits {ttype.name}", ()
    return f"Wrong entrance: go to {_or_list(accepting)} ({ttype.name})", accepting


def _or_list(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} or {names[-1]}"


def _when(t: float, now: float, policy: EventPolicy) -> str:
    """HH:MM if `t` is on the local day of `now`, else with the date."""
    return _clock(t, policy) if policy.local_day(t) == policy.local_day(now) \
        else _day_clock(t, policy)


def _same_place(m: Movement, gate: GateContext) -> bool:
    return (m.gate.casefold() == gate.gate.casefold() and m.device_id == gate.device_id
            and m.direction == gate.direction)


def _decide_movement(ticket_id: int, now: float, view: LedgerView, gate: GateContext,
                     policy: EventPolicy, ttype: TicketType, facts: TicketFacts) -> Verdict:
    """Exit, admission, repeat read or refusal, from the ticket's earlier movements.

    For a ticket that admits one person, a movement at this very gate (name,
    device, direction) within the repeat window makes this read a repeat of it:
    the person is still at the reader. A group ticket's code is read once per
    person, so it has no repeat window.
    """
    moves = view.movements(ticket_id)
    last = moves[-1] if moves else None
    if (ttype.max_entries == 1 and last is not None and _same_place(last, gate)
            and 0 <= now - last.time <= policy.repeat_window(gate.gate)):
        did = "admitted" if gate.direction == "entry" else "scanned out"
        return Verdict(Outcome.REPEAT_READ, f"Already {did} here {_age(int(now - last.time))} ago",
                       facts, event_id=policy.event_id, previous_time=last.time,
                       previous_gate=last.gate, previous_here=True,
                       since_previous=now - last.time, previous_direction=last.direction)
    return _movement_outcome(moves, now, gate, policy, ttype, facts)


def _movement_outcome(moves: list[Movement], now: float, gate: GateContext,
                      policy: EventPolicy, ttype: TicketType, facts: TicketFacts) -> Verdict:

    def verdict(outcome: Outcome, reason: str, prev: Movement | None = None,
                because: Because = PLAIN) -> Verdict:
        return Verdict(outcome, reason, facts, event_id=policy.event_id, because=because,
                       previous_time=prev.time if prev else None,
                       previous_gate=prev.gate if prev else None,
                       previous_here=(prev.gate.casefold() == gate.gate.casefold())
                       if prev else None,
                       since_previous=now - prev.time if prev else None,
                       previous_direction=prev.direction if prev else None)

    if gate.direction == "exit":
        return verdict(Outcome.EXIT_RECORDED, f"Exit recorded ({ttype.name})")

    if ttype.per_day:
        today = policy.local_day(now)
        moves = [m for m in moves if policy.local_day(m.time) == today]
    entries = [m for m in moves if m.direction == "entry"]
    if not entries:
        return verdict(Outcome.ADMITTED, _admit_reason(ttype, 1), because=_group(ttype, 1))
    last = moves[-1]
    if last.direction == "exit":
        if ttype.reentry:
            return verdict(Outcome.ADMITTED, f"Welcome back: re-entry ({ttype.name})",
                           because=Because(reentry=True))
        return verdict(Outcome.REENTRY_NOT_ALLOWED,
                       f"No re-entry: left at {last.gate} at {_when(last.time, now, policy)}",
                       last)
    if len(entries) < ttype.max_entries:
        return verdict(Outcome.ADMITTED, _admit_reason(ttype, len(entries) + 1),
                       because=_group(ttype, len(entries) + 1))
    used = entries[-1]
    if ttype.max_entries > 1:
        return verdict(Outcome.ALREADY_USED,
                       f"All {ttype.max_entries} already admitted"
                       f" (last {_where(used, now, gate, policy)})", used,
                       Because(max_entries=ttype.max_entries))
    # Two admissions of a single-entry ticket happen when gates were offline at once; this
    # gate knows its own, so name the other gate's (the news for the person at this one).
    used = next((m for m in reversed(entries) if m.device_id != gate.device_id), used)
    return verdict(Outcome.ALREADY_USED, f"Already used {_where(used, now, gate, policy)}",
                   used)


def _where(used: Movement, now: float, gate: GateContext, policy: EventPolicy) -> str:
    """ "here at 12:08" or "at Gate 2 at 12:08" (with the date when not today)."""
    place = "here" if used.gate.casefold() == gate.gate.casefold() else f"at {used.gate}"
    return f"{place} at {_when(used.time, now, policy)}"


def _group(ttype: TicketType, nth: int) -> Because:
    return Because(entry=nth, max_entries=ttype.max_entries) if ttype.max_entries > 1 \
        else PLAIN


def _admit_reason(ttype: TicketType, nth: int) -> str:
    if ttype.max_entries > 1:
        return f"{ttype.name}: person {nth} of {ttype.max_entries}"
    return ttype.name
