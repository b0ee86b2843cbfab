"""Read-only reports on this gate's scan log: counters, five-minute admissions, recent scans,
conflicts the server reported, and a CSV export.

Each report reads one consistent snapshot and never writes. "This gate's
scans" are the ones it recorded itself: other gates' scans pulled by sync
(`source = 'remote'`) are in the log for the already-used check, not in its
counts. A repeat read is neither an admission nor a refusal. A code that did
not parse or whose signature failed is an unknown ticket: never shown or
counted under a ticket id or type (scans logged before that rule may still hold
the id read from the code; the reports ignore it). Known environment failures
surface as `LedgerError`.
"""

from __future__ import annotations

import csv
import io
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gatescan.gate.ledger import replica
from gatescan.gate.ledger.errors import translated
from gatescan.gate.ledger.ledger import Ledger
from gatescan.protocol.clock import EventZone, format_iso
from gatescan.protocol.files import atomic_writer
from gatescan.protocol.policy import EventPolicy
from gatescan.protocol.scan_export import CSV_COLUMNS
from gatescan.protocol.token import format_ticket_id
from gatescan.protocol.verdict import UNVERIFIED, Outcome

log = logging.getLogger(__name__)

BUCKET_SECONDS = 300
LOCAL = "source != 'remote'"  # scans this gate recorded itself
# Scans whose ticket id was proved by signatures (older logs hold ids read from forged codes).
_UNVERIFIED = ", ".join(f"'{o.value}'" for o in sorted(UNVERIFIED))
VERIFIED = f"outcome NOT IN ({_UNVERIFIED})"
# Neither a repeat read nor a supervisor's undo is a refusal (an undo takes an admission back).
REFUSED = (f"admit = 0 AND outcome NOT IN ('{Outcome.REPEAT_READ.value}', "
           f"'{Outcome.ADMISSION_UNDONE.value}')")
EXPORT_COLUMNS = CSV_COLUMNS  # the server reads this file back (gatescan.protocol.scan_export)


@dataclass(frozen=True, slots=True)
class RecentScan:
    """One of the latest scans at this gate (no personal data)."""

    time: float
    gate: str
    direction: str
    ticket: str | None  # printed ticket id; None for a code that did not parse
    type_name: str | None
    outcome: str
    admit: bool
    source: str


@dataclass(frozen=True, slots=True)
class Bucket:
    """This gate's scans in one five-minute slot."""

    start: float
    admitted: int
    refused: int


@dataclass(frozen=True, slots=True)
class OtherAdmission:
    """Another admission of a conflicting ticket: where, when, by which device."""

    time: float
    gate: str
    device_id: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """A scan of this gate the server reported as a conflict (the ticket was used elsewhere)."""

    scan_id: str
    ticket: str
    type_name: str | None
    time: float  # this gate's scan
    gate: str
    outcome: str
    reported_at: float  # when the server said so (server time)
    others: tuple[OtherAdmission, ...] = ()  # other admissions this gate knows of


@dataclass(frozen=True, slots=True)
class GateReport:
    """Everything the manager view shows from the ledger, as one snapshot."""

    event_name: str | None
    total: int = 0
    admitted: int = 0
    pending_uploads: int = 0
    by_type: list[tuple[str, int, int]] = field(default_factory=list)  # name, admitted, refused
    # (repeat reads are in by_outcome only: neither admitted nor refused)
    by_outcome: list[tuple[str, int]] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    recent: list[RecentScan] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    refused: int = 0  # refused or sent to a person (CHECK): not admitted, not a repeat read


@contextmanager
def _snapshot(ledger: Ledger) -> Iterator[sqlite3.Connection]:
    """One read transaction, so every query sees the same log; always rolled back."""
    with translated():
        ledger.conn.execute("BEGIN")
        try:
            yield ledger.conn
        finally:
            if ledger.conn.in_transaction:
                ledger.conn.execute("ROLLBACK")


