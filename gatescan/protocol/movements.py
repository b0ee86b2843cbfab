"""Which admissions of a ticket were more than its type allows: the conflict rule (pure).

Gates decide each scan with `gatescan.gate.verify.verifier`; offline gates cannot see
each other, so the server replays every recorded movement of a ticket in device
time order with the same rules (entries per type, per local day, re-entry after
an exit) and names the admitted entries that a gate seeing everything would have
refused. A ticket with any such entry is a conflict. Gates apply the same rule to
the scans their mesh peers send (gatescan.gate.mesh.store), so a conflict inside the
mesh's window is flagged on the gates at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gatescan.protocol.policy import EventPolicy, TicketType
from gatescan.protocol.verdict import UNVERIFIED, Outcome

# What moved a person: a repeat read (the same person still at the reader) does not;
# an override is an entry.
MOVEMENT_OUTCOMES = tuple(o.value for o in Outcome if o.counts_as_movement)
ENTRY_ADMITS = ("admitted", "override_admitted")
UNDONE = "admission_undone"  # a supervisor (or the turnstile) took the device's admission back
# Scans of codes that did not verify: whatever ticket id they carry was never proved.
UNVERIFIED_OUTCOMES = frozenset(o.value for o in UNVERIFIED)


@dataclass(frozen=True, slots=True)
class Move:
    """One recorded movement of a ticket: an admitted entry or a recorded exit."""

    scan_id: str
    time: float
    direction: str


@dataclass(frozen=True, slots=True)
class Logged:
    """One scan of a ticket as stored: a movement or an undo, in arrival order (`order`)."""

    scan_id: str
    order: int
    device_id: str | None
    time: float
    direction: str
    outcome: str


def without_undone(scans: Iterable[Logged]) -> list[Move]:
    """The movements left once each undo cancels its admission (gatescan.gate.ledger.supervisor).

    An undo cancels the latest entry admission of the ticket by the same device
    before it; a gate pushes its log in order, so arrival order is log order.
    """
    ordered = sorted(scans, key=lambda sc: sc.order)
    last: dict[str | None, str] = {}
    cancelled: set[str] = set()
    for sc in ordered:
        if sc.outcome == UNDONE:
            if sc.device_id in last:
                cancelled.add(last[sc.device_id])
        elif sc.outcome in ENTRY_ADMITS and sc.direction == "entry":
            last[sc.device_id] = sc.scan_id
    return [Move(sc.scan_id, sc.time, sc.direction) for sc in ordered
            if sc.outcome in MOVEMENT_OUTCOMES and sc.scan_id not in cancelled]


def over_admitted(moves: Iterable[Move], ttype: TicketType | None,
                  policy: EventPolicy) -> list[str]:
    """Scan ids of the admitted entries beyond what the ticket's type allows, in time order."""
    max_entries = ttype.max_entries if ttype else 1
    per_day = ttype.per_day if ttype else False
    reentry = ttype.reentry if ttype else False
    done: list[Move] = []
    excess: list[str] = []
    for move in sorted(moves, key=lambda m: (m.time, m.scan_id)):
        if move.direction == "entry":
            scope = done
            if per_day:
                day = policy.local_day(move.time)
                scope = [m for m in done if policy.local_day(m.time) == day]
            entries = sum(1 for m in scope if m.direction == "entry")
            if entries and scope[-1].direction == "exit":
                allowed = reentry
            else:
                allowed = entries < max_entries
            if not allowed:
                excess.append(move.scan_id)
        done.append(move)
    return excess


def admitted_entries(moves: Iterable[Move]) -> int:
    """How many admitted entries there are among `moves`."""
    return sum(1 for m in moves if m.direction == "entry")
