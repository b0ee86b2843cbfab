"""An event as the organizer writes it (TOML file or console form) -> a validated plan.

One document shape for both (see docs/console.md): name, venue, IANA `tz`,
`doors`/`start`/`end` as local times in that zone, `rotation_period`, a list of
`gates` (name, zone) and of `ticket_types` (name, zones, gates, max_entries,
per_day, reentry, slot_start/slot_end, inventory). `build_plan` checks every
field and the gate plan (the same `plan_problems` check the API's `bad_plan`
uses) and raises only `IssuerError`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from gatescan.protocol.policy import (
    DEFAULT_ROTATION_PERIOD,
    EventPolicy,
    PolicyError,
    plan_problems,
)
from gatescan.server.errors import IssuerError

MAX_GATES = 64
MAX_TYPES = 64
MAX_TEXT = 200
MAX_INVENTORY = 10_000_000
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True, slots=True)
class EventPlan:
    """A checked event: the gate policy (event id 0 until stored) plus console details."""

    policy: EventPolicy
    venue: str
    tz: str
    doors_at: int | None
    starts_at: int | None
    ends_at: int | None
    limits: dict[int, int]


def _bad(message: str) -> IssuerError:
    return IssuerError("bad_event", message)


def _text(doc: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = doc.get(key, "")
    if not isinstance(value, str):
        raise _bad(f"{key} must be text")
    value = value.strip()
    if required and not value:
        raise _bad(f"{key} is required")
    if len(value) > MAX_TEXT or not value.isprintable():
        raise _bad(f"{key} must be at most {MAX_TEXT} printable characters")
    return value


def _zone(doc: dict[str, Any]) -> tuple[str, ZoneInfo]:
    name = _text(doc, "tz")
    # ZoneInfo also opens arbitrary tzdata-relative paths: accept only listed zone names.
    if name not in available_timezones():
        raise _bad(f"tz {name!r} is not an IANA time zone (e.g. Europe/Berlin)")
    try:
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _bad(f"tz {name!r} is not an IANA time zone (e.g. Europe/Berlin)") from None


def _when(doc: dict[str, Any], key: str, zone: ZoneInfo) -> int | None:
    """A local time in the event's zone (TOML datetime or `YYYY-MM-DDTHH:MM` text) -> unix."""
    value = doc.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise _bad(f"{key} must be a date and time like 2026-07-01T18:00") from None
    if not isinstance(value, dt.datetime):
        raise _bad(f"{key} must be a date and time like 2026-07-01T18:00")
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    stamp = int(value.timestamp())
    if not 0 <= stamp < 2**32:
        raise _bad(f"{key} is out of range")
    return stamp


def _int(doc: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = doc.get(key, default)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _bad(f"{key} must be a whole number from {lo} to {hi}")
    return value


def _names(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        value = [v for v in (p.strip() for p in value.split(",")) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                               for v in value):
        raise _bad(f"{key} must be a list of names")
    return [v.strip() for v in value]


def _flag(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    raise _bad(f"{key} must be true or false")


def _ticket_type(raw: Any, index: int, zone: ZoneInfo,
                 used: set[int]) -> tuple[dict[str, Any], int | None]:
    if not isinstance(raw, dict):
        raise _bad(f"ticket type {index + 1} must be a table")
    type_id = _int(raw, "id", index + 1, 0, 0xFFFF)
    if type_id in used:
        raise _bad(f"two ticket types have id {type_id}")
    used.add(type_id)
    name = _text(raw, "name")
    start, end = _when(raw, "slot_start", zone), _when(raw, "slot_end", zone)
    if (start is None) != (end is None) or (start is not None and end is not None
                                            and end < start):
        raise _bad(f"ticket type {name!r}: a time slot needs a start before its end")
    out: dict[str, Any] = {
        "id": type_id, "name": name, "zones": _names(raw.get("zones", []), "zones"),
        "gates": _names(raw.get("gates", []), "gates"),
        "max_entries": _int(raw, "max_entries", 1, 1, 1000),
        "per_day": _flag(raw.get("per_day", False), "per_day"),
        "reentry": _flag(raw.get("reentry", False), "reentry"),
        "slot": None if start is None else {"start": start, "end": end, "grace": 0}}
    inventory = raw.get("inventory")
    limit = None if inventory in (None, "") else _int(raw, "inventory", 0, 0, MAX_INVENTORY)
    return out, limit


def build_plan(doc: Any, *, event_id: int = 1) -> EventPlan:
    """Check an event document and build its plan; IssuerError (`bad_event`, `bad_plan`)."""
    if not isinstance(doc, dict):
        raise _bad("an event is a table of fields")
    name, venue = _text(doc, "name"), _text(doc, "venue", required=False)
    tz, zone = _zone(doc)
    doors, start, end = (_when(doc, k, zone) for k in ("doors", "start", "end"))
    if start is not None and end is not None and end < start:
        raise _bad("end is before start")
    if doors is not None and start is not None and doors > start:
        raise _bad("doors open after the start")
    gates_raw, types_raw = doc.get("gates", []), doc.get("ticket_types", [])
    if not isinstance(gates_raw, list) or not isinstance(types_raw, list):
        raise _bad("gates and ticket_types are lists")
    if len(gates_raw) > MAX_GATES or len(types_raw) > MAX_TYPES:
        raise _bad(f"at most {MAX_GATES} gates and {MAX_TYPES} ticket types")
    gates = []
    for i, g in enumerate(gates_raw):
        if not isinstance(g, dict):
            raise _bad(f"gate {i + 1} must be a table")
        gates.append({"name": _text(g, "name"), "zone": _text(g, "zone", required=False)
                      or "main"})
    used: set[int] = set()
    types, limits = [], {}
    for i, raw in enumerate(types_raw):
        ttype, limit = _ticket_type(raw, i, zone, used)
        types.append(ttype)
        if limit is not None:
            limits[ttype["id"]] = limit
    moment = dt.datetime.fromtimestamp(start if start is not None else 0, tz=zone)
    offset = moment.utcoffset() or dt.timedelta(0)
    policy_doc = {"event_id": event_id, "name": name, "gates": gates, "ticket_types": types,
                  "rotation_period": _int(doc, "rotation_period", DEFAULT_ROTATION_PERIOD,
                                          1, 3600),
                  "tz_offset_minutes": int(offset.total_seconds() // 60)}
    try:
        policy = EventPolicy.from_dict(json.loads(json.dumps(policy_doc)))
    except PolicyError as exc:
        raise IssuerError("bad_policy", str(exc)) from None
    problems = plan_problems(policy)  # the same check as the API's and issuer's `bad_plan`
    if problems:
        raise IssuerError("bad_plan", "; ".join(problems))
    return EventPlan(policy, venue, tz, doors, start, end, limits)


def local_text(stamp: int | None, tz: str) -> str:
    """A unix time as the `YYYY-MM-DDTHH:MM` local text the form and TOML use ('' if None)."""
    if stamp is None:
        return ""
    return dt.datetime.fromtimestamp(stamp, tz=ZoneInfo(tz)).strftime(LOCAL_FORMAT)
