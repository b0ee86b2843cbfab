"""Storing scans pushed by gates (or imported from a gate's export file), and conflicts.

Each scan is stored once, keyed by its `scan_id`: a retried batch, a duplicated
item or an import of scans already pushed changes nothing and is answered
`duplicate`. Scans keep the gate's own time (`device_time`), never the time they
reached the server, and are stored even when the server would have refused
them. After each batch the movements of the tickets it touched are replayed
(`server_stub.movements`); tickets admitted more often than allowed are listed
in `conflicts` and their admitted entries flagged in the results.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, insert, select, update

from scanner.verify.policy import EventPolicy
from server_stub.errors import IssuerError
from server_stub.movements import MOVEMENT_OUTCOMES, Move, admitted_entries, over_admitted
from server_stub.storage import schema as s
from server_stub.storage.changelog import next_seqs
from server_stub.store import IssuerStore

log = logging.getLogger(__name__)

STORED = "stored"
DUPLICATE = "duplicate"
REJECTED = "rejected"
CHUNK = 500


@dataclass(frozen=True, slots=True)
class ScanIn:
    """One validated scan as a gate recorded it."""

    scan_id: str
    ticket_id: int
    serial: int
    gate: str
    direction: str
    outcome: str
    device_time: float
    source: str | None = None
    reason: str | None = None
    device_id: str | None = None


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What became of one pushed item."""

    scan_id: str | None
    status: str
    conflict: bool = False
    error: str | None = None


_SCAN_COLUMNS = ("scan_id", "seq", "event_id", "ticket_id", "serial", "type_id", "gate",
                 "direction", "outcome", "device_time", "received_at", "device_id", "source",
                 "reason", "via")


def _insert_scans(conn: Connection, rows: list[tuple[object, ...]]) -> None:
    """One driver-level executemany: the ingest hot path skips per-row statement processing."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        f"INSERT INTO scans ({', '.join(_SCAN_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(_SCAN_COLUMNS))})", rows)


def _existing(conn: Connection, scan_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(scan_ids), CHUNK):
        found.update(conn.execute(select(s.scans.c.scan_id).where(
            s.scans.c.scan_id.in_(scan_ids[i:i + CHUNK]))).scalars())
    return found


def _types(conn: Connection, event_id: int, ticket_ids: Sequence[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    t = s.tickets.c
    for i in range(0, len(ticket_ids), CHUNK):
        # By primary key only: with `event_id` in the WHERE, SQLite may walk the event index.
        for tid, type_id, ev in conn.execute(select(t.ticket_id, t.type_id, t.event_id).where(
                t.ticket_id.in_(ticket_ids[i:i + CHUNK]))):
            if ev == event_id:
                found[tid] = type_id
    return found


def ingest(store: IssuerStore, event_id: int, items: Sequence[ScanIn | ItemResult], *,
           via: str, now: float) -> list[ItemResult]:
    """Store a batch; `items` holds validated scans, or the rejection of a bad item."""
    scans = [it for it in items if isinstance(it, ScanIn)]
    with store.transaction() as conn:
        event = store.event(event_id)
        if event is None:
            raise IssuerError("unknown_event", f"no event {event_id}")
        existing = _existing(conn, [sc.scan_id for sc in scans])
        new: dict[str, ScanIn] = {}
        for sc in scans:
            if sc.scan_id not in existing and sc.scan_id not in new:
                new[sc.scan_id] = sc
        fresh = list(new.values())
        if fresh:
            types = _types(conn, event_id, sorted({sc.ticket_id for sc in fresh}))
            first = next_seqs(conn, len(fresh))
            _insert_scans(conn, [
                (sc.scan_id, first + i, event_id, sc.ticket_id, sc.serial,
                 types.get(sc.ticket_id), sc.gate, sc.direction, sc.outcome, sc.device_time,
                 now, sc.device_id, sc.source, sc.reason, via)
                for i, sc in enumerate(fresh)])
        moved = sorted({sc.ticket_id for sc in scans if sc.outcome in MOVEMENT_OUTCOMES})
        conflicted = _recheck(conn, event_id, event.policy, moved, now)
    results: list[ItemResult] = []
    claimed: set[str] = set()
    for it in items:
        if isinstance(it, ItemResult):
            results.append(it)
            continue
        stored = it.scan_id in new and it.scan_id not in claimed
        claimed.add(it.scan_id)
        flag = (it.ticket_id in conflicted and it.outcome == "admitted"
                and it.direction == "entry")
        results.append(ItemResult(it.scan_id, STORED if stored else DUPLICATE, flag))
    if fresh:
        log.debug("stored %d scans (%s) for event %d", len(fresh), via, event_id)
    return results


def _recheck(conn: Connection, event_id: int, policy: EventPolicy, ticket_ids: Sequence[int],
             now: float) -> set[int]:
    """Replay the movements of these tickets; record and return the ones in conflict."""
    if not ticket_ids:
        return set()
    sc = s.scans.c
    moves: dict[int, list[Move]] = defaultdict(list)
    types: dict[int, int | None] = {}
    for i in range(0, len(ticket_ids), CHUNK):
        for row in conn.execute(
                select(sc.ticket_id, sc.scan_id, sc.device_time, sc.direction, sc.type_id)
                .where(and_(sc.event_id == event_id, sc.ticket_id.in_(ticket_ids[i:i + CHUNK]),
                            sc.outcome.in_(MOVEMENT_OUTCOMES)))):
            moves[row.ticket_id].append(Move(row.scan_id, row.device_time, row.direction))
            types[row.ticket_id] = row.type_id
    counts: dict[int, tuple[int, int]] = {}
    for ticket_id, ticket_moves in moves.items():
        type_id = types.get(ticket_id)
        ttype = policy.ticket_type(type_id) if type_id is not None else None
        if over_admitted(ticket_moves, ttype, policy):
            counts[ticket_id] = (admitted_entries(ticket_moves), ttype.max_entries if ttype else 1)
    if counts:
        _record_conflicts(conn, event_id, counts, now)
    return set(counts)


def _record_conflicts(conn: Connection, event_id: int, counts: dict[int, tuple[int, int]],
                      now: float) -> None:
    c = s.conflicts.c
    ids = sorted(counts)
    known: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        known.update(conn.execute(select(c.ticket_id).where(and_(
            c.event_id == event_id, c.ticket_id.in_(ids[i:i + CHUNK])))).scalars())
    fresh = [tid for tid in ids if tid not in known]
    if fresh:
        conn.execute(insert(s.conflicts), [
            {"event_id": event_id, "ticket_id": tid, "entries": counts[tid][0],
             "allowed": counts[tid][1], "detected_at": now, "updated_at": now}
            for tid in fresh])
        log.warning("%d new conflict(s) in event %d", len(fresh), event_id)
    for tid in known:
        conn.execute(update(s.conflicts).where(and_(c.event_id == event_id, c.ticket_id == tid))
                     .values(entries=counts[tid][0], updated_at=now))
