"""The ledger as a replica of the server: unsent scans out; ticket changes, other gates' scans in.

Everything here runs inside a transaction the `Ledger` opens, so a page of
changes and the cursor after it are committed together (a crash leaves the
previous page and cursor, and the page is simply pulled again: applying a change
twice is harmless). Scans made at other gates join the hash-chained log with
`source='remote'` and `uploaded=1`, keeping their own device time and gate, so
"already used" names the gate and the time where it really happened.
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gatescan.gate.ledger import chain
from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.ledger.lookup import name_key
from gatescan.gate.ledger.schema import CREDENTIAL_SQL
from gatescan.protocol.manifest import MAX_NAME, MAX_ORDER_CODE, endorsed
from gatescan.protocol.policy import PolicyError
from gatescan.protocol.token import TokenError, key_id
from gatescan.protocol.verdict import Outcome
from gatescan.protocol.wire import (
    MAX_REASON,
    ConflictEntry,
    CredentialEntry,
    FeedEntry,
    KeyEntry,
    PolicyEntry,
    PushedScan,
    RevocationEntry,
    ScanEntry,
    TicketEntry,
    TransferEntry,
    Unreadable,
    WireError,
    entry_from_json,
)

log = logging.getLogger(__name__)

REMOTE_DEVICE = "remote"  # device id of a synced scan whose gate device the server did not name
CURSOR_KEY = "cursor"
# Set when the gate starts over from a manifest (a fresh or recovered ledger): until the
# feed is caught up, it asks for its own device's scans too (it may have lost them).
OWN_SCANS_KEY = "feed_own_scans"
NEWEST_TIME_KEY = "newest_time_seen"
_PENDING_WHERE = ("uploaded = 0 AND ticket_id IS NOT NULL AND scan_id NOT IN "
                  "(SELECT scan_id FROM upload_results WHERE status = 'rejected')")
_SCAN_COLUMNS = ("seq, scan_id, event_id, ticket_id, serial, device_id, gate, direction, "
                 "outcome, reason, device_time, source, hash")
_INSERT_SCAN_SQL = (
    f"INSERT INTO scans ({', '.join(chain.HASHED_COLUMNS)}, uploaded, prev_hash, hash) "
    f"VALUES ({', '.join('?' for _ in chain.HASHED_COLUMNS)}, 1, ?, ?)"
)


@dataclass(frozen=True, slots=True)
class UnsentScan:
    """A scan of this gate's log that the server has not acknowledged yet."""

    seq: int
    scan_id: str
    event_id: int | None
    ticket_id: int
    serial: int | None
    device_id: str
    gate: str
    direction: str
    outcome: str
    reason: str
    device_time: float
    source: str
    hash: str

    def as_wire(self) -> PushedScan:
        """The scan as a push item (docs/sync-protocol.md), with the gate's own device time.

        `seq` and `hash` place the scan in the gate's hash chain: a server that
        keeps them holds checkpoints a rewritten or shortened log no longer matches.
        """
        return PushedScan(self.scan_id, self.ticket_id, self.serial or 0, self.gate,
                          self.direction,  # type: ignore[arg-type]  # the log holds entry/exit
                          self.outcome, self.device_time, self.source,
                          self.reason[:MAX_REASON], self.seq, self.hash, self.event_id)

    def as_item(self) -> dict[str, Any]:
        """The push item as JSON (`as_wire().to_json()`)."""
        return self.as_wire().to_json()


@dataclass(slots=True)
class AppliedChanges:
    """What applying one page of changes did, by kind."""

    tickets: int = 0
    revocations: int = 0
    keys: int = 0
    policies: int = 0
    scans: int = 0
    conflicts: int = 0
    skipped: list[str] = field(default_factory=list)
    credentials: int = 0

    def __iadd__(self, other: AppliedChanges) -> AppliedChanges:
        self.tickets += other.tickets
        self.revocations += other.revocations
        self.keys += other.keys
        self.policies += other.policies
        self.scans += other.scans
        self.conflicts += other.conflicts
        self.skipped += other.skipped
        self.credentials += other.credentials
        return self


@dataclass(frozen=True, slots=True)
class UploadCounts:
    """How the gate's log stands against the server."""

    pending: int
    rejected: int
    conflicts: int
    local_only: int


def _unsent(row: Sequence[Any]) -> UnsentScan:
    return UnsentScan(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                      row[9], float(row[10]), row[11], row[12])


