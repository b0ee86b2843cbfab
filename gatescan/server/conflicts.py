"""Conflicts: tickets admitted more often than their type allows, found after each stored batch.

The movements of every ticket a batch touched are replayed (`gatescan.protocol.movements`).
A ticket over its allowance is listed in `conflicts` and announced to every
gate of the event with a `conflict` change in the feed (ticket id, entries,
allowance and the movement scans involved), again whenever its entry count
grows, so gates learn of it, not only the one whose push revealed it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, text, update
from sqlalchemy.types import NullType

from gatescan.protocol.movements import (
    MOVEMENT_OUTCOMES,
    UNDONE,
    Logged,
    admitted_entries,
    over_admitted,
    without_undone,
)
from gatescan.protocol.policy import EventPolicy
from gatescan.server.storage import bulk
from gatescan.server.storage import schema as s
from gatescan.server.storage.changelog import append_changes

log = logging.getLogger(__name__)

MAX_CHANGE_SCANS = 100  # a conflict change names at most the latest 100 movements
_CONFLICT_COLUMNS = ("event_id", "ticket_id", "entries", "allowed", "detected_at", "updated_at")


def recheck(conn: Connection, event_id: int, policy: EventPolicy, ticket_ids: Sequence[int],
            now: float) -> set[int]:
    """Replay the movements of these tickets; record, announce and return the ones in conflict."""
    if not ticket_ids:
        return set()
    sc = s.scans.c
    by_ticket: dict[int, list[Any]] = defaultdict(list)
    for row in bulk.rows_for(conn, sc.ticket_id, ticket_ids, lambda member: select(
            sc.ticket_id, sc.scan_id, sc.seq, sc.serial, sc.gate, sc.device_id, sc.device_time,
            sc.direction, sc.outcome, sc.type_id).where(and_(
                sc.event_id == bindparam("event_id"), member,
                sc.outcome.in_((*MOVEMENT_OUTCOMES, UNDONE)))),
                             name="conflicts.movements", params={"event_id": event_id}):
        by_ticket[row.ticket_id].append(row)
    rows: dict[int, list[Any]] = {}
    found: dict[int, tuple[int, int, list[str]]] = {}
    for ticket_id, ticket_rows in by_ticket.items():
        type_id = ticket_rows[-1].type_id
        ttype = policy.ticket_type(type_id) if type_id is not None else None
        if len(ticket_rows) == 1 and (ttype is None or ttype.max_entries >= 1):
            continue  # one movement is never more than the type allows (most tickets)
        ticket_moves = without_undone([Logged(r.scan_id, r.seq, r.device_id, r.device_time,
                                              r.direction, r.outcome) for r in ticket_rows])
        excess = over_admitted(ticket_moves, ttype, policy)
        if excess:
            found[ticket_id] = (admitted_entries(ticket_moves),
                                ttype.max_entries if ttype else 1, excess)
            rows[ticket_id] = [r for r in ticket_rows if r.outcome != UNDONE]
    if found:
        _record(conn, event_id, found, rows, now)
    return set(found)


def _record(conn: Connection, event_id: int, found: dict[int, tuple[int, int, list[str]]],
            rows: dict[int, list[Any]], now: float) -> None:
    c = s.conflicts.c
    ids = sorted(found)
    known: dict[int, tuple[int, float]] = {}
    for row in bulk.rows_for(conn, c.ticket_id, ids, lambda member: select(
            c.ticket_id, c.entries, c.detected_at).where(and_(
                c.event_id == bindparam("event_id"), member)),
                             name="conflicts.known", params={"event_id": event_id}):
        known[row.ticket_id] = (row.entries, row.detected_at)
    fresh = [tid for tid in ids if tid not in known]
    if bulk.is_postgresql(conn):
        _upsert(conn, event_id, found, now)
    else:
        if fresh:
            bulk.insert_rows(conn, s.conflicts, _CONFLICT_COLUMNS, [
                (event_id, tid, found[tid][0], found[tid][1], now, now) for tid in fresh])
        if known:
            _update_entries(conn, event_id, {tid: found[tid][0] for tid in known}, now)
    if fresh:
        log.warning("%d new conflict(s) in event %d", len(fresh), event_id)
    grown = [tid for tid in ids if tid in known and known[tid][0] != found[tid][0]]
    news = [(tid, known[tid][1] if tid in known else now) for tid in ids
            if tid not in known or tid in grown]
    if news:
        append_changes(conn, event_id, [
            (s.CONFLICT_KIND, tid, _change(found[tid], rows[tid], detected))
            for tid, detected in news], now=int(now))


def _upsert(conn: Connection, event_id: int, found: dict[int, tuple[int, int, list[str]]],
            now: float) -> None:
    """PostgreSQL: insert the new conflicts and set the known ones' entry counts, one statement.

    Each ticket is found through the primary key as its row is inserted (an UPDATE
    joined to a list of ids may scan the whole table instead); a known conflict keeps
    its allowance and detection time, as `_update_entries` does on SQLite.
    """
    tids = sorted(found)
    conn.execute(text(
        "INSERT INTO conflicts (event_id, ticket_id, entries, allowed, detected_at, updated_at) "
        "SELECT :event_id, v.tid, v.n, v.allowed, :now, :now "
        "FROM unnest(CAST(:tids AS BIGINT[]), CAST(:ns AS INTEGER[]), "
        "CAST(:alloweds AS INTEGER[])) AS v(tid, n, allowed) "
        "ON CONFLICT (event_id, ticket_id) DO UPDATE "
        "SET entries = excluded.entries, updated_at = excluded.updated_at")
        .bindparams(*(bindparam(name, type_=NullType()) for name in ("tids", "ns", "alloweds"))),
        {"now": now, "event_id": event_id, "tids": bulk.array_literal(tids),
         "ns": bulk.array_literal([found[t][0] for t in tids]),
         "alloweds": bulk.array_literal([found[t][1] for t in tids])})


def _update_entries(conn: Connection, event_id: int, entries: dict[int, int],
                    now: float) -> None:
    """SQLite: set these known conflicts' entry counts (one executemany)."""
    c = s.conflicts.c
    conn.execute(update(s.conflicts)
                 .where(and_(c.event_id == event_id, c.ticket_id == bindparam("tid")))
                 .values(entries=bindparam("n"), updated_at=now),
                 [{"tid": tid, "n": n} for tid, n in entries.items()])


def _change(found: tuple[int, int, list[str]], rows: list[Any],
            detected_at: float) -> dict[str, Any]:
    """The feed data of a conflict: counts and the movements involved, oldest first."""
    entries, allowed, excess = found
    over = set(excess)
    ordered = sorted(rows, key=lambda r: (r.device_time, r.scan_id))
    return {"entries": entries, "allowed": allowed, "detected_at": detected_at,
            "scans_total": len(ordered),
            "scans": [{"scan_id": r.scan_id, "serial": r.serial, "gate": r.gate,
                       "device_id": r.device_id, "direction": r.direction,
                       "outcome": r.outcome, "device_time": r.device_time,
                       "excess": r.scan_id in over}
                      for r in ordered[-MAX_CHANGE_SCANS:]]}
