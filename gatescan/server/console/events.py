"""Console events: create/edit/duplicate/archive/delete-draft, with their details and limits.

The gate policy lives where it always did (`issuer`, `events.policy`); the
console's extra facts (venue, IANA zone, doors/start/end, archived) live in
`event_details`, inventory limits in `type_limits` (`gatescan.server.inventory`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from gatescan.server import inventory, issuer
from gatescan.server.console.plans import EventPlan, local_text
from gatescan.server.errors import IssuerError
from gatescan.server.keys import key_file_name
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore, StoredEvent

DEFAULT_TZ = "UTC"


@dataclass(frozen=True, slots=True)
class EventView:
    """An event as the console lists it."""

    event: StoredEvent
    venue: str
    tz: str
    doors_at: int | None
    starts_at: int | None
    ends_at: int | None
    archived: bool
    tickets: int
    scans: int

    @property
    def draft(self) -> bool:
        """True while nothing was sold or scanned: the event may still be deleted."""
        return self.tickets == 0 and self.scans == 0


def _save_details(store: IssuerStore, event_id: int, plan: EventPlan) -> None:
    with store.transaction() as conn:
        conn.execute(delete(s.event_details).where(s.event_details.c.event_id == event_id))
        conn.execute(insert(s.event_details).values(
            event_id=event_id, venue=plan.venue, tz=plan.tz, doors_at=plan.doors_at,
            starts_at=plan.starts_at, ends_at=plan.ends_at))
        conn.execute(delete(s.type_limits).where(s.type_limits.c.event_id == event_id))
        if plan.limits:
            conn.execute(insert(s.type_limits), [
                {"event_id": event_id, "type_id": t, "inventory": n}
                for t, n in sorted(plan.limits.items())])


def create(store: IssuerStore, plan: EventPlan) -> int:
    """Store a new event (fresh id and issuer key) with its details; returns its id."""
    p = plan.policy
    with store.transaction():
        made = issuer.create_event(
            store, p.name, gates=p.gates, ticket_types=p.ticket_types,
            rotation_period=p.rotation_period, clock_tolerance_steps=p.clock_tolerance_steps,
            repeat_read_seconds=p.repeat_read_seconds, tz_offset_minutes=p.tz_offset_minutes,
            admit_unlisted=p.admit_unlisted)
        _save_details(store, made.event_id, plan)
    return made.event_id


def edit(store: IssuerStore, event_id: int, plan: EventPlan) -> None:
    """Replace an event's policy and details (`type_in_use` if a sold type is dropped)."""
    with store.transaction():
        issuer.update_policy(store, replace(plan.policy, event_id=event_id))
        _save_details(store, event_id, plan)
        sold = inventory.issued(store, event_id)
        over = [t for t, cap in plan.limits.items() if sold.get(t, 0) > cap]
        if over:
            raise IssuerError("bad_event", f"ticket type {over[0]} already has "
                              f"{sold[over[0]]} tickets, more than its new limit")


def view(store: IssuerStore, event: StoredEvent) -> EventView:
    """The console's view of one event."""
    with store.snapshot() as conn:
        d = conn.execute(select(s.event_details).where(
            s.event_details.c.event_id == event.event_id)).first()
        tickets = conn.execute(select(func.count()).select_from(s.tickets).where(
            s.tickets.c.event_id == event.event_id)).scalar_one()
        scans = conn.execute(select(func.count()).select_from(s.scans).where(
            s.scans.c.event_id == event.event_id)).scalar_one()
    if d is None:
        return EventView(event, "", DEFAULT_TZ, None, None, None, False, tickets, scans)
    return EventView(event, str(d.venue), str(d.tz), d.doors_at, d.starts_at, d.ends_at,
                     d.archived_at is not None, int(tickets), int(scans))


def views(store: IssuerStore, *, archived: bool = False,
          only: set[int] | None = None) -> list[EventView]:
    """Events most recent first: active ones (or only archived ones), limited to `only`."""
    found = [view(store, e) for e in store.events() if only is None or e.event_id in only]
    return [v for v in found if v.archived == archived]