def unsent_scans(conn: sqlite3.Connection, *, after_seq: int = 0, limit: int = 1000,
                 include_rejected: bool = False) -> list[UnsentScan]:
    """Unsent scans after `after_seq`, in log order (codes that did not parse stay local)."""
    where = _PENDING_WHERE if not include_rejected else "uploaded = 0 AND ticket_id IS NOT NULL"
    # The partial index holds only unsent rows, in log order: no sort, no walk over sent ones.
    rows = conn.execute(f"SELECT {_SCAN_COLUMNS} FROM scans INDEXED BY scans_pending "
                        f"WHERE {where} AND seq > ? ORDER BY seq LIMIT ?",
                        (after_seq, limit)).fetchall()
    return [_unsent(r) for r in rows]


def iter_unsent(conn: sqlite3.Connection, *, include_rejected: bool = True,
                page: int = 5000) -> Iterator[UnsentScan]:
    """Every unsent scan in log order, read page by page."""
    after = 0
    while True:
        batch = unsent_scans(conn, after_seq=after, limit=page, include_rejected=include_rejected)
        yield from batch
        if len(batch) < page:
            return
        after = batch[-1].seq


def upload_counts(conn: sqlite3.Connection) -> UploadCounts:
    """Pending, rejected and conflicting uploads, and scans that never leave the device."""
    q = conn.execute
    return UploadCounts(
        pending=q(f"SELECT count(*) FROM scans WHERE {_PENDING_WHERE}").fetchone()[0],
        rejected=q("SELECT count(*) FROM upload_results r JOIN scans s USING (scan_id) "
                   "WHERE r.status = 'rejected' AND s.uploaded = 0").fetchone()[0],
        conflicts=q("SELECT count(*) FROM upload_results WHERE status = 'conflict'"
                    ).fetchone()[0],
        local_only=q("SELECT count(*) FROM scans WHERE uploaded = 0 AND ticket_id IS NULL"
                     ).fetchone()[0],
    )


def record_upload_results(conn: sqlite3.Connection, acknowledged: Iterable[str],
                          rejected: Iterable[tuple[str, str]], conflicts: Iterable[str],
                          at: float) -> int:
    """Apply the server's per-item answers: acknowledged scans are sent, rejected ones set aside."""
    done = conn.executemany("UPDATE scans SET uploaded = 1 WHERE scan_id = ? AND uploaded = 0",
                            [(sid,) for sid in acknowledged]).rowcount
    conn.executemany(
        "INSERT OR REPLACE INTO upload_results (scan_id, status, error, at) "
        "VALUES (?, 'rejected', ?, ?)", [(sid, err, at) for sid, err in rejected])
    conn.executemany(
        "INSERT OR REPLACE INTO upload_results (scan_id, status, error, at) "
        "VALUES (?, 'conflict', NULL, ?)", [(sid, at) for sid in conflicts])
    return max(done, 0)


def resend_after(conn: sqlite3.Connection, seq: int) -> int:
    """Mark this gate's own acknowledged scans after log position `seq` unsent again.

    For a server that lost them (restored from an older backup): they go in the
    next push, and the server stores each scan id once, so resending one it still
    has changes nothing.
    """
    return max(conn.execute(
        "UPDATE scans SET uploaded = 0 WHERE uploaded = 1 AND source != 'remote' "
        "AND ticket_id IS NOT NULL AND seq > ?", (seq,)).rowcount, 0)


def retry_rejected(conn: sqlite3.Connection) -> int:
    """Put every rejected scan back in the upload queue; returns how many."""
    return conn.execute("DELETE FROM upload_results WHERE status = 'rejected'").rowcount


def newest_time_seen(conn: sqlite3.Connection) -> float | None:
    """The latest trustworthy time seen: a server time, the manifest's, the log's last write."""
    row = conn.execute(
        "SELECT max(t) FROM ("
        " SELECT CAST(value AS REAL) AS t FROM sync_state WHERE key = ?"
        " UNION ALL SELECT generated_at FROM events"
        " UNION ALL SELECT recorded_at FROM (SELECT recorded_at FROM scans"
        "                                    ORDER BY seq DESC LIMIT 1))",
        (NEWEST_TIME_KEY,)).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def note_time_seen(conn: sqlite3.Connection, t: float) -> None:
    """Remember a trustworthy time (the server's) if it is the newest seen so far."""
    if not math.isfinite(t):
        return
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
        "value = excluded.value WHERE CAST(sync_state.value AS REAL) < CAST(excluded.value "
        "AS REAL)", (NEWEST_TIME_KEY, repr(float(t))))


