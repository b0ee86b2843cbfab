"""The result of checking one scan: data, not exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gatescan.protocol.token import format_ticket_id


class Level(StrEnum):
    """What the gate screen shows: green, red, amber (a person must decide), or blue.

    REPEAT is neither yes nor no: the same ticket was admitted at this gate a
    moment ago (the person is still at the reader). It never opens the gate.
    """

    ADMIT = "admit"
    REFUSE = "refuse"
    CHECK = "check"
    REPEAT = "repeat"


class Outcome(StrEnum):
    """Stable snake_case outcome codes (used in JSON, the scan log and sync)."""

    ADMITTED = "admitted"
    EXIT_RECORDED = "exit_recorded"
    REPEAT_READ = "repeat_read"
    ALREADY_USED = "already_used"
    REENTRY_NOT_ALLOWED = "reentry_not_allowed"
    STALE_CODE = "stale_code"
    FUTURE_CODE = "future_code"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    WRONG_EVENT = "wrong_event"
    UNKNOWN_TICKET_TYPE = "unknown_ticket_type"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    OUTSIDE_TIME_SLOT = "outside_time_slot"
    WRONG_GATE = "wrong_gate"
    CLOCK_UNSET = "clock_unset"
    MALFORMED = "malformed"
    # A compact (v2) code for a ticket whose signed credential this gate does not hold (sold
    # or claimed after its last sync): nothing in the code is proved; ask for the full code.
    NEEDS_FULL_CODE = "needs_full_code"
    # Supervisor actions (gatescan.gate.ledger.supervisor), never a verifier result:
    OVERRIDE_ADMITTED = "override_admitted"  # "admit anyway" after a refusal, with a reason
    ADMISSION_UNDONE = "admission_undone"  # the person did not go through: un-counts an entry

    @property
    def admits(self) -> bool:
        """True for the outcomes that open the gate."""
        return self in _ADMITTING

    @property
    def counts_as_movement(self) -> bool:
        """True if a scan with this outcome moved a person in or out (for later checks)."""
        return self in (Outcome.ADMITTED, Outcome.EXIT_RECORDED, Outcome.OVERRIDE_ADMITTED)


    @property
    def verified(self) -> bool:
        """False for the outcomes of a code that did not parse or whose signature failed.

        Nothing read from such a code is shown, recorded or counted (no ticket facts).
        """
        return self not in UNVERIFIED


# A repeat read is not an admission: it opens nothing and counts nowhere.
_ADMITTING = frozenset({Outcome.ADMITTED, Outcome.EXIT_RECORDED, Outcome.OVERRIDE_ADMITTED})
UNVERIFIED = frozenset({Outcome.MALFORMED, Outcome.BAD_SIGNATURE, Outcome.UNKNOWN_KEY,
                        Outcome.WRONG_EVENT, Outcome.NEEDS_FULL_CODE})


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the gate shows about the ticket (no personal data)."""

    ticket_id: int
    serial: int
    type_id: int
    type_name: str | None = None
    seat: str | None = None
    zone: str | None = None
    listed: bool = True


@dataclass(frozen=True, slots=True)
class Because:
    """What a verdict's sentence says beyond the verdict's other fields, as data.

    The verifier fills it; the gate's screen words it from one table per language
    (gatescan/gate/ui/reasons.py). `Verdict.reason` is the same sentence in English,
    for the command line and its JSON (which leaves this out).
    """

    code_age: int | None = None  # a stale code: seconds since it expired
    valid_from: float | None = None  # not valid yet: from when
    valid_until: float | None = None  # expired: when
    slot: tuple[float, float] | None = None  # outside the time slot: its start and end
    slot_ahead: bool = False  # ...and the slot has not started yet (else it has ended)
    revoked_reason: str | None = None  # cancelled: the organizer's word for why
    entry: int | None = None  # a group ticket: this is person `entry`...
    max_entries: int | None = None  # ...of `max_entries` (or all of them were admitted)
    reentry: bool = False  # admitted again after an exit
    manual: bool = False  # decided on a ticket number typed in by staff
    problem: str | None = None  # a code that is not a ticket: what is wrong with it
    phone_signature: bool = False  # forged: the phone's signature failed, not the issuer's
    clock_unconfirmed: bool = False  # the clock is set but nothing confirmed it yet
    number_unknown: bool = False  # a typed ticket number that is not on the list
    type_unknown: bool = False  # a ticket type this gate's event does not have


@dataclass(frozen=True, slots=True)
class Verdict:
    """One decision: admit or not, a stable outcome code, a plain-words reason, the ticket."""

    outcome: Outcome
    reason: str
    ticket: TicketFacts | None = None
    level: Level | None = None
    event_id: int | None = None
    previous_time: float | None = None
    previous_gate: str | None = None
    previous_here: bool | None = None  # the previous use was at this gate
    since_previous: float | None = None  # seconds from the previous use to this scan
    previous_direction: str | None = None  # "entry" or "exit": what the previous use was
    go_to: tuple[str, ...] = ()  # wrong entrance: the event's gates that admit the ticket
    because: Because = Because()  # the facts `reason` words, for the screen's own words

    def __post_init__(self) -> None:
        if self.outcome is Outcome.REPEAT_READ:
            object.__setattr__(self, "level", Level.REPEAT)
        elif self.level is None:
            object.__setattr__(self, "level", Level.ADMIT if self.admit else Level.REFUSE)
        if not self.outcome.verified and self.ticket is not None:
            raise ValueError("an unverified code has no ticket facts")

    @property
    def admit(self) -> bool:
        """True if the gate should open."""
        return self.outcome.admits

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (the CLI's --json output)."""
        t = self.ticket
        return {
            "admit": self.admit,
            "outcome": self.outcome.value,
            "level": self.level.value if self.level else None,
            "reason": self.reason,
            "event_id": self.event_id,
            "ticket_id": None if t is None else format_ticket_id(t.ticket_id),
            "serial": None if t is None else t.serial,
            "ticket_type": None if t is None else t.type_name,
            "seat": None if t is None else t.seat,
            "zone": None if t is None else t.zone,
            "listed": None if t is None else t.listed,
            "previous_time": self.previous_time,
            "previous_gate": self.previous_gate,
            "previous_here": self.previous_here,
            "since_previous": self.since_previous,
            "previous_direction": self.previous_direction,
            "go_to": list(self.go_to),
        }
