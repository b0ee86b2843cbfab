"""Event policy: rotation, clock tolerance, gates and zones, ticket type rules.

Policy arrives from outside (the signed manifest header), so `EventPolicy.from_dict`
validates every field and raises only `PolicyError` on bad input.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from gatescan.protocol import clock

DEFAULT_ROTATION_PERIOD = 30
DEFAULT_REPEAT_READ_SECONDS = 60  # a person still at the reader, re-presenting the code
MAX_REPEAT_READ_SECONDS = 3600


class PolicyError(ValueError):
    """An event policy document that is missing fields or has values of the wrong kind."""


@dataclass(frozen=True, slots=True)
class Gate:
    """A named gate (turnstile lane), the zone it opens into, and its own repeat window.

    `repeat_read_seconds` None means the event's.
    """

    name: str
    zone: str = "main"
    repeat_read_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class TimeSlot:
    """A time-slot ticket's window (unix seconds) with grace on both sides."""

    start: int
    end: int
    grace: int = 0

    def contains(self, now: float) -> bool:
        """True if `now` falls within the slot, grace included."""
        return self.start - self.grace <= now <= self.end + self.grace


@dataclass(frozen=True, slots=True)
class TicketType:
    """Per-type admission rules.

    `max_entries` admissions are allowed (a group ticket admits several people),
    counted per local day when `per_day` is set (multi-day passes), else in total.
    `reentry` lets a holder who was scanned out come back in. Empty `zones` and
    `gates` mean any gate.
    """

    id: int
    name: str
    zones: tuple[str, ...] = ()
    gates: tuple[str, ...] = ()
    slot: TimeSlot | None = None
    max_entries: int = 1
    per_day: bool = False
    reentry: bool = False