def wipe_event(conn: sqlite3.Connection) -> None:
    """Drop the event's data (tickets, revocations, keys, policy) and the sync state.

    The scan log stays: it is append-only and tamper-evident, and its unsent
    scans can still be exported for the organizer.
    """
    for table in ("tickets", "credentials", "revocations", "keys", "events", "sync_state"):
        conn.execute(f"DELETE FROM {table}")


# -- applying pulled changes -------------------------------------------------------------


Change = FeedEntry | Unreadable | Mapping[str, Any]  # a typed entry, or JSON to read first


class _Page:
    """Applies one page of changes for one event inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection, event_id: int, now: float) -> None:
        self.conn = conn
        self.event_id = event_id
        self.now = now
        self.result = AppliedChanges()
        self.touched: set[int] = set()
        self.scans: list[ScanEntry] = []

    def skip(self, seq: Any, kind: Any, why: str) -> None:
        self.result.skipped.append(f"change {seq!r:.20} ({kind!r:.20}): {why:.160}")

    def apply(self, change: Change) -> None:
        if isinstance(change, Mapping):
            try:
                change = entry_from_json(dict(change))
            except WireError as exc:
                change = Unreadable(change, exc)
        if isinstance(change, Unreadable):
            why = "unknown kind" if change.error.code == "unknown_kind" else change.error.message
            self.skip(change.seq, change.kind, why)
            return
        try:
            if isinstance(change, TicketEntry | TransferEntry):
                self.ticket(change)
            elif isinstance(change, RevocationEntry):
                self.revocation(change)
            elif isinstance(change, KeyEntry):
                self.key(change)
            elif isinstance(change, PolicyEntry):
                self.policy(change)
            elif isinstance(change, ScanEntry):
                self.scans.append(change)
            elif isinstance(change, CredentialEntry):
                self.credential(change)
            else:
                self.conflict(change)
        except (ValueError, TokenError, PolicyError) as exc:
            self.skip(change.seq, change.KIND, f"{type(exc).__name__}: {exc}")

    def conflict(self, ch: ConflictEntry) -> None:
        """A ticket admitted more often than allowed: mark this gate's own scans of it.

        Other gates' scans in the notice are already known from their `scan`
        changes; what this gate learns is that its own admission was one of them.
        """
        self.conn.executemany(
            "INSERT OR IGNORE INTO upload_results (scan_id, status, error, at) "
            "SELECT scan_id, 'conflict', NULL, ? FROM scans "
            "WHERE scan_id = ? AND source != 'remote'",
            [(self.now, s.scan_id) for s in ch.scans])
        self.result.conflicts += 1

    def ticket(self, ch: TicketEntry | TransferEntry) -> None:
        tid, serial = ch.ticket_id, ch.serial
        # A serial never goes down: replaying an older change after a newer manifest is harmless.
        self.conn.execute(
            "INSERT INTO tickets (ticket_id, event_id, type_id, serial, seat, revoked, "
            "revoked_reason) VALUES (?, ?, ?, ?, ?, 0, NULL) ON CONFLICT(ticket_id) DO UPDATE SET "
            "event_id = excluded.event_id, type_id = excluded.type_id, serial = excluded.serial, "
            "seat = excluded.seat, revoked = 0, revoked_reason = NULL "
            "WHERE excluded.serial >= tickets.serial",
            (tid, self.event_id, ch.type_id, serial, ch.seat))
        self.touched.add(tid)
        self.result.tickets += 1
        if isinstance(ch, TicketEntry) and ch.attendee:  # an event with attendee_data
            name = _attendee_text(ch.holder_name, MAX_NAME)
            order = _attendee_text(ch.order_code, MAX_ORDER_CODE)
            self.conn.execute("UPDATE tickets SET holder_name = ?, order_code = ?, "
                              "name_key = ? WHERE ticket_id = ? AND serial = ?",
                              (name, order, name_key(name), tid, serial))

    def credential(self, ch: CredentialEntry) -> None:
        """Keep the ticket's newest signed credential (a serial never goes down)."""
        store_credential(self.conn, ch.ticket_id, ch.serial, ch.credential)
        self.result.credentials += 1

    def revocation(self, ch: RevocationEntry) -> None:
        reason = ch.reason or "revoked"
        self.conn.execute("INSERT OR REPLACE INTO revocations (ticket_id, serial, reason) "
                          "VALUES (?, ?, ?)", (ch.ticket_id, ch.serial, reason[:MAX_REASON]))
        self.touched.add(ch.ticket_id)
        self.result.revocations += 1

    def key(self, ch: KeyEntry) -> None:
        public = ch.public_key
        if ch.kid is not None and ch.kid != key_id(public).hex():
            raise ValueError("key id does not match the public key")
        trusted = [bytes(k) for (k,) in self.conn.execute(
            "SELECT public_key FROM keys WHERE event_id = ?", (self.event_id,))]
        if public in trusted:
            self.result.keys += 1
            return
        # Later keys only on the word of a key already trusted: a relay cannot add its own.
        if not endorsed(trusted, self.event_id, public, ch.endorsement or b""):
            raise ValueError("a new key must be endorsed by a key this gate already trusts")
        self.conn.execute("INSERT OR IGNORE INTO keys (event_id, kid, public_key) VALUES (?, ?, ?)",
                          (self.event_id, key_id(public), public))
        self.result.keys += 1

    def policy(self, ch: PolicyEntry) -> None:
        policy = ch.policy
        if policy.event_id != self.event_id:
            raise ValueError(f"policy is for event {policy.event_id}")
        self.conn.execute("UPDATE events SET name = ?, policy = ? WHERE event_id = ?",
                          (policy.name, json.dumps(policy.to_dict(), sort_keys=True),
                           self.event_id))
        self.result.policies += 1

    def refold(self) -> None:
        """Recompute the revoked flag of every ticket this page touched."""
        covers = ("r.ticket_id = tickets.ticket_id AND "
                  "(r.serial IS NULL OR r.serial >= tickets.serial)")
        self.conn.executemany(
            f"""UPDATE tickets SET
                  revoked = EXISTS (SELECT 1 FROM revocations r WHERE {covers}),
                  revoked_reason = (SELECT r.reason FROM revocations r WHERE {covers}
                                    ORDER BY r.serial IS NULL DESC, r.serial DESC LIMIT 1)
                WHERE ticket_id = ?""", [(t,) for t in sorted(self.touched)])

    def append_scans(self) -> None:
        """Append other gates' scans to the hash-chained log, each scan id once."""
        rows: dict[str, tuple[Any, ...]] = {}
        for ch in self.scans:
            rows.setdefault(ch.scan_id, self._scan_row(ch))
        if not rows:
            return
        ids = list(rows)
        known: set[str] = set()
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            known.update(r[0] for r in self.conn.execute(
                f"SELECT scan_id FROM scans WHERE scan_id IN ({', '.join('?' * len(part))})",
                part))
        seq, prev = chain.head(self.conn)
        batch = []
        for scan_id, row in rows.items():
            if scan_id in known:
                continue
            seq += 1
            values: chain.ScanValues = (seq, *row[:11], self.now, "remote")
            digest = chain.row_hash(prev, values)
            batch.append((*values, prev, digest))
            prev = digest
        self.conn.executemany(_INSERT_SCAN_SQL, batch)
        self.result.scans += len(batch)

    def _scan_row(self, ch: ScanEntry) -> tuple[Any, ...]:
        outcome, gate = ch.outcome, ch.gate
        admit = int(Outcome(outcome).admits)
        reason = f"synced: {outcome.replace('_', ' ')} at {gate}"
        # Values in chain.HASHED_COLUMNS order after seq, up to (not including) recorded_at.
        return (ch.scan_id, self.event_id, ch.ticket_id, ch.serial,
                ch.device_id or REMOTE_DEVICE, gate, ch.direction, outcome, admit, reason,
                ch.device_time)


