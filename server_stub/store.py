"""Issuer storage: events, public issuer keys, tickets, in one SQLite file (WAL).

Private issuer keys live in `keys/` files (see `server_stub.keys`), never in
the database. The simulated phones are in a separate file (`server_stub.wallet`).
Every ticket or key change takes a number from one `change` counter
(`change_seq`), which is the cursor the sync server will page deltas by; the
SQL stays plain so a PostgreSQL store can implement the same methods later.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey
from sqlite_utils import Database

from scanner.verify.policy import EventPolicy
from scanner.verify.token import MAX_TICKET_ID, key_id
from server_stub.db import immediate, open_database
from server_stub.entropy import Entropy
from server_stub.errors import IssuerError
from server_stub.keys import KeyFiles
from server_stub.settings import ServerSettings

log = logging.getLogger(__name__)

VALID = "valid"
REVOKED = "revoked"
ACTIVE = "active"
RETIRED = "retired"


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


def _v1(db: Database) -> None:
    db.table("events").create({"event_id": int, "ordinal": int, "name": str, "kind": str,
                         "policy": str, "demo": str, "created_at": int,
                         "manifest_sequence": int},
                        pk="event_id", not_null={"ordinal", "name", "kind", "policy",
                                                 "created_at", "manifest_sequence"})
    db.table("issuer_keys").create({"event_id": int, "kid": str, "public_key": bytes, "state": str,
                              "created_at": int, "retired_at": int, "change_seq": int},
                             pk=("event_id", "kid"), foreign_keys=[("event_id", "events")],
                             not_null={"public_key", "state", "created_at", "change_seq"})
    db.table("tickets").create({"ticket_id": int, "event_id": int, "type_id": int, "serial": int,
                          "seat": str, "status": str, "holder_key": bytes, "kid": str,
                          "valid_from": int, "valid_until": int, "issued_at": int,
                          "issue_seq": int, "revoked_reason": str, "revoked_at": int,
                          "change_seq": int},
                         pk="ticket_id", foreign_keys=[("event_id", "events")],
                         not_null={"event_id", "type_id", "serial", "status", "holder_key",
                                   "kid", "valid_from", "valid_until", "issued_at",
                                   "issue_seq", "change_seq"})
    db.table("tickets").create_index(["event_id", "issue_seq"], unique=True)
    db.table("tickets").create_index(["event_id", "change_seq"])
    db.table("transfers").create({"id": int, "ticket_id": int, "from_serial": int, "to_serial": int,
                            "old_holder_key": bytes, "new_holder_key": bytes, "at": int},
                           pk="id", foreign_keys=[("ticket_id", "tickets")])
    db.table("counters").create({"name": str, "value": int}, pk="name", not_null={"value"})
    db.execute("INSERT INTO counters (name, value) VALUES ('change', 0)")


MIGRATIONS: list[Callable[[Database], None]] = [_v1]


class IssuerStore:
    """The issuer's SQLite database plus its key files; one per data directory."""

    def __init__(self, path: Path, keys: KeyFiles) -> None:
        self.path = path
        self.keys_files = keys
        self.db = open_database(path)
        try:
            self._migrate()
        except BaseException:
            self.db.close()
            raise

    @classmethod
    def open(cls, settings: ServerSettings) -> IssuerStore:
        """Open (creating if needed) the store of a data directory."""
        settings.ensure_dirs()
        return cls(settings.database_path, KeyFiles(settings.keys_dir))

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def __enter__(self) -> IssuerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        with self.transaction():
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise IssuerError("schema_too_new",
                                  f"{self.path} was written by a newer gatescan-server")
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                log.info("migrating %s to schema %d", self.path.name, number)
                step(self.db)
                self.db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (`BEGIN IMMEDIATE`); nested calls join the outer one."""
        with immediate(self.db.conn):
            yield

    def _next_changes(self, count: int) -> int:
        """Reserve `count` change numbers; returns the first."""
        with self.transaction():
            row = self.db.execute(
                "UPDATE counters SET value = value + ? WHERE name = 'change' RETURNING value",
                [count]).fetchone()
        return int(row[0]) - count + 1

    # -- events ---------------------------------------------------------------------

    def new_event_id(self, entropy: Entropy) -> int:
        """A random unused u32 event id (tokens carry event ids as u32)."""
        while True:
            candidate = entropy.randbits(32)
            if candidate and self.event(candidate) is None:
                return candidate

    def add_event(self, policy: EventPolicy, *, kind: str, now: int) -> None:
        """Record a new event with its policy."""
        with self.transaction():
            ordinal = self.db.execute(
                "SELECT COALESCE(MAX(ordinal), 0) + 1 FROM events").fetchone()[0]
            self.db.execute(
                "INSERT INTO events (event_id, ordinal, name, kind, policy, created_at,"
                " manifest_sequence) VALUES (?, ?, ?, ?, ?, ?, 0)",
                [policy.event_id, ordinal, policy.name, kind,
                 json.dumps(policy.to_dict(), sort_keys=True), now])

    def event(self, event_id: int) -> StoredEvent | None:
        """The event with this id, or None."""
        row = self.db.execute(
            "SELECT event_id, name, kind, policy, created_at, manifest_sequence, demo"
            " FROM events WHERE event_id = ?", [event_id]).fetchone()
        return _event(row) if row else None

    def latest_event(self, kind: str | None = None) -> StoredEvent | None:
        """The most recently created event (of this kind, if given), or None."""
        sql = ("SELECT event_id, name, kind, policy, created_at, manifest_sequence, demo"
               " FROM events")
        params: list[Any] = []
        if kind is not None:
            sql += " WHERE kind = ? AND demo IS NOT NULL" if kind == "demo" else " WHERE kind = ?"
            params.append(kind)
        row = self.db.execute(sql + " ORDER BY ordinal DESC LIMIT 1", params).fetchone()
        return _event(row) if row else None

    def set_demo(self, event_id: int, demo: dict[str, Any]) -> None:
        """Attach the demo description (parameters, special tickets) to an event."""
        self.db.execute("UPDATE events SET demo = ? WHERE event_id = ?",
                        [json.dumps(demo, sort_keys=True), event_id])

    def next_manifest_sequence(self, event_id: int) -> int:
        """Increment and return the event's manifest sequence (call inside a transaction)."""
        row = self.db.execute(
            "UPDATE events SET manifest_sequence = manifest_sequence + 1 WHERE event_id = ?"
            " RETURNING manifest_sequence", [event_id]).fetchone()
        if row is None:
            raise IssuerError("unknown_event", f"no event {event_id}")
        return int(row[0])

    # -- keys -----------------------------------------------------------------------

    def add_key(self, event_id: int, key: SigningKey, *, now: int) -> StoredKey:
        """Store a new signing key for the event and make it the active one."""
        public = bytes(key.verify_key)
        with self.transaction():
            self.keys_files.save(event_id, key)
            change = self._next_changes(1)
            self.db.execute(
                "UPDATE issuer_keys SET state = ?, retired_at = ?, change_seq = ?"
                " WHERE event_id = ? AND state = ?", [RETIRED, now, change, event_id, ACTIVE])
            self.db.execute(
                "INSERT INTO issuer_keys (event_id, kid, public_key, state, created_at,"
                " change_seq) VALUES (?, ?, ?, ?, ?, ?)",
                [event_id, key_id(public).hex(), public, ACTIVE, now, change])
        return StoredKey(event_id, key_id(public), public, ACTIVE, now)

    def keys(self, event_id: int) -> list[StoredKey]:
        """Every trusted key of the event (active and retired), oldest first."""
        rows = self.db.execute(
            "SELECT event_id, kid, public_key, state, created_at FROM issuer_keys"
            " WHERE event_id = ? ORDER BY created_at, rowid", [event_id]).fetchall()
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
        for i in range(0, len(batch), 500):
            chunk = batch[i:i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(
                f"SELECT ticket_id FROM tickets WHERE ticket_id IN ({marks})", chunk))
        return found

    def add_tickets(self, event_id: int, tickets: Sequence[NewTicket], *, now: int) -> None:
        """Record freshly issued tickets (serial 0, valid) in issue order."""
        with self.transaction():
            first_seq = self.db.execute(
                "SELECT COALESCE(MAX(issue_seq), 0) + 1 FROM tickets WHERE event_id = ?",
                [event_id]).fetchone()[0]
            first_change = self._next_changes(len(tickets))
            self.db.conn.executemany(
                "INSERT INTO tickets (ticket_id, event_id, type_id, serial, seat, status,"
                " holder_key, kid, valid_from, valid_until, issued_at, issue_seq, change_seq)"
                " VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((t.ticket_id, event_id, t.type_id, t.seat, VALID, t.holder_key, t.kid.hex(),
                  t.valid_from, t.valid_until, now, first_seq + i, first_change + i)
                 for i, t in enumerate(tickets)))

    def ticket(self, ticket_id: int) -> StoredTicket | None:
        """The ticket with this id, or None."""
        if not 0 <= ticket_id <= MAX_TICKET_ID:
            return None
        row = self.db.execute(
            "SELECT ticket_id, event_id, type_id, serial, seat, status, holder_key, kid,"
            " valid_from, valid_until, revoked_reason FROM tickets WHERE ticket_id = ?",
            [ticket_id]).fetchone()
        if row is None:
            return None
        return StoredTicket(row[0], row[1], row[2], row[3], row[4], row[5], bytes(row[6]),
                            bytes.fromhex(row[7]), row[8], row[9], row[10])

    def ticket_types(self, event_id: int) -> list[tuple[int, int]]:
        """(ticket_id, type_id) of every ticket of the event, in issue order."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT ticket_id, type_id FROM tickets WHERE event_id = ? ORDER BY issue_seq",
            [event_id])]

    def manifest_tickets(self, event_id: int) -> Iterator[tuple[int, int, int, str | None]]:
        """(ticket_id, type_id, serial, seat) of every ticket, sorted by ticket id."""
        yield from self.db.execute(
            "SELECT ticket_id, type_id, serial, seat FROM tickets WHERE event_id = ?"
            " ORDER BY ticket_id", [event_id])

    def manifest_revocations(self, event_id: int) -> Iterator[tuple[int, str]]:
        """(ticket_id, reason) of every revoked ticket, sorted by ticket id."""
        yield from self.db.execute(
            "SELECT ticket_id, COALESCE(revoked_reason, '') FROM tickets"
            " WHERE event_id = ? AND status = ? ORDER BY ticket_id", [event_id, REVOKED])

    def mark_revoked(self, ticket_id: int, reason: str, *, now: int) -> None:
        """Set a ticket's status to revoked, with the reason."""
        with self.transaction():
            self.db.execute(
                "UPDATE tickets SET status = ?, revoked_reason = ?, revoked_at = ?,"
                " change_seq = ? WHERE ticket_id = ?",
                [REVOKED, reason, now, self._next_changes(1), ticket_id])

    def mark_transferred(self, ticket: StoredTicket, *, serial: int, holder_key: bytes,
                         kid: bytes, now: int) -> None:
        """Record a transfer: the new serial, holder key and signing key id."""
        with self.transaction():
            self.db.execute(
                "UPDATE tickets SET serial = ?, holder_key = ?, kid = ?, change_seq = ?"
                " WHERE ticket_id = ?",
                [serial, holder_key, kid.hex(), self._next_changes(1), ticket.ticket_id])
            self.db.execute(
                "INSERT INTO transfers (ticket_id, from_serial, to_serial, old_holder_key,"
                " new_holder_key, at) VALUES (?, ?, ?, ?, ?, ?)",
                [ticket.ticket_id, ticket.serial, serial, ticket.holder_key, holder_key, now])


def _event(row: Sequence[Any]) -> StoredEvent:
    return StoredEvent(
        event_id=row[0], name=row[1], kind=row[2],
        policy=EventPolicy.from_dict(json.loads(row[3])), created_at=row[4],
        manifest_sequence=row[5], demo=json.loads(row[6]) if row[6] else None)
