"""Per-event roles for accounts and admin tokens: owner > staff > viewer.

A grant row gives a subject (account id `acc_…` or admin token id `adm_…`) a role
on one event, or on every event (`ALL_EVENTS`, stored as event id 0). An admin
token without any grant row is an every-event owner: tokens made before the
console existed keep working unchanged.
"""

from __future__ import annotations

import enum

from sqlalchemy import and_, delete, insert, or_, select

from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

ALL_EVENTS = 0


class Role(enum.IntEnum):
    """What a subject may do on an event; a higher role includes the lower ones."""

    VIEWER = 1  # read-only
    STAFF = 2  # dashboard, devices, lookups
    OWNER = 3  # everything: events, accounts, tickets

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role named `text` (case-insensitive); ValueError otherwise."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown role {text!r} (owner, staff or viewer)") from None

    @property
    def label(self) -> str:
        """The role's name as stored and typed: owner, staff, viewer."""
        return self.name.lower()


def grant(store: IssuerStore, subject: str, role: Role, event_id: int = ALL_EVENTS) -> None:
    """Give `subject` `role` on one event (or every event), replacing an earlier grant there."""
    with store.transaction() as conn:
        conn.execute(delete(s.grants).where(and_(s.grants.c.subject == subject,
                                                 s.grants.c.event_id == event_id)))
        conn.execute(insert(s.grants).values(subject=subject, event_id=event_id,
                                             role=role.label))


def grants_of(store: IssuerStore, subject: str) -> dict[int, Role]:
    """Every grant of a subject: event id (0: every event) -> role."""
    with store.snapshot() as conn:
        rows = conn.execute(select(s.grants.c.event_id, s.grants.c.role)
                            .where(s.grants.c.subject == subject)).all()
    return {int(r.event_id): Role.parse(r.role) for r in rows}


def role_for(store: IssuerStore, subject: str, event_id: int | None) -> Role | None:
    """The subject's role on an event (None: the every-event grant only), or None if none.

    An event grant and an every-event grant combine to the higher of the two.
    """
    wanted = [ALL_EVENTS] if event_id is None else [ALL_EVENTS, event_id]
    with store.snapshot() as conn:
        rows = conn.execute(select(s.grants.c.role).where(and_(
            s.grants.c.subject == subject,
            or_(*(s.grants.c.event_id == e for e in wanted))))).all()
    roles = [Role.parse(r.role) for r in rows]
    return max(roles) if roles else None


def token_role(store: IssuerStore, token_id: str, event_id: int | None) -> Role | None:
    """An admin token's role on an event: an ungranted (pre-console) token owns everything."""
    if not grants_of(store, token_id):
        return Role.OWNER
    return role_for(store, token_id, event_id)


def visible_events(store: IssuerStore, subject: str) -> set[int] | None:
    """The events a subject may see (None: every event)."""
    granted = grants_of(store, subject)
    if ALL_EVENTS in granted:
        return None
    return set(granted)
