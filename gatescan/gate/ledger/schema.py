"""The ledger's SQLite schema, versioned with `PRAGMA user_version` and migrated on open.

Each entry of `MIGRATIONS` moves the file from version N to N+1. They run in
one `BEGIN IMMEDIATE` transaction per step, so a crash mid-migration leaves
the file at the previous version, and two processes opening an old file at
once migrate it once. Never edit a released migration; append a new one.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

Migration = Callable[[sqlite3.Connection], None]

GENESIS_HASH = "0" * 64  # prev_hash of the first scan in the chain
# Store a ticket's signed credential (ticket_id, serial, bytes) unless a newer serial's is held.
CREDENTIAL_SQL = ("INSERT INTO credentials (ticket_id, serial, credential) VALUES (?, ?, ?) "
                  "ON CONFLICT(ticket_id) DO UPDATE SET serial = excluded.serial, "
                  "credential = excluded.credential WHERE excluded.serial >= credentials.serial")


class SchemaTooNewError(RuntimeError):
    """The file was written by a newer GateScan whose schema this version does not know."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(f"ledger schema version {found} is newer than this program ({known})")
        self.found = found
        self.known = known


def _v1_initial(conn: sqlite3.Connection) -> None:
    """Events, keys, tickets, revocations, the append-only scan log, sync state, settings."""
    statements = [
        """CREATE TABLE events (
            event_id     INTEGER PRIMARY KEY,
            name         TEXT NOT NULL,
            policy       TEXT NOT NULL,            -- EventPolicy.to_dict() as JSON
            sequence     INTEGER NOT NULL,         -- manifest sequence last imported
            generated_at INTEGER NOT NULL,         -- manifest generated_at (issuer clock)
            imported_at  REAL NOT NULL             -- this device's clock at import
        )""",
        """CREATE TABLE keys (
            event_id   INTEGER NOT NULL,
            kid        BLOB NOT NULL,              -- 4 bytes: SHA-256(public_key)[:4]
            public_key BLOB NOT NULL,              -- 32-byte Ed25519 public key
            PRIMARY KEY (event_id, public_key)
        )""",
        "CREATE INDEX keys_kid ON keys(event_id, kid)",
        """CREATE TABLE tickets (
            ticket_id      INTEGER PRIMARY KEY,
            event_id       INTEGER NOT NULL,
            type_id        INTEGER NOT NULL,
            serial         INTEGER NOT NULL,       -- current credential serial
            seat           TEXT,
            revoked        INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
            revoked_reason TEXT
        )""",
        """CREATE TABLE revocations (
            ticket_id INTEGER NOT NULL,
            serial    INTEGER,                     -- NULL: every credential of the ticket
            reason    TEXT NOT NULL
        )""",
        "CREATE UNIQUE INDEX revocations_key ON revocations(ticket_id, coalesce(serial, -1))",
        """CREATE TABLE scans (
            scan_id     TEXT PRIMARY KEY,          -- random 16 bytes, hex
            seq         INTEGER NOT NULL UNIQUE,   -- position in the hash chain, from 1
            event_id    INTEGER,
            ticket_id   INTEGER,                   -- NULL for codes that did not parse
            serial      INTEGER,
            device_id   TEXT NOT NULL,
            gate        TEXT NOT NULL,
            direction   TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
            outcome     TEXT NOT NULL,
            admit       INTEGER NOT NULL CHECK (admit IN (0, 1)),
            reason      TEXT NOT NULL,
            device_time REAL NOT NULL,             -- the scanning device's clock
            recorded_at REAL NOT NULL,             -- wall clock when the row was written
            source      TEXT NOT NULL
                        CHECK (source IN ('camera', 'wedge', 'manual', 'cli', 'remote')),
            uploaded    INTEGER NOT NULL DEFAULT 0 CHECK (uploaded IN (0, 1)),
            prev_hash   TEXT NOT NULL,
            hash        TEXT NOT NULL
        )""",
        "CREATE INDEX scans_ticket ON scans(ticket_id)",
        "CREATE INDEX scans_uploaded ON scans(uploaded)",
        # Append-only in the database engine itself; the hash chain catches edits
        # made by someone who drops these triggers.
        """CREATE TRIGGER scans_no_delete BEFORE DELETE ON scans
           BEGIN SELECT RAISE(ABORT, 'the scan log is append-only'); END""",
        """CREATE TRIGGER scans_no_update
           BEFORE UPDATE OF scan_id, seq, event_id, ticket_id, serial, device_id, gate,
                            direction, outcome, admit, reason, device_time, recorded_at,
                            source, prev_hash, hash ON scans
           BEGIN SELECT RAISE(ABORT, 'the scan log is append-only'); END""",
        "CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT)",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT)",
    ]
    for sql in statements:
        conn.execute(sql)