def store_credential(conn: sqlite3.Connection, ticket_id: int, serial: int,
                     credential: bytes) -> None:
    """Store a ticket's signed credential unless the ledger holds a newer serial's."""
    conn.execute(CREDENTIAL_SQL, (ticket_id, serial, credential))


def _attendee_text(value: str | None, limit: int) -> str | None:
    if value is not None and not 0 < len(value) <= limit:
        raise ValueError("bad attendee field")
    return value


def apply_changes(conn: sqlite3.Connection, event_id: int, changes: Sequence[Change],
                  cursor: str, *, now: float | None = None) -> AppliedChanges:
    """Apply one page of changes for the loaded event and store the cursor after it.

    Must run inside a write transaction. A change that cannot be applied is
    skipped and named in the result (it never blocks the rest of the page).
    """
    loaded = conn.execute("SELECT event_id FROM events").fetchone()
    if loaded is None or loaded[0] != event_id:
        raise LedgerError("other_event", f"changes are for event {event_id}, but this gate "
                          f"holds {'no event' if loaded is None else f'event {loaded[0]}'}")
    page = _Page(conn, event_id, time.time() if now is None else now)
    for change in changes:
        page.apply(change)
    page.refold()
    page.append_scans()
    conn.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
                 (CURSOR_KEY, cursor))
    for problem in page.result.skipped:
        log.warning("skipped a change the gate cannot apply: %s", problem)
    return page.result
