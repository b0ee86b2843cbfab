"""Signed manifests served over HTTP: built once per change of the event, cached in the database.

Gates pull the manifest when they start; a hundred gates must not cost a hundred
builds. The cache row (one per event) holds the manifest bytes and the change
cursor it is consistent with; it is rebuilt only when the event's change log has
moved past that cursor. Workers sharing a PostgreSQL share the cache.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from sqlalchemy import delete, insert, select

from gatescan.server import issuer
from gatescan.server.errors import IssuerError
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServedManifest:
    """A manifest as served: its bytes, sequence, and the change cursor it stands for."""

    event_id: int
    body: bytes
    sequence: int
    cursor: int
    generated_at: int


def _cached(store: IssuerStore, event_id: int) -> ServedManifest | None:
    with store.snapshot() as conn:
        row = conn.execute(select(s.manifest_cache).where(
            s.manifest_cache.c.event_id == event_id)).first()
        if row is None or store.last_change(event_id) > row.cursor:
            return None
    return ServedManifest(event_id, bytes(row.body), row.sequence, row.cursor, row.generated_at)


def current_manifest(store: IssuerStore, event_id: int, *, now: int) -> ServedManifest:
    """The event's up-to-date signed manifest, from the cache or freshly built."""
    if store.event(event_id) is None:
        raise IssuerError("unknown_event", f"no event {event_id}")
    found = _cached(store, event_id)
    if found is not None:
        return found
    with store.transaction() as conn:
        found = _cached(store, event_id)  # another worker may have built it meanwhile
        if found is not None:
            return found
        out = io.BytesIO()
        info = issuer.build_manifest(store, event_id, out, now=now)
        body = out.getvalue()
        conn.execute(delete(s.manifest_cache).where(s.manifest_cache.c.event_id == event_id))
        conn.execute(insert(s.manifest_cache).values(
            event_id=event_id, cursor=info.cursor, sequence=info.sequence,
            generated_at=info.generated_at, body=body))
    log.info("built manifest %d of event %d: %d tickets, %d bytes", info.sequence, event_id,
             info.tickets, len(body))
    return ServedManifest(event_id, body, info.sequence, info.cursor, info.generated_at)
