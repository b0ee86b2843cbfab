"""Issuer storage: events, public issuer keys, tickets and the change log (SQLAlchemy Core).

SQLite file by default, PostgreSQL by URL (`gatescan.server.storage`). Private issuer
keys live in `keys/` files (`gatescan.server.keys`), never in the database; the
simulated phones are in a separate file (`gatescan.server.wallet`). Every ticket,
transfer, revocation, key and policy change appends a numbered row to the change
log inside the same write transaction; gates page through it by that number.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

from nacl.signing import SigningKey
from sqlalchemy import Connection, and_, func, insert, select, update

from gatescan.protocol.manifest import endorse_key
from gatescan.protocol.policy import EventPolicy
from gatescan.protocol.token import MAX_TICKET_ID, key_id
from gatescan.server.entropy import Entropy
from gatescan.server.errors import IssuerError
from gatescan.server.keys import KeyFiles
from gatescan.server.settings import ServerSettings
from gatescan.server.storage import schema as s
from gatescan.server.storage.changelog import append_changes
from gatescan.server.storage.engine import Database
from gatescan.server.storage.migrations import migrate

log = logging.getLogger(__name__)

VALID = "valid"
REVOKED = "revoked"
ACTIVE = "active"
RETIRED = "retired"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the issuer keeps it."""

    event_id: int
    name: str
    kind: str
    policy: EventPolicy
    created_at: int
    manifest_sequence: int
    demo: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class StoredKey:
    """An issuer public key of an event; `state` is active (signs) or retired (still trusted)."""

    event_id: int
    kid: bytes
    public_key: bytes
    state: str
    created_at: int


@dataclass(frozen=True, slots=True)
class StoredTicket:
    """A ticket's current state: its credential serial, holder key, status."""

    ticket_id: int
    event_id: int
    type_id: int
    serial: int
    seat: str | None
    status: str
    holder_key: bytes
    kid: bytes
    valid_from: int
    valid_until: int
    revoked_reason: str | None


