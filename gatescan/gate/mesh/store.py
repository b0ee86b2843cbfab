"""The ledger side of the mesh: this gate's own scans out, peers' scans in.

Peers' scans enter through `replica.apply_changes`, the very path the server's
feed of other gates' scans takes: they join the hash-chained log as `remote`
rows, each scan id once, so this gate's own records are never touched and a scan
that later arrives from the server too is not doubled. What the mesh remembers
per sender (how far it holds the sender's log, the highest message counter seen)
is kept in `sync_state` in the same transaction, so a crash loses nothing and
repeats nothing but work. A peer's admission of a ticket this gate admitted too
is a conflict, recorded in the same transaction (gatescan.gate.mesh.conflicts).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from gatescan.gate.ledger import replica
from gatescan.gate.ledger.errors import translated
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.mesh.conflicts import found_conflicts
from gatescan.protocol.mesh import PeerScan
from gatescan.protocol.token import format_ticket_id

HAVE_PREFIX = "mesh.have."  # + sender key: how far this gate holds that sender's own scans
SEEN_PREFIX = "mesh.seen."  # + sender key: the highest message counter accepted from it
COUNTER_SETTING = "mesh.counter"  # this gate's own counter, reserved ahead (settings table)
COUNTER_BLOCK = 10_000
MAX_PENDING = 4096  # out-of-order scans remembered per sender (beyond that: anti-entropy)
_OWN = "source != 'remote' AND ticket_id IS NOT NULL AND event_id = ?"
_OWN_COLUMNS = "seq, scan_id, ticket_id, serial, gate, direction, outcome, device_time"


@dataclass(slots=True)
class SenderProgress:
    """How far this gate holds one sender's log: `have` (contiguous) and what came early."""

    have: int = 0
    early: dict[int, int] = field(default_factory=dict)  # prev -> seq, received past a gap

    def note(self, prev: int, seq: int) -> bool:
        """Record a received scan; True if `have` moved."""
        before = self.have
        if seq <= self.have:
            return False
        if prev <= self.have:
            self.have = seq
        else:
            if len(self.early) >= MAX_PENDING:
                self.early.pop(next(iter(self.early)))
            self.early[prev] = max(seq, self.early.get(prev, 0))
        while self.have in self.early:
            self.have = max(self.have, self.early.pop(self.have))
        for gone in [p for p in self.early if self.early[p] <= self.have]:
            del self.early[gone]
        return self.have != before


@dataclass(frozen=True, slots=True)
class Incoming:
    """A believed peer scan waiting to be written: who sent it, with which counter."""

    sender: str
    sender_key: str
    scan: PeerScan
    progress: SenderProgress
    counter: int


class MeshStore:
    """The mesh's own connection to the gate's ledger (one per thread, like every Ledger)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.conn: sqlite3.Connection = ledger.conn
        self.conflicts = 0  # conflicts found in peers' scans since start (status)
        # Peers' scans commit without waiting for the disk (WAL stays atomic and ordered):
        # a power cut can lose the last few, together with the `have` marks that count
        # them, so anti-entropy fetches them again. The gate's own scans (the scanner's
        # connection) and the counter reservations below stay synchronous=FULL.
        with translated():
            self.conn.execute("PRAGMA synchronous = NORMAL")

    def event_id(self) -> int | None:
        """The loaded event."""
        return self.ledger.loaded_event_id()

    def changed(self) -> int:
        """SQLite's data version: moves when another connection (the scanner) commits."""
        with translated():
            return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def own_head(self, event_id: int) -> int:
        """The log position of this gate's newest own scan (0: none)."""
        with translated():
            row = self.conn.execute(f"SELECT seq FROM scans WHERE {_OWN} "
                                    "ORDER BY seq DESC LIMIT 1", (event_id,)).fetchone()
        return 0 if row is None else int(row[0])

    def own_after(self, event_id: int, after: int, limit: int) -> list[PeerScan]:
        """This gate's own scans after log position `after`, oldest first, each with `prev`."""
        with translated():
            prev_row = self.conn.execute(f"SELECT seq FROM scans WHERE {_OWN} AND seq <= ? "
                                         "ORDER BY seq DESC LIMIT 1",
                                         (event_id, after)).fetchone()
            rows = self.conn.execute(f"SELECT {_OWN_COLUMNS} FROM scans WHERE {_OWN} AND "
                                     "seq > ? ORDER BY seq LIMIT ?",
                                     (event_id, after, limit)).fetchall()
        prev = 0 if prev_row is None else int(prev_row[0])
        out = []
        for seq, scan_id, ticket, serial, gate, direction, outcome, device_time in rows:
            out.append(PeerScan(scan_id, format_ticket_id(ticket), serial, gate, direction,
                                outcome, float(device_time), int(seq), prev))
            prev = int(seq)
        return out

    def apply(self, event_id: int, batch: Sequence[Incoming]) -> int:
        """Append peers' scans (skipping known ones) and note progress; rows added.

        One write transaction for the whole batch: the scans, the conflicts they
        reveal with this gate's own admissions, how far this gate holds each
        sender, and the message counters accepted (the replay guard survives a
        restart).
        """
        changes: list[replica.Change] = [item.scan.as_change(item.sender) for item in batch]
        with translated():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                now = time.time()
                conflicts = found_conflicts(self.conn, self.ledger.event(event_id),
                                            [(i.sender, i.scan) for i in batch], now)
                changes.extend(conflicts)
                row = self.conn.execute("SELECT value FROM sync_state WHERE key = ?",
                                        (replica.CURSOR_KEY,)).fetchone()
                cursor = None if row is None else str(row[0])
                # The feed's own apply path; it stores a cursor, so give it back the one it has.
                result = replica.apply_changes(self.conn, event_id, changes, cursor or "",
                                               now=now)
                if cursor is None:
                    self.conn.execute("DELETE FROM sync_state WHERE key = ?",
                                      (replica.CURSOR_KEY,))
                for item in batch:
                    self._put(HAVE_PREFIX + item.sender_key, item.progress.have)
                    self.conn.execute(
                        "INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO "
                        "UPDATE SET value = excluded.value WHERE "
                        "CAST(sync_state.value AS INTEGER) < CAST(excluded.value AS INTEGER)",
                        (SEEN_PREFIX + item.sender_key, str(item.counter)))
                self.conn.execute("COMMIT")
                self.conflicts += len(conflicts)
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        self.ledger.check_file()
        return result.scans

    def _put(self, key: str, value: int) -> None:
        self.conn.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
                          (key, str(value)))

    def remembered(self, prefix: str) -> dict[str, int]:
        """Per sender key: what `apply` stored under `prefix`."""
        with translated():
            rows = self.conn.execute("SELECT key, value FROM sync_state "
                                     "WHERE substr(key, 1, ?) = ?",
                                     (len(prefix), prefix)).fetchall()
        out = {}
        for key, value in rows:
            try:
                out[str(key)[len(prefix):]] = int(value)
            except ValueError:
                continue
        return out

    def reserve_counter(self, at_least: int) -> int:
        """Reserve message counters up to a new mark (stored before use); the mark."""
        mark = at_least + COUNTER_BLOCK
        with translated():
            self.conn.execute("PRAGMA synchronous = FULL")
            try:
                self.ledger.set_setting(COUNTER_SETTING, str(mark))
            finally:
                self.conn.execute("PRAGMA synchronous = NORMAL")
        return mark

    def counter_start(self) -> int:
        """Where this gate's counter resumes: past everything it may have used before."""
        stored = self.ledger.setting(COUNTER_SETTING)
        try:
            return int(stored) if stored is not None else 0
        except ValueError:
            return 0