def active_ids(store: IssuerStore) -> list[int]:
    """Ids of the events that are not archived, most recent first."""
    with store.snapshot() as conn:
        archived = {int(r[0]) for r in conn.execute(select(s.event_details.c.event_id).where(
            s.event_details.c.archived_at.is_not(None)))}
    return [e.event_id for e in store.events() if e.event_id not in archived]


def document(store: IssuerStore, event_id: int) -> dict[str, Any]:
    """The event as an editable document (the TOML/form shape `plans.build_plan` reads)."""
    event = store.event(event_id)
    if event is None:
        raise IssuerError("unknown_event", f"no event {event_id}")
    v = view(store, event)
    caps = inventory.limits(store, event_id)
    p = event.policy
    types = []
    for t in p.ticket_types:
        types.append({
            "id": t.id, "name": t.name, "zones": list(t.zones), "gates": list(t.gates),
            "max_entries": t.max_entries, "per_day": t.per_day, "reentry": t.reentry,
            "slot_start": local_text(t.slot.start if t.slot else None, v.tz),
            "slot_end": local_text(t.slot.end if t.slot else None, v.tz),
            "inventory": caps.get(t.id, "")})
    return {"name": p.name, "venue": v.venue, "tz": v.tz,
            "doors": local_text(v.doors_at, v.tz), "start": local_text(v.starts_at, v.tz),
            "end": local_text(v.ends_at, v.tz), "rotation_period": p.rotation_period,
            "gates": [{"name": g.name, "zone": g.zone} for g in p.gates],
            "ticket_types": types}


def set_archived(store: IssuerStore, event_id: int, archived: bool) -> None:
    """Archive (hide from default lists, never the default event) or restore an event."""
    with store.transaction() as conn:
        if store.event(event_id) is None:
            raise IssuerError("unknown_event", f"no event {event_id}")
        if conn.execute(select(s.event_details.c.event_id).where(
                s.event_details.c.event_id == event_id)).first() is None:
            conn.execute(insert(s.event_details).values(event_id=event_id, venue="",
                                                        tz=DEFAULT_TZ))
        conn.execute(update(s.event_details).where(s.event_details.c.event_id == event_id)
                     .values(archived_at=time.time() if archived else None))


def delete_draft(store: IssuerStore, event_id: int) -> None:
    """Delete an event nothing was sold, scanned or enrolled for (IssuerError otherwise)."""
    with store.transaction() as conn:
        event = store.event(event_id)
        if event is None:
            raise IssuerError("unknown_event", f"no event {event_id}")
        v = view(store, event)
        devices = conn.execute(select(func.count()).select_from(s.devices).where(
            s.devices.c.event_id == event_id)).scalar_one()
        if not v.draft or devices:
            raise IssuerError("not_draft", f"event {event_id} has tickets, scans or devices: "
                              "archive it instead")
        keys = store.keys(event_id)
        for table in (s.changes, s.manifest_cache, s.type_limits, s.event_details,
                      s.grants, s.issuer_keys):
            conn.execute(delete(table).where(table.c.event_id == event_id))
        conn.execute(delete(s.events).where(s.events.c.event_id == event_id))
    folder = store.keys_files.directory
    for key in keys:  # after the commit: a failed delete keeps its keys
        (folder / key_file_name(event_id, key.public_key)).unlink(missing_ok=True)


def default_event(store: IssuerStore) -> StoredEvent | None:
    """The event a command without `--event` acts on: the only active one.

    None when there is no active event; IssuerError `event_required` listing the
    active events when there is more than one (archived events never count).
    """
    active = active_ids(store)
    if len(active) > 1:
        listed = ", ".join(f"{e} ({_name(store, e)})" for e in active[:10])
        more = f" and {len(active) - 10} more" if len(active) > 10 else ""
        raise IssuerError("event_required", f"there are {len(active)} active events: pass "
                          f"--event ID (one of {listed}{more})")
    return store.event(active[0]) if active else None


def _name(store: IssuerStore, event_id: int) -> str:
    found = store.event(event_id)
    return found.name if found is not None else "?"