def _v2_sync(conn: sqlite3.Connection) -> None:
    """Upload outcomes the server reported (rejections, conflicts) and an index of unsent scans."""
    conn.execute("""CREATE TABLE upload_results (
        scan_id TEXT PRIMARY KEY,              -- a scan of this gate's log
        status  TEXT NOT NULL CHECK (status IN ('rejected', 'conflict')),
        error   TEXT,                          -- the server's reason for a rejection
        at      REAL NOT NULL                  -- when the server said so (server time)
    )""")
    # Partial: only unsent rows, in log order, so finding the next batch stays cheap
    # however long the log grows.
    conn.execute("CREATE INDEX scans_pending ON scans(seq) WHERE uploaded = 0")


def _v3_attendees(conn: sqlite3.Connection) -> None:
    """Attendee name and order code for events that opt in (NULL otherwise), searchable.

    `name_key` is the name case-folded in Python (SQLite's own case folding is ASCII only),
    so the manual lookup finds "müller" in "Anna Müller".
    """
    conn.execute("ALTER TABLE tickets ADD COLUMN holder_name TEXT")
    conn.execute("ALTER TABLE tickets ADD COLUMN order_code TEXT")
    conn.execute("ALTER TABLE tickets ADD COLUMN name_key TEXT")
    conn.execute("CREATE INDEX tickets_order_code ON tickets(order_code COLLATE NOCASE) "
                 "WHERE order_code IS NOT NULL")
    # Partial: an event without names has an empty index, so a name search costs nothing;
    # with names, a substring search scans this index, not the table.
    conn.execute("CREATE INDEX tickets_name_key ON tickets(name_key) WHERE name_key IS NOT NULL")


def _v4_credentials(conn: sqlite3.Connection) -> None:
    """Signed credentials (125 bytes, as the issuer signed them) for compact v2 codes.

    Apart from `tickets` so the bulk import of ticket rows stays as it is: only a
    claimed ticket has one. Stored unchecked; the verifier checks the issuer
    signature at each scan, as it does for a v1 code.
    """
    conn.execute("""CREATE TABLE credentials (
        ticket_id  INTEGER PRIMARY KEY,
        serial     INTEGER NOT NULL,           -- the credential's serial (bytes 19-20)
        credential BLOB NOT NULL CHECK (length(credential) = 125)
    )""")


MIGRATIONS: tuple[Migration, ...] = (_v1_initial, _v2_sync, _v3_attendees, _v4_credentials)


def schema_version(conn: sqlite3.Connection) -> int:
    """The file's schema version (0 for a new, empty file)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the file up to `len(migrations)`, one transaction per step; returns the version.

    `conn` must be in autocommit mode (isolation_level=None). Raises
    `SchemaTooNewError` if the file is newer than `migrations` knows.
    """
    target = len(migrations)
    current = schema_version(conn)
    if current > target:
        raise SchemaTooNewError(current, target)
    while current < target:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated meanwhile.
            current = schema_version(conn)
            if current < target:
                migrations[current](conn)
                conn.execute(f"PRAGMA user_version = {current + 1:d}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if current < target:
            log.info("ledger schema migrated to version %d", current + 1)
        current = schema_version(conn)
    return current
