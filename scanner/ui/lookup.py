"""Manual lookup by ticket id, for a visitor whose phone is dead.

The ledger can only redeem a scanned code, so a lookup records nothing: it
tells staff what the ledger knows (type, seat, cancelled, already used) as a
CHECK for a person to decide, or a REFUSE when the ledger already says no.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from scanner.verify.policy import EventPolicy
from scanner.verify.token import TokenError, format_ticket_id, parse_ticket_id
from scanner.verify.verdict import Level
from scanner.verify.view import GateContext, LedgerView


@dataclass(frozen=True, slots=True)
class LookupResult:
    """What the ledger knows about a typed-in ticket id; `kind` is a stable code."""

    kind: str  # bad_id | no_event | unknown | revoked | used | wrong_gate | found
    level: Level
    ticket: str | None = None
    type_name: str | None = None
    seat: str | None = None
    reason: str | None = None  # revocation reason
    previous_gate: str | None = None
    previous_time: str | None = None  # event-local HH:MM


def lookup_ticket(text: str, view: LedgerView, policy: EventPolicy | None,
                  gate: GateContext) -> LookupResult:
    """Look a ticket id up in the ledger, read-only."""
    try:
        ticket_id = parse_ticket_id(text)
    except TokenError:
        return LookupResult("bad_id", Level.REFUSE)
    hex_id = format_ticket_id(ticket_id)
    if policy is None:
        return LookupResult("no_event", Level.CHECK, hex_id)
    record = view.ticket(ticket_id)
    if record is None:
        return LookupResult("unknown", Level.CHECK, hex_id)
    ttype = policy.ticket_type(record.type_id)
    name = ttype.name if ttype else None
    base = {"ticket": hex_id, "type_name": name, "seat": record.seat}
    if record.revoked:
        return LookupResult("revoked", Level.REFUSE, reason=record.revoked_reason, **base)
    zone = policy.gate(gate.gate)
    if ttype is not None and ((ttype.zones and (zone is None or zone.zone not in ttype.zones))
                              or (ttype.gates and gate.gate not in ttype.gates)):
        return LookupResult("wrong_gate", Level.REFUSE, **base)
    entries = [m for m in view.movements(ticket_id) if m.direction == "entry"]
    limit = ttype.max_entries if ttype else 1
    if entries and len(entries) >= limit and not (ttype and (ttype.reentry or ttype.per_day)):
        last = entries[-1]
        at = time.strftime("%H:%M", time.gmtime(last.time + policy.tz_offset_minutes * 60))
        return LookupResult("used", Level.REFUSE, previous_gate=last.gate, previous_time=at,
                            **base)
    return LookupResult("found", Level.CHECK, **base)
