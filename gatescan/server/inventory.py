"""Per-ticket-type inventory limits (set in the console): issuing beyond one is refused."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import func, select

from gatescan.server.errors import IssuerError
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore


def limits(store: IssuerStore, event_id: int) -> dict[int, int]:
    """The event's inventory limits: type id -> most tickets that may exist."""
    with store.snapshot() as conn:
        rows = conn.execute(select(s.type_limits.c.type_id, s.type_limits.c.inventory)
                            .where(s.type_limits.c.event_id == event_id)).all()
    return {int(r.type_id): int(r.inventory) for r in rows}


def issued(store: IssuerStore, event_id: int) -> dict[int, int]:
    """Tickets issued so far per type (revoked ones included: a refund does not resell)."""
    with store.snapshot() as conn:
        rows = conn.execute(select(s.tickets.c.type_id, func.count())
                            .where(s.tickets.c.event_id == event_id)
                            .group_by(s.tickets.c.type_id)).all()
    return {int(r[0]): int(r[1]) for r in rows}


def check(store: IssuerStore, event_id: int, type_ids: Iterable[int]) -> None:
    """Refuse (IssuerError `sold_out`) tickets that would exceed a type's limit.

    Call inside the issuing write transaction, so two issuers cannot both take the last one.
    """
    wanted = Counter(type_ids)
    caps = limits(store, event_id)
    if not caps or not wanted.keys() & caps.keys():
        return
    have = issued(store, event_id)
    for type_id, count in sorted(wanted.items()):
        cap = caps.get(type_id)
        if cap is not None and have.get(type_id, 0) + count > cap:
            left = max(cap - have.get(type_id, 0), 0)
            raise IssuerError("sold_out", f"ticket type {type_id} has {left} of {cap} left; "
                              f"{count} asked for")