def _policy(ledger: Ledger) -> EventPolicy | None:
    row = ledger.conn.execute("SELECT event_id FROM events").fetchone()
    return None if row is None else ledger.event(int(row[0]))


def _type_name(policy: EventPolicy | None, type_id: int | None) -> str | None:
    if policy is None or type_id is None:
        return None
    ttype = policy.ticket_type(type_id)
    return ttype.name if ttype else str(type_id)


_ADMITS = (Outcome.ADMITTED.value, Outcome.OVERRIDE_ADMITTED.value)
_UNDONE = Outcome.ADMISSION_UNDONE.value


def _counts(conn: sqlite3.Connection) -> tuple[int, int]:
    # An override counts as an admission; an undo takes one back (gatescan.gate.ledger.supervisor).
    admitted = conn.execute(
        f"SELECT count(*) FILTER (WHERE outcome IN (?, ?)) "
        f"- count(*) FILTER (WHERE outcome = ?) FROM scans WHERE {LOCAL}",
        (*_ADMITS, _UNDONE)).fetchone()[0]
    return int(admitted), replica.upload_counts(conn).pending


def gate_counts(ledger: Ledger) -> tuple[int, int]:
    """(people admitted at this gate, scans waiting to upload) for the status strip."""
    with _snapshot(ledger) as conn:
        return _counts(conn)


def gate_report(ledger: Ledger, now: float, *, hours: float = 3.0, recent: int = 30,
                conflicts: int = 50) -> GateReport:
    """Counts by type and outcome, admissions per five minutes over `hours`, the latest
    scans and the conflicts the server reported."""
    with _snapshot(ledger) as conn:
        policy = _policy(ledger)
        admitted, pending = _counts(conn)
        total = conn.execute(f"SELECT count(*) FROM scans WHERE {LOCAL}").fetchone()[0]
        by_outcome = [(str(o), int(n)) for o, n in conn.execute(
            f"SELECT outcome, count(*) FROM scans WHERE {LOCAL} GROUP BY outcome "
            "ORDER BY count(*) DESC, outcome")]
        by_type = [(_type_name(policy, type_id) or "?", int(ok), int(bad))
                   for type_id, ok, bad in conn.execute(
                       "SELECT t.type_id, sum(s.outcome IN (?, ?)) - sum(s.outcome = ?), "
                       f"sum(s.{REFUSED}) FROM scans s "
                       "LEFT JOIN tickets t ON t.ticket_id = s.ticket_id "
                       f"WHERE s.ticket_id IS NOT NULL AND s.{LOCAL} AND s.{VERIFIED} "
                       "GROUP BY t.type_id ORDER BY t.type_id", (*_ADMITS, _UNDONE))]
        buckets = _buckets(conn, now, hours)
        latest = [RecentScan(float(r[0]), str(r[1]), str(r[2]),
                             None if r[3] is None else format_ticket_id(int(r[3])),
                             _type_name(policy, r[4]), str(r[5]), bool(r[6]), str(r[7]))
                  for r in conn.execute(
                      f"SELECT s.device_time, s.gate, s.direction, "
                      f"CASE WHEN s.{VERIFIED} THEN s.ticket_id END, "
                      f"CASE WHEN s.{VERIFIED} THEN t.type_id END, "
                      "s.outcome, s.admit, s.source FROM scans s "
                      f"LEFT JOIN tickets t ON t.ticket_id = s.ticket_id WHERE s.{LOCAL} "
                      "ORDER BY s.seq DESC LIMIT ?", (recent,))]
        found = _conflicts(conn, policy, conflicts)
        refused = conn.execute(f"SELECT count(*) FROM scans WHERE {LOCAL} AND {REFUSED}"
                               ).fetchone()[0]
    return GateReport(policy.name if policy else None, int(total), admitted, pending, by_type,
                      by_outcome, buckets, latest, found, int(refused))


