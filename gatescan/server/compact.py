"""Compact (v2) codes on the server: publishing claimed credentials to gates, and knowing
when every gate holds one, so the wallet may show the short code.

A v2 code carries no issuer signature: a gate checks it against the ticket's
signed credential, which it must already hold. So a wallet claim publishes the
new credential as a `credential` change (and in the manifest, `["c", ...]`), and
the ticket remembers that change's number. A gate asking the feed from cursor C
holds every change up to C, so each device's last asked-from position is kept;
`compact_ready` is true once every active device of the event is past the
ticket's credential change. Until then the wallet shows the full v1 code, which
any gate verifies offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy import Connection, and_, func, or_, select, update

from gatescan.protocol.token import TokenError, parse_credential
from gatescan.protocol.wire import b64url, unb64url
from gatescan.server.devices import ACTIVE
from gatescan.server.storage import schema as s
from gatescan.server.storage.changelog import append_changes
from gatescan.server.store import REVOKED, IssuerStore, StoredTicket

CREDENTIAL_KIND = "credential"


def publish_credential(conn: Connection, event_id: int, ticket_id: int, signed: bytes, *,
                       now: int) -> int:
    """Append the `credential` change of a ticket's new signed credential (in the caller's
    write transaction) and remember it on the ticket; returns its change number."""
    serial = parse_credential(signed).credential.serial
    seq = append_changes(conn, event_id, [
        (CREDENTIAL_KIND, ticket_id, {"credential": b64url(signed), "serial": serial})],
        now=now)
    conn.execute(update(s.tickets).where(s.tickets.c.ticket_id == ticket_id)
                 .values(credential_seq=seq))
    return seq


def _current(conn: Connection, ticket: StoredTicket, seq: int | None) -> bytes | None:
    """The published credential at change `seq` if it is still the ticket's current one."""
    if seq is None or ticket.status == REVOKED:
        return None
    row = conn.execute(select(s.changes.c.data).where(s.changes.c.seq == seq)).first()
    if row is None:
        return None
    data = json.loads(row.data)
    try:
        signed = unb64url(str(data["credential"]))
        cred = parse_credential(signed).credential
    except (KeyError, ValueError, TokenError):
        return None
    if cred.serial != ticket.serial or cred.holder_key != ticket.holder_key:
        return None  # moved on (a transfer outside the wallet): gates need the full code
    return signed


def manifest_credentials(conn: Connection, event_id: int) -> Iterator[bytes]:
    """The current published credentials of the event's tickets, by ticket id (read in the
    manifest build's transaction)."""
    t, ch = s.tickets.c, s.changes.c
    rows = conn.execute(
        select(t.ticket_id, t.serial, t.status, t.holder_key, ch.data)
        .join(s.changes, ch.seq == t.credential_seq)
        .where(and_(t.event_id == event_id, t.credential_seq.is_not(None),
                    t.status != REVOKED))
        .order_by(t.ticket_id)).all()
    for row in rows:
        try:
            signed = unb64url(str(json.loads(row.data)["credential"]))
            cred = parse_credential(signed).credential
        except (KeyError, ValueError, TokenError):
            continue
        if cred.serial == row.serial and cred.holder_key == bytes(row.holder_key):
            yield signed


def pulled(conn: Connection, device_id: str) -> int | None:
    """The feed position the device last asked from (None: it never pulled)."""
    value = conn.execute(select(s.devices.c.feed_cursor)
                         .where(s.devices.c.device_id == device_id)).scalar_one_or_none()
    return None if value is None else int(value)


def note_pull(store: IssuerStore, device_id: str, position: int) -> None:
    """Remember that the device holds the feed's ticket side up to `position`."""
    d = s.devices.c
    with store.transaction() as conn:
        conn.execute(update(s.devices).where(and_(
            d.device_id == device_id,
            or_(d.feed_cursor.is_(None), d.feed_cursor < position))).values(
            feed_cursor=position))


def compact_ready(store: IssuerStore, ticket: StoredTicket) -> bool:
    """Whether every active gate of the ticket's event holds its current credential (and
    there is at least one): then the wallet may show the compact code."""
    t, d = s.tickets.c, s.devices.c
    with store.snapshot() as conn:
        seq = conn.execute(select(t.credential_seq).where(t.ticket_id == ticket.ticket_id)
                           ).scalar_one_or_none()
        if _current(conn, ticket, seq) is None:
            return False
        active, behind = conn.execute(
            select(func.count(), func.count().filter(or_(d.feed_cursor.is_(None),
                                                        d.feed_cursor < seq)))
            .where(and_(d.event_id == ticket.event_id, d.status == ACTIVE))).one()
    return bool(active) and not behind
