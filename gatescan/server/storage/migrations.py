"""Schema migrations: numbered steps, run once each, in one serialized write transaction.

The version lives in `schema_version` (one row). A SQLite file written by the
offline issuer before this table existed (sqlite-utils, `PRAGMA user_version`
1) is recognised as version 1. Concurrent workers starting against one
PostgreSQL migrate it once: the write transaction holds the advisory lock and
PostgreSQL DDL is transactional. Never edit a released step; append a new one.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, func, insert, inspect, select, text, update

from gatescan.server.errors import IssuerError
from gatescan.server.storage import schema as s
from gatescan.server.storage.engine import Database, redacted

log = logging.getLogger(__name__)

Migration = Callable[[Connection], None]


def _v1(conn: Connection) -> None:
    """The offline issuer: events, public keys, tickets, transfers, the change counter."""
    for table in s.V1_TABLES:
        table.create(conn)
    conn.execute(insert(s.counters).values(name="change", value=0))


def _v2(conn: Connection) -> None:
    """The sync server: change log (backfilled), scans, devices, tokens, manifest cache."""
    for table in s.V2_TABLES:
        table.create(conn)
    now = int(time.time())
    rows: list[dict[str, object]] = []
    for ev in conn.execute(select(s.events.c.event_id, s.events.c.policy)
                           .order_by(s.events.c.ordinal)):
        rows.append({"event_id": ev.event_id, "kind": "policy", "ticket_id": None,
                     "data": json.dumps({"policy": json.loads(ev.policy)}, sort_keys=True)})
        for key in conn.execute(select(s.issuer_keys).where(s.issuer_keys.c.event_id ==
                                                            ev.event_id)):
            rows.append({"event_id": ev.event_id, "kind": "key", "ticket_id": None,
                         "data": json.dumps({"kid": key.kid,
                                             "public_key": bytes(key.public_key).hex()})})
        for t in conn.execute(select(s.tickets).where(s.tickets.c.event_id == ev.event_id)
                              .order_by(s.tickets.c.issue_seq)):
            rows.append({"event_id": ev.event_id, "kind": "ticket", "ticket_id": t.ticket_id,
                         "data": json.dumps({"type_id": t.type_id, "serial": t.serial,
                                             "seat": t.seat})})
            if t.status == "revoked":
                rows.append({"event_id": ev.event_id, "kind": "revocation",
                             "ticket_id": t.ticket_id,
                             "data": json.dumps({"serial": None,
                                                 "reason": t.revoked_reason or ""})})
    if rows:
        last = conn.execute(update(s.counters).where(s.counters.c.name == "change")
                            .values(value=s.counters.c.value + len(rows))
                            .returning(s.counters.c.value)).scalar_one()
        first = last - len(rows) + 1
        for i, row in enumerate(rows):
            row.update(seq=first + i, at=now)
        conn.execute(insert(s.changes), rows)


def _v3(conn: Connection) -> None:
    """The wallet page: one-time claim and transfer links."""
    for table in s.V3_TABLES:
        table.create(conn)


def _v4(conn: Connection) -> None:
    """Gate hash-chain checkpoints on scans and devices; the index of conflict changes.

    A database created at this version already has them (tables are created from
    the current definitions), so only what is missing is added.
    """
    seen = inspect(conn)
    for name, columns in s.V4_COLUMNS.items():
        table = s.metadata.tables[name]
        have = {c["name"] for c in seen.get_columns(name)}
        for column in columns:
            if column not in have:
                kind = table.c[column].type.compile(dialect=conn.dialect)
                conn.execute(text(f"ALTER TABLE {name} ADD COLUMN {column} {kind}"))
    for table in (s.scans, s.changes):
        for index in table.indexes:
            if index.name in s.V4_INDEXES:
                index.create(conn, checkfirst=True)


def _v5(conn: Connection) -> None:
    """Scans keyed by (device, scan id), not scan id alone; `time_flag` on scans.

    SQLite cannot change a primary key in place, so the table is rebuilt (its
    documented rename-create-copy-drop procedure); PostgreSQL swaps the
    constraints. A database created at this version already has the new shape.
    """
    seen = inspect(conn)
    if seen.get_pk_constraint("scans")["constrained_columns"] != ["seq"]:
        if conn.dialect.name == "sqlite":
            _rebuild_scans(conn, [c["name"] for c in seen.get_columns("scans")])
        else:
            _rekey_scans_pg(conn, seen)
    if "time_flag" not in {c["name"] for c in inspect(conn).get_columns("scans")}:
        kind = s.scans.c.time_flag.type.compile(dialect=conn.dialect)
        conn.execute(text(f"ALTER TABLE scans ADD COLUMN time_flag {kind}"))
    for index in s.scans.indexes:
        index.create(conn, checkfirst=True)


def _rebuild_scans(conn: Connection, old_columns: list[str]) -> None:
    conn.execute(text("ALTER TABLE scans RENAME TO scans_v4"))
    for index in s.scans.indexes:  # the old table keeps its index names: free them
        conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
    s.scans.create(conn)
    names = ", ".join(c for c in old_columns if c in s.scans.c)
    conn.execute(text(f"INSERT INTO scans ({names}) SELECT {names} FROM scans_v4"))
    conn.execute(text("DROP TABLE scans_v4"))


def _rekey_scans_pg(conn: Connection, seen: Any) -> None:
    pk = seen.get_pk_constraint("scans")["name"]
    conn.execute(text(f'ALTER TABLE scans DROP CONSTRAINT "{pk}"'))
    for unique in seen.get_unique_constraints("scans"):
        if unique["column_names"] == ["seq"]:
            conn.execute(text(f'ALTER TABLE scans DROP CONSTRAINT "{unique["name"]}"'))
    conn.execute(text("ALTER TABLE scans ADD PRIMARY KEY (seq)"))


def _v6(conn: Connection) -> None:
    """The server's instance id (made once, with the store); the devices' rollback flag."""
    _add_missing_columns(conn, s.V6_COLUMNS)
    s.server_instance.create(conn, checkfirst=True)
    if conn.execute(select(s.server_instance.c.id)).first() is None:
        conn.execute(insert(s.server_instance).values(id=1, instance_id=secrets.token_hex(16),
                                                      created_at=time.time()))


def _add_missing_columns(conn: Connection, columns: Mapping[str, tuple[str, ...]]) -> None:
    seen = inspect(conn)
    for name, wanted in columns.items():
        table = s.metadata.tables[name]
        have = {c["name"] for c in seen.get_columns(name)}
        for column in wanted:
            if column not in have:
                kind = table.c[column].type.compile(dialect=conn.dialect)
                conn.execute(text(f"ALTER TABLE {name} ADD COLUMN {column} {kind}"))


def _v7(conn: Connection) -> None:
    """The console: accounts, grants, console sessions, audit log, event details, limits."""
    for table in s.V7_TABLES:
        table.create(conn, checkfirst=True)


def _v8(conn: Connection) -> None:
    """Optional attendee name and order code on tickets (nullable: most events leave them out)."""
    _add_missing_columns(conn, s.V8_COLUMNS)


def _v9(conn: Connection) -> None:
    """The gate mesh: each device's own public key and the address its mesh listens on."""
    _add_missing_columns(conn, s.V9_COLUMNS)


