"""What the verifier needs to know from the ledger, as a read-only protocol.

The ledger implements it inside its redemption transaction; tests can implement
it with plain dicts. Keeping it a protocol keeps `gatescan.gate.verify` free of I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from gatescan.protocol.policy import EventPolicy

Direction = Literal["entry", "exit"]


@dataclass(frozen=True, slots=True)
class TicketRecord:
    """The ledger's knowledge of one ticket: current credential serial and status."""

    ticket_id: int
    type_id: int
    serial: int
    revoked: bool = False
    revoked_reason: str | None = None
    seat: str | None = None


@dataclass(frozen=True, slots=True)
class Movement:
    """An earlier admitted entry or exit of a ticket, at any gate."""

    time: float
    gate: str
    direction: Direction
    device_id: str


@dataclass(frozen=True, slots=True)
class GateContext:
    """Where and how this scan happens, and how far this device's clock can be believed.

    `clock_trusted` False: the clock is known to be wrong (behind what the gate has
    seen), every time-dependent decision is a CHECK. `clock_confirmed` True: the
    time is the server's (synced this boot) or an operator's; False: only this
    device's own clock vouches for it. A scanned code confirms the time by itself
    (its time step); a typed ticket number does not, so manual lookup decides
    per-day passes and time slots only on a confirmed clock.
    """

    gate: str
    direction: Direction = "entry"
    device_id: str = "local"
    clock_trusted: bool = True
    clock_confirmed: bool = True


class LedgerView(Protocol):
    """Read-only access to event policy, trusted keys, tickets, signed credentials and
    earlier movements."""

    def event(self, event_id: int) -> EventPolicy | None:
        """The policy of a loaded event, or None if this gate does not hold that event."""
        ...

    def issuer_keys(self, event_id: int, kid: bytes) -> list[bytes]:
        """Trusted issuer public keys (32 bytes each) of the event with this key id."""
        ...

    def ticket(self, ticket_id: int) -> TicketRecord | None:
        """The ticket as last synced, or None if this gate has not heard of it."""
        ...

    def credential(self, ticket_id: int) -> bytes | None:
        """The ticket's current signed credential (125 bytes) as synced, for compact codes;
        None if this gate holds none (untrusted until its issuer signature is checked)."""
        ...

    def movements(self, ticket_id: int) -> list[Movement]:
        """Earlier admitted entries and exits of the ticket, oldest first."""
        ...