@dataclass(frozen=True, slots=True)
class EventPolicy:
    """One event as the gate sees it: identity, rotation and clock policy, gates, types."""

    event_id: int
    name: str
    rotation_period: int = DEFAULT_ROTATION_PERIOD
    clock_tolerance_steps: int = 1
    repeat_read_seconds: int = DEFAULT_REPEAT_READ_SECONDS
    tz_offset_minutes: int = 0  # legacy fixed offset: used only when `tz` is None
    tz: str | None = None  # IANA time zone name ("Europe/Berlin"): the event clock
    attendee_data: bool = False  # manifest carries attendee name and order code (opt-in)
    admit_unlisted: bool = True
    gates: tuple[Gate, ...] = ()
    ticket_types: tuple[TicketType, ...] = ()
    _types_by_id: dict[int, TicketType] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._types_by_id.update({t.id: t for t in self.ticket_types})

    def ticket_type(self, type_id: int) -> TicketType | None:
        """The ticket type with this id, or None if the event has no such type."""
        return self._types_by_id.get(type_id)

    def gate(self, name: str) -> Gate | None:
        """The gate with this name (case-insensitive), or None."""
        wanted = name.casefold()
        return next((g for g in self.gates if g.name.casefold() == wanted), None)

    def repeat_window(self, gate_name: str) -> int:
        """Seconds after a movement at a gate in which the same ticket there is a repeat read."""
        found = self.gate(gate_name)
        if found is not None and found.repeat_read_seconds is not None:
            return found.repeat_read_seconds
        return self.repeat_read_seconds

    def gates_for(self, ttype: TicketType) -> tuple[str, ...]:
        """The event's gates that admit this ticket type, in plan order (names as spelled)."""
        return tuple(g.name for g in self.gates if _serves(g, ttype))

    def local_day(self, unix_time: float) -> int:
        """The event's local calendar day number for a unix time (for per-day limits)."""
        return clock.local_day(unix_time, self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that `from_dict` reads back."""
        data = asdict(self)
        data.pop("_types_by_id", None)
        # Lists, not tuples: the dict is what a JSON document holds.
        result: dict[str, Any] = json.loads(json.dumps(data))
        return result

    @classmethod
    def from_dict(cls, data: Any) -> EventPolicy:
        """Validate and build a policy from a JSON object; raises `PolicyError` only."""
        try:
            return _policy_from_dict(data)
        except PolicyError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise PolicyError(f"bad event policy: {exc}") from None


def _serves(gate: Gate, ttype: TicketType) -> bool:
    if ttype.gates and gate.name.casefold() not in {n.casefold() for n in ttype.gates}:
        return False
    return not ttype.zones or gate.zone in ttype.zones


def plan_problems(policy: EventPolicy) -> list[str]:
    """What is wrong with an event's gates and zones, in plain words (empty: nothing).

    A ticket type naming a gate the event lacks, or a zone no gate opens into,
    could never be admitted anywhere. The server refuses such an event; a gate
    still loads an older manifest that has them (it refuses those tickets at
    every gate, naming no gate to go to).
    """
    problems = []
    names = [g.name.casefold() for g in policy.gates]
    if len(set(names)) != len(names):
        problems.append("two gates have the same name")
    zones = {g.zone for g in policy.gates}
    for t in policy.ticket_types:
        missing = [n for n in t.gates if n.casefold() not in names]
        if missing:
            problems.append(f"ticket type {t.name!r} names gate(s) the event does not have: "
                            f"{', '.join(missing)}")
        unserved = [z for z in t.zones if z not in zones]
        if unserved:
            problems.append(f"ticket type {t.name!r} is for zone(s) no gate opens into: "
                            f"{', '.join(unserved)}")
        if not missing and not unserved and (t.gates or t.zones) and not policy.gates_for(t):
            problems.append(f"ticket type {t.name!r}: none of its gates opens into its zones")
    return problems


def _int(data: dict[str, Any], key: str, default: int | None = None, *, lo: int = 0,
         hi: int = 2**63 - 1) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PolicyError(f"{key} must be an integer")
    if not lo <= value <= hi:
        raise PolicyError(f"{key} out of range: {value}")
    return value


def _str(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise PolicyError(f"{key} must be a non-empty string")
    return value


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise PolicyError(f"{key} must be true or false")
    return value


def _zone(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PolicyError("tz must be a time zone name")
    try:
        return clock.zone(value).key
    except clock.UnknownZoneError as exc:
        raise PolicyError(str(exc)) from None


def _strs(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{key} must be a list of strings")
    return tuple(value)


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"{what} must be an object")
    return value


def _ticket_type(raw: Any) -> TicketType:
    data = _dict(raw, "ticket type")
    slot = None
    if data.get("slot") is not None:
        s = _dict(data["slot"], "slot")
        slot = TimeSlot(_int(s, "start"), _int(s, "end"), _int(s, "grace", 0))
        if slot.end < slot.start:
            raise PolicyError("slot ends before it starts")
    return TicketType(
        id=_int(data, "id", hi=0xFFFF),
        name=_str(data, "name"),
        zones=_strs(data, "zones"),
        gates=_strs(data, "gates"),
        slot=slot,
        max_entries=_int(data, "max_entries", 1, lo=1, hi=100_000),
        per_day=_bool(data, "per_day", False),
        reentry=_bool(data, "reentry", False),
    )


def _policy_from_dict(raw: Any) -> EventPolicy:
    data = _dict(raw, "event policy")
    gates = []
    for g in data.get("gates", []):
        gd = _dict(g, "gate")
        window = None
        if gd.get("repeat_read_seconds") is not None:
            window = _int(gd, "repeat_read_seconds", hi=MAX_REPEAT_READ_SECONDS)
        gates.append(Gate(_str(gd, "name"), _str(gd, "zone", "main"), window))
    types_raw = data.get("ticket_types", [])
    if not isinstance(types_raw, list):
        raise PolicyError("ticket_types must be a list")
    types = tuple(_ticket_type(t) for t in types_raw)
    if len({t.id for t in types}) != len(types):
        raise PolicyError("duplicate ticket type id")
    return EventPolicy(
        event_id=_int(data, "event_id", hi=0xFFFFFFFF),
        name=_str(data, "name"),
        rotation_period=_int(data, "rotation_period", DEFAULT_ROTATION_PERIOD, lo=1, hi=3600),
        clock_tolerance_steps=_int(data, "clock_tolerance_steps", 1, hi=100),
        repeat_read_seconds=_int(data, "repeat_read_seconds", DEFAULT_REPEAT_READ_SECONDS,
                                 hi=MAX_REPEAT_READ_SECONDS),
        tz_offset_minutes=_int(data, "tz_offset_minutes", 0, lo=-24 * 60, hi=24 * 60),
        tz=_zone(data.get("tz")),
        attendee_data=_bool(data, "attendee_data", False),
        admit_unlisted=_bool(data, "admit_unlisted", True),
        gates=tuple(gates),
        ticket_types=types,
    )