def _v10(conn: Connection) -> None:
    """What each device reports about itself: app version, unsent scans, mesh peers heard."""
    _add_missing_columns(conn, s.V10_COLUMNS)
    # An index of scans by (event, device time) was here for a day: SQLite preferred it to
    # the ticket index for one ticket's scans in device time order (the conflicts list).
    conn.execute(text("DROP INDEX IF EXISTS idx_scans_event_time"))


def _v11(conn: Connection) -> None:
    """Compact codes: the change that published a ticket's credential; each device's feed
    position."""
    _add_missing_columns(conn, s.V11_COLUMNS)


MIGRATIONS: list[Migration] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9, _v10, _v11]


def current_version(conn: Connection) -> int:
    """The schema version of the database (0: empty)."""
    names = set(inspect(conn).get_table_names())
    if "schema_version" in names:
        return int(conn.execute(select(func.max(s.schema_version.c.version))).scalar() or 0)
    if "events" in names:
        return 1  # the offline issuer's SQLite file, before schema_version existed
    return 0


def migrate(db: Database) -> int:
    """Bring the schema up to date; `IssuerError("schema_too_new")` if it is newer."""
    with db.write() as conn:
        version = current_version(conn)
        if version > len(MIGRATIONS):
            raise IssuerError("schema_too_new", f"{redacted(db.url)} was written by a newer "
                              f"gatescan-server (schema {version}, this one knows "
                              f"{len(MIGRATIONS)})")
        if version == len(MIGRATIONS):
            return version
        s.schema_version.create(conn, checkfirst=True)
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            log.info("migrating %s to schema %d", redacted(db.url), number)
            step(conn)
        conn.execute(s.schema_version.delete())
        conn.execute(insert(s.schema_version).values(id=1, version=len(MIGRATIONS)))
    return len(MIGRATIONS)