def _buckets(conn: sqlite3.Connection, now: float, hours: float) -> list[Bucket]:
    first = int((now - hours * 3600) // BUCKET_SECONDS)
    slots = {b: (0, 0) for b in range(first, int(now // BUCKET_SECONDS) + 1)}
    for bucket, ok, bad in conn.execute(
            f"SELECT CAST(device_time / ? AS INTEGER), sum(outcome IN (?, ?)) - sum(outcome = ?), "
            f"sum({REFUSED}) "
            f"FROM scans WHERE device_time >= ? AND {LOCAL} GROUP BY 1",
            (BUCKET_SECONDS, *_ADMITS, _UNDONE, first * BUCKET_SECONDS)):
        if bucket in slots:
            slots[bucket] = (int(ok), int(bad))
    return [Bucket(b * BUCKET_SECONDS, ok, bad) for b, (ok, bad) in sorted(slots.items())]


def conflicts(ledger: Ledger, *, limit: int = 50) -> list[Conflict]:
    """The scans the server flagged as conflicts, newest report first, with the other
    admissions of each ticket that this gate knows (from sync)."""
    with _snapshot(ledger) as conn:
        return _conflicts(conn, _policy(ledger), limit)


def _conflicts(conn: sqlite3.Connection, policy: EventPolicy | None,
               limit: int) -> list[Conflict]:
    rows = conn.execute(
        "SELECT s.scan_id, s.ticket_id, t.type_id, s.device_time, s.gate, s.outcome, r.at "
        "FROM upload_results r JOIN scans s USING (scan_id) "
        "LEFT JOIN tickets t ON t.ticket_id = s.ticket_id "
        f"WHERE r.status = 'conflict' AND s.ticket_id IS NOT NULL AND s.{VERIFIED} "
        "ORDER BY r.at DESC, s.seq DESC LIMIT ?", (limit,)).fetchall()
    found = []
    for scan_id, ticket_id, type_id, at, gate, outcome, reported in rows:
        others = tuple(OtherAdmission(float(t), str(g), str(d)) for t, g, d in conn.execute(
            "SELECT device_time, gate, device_id FROM scans WHERE ticket_id = ? "
            "AND scan_id != ? AND outcome IN (?, ?) ORDER BY device_time, seq",
            (ticket_id, scan_id, *_ADMITS)))
        found.append(Conflict(str(scan_id), format_ticket_id(int(ticket_id)),
                              _type_name(policy, type_id), float(at), str(gate), str(outcome),
                              float(reported), others))
    return found


def export_scans(ledger: Ledger, path: Path) -> int:
    """Write the whole scan log (other gates' scans too) as CSV to `path`, atomically;
    returns the number of rows. Raises `OSError` if the file cannot be written."""
    count = 0
    # mode=None: the file system's default mode (a USB stick has no Unix modes)
    with _snapshot(ledger) as conn, atomic_writer(path, mode=None) as raw:
        out = io.TextIOWrapper(raw, newline="", encoding="utf-8")
        policy = _policy(ledger)
        writer = csv.writer(out)
        writer.writerow(EXPORT_COLUMNS)
        for row in conn.execute(
                "SELECT s.seq, s.scan_id, s.device_time, s.gate, s.direction,"
                f" CASE WHEN s.{VERIFIED} THEN s.ticket_id END,"
                f" CASE WHEN s.{VERIFIED} THEN s.serial END,"
                f" CASE WHEN s.{VERIFIED} THEN t.type_id END,"
                " s.outcome, s.admit, s.reason, s.source, s.uploaded,"
                " s.device_id FROM scans s LEFT JOIN tickets t ON t.ticket_id = s.ticket_id"
                " ORDER BY s.seq"):
            values = list(row)
            values[5] = None if row[5] is None else format_ticket_id(int(row[5]))
            values[7] = _type_name(policy, row[7])
            values.append(format_iso(float(row[2]), EventZone.of(policy)))
            writer.writerow(values)
            count += 1
        out.flush()
        out.detach()
    log.info("exported %d scans", count)
    return count
