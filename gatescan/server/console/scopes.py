"""What a role may do through the API: the per-event scope of an admin token.

Owner: everything. Staff: read anything of the event, change its devices.
Viewer: read only. A route without an event in its path (creating an event,
listing all events) needs an every-event grant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from gatescan.server.console.roles import Role, token_role
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def needed_role(method: str, path: str) -> Role:
    """The least role a request needs: reads are viewer's, device changes staff's."""
    if method.upper() in READS:
        return Role.VIEWER
    if "/devices" in path:
        return Role.STAFF
    return Role.OWNER


def event_of(store: IssuerStore, params: Mapping[str, Any]) -> int | None:
    """The event a request is about: its `event_id` path value, or its device's event."""
    if "event_id" in params:
        try:
            return int(params["event_id"])
        except (TypeError, ValueError):
            return None
    device_id = params.get("device_id")
    if isinstance(device_id, str):
        with store.snapshot() as conn:
            found = conn.execute(select(s.devices.c.event_id).where(
                s.devices.c.device_id == device_id)).scalar()
        return None if found is None else int(found)
    return None


def token_refusal(store: IssuerStore, token_id: str, method: str, path: str,
                  params: Mapping[str, Any]) -> str | None:
    """Why an admin token may not make this request (None: it may)."""
    needed = needed_role(method, path)
    event_id = event_of(store, params)
    have = token_role(store, token_id, event_id)
    if have is not None and have >= needed:
        return None
    where = "every event" if event_id is None else f"event {event_id}"
    return f"this admin token needs the {needed.label} role on {where}"
