"""Read-only queries the gate app needs from the ledger: counts, buckets, recent scans, export.

These read the ledger's tables directly on the ledger worker's connection and
never write. They belong in `scanner.ledger` once its owner adds them there.
"""

from __future__ import annotations

import csv
import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from scanner.verify.policy import EventPolicy
from scanner.verify.token import format_ticket_id
from scanner.verify.verdict import Outcome

log = logging.getLogger(__name__)

BUCKET_SECONDS = 300
EXPORT_COLUMNS = ("seq", "scan_id", "device_time", "gate", "direction", "ticket_id", "serial",
                  "type", "outcome", "admit", "reason", "source", "uploaded", "device_id")


@dataclass(frozen=True, slots=True)
class RecentScan:
    """One row of the manager's recent-scans table (no personal data)."""

    time: float
    gate: str
    direction: str
    ticket: str | None
    type_name: str | None
    outcome: str
    admit: bool
    source: str


@dataclass(frozen=True, slots=True)
class Bucket:
    """Scans in one five-minute slot."""

    start: float
    admitted: int
    refused: int


@dataclass(frozen=True, slots=True)
class ManagerStats:
    """Everything the manager view shows from the ledger, as one snapshot."""

    event_name: str | None
    total: int = 0
    admitted: int = 0
    pending_uploads: int = 0
    by_type: list[tuple[str, int, int]] = field(default_factory=list)  # name, admitted, refused
    by_outcome: list[tuple[str, int]] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    recent: list[RecentScan] = field(default_factory=list)


def gate_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(people admitted by this ledger, scans not yet uploaded)."""
    admitted = conn.execute("SELECT count(*) FROM scans WHERE outcome = ?",
                            (Outcome.ADMITTED.value,)).fetchone()[0]
    pending = conn.execute("SELECT count(*) FROM scans WHERE uploaded = 0").fetchone()[0]
    return int(admitted), int(pending)


def _type_name(policy: EventPolicy | None, type_id: int | None) -> str | None:
    if policy is None or type_id is None:
        return None
    ttype = policy.ticket_type(type_id)
    return ttype.name if ttype else str(type_id)


def load_stats(conn: sqlite3.Connection, policy: EventPolicy | None, now: float, *,
               hours: float = 3.0, recent: int = 30) -> ManagerStats:
    """Counts by type and outcome, admissions per five minutes, the latest scans."""
    conn.execute("BEGIN")  # one consistent snapshot for every query below
    try:
        admitted, pending = gate_counts(conn)
        total = conn.execute("SELECT count(*) FROM scans").fetchone()[0]
        by_outcome = [(str(o), int(n)) for o, n in conn.execute(
            "SELECT outcome, count(*) FROM scans GROUP BY outcome ORDER BY count(*) DESC")]
        by_type: list[tuple[str, int, int]] = []
        for type_id, ok, bad in conn.execute(
                "SELECT t.type_id, sum(s.admit), sum(1 - s.admit) FROM scans s "
                "LEFT JOIN tickets t ON t.ticket_id = s.ticket_id "
                "WHERE s.ticket_id IS NOT NULL GROUP BY t.type_id ORDER BY t.type_id"):
            by_type.append((_type_name(policy, type_id) or "?", int(ok), int(bad)))
        since = now - hours * 3600
        first = int(since // BUCKET_SECONDS)
        slots = {b: [0, 0] for b in range(first, int(now // BUCKET_SECONDS) + 1)}
        for bucket, ok, bad in conn.execute(
                "SELECT CAST(device_time / ? AS INTEGER), "
                "sum(outcome = ?), sum(admit = 0) FROM scans "
                "WHERE device_time >= ? GROUP BY 1", (BUCKET_SECONDS, Outcome.ADMITTED.value,
                                                      first * BUCKET_SECONDS)):
            if bucket in slots:
                slots[bucket] = [int(ok), int(bad)]
        buckets = [Bucket(b * BUCKET_SECONDS, v[0], v[1]) for b, v in sorted(slots.items())]
        rows = conn.execute(
            "SELECT s.device_time, s.gate, s.direction, s.ticket_id, t.type_id, s.outcome, "
            "s.admit, s.source FROM scans s LEFT JOIN tickets t ON t.ticket_id = s.ticket_id "
            "ORDER BY s.seq DESC LIMIT ?", (recent,)).fetchall()
    finally:
        conn.execute("ROLLBACK")
    latest = [RecentScan(float(r[0]), str(r[1]), str(r[2]),
                         None if r[3] is None else format_ticket_id(int(r[3])),
                         _type_name(policy, r[4]), str(r[5]), bool(r[6]), str(r[7]))
              for r in rows]
    return ManagerStats(policy.name if policy else None, int(total), admitted, pending,
                        by_type, by_outcome, buckets, latest)


def export_scans(conn: sqlite3.Connection, policy: EventPolicy | None, path: Path) -> int:
    """Write the whole scan log as CSV to `path` (atomically); returns the number of rows."""
    tmp = path.with_name(path.name + ".part")
    count = 0
    conn.execute("BEGIN")
    try:
        cursor = conn.execute(
            "SELECT s.seq, s.scan_id, s.device_time, s.gate, s.direction, s.ticket_id, s.serial,"
            " t.type_id, s.outcome, s.admit, s.reason, s.source, s.uploaded, s.device_id"
            " FROM scans s LEFT JOIN tickets t ON t.ticket_id = s.ticket_id ORDER BY s.seq")
        with tmp.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(EXPORT_COLUMNS)
            for row in cursor:
                values = list(row)
                values[5] = None if row[5] is None else format_ticket_id(int(row[5]))
                values[7] = _type_name(policy, row[7])
                writer.writerow(values)
                count += 1
    finally:
        conn.execute("ROLLBACK")
    tmp.replace(path)
    log.info("exported %d scans", count)
    return count