ManifestTicket = tuple[int, int, int, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class NewTicket:
    """What `IssuerStore.add_tickets` records for one freshly issued ticket (serial 0)."""

    ticket_id: int
    type_id: int
    seat: str | None
    holder_key: bytes
    kid: bytes
    valid_from: int
    valid_until: int
    holder_name: str | None = None
    order_code: str | None = None


class IssuerStore:
    """The issuer database plus its key files; one per server or CLI process."""

    def __init__(self, db: Database, keys: KeyFiles) -> None:
        self.db = db
        self.keys_files = keys
        self._local = threading.local()
        migrate(db)

    @classmethod
    def open(cls, settings: ServerSettings) -> IssuerStore:
        """Open (creating and migrating if needed) the store the settings name."""
        settings.ensure_dirs()
        db = Database(settings.db_url, pool_size=settings.db_pool_size)
        try:
            return cls(db, KeyFiles(settings.keys_dir))
        except BaseException:
            db.dispose()
            raise

    def close(self) -> None:
        """Close the database connections."""
        self.db.dispose()

    def __enter__(self) -> IssuerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions -------------------------------------------------------------------

    @property
    def current(self) -> Connection | None:
        """The connection of this thread's open transaction, if any."""
        conn: Connection | None = getattr(self._local, "conn", None)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One serialized write transaction; nested calls join the outer one."""
        if self.current is not None:
            yield self.current
            return
        with self.db.write() as conn:
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read transaction (joins an open transaction of this thread)."""
        if self.current is not None:
            yield self.current
            return
        with self.db.read() as conn:
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None

    def _conn(self) -> AbstractContextManager[Connection]:
        current = self.current
        return nullcontext(current) if current is not None else self.db.read()

    def _run(self, fn: Callable[[Connection], T]) -> T:
        with self._conn() as conn:
            return fn(conn)

    def append_changes(self, event_id: int, rows: Sequence[tuple[str, int | None,
                                                                   dict[str, Any]]],
                       *, now: int) -> int:
        """Append change-log rows in the current (or a new) write transaction."""
        with self.transaction() as conn:
            return append_changes(conn, event_id, rows, now=now)

    # -- events ---------------------------------------------------------------------

    def new_event_id(self, entropy: Entropy) -> int:
        """A random unused u32 event id (tokens carry event ids as u32)."""
        while True:
            candidate = entropy.randbits(32)
            if candidate and self.event(candidate) is None:
                return candidate

    def add_event(self, policy: EventPolicy, *, kind: str, now: int) -> None:
        """Record a new event with its policy."""
        with self.transaction() as conn:
            ordinal = conn.execute(select(func.coalesce(func.max(s.events.c.ordinal), 0) + 1)
                                   ).scalar_one()
            doc = policy.to_dict()
            conn.execute(insert(s.events).values(
                event_id=policy.event_id, ordinal=ordinal, name=policy.name, kind=kind,
                policy=json.dumps(doc, sort_keys=True), created_at=now, manifest_sequence=0))
            append_changes(conn, policy.event_id, [("policy", None, {"policy": doc})], now=now)

    def update_policy(self, policy: EventPolicy, *, now: int) -> None:
        """Replace an event's policy (name, rotation, gates, types); gates learn it on sync."""
        with self.transaction() as conn:
            doc = policy.to_dict()
            done = conn.execute(update(s.events).where(s.events.c.event_id == policy.event_id)
                                .values(name=policy.name, policy=json.dumps(doc, sort_keys=True)))
            if done.rowcount != 1:
                raise IssuerError("unknown_event", f"no event {policy.event_id}")
            append_changes(conn, policy.event_id, [("policy", None, {"policy": doc})], now=now)

    def event(self, event_id: int) -> StoredEvent | None:
        """The event with this id, or None."""
        if not 0 <= event_id <= 0xFFFFFFFF:
            return None
        row = self._run(lambda c: c.execute(_EVENT_SELECT.where(
            s.events.c.event_id == event_id)).first())
        return _event(row) if row else None

    def events(self) -> list[StoredEvent]:
        """Every event, most recent first."""
        rows = self._run(lambda c: c.execute(
            _EVENT_SELECT.order_by(s.events.c.ordinal.desc())).all())
        return [_event(r) for r in rows]

    def latest_event(self, kind: str | None = None) -> StoredEvent | None:
        """The most recently created event (of this kind, if given), or None."""
        query = _EVENT_SELECT
        if kind is not None:
            query = query.where(s.events.c.kind == kind)
            if kind == "demo":
                query = query.where(s.events.c.demo.is_not(None))
        row = self._run(lambda c: c.execute(
            query.order_by(s.events.c.ordinal.desc()).limit(1)).first())
        return _event(row) if row else None

    def set_demo(self, event_id: int, demo: dict[str, Any]) -> None:
        """Attach the demo description (parameters, special tickets) to an event."""
        with self.transaction() as conn:
            conn.execute(update(s.events).where(s.events.c.event_id == event_id)
                         .values(demo=json.dumps(demo, sort_keys=True)))

    def next_manifest_sequence(self, event_id: int) -> int:
        """Increment and return the event's manifest sequence (inside a write transaction)."""
        with self.transaction() as conn:
            value = conn.execute(
                update(s.events).where(s.events.c.event_id == event_id)
                .values(manifest_sequence=s.events.c.manifest_sequence + 1)
                .returning(s.events.c.manifest_sequence)).scalar()
        if value is None:
            raise IssuerError("unknown_event", f"no event {event_id}")
        return int(value)

    # -- keys -----------------------------------------------------------------------

    def add_key(self, event_id: int, key: SigningKey, *, now: int) -> StoredKey:
        """Store a new signing key for the event and make it the active one."""
        public = bytes(key.verify_key)
        kid = key_id(public)
        change: dict[str, Any] = {"kid": kid.hex(), "public_key": public.hex()}
        if any(k.state == ACTIVE for k in self.keys(event_id)):
            # Gates take a new key from the feed only on the word of one they trust.
            previous = self.signing_key(event_id)
            change.update(endorsed_by=key_id(bytes(previous.verify_key)).hex(),
                          endorsement=endorse_key(previous, event_id, public).hex())
        with self.transaction() as conn:
            self.keys_files.save(event_id, key)
            seq = append_changes(conn, event_id, [("key", None, change)], now=now)
            k = s.issuer_keys.c
            conn.execute(update(s.issuer_keys)
                         .where(and_(k.event_id == event_id, k.state == ACTIVE))
                         .values(state=RETIRED, retired_at=now))  # keeps its seq: key order
            conn.execute(insert(s.issuer_keys).values(
                event_id=event_id, kid=kid.hex(), public_key=public, state=ACTIVE,
                created_at=now, change_seq=seq))
        return StoredKey(event_id, kid, public, ACTIVE, now)

    def keys(self, event_id: int) -> list[StoredKey]:
        """Every trusted key of the event (active and retired), oldest first."""
        k = s.issuer_keys.c
        rows = self._run(lambda c: c.execute(
            select(k.event_id, k.kid, k.public_key, k.state, k.created_at)
            .where(k.event_id == event_id).order_by(k.created_at, k.change_seq)).all())
        return [StoredKey(r[0], bytes.fromhex(r[1]), bytes(r[2]), r[3], r[4]) for r in rows]

    def signing_key(self, event_id: int) -> SigningKey:
        """The event's active signing key, loaded from its key file."""
        active = [k for k in self.keys(event_id) if k.state == ACTIVE]
        if not active:
            raise IssuerError("no_key", f"event {event_id} has no active issuer key")
        return self.keys_files.load(event_id, active[-1].public_key)

    # -- tickets --------------------------------------------------------------------

    def new_ticket_ids(self, count: int, entropy: Entropy) -> list[int]:
        """`count` random unused 63-bit ticket ids."""
        ids: set[int] = set()
        while len(ids) < count:
            fresh = {entropy.randbits(63) for _ in range(count - len(ids))} - ids
            fresh.discard(0)
            ids |= fresh - self._existing(fresh)
        return list(ids)

    def _existing(self, ids: set[int]) -> set[int]:
        found: set[int] = set()
        batch = list(ids)
        with self._conn() as conn:
            for i in range(0, len(batch), 500):
                found.update(conn.execute(select(s.tickets.c.ticket_id).where(
                    s.tickets.c.ticket_id.in_(batch[i:i + 500]))).scalars())
        return found

    def add_tickets(self, event_id: int, tickets: Sequence[NewTicket], *, now: int,
                    attendee_data: bool = False) -> None:
        """Record freshly issued tickets (serial 0, valid) in issue order.

        With `attendee_data` (the event opted in) the gates' ticket changes carry the
        attendee name and order code too; otherwise they stay on the server.
        """

        def change(t: NewTicket) -> dict[str, object]:
            data: dict[str, object] = {"type_id": t.type_id, "serial": 0, "seat": t.seat}
            if attendee_data:
                data.update(holder_name=t.holder_name, order_code=t.order_code)
            return data

        with self.transaction() as conn:
            first_issue = conn.execute(
                select(func.coalesce(func.max(s.tickets.c.issue_seq), 0) + 1)
                .where(s.tickets.c.event_id == event_id)).scalar_one()
            first = append_changes(conn, event_id, [
                ("ticket", t.ticket_id, change(t)) for t in tickets], now=now)
            conn.execute(insert(s.tickets), [
                {"ticket_id": t.ticket_id, "event_id": event_id, "type_id": t.type_id,
                 "serial": 0, "seat": t.seat, "status": VALID, "holder_key": t.holder_key,
                 "kid": t.kid.hex(), "valid_from": t.valid_from, "valid_until": t.valid_until,
                 "issued_at": now, "issue_seq": first_issue + i, "change_seq": first + i,
                 "holder_name": t.holder_name, "order_code": t.order_code}
                for i, t in enumerate(tickets)])

    def ticket(self, ticket_id: int) -> StoredTicket | None:
        """The ticket with this id, or None."""
        if not 0 <= ticket_id <= MAX_TICKET_ID:
            return None
        row = self._run(lambda c: c.execute(_TICKET_SELECT.where(
            s.tickets.c.ticket_id == ticket_id)).first())
        return _ticket(row) if row is not None else None

    def ticket_types(self, event_id: int) -> list[tuple[int, int]]:
        """(ticket_id, type_id) of every ticket of the event, in issue order."""
        t = s.tickets.c
        rows = self._run(lambda c: c.execute(select(t.ticket_id, t.type_id).where(
            t.event_id == event_id).order_by(t.issue_seq)).all())
        return [(r[0], r[1]) for r in rows]

    def types_in_use(self, event_id: int) -> set[int]:
        """The ticket type ids that have tickets in the event."""
        t = s.tickets.c
        return set(self._run(lambda c: c.execute(select(t.type_id).distinct().where(
            t.event_id == event_id)).scalars().all()))

    def tickets_page(self, event_id: int, after: int, limit: int) -> list[StoredTicket]:
        """Tickets of the event with ids above `after`, by id."""
        t = s.tickets.c
        rows = self._run(lambda c: c.execute(_TICKET_SELECT.where(
            and_(t.event_id == event_id, t.ticket_id > after))
            .order_by(t.ticket_id).limit(limit)).all())
        return [_ticket(r) for r in rows]

    def manifest_tickets(self, event_id: int) -> Iterator[ManifestTicket]:
        """(ticket_id, type_id, serial, seat, name, order code) of every ticket, by ticket id."""
        t = s.tickets.c
        with self._conn() as conn:
            for row in conn.execute(select(t.ticket_id, t.type_id, t.serial, t.seat,
                                           t.holder_name, t.order_code)
                                    .where(t.event_id == event_id).order_by(t.ticket_id)):
                yield row[0], row[1], row[2], row[3], row[4], row[5]

    def manifest_revocations(self, event_id: int) -> Iterator[tuple[int, str]]:
        """(ticket_id, reason) of every revoked ticket, sorted by ticket id."""
        t = s.tickets.c
        with self._conn() as conn:
            for row in conn.execute(
                    select(t.ticket_id, func.coalesce(t.revoked_reason, ""))
                    .where(and_(t.event_id == event_id, t.status == REVOKED))
                    .order_by(t.ticket_id)):
                yield row[0], row[1]

    def mark_revoked(self, ticket_id: int, reason: str, *, now: int) -> None:
        """Set a ticket's status to revoked, with the reason."""
        with self.transaction() as conn:
            event_id = conn.execute(select(s.tickets.c.event_id).where(
                s.tickets.c.ticket_id == ticket_id)).scalar_one()
            seq = append_changes(conn, event_id, [
                ("revocation", ticket_id, {"serial": None, "reason": reason})], now=now)
            conn.execute(update(s.tickets).where(s.tickets.c.ticket_id == ticket_id).values(
                status=REVOKED, revoked_reason=reason, revoked_at=now, change_seq=seq))

    def mark_transferred(self, ticket: StoredTicket, *, serial: int, holder_key: bytes,
                         kid: bytes, now: int) -> None:
        """Record a transfer: the new serial, holder key and signing key id."""
        with self.transaction() as conn:
            seq = append_changes(conn, ticket.event_id, [
                ("transfer", ticket.ticket_id, {"type_id": ticket.type_id, "serial": serial,
                                                "seat": ticket.seat,
                                                "previous_serial": ticket.serial})], now=now)
            conn.execute(update(s.tickets).where(s.tickets.c.ticket_id == ticket.ticket_id)
                         .values(serial=serial, holder_key=holder_key, kid=kid.hex(),
                                 change_seq=seq))
            conn.execute(insert(s.transfers).values(
                ticket_id=ticket.ticket_id, from_serial=ticket.serial, to_serial=serial,
                old_holder_key=ticket.holder_key, new_holder_key=holder_key, at=now))

    def last_change(self, event_id: int) -> int:
        """The highest change-log seq of the event's tickets, keys and policy (0 if none).

        Conflict changes are about scans, which a manifest does not carry: they
        do not make a cached manifest stale.
        """
        ch = s.changes.c
        # Newest first along the (event_id, seq) index: stops at the first one that counts.
        last = self._run(lambda c: c.execute(
            select(ch.seq).where(and_(ch.event_id == event_id, ch.kind != s.CONFLICT_KIND))
            .order_by(ch.seq.desc()).limit(1)).scalar())
        return int(last or 0)


_EVENT_SELECT = select(s.events.c.event_id, s.events.c.name, s.events.c.kind, s.events.c.policy,
                       s.events.c.created_at, s.events.c.manifest_sequence, s.events.c.demo)


_TICKET_SELECT = select(
    s.tickets.c.ticket_id, s.tickets.c.event_id, s.tickets.c.type_id, s.tickets.c.serial,
    s.tickets.c.seat, s.tickets.c.status, s.tickets.c.holder_key, s.tickets.c.kid,
    s.tickets.c.valid_from, s.tickets.c.valid_until, s.tickets.c.revoked_reason)


def _ticket(row: Sequence[Any]) -> StoredTicket:
    return StoredTicket(row[0], row[1], row[2], row[3], row[4], row[5], bytes(row[6]),
                        bytes.fromhex(row[7]), row[8], row[9], row[10])


def _event(row: Sequence[Any]) -> StoredEvent:
    return StoredEvent(
        event_id=row[0], name=row[1], kind=row[2],
        policy=EventPolicy.from_dict(json.loads(row[3])), created_at=row[4],
        manifest_sequence=row[5], demo=json.loads(row[6]) if row[6] else None)
