"""The audit log: who changed what, when (shown at /console/audit)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, or_, select

from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

MAX_DETAILS = 2000


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit record."""

    at: float
    actor: str
    event_id: int | None
    action: str
    details: str


def record(store: IssuerStore, actor: str, action: str, *, event_id: int | None,
           details: dict[str, Any], now: float) -> None:
    """Append an audit record (never holds a secret: callers pass names and ids only)."""
    text = json.dumps(details, sort_keys=True, ensure_ascii=False)[:MAX_DETAILS]
    with store.transaction() as conn:
        conn.execute(insert(s.audit_log).values(at=now, actor=actor[:254], event_id=event_id,
                                                action=action, details=text))


def recent(store: IssuerStore, *, events: set[int] | None, limit: int = 200) -> list[Entry]:
    """The newest records first, limited to these events (None: all, plus event-less ones)."""
    query = select(s.audit_log).order_by(s.audit_log.c.seq.desc()).limit(limit)
    if events is not None:
        query = query.where(or_(*(s.audit_log.c.event_id == e for e in events))
                            if events else s.audit_log.c.event_id == -1)
    with store.snapshot() as conn:
        rows = conn.execute(query).all()
    return [Entry(float(r.at), str(r.actor), r.event_id, str(r.action), str(r.details))
            for r in rows]
