"""Conflicts the mesh reveals: a peer's admission of a ticket this gate has itself admitted.

Two gates can both admit one ticket inside the mesh's window (or across a
partition). When the peer's scan arrives, the ticket's movements (this gate's
log plus the incoming scans) are replayed with the server's own rule
(gatescan.protocol.movements); if some entry is more than the ticket's type
allows and this gate admitted the ticket itself, the result is a `conflict`
change exactly like the one the server's feed sends later. It goes through the
same apply path (`replica.apply_changes`), which marks this gate's own scans of
the ticket once: when the server's notice comes, nothing is added twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from gatescan.protocol.mesh import PeerScan
from gatescan.protocol.movements import (
    ENTRY_ADMITS,
    MOVEMENT_OUTCOMES,
    UNDONE,
    Logged,
    admitted_entries,
    over_admitted,
    without_undone,
)
from gatescan.protocol.policy import EventPolicy
from gatescan.protocol.token import parse_ticket_id
from gatescan.protocol.wire import ConflictEntry, ConflictScan, Direction

Arriving = tuple[str, PeerScan]  # (the sending device, its scan)
_KINDS = (*MOVEMENT_OUTCOMES, UNDONE)
_ARRIVING = 1 << 62  # incoming scans come after everything in the log (arrival order)


def found_conflicts(conn: sqlite3.Connection, policy: EventPolicy | None,
                    batch: Sequence[Arriving], now: float) -> list[ConflictEntry]:
    """Conflict changes for the tickets that `batch` (sender, scan) over-admits and this
    gate admitted too."""
    incoming: dict[int, list[tuple[int, Arriving]]] = {}
    for _, scan in batch:
        if scan.outcome in ENTRY_ADMITS and scan.direction == "entry":
            incoming.setdefault(parse_ticket_id(scan.ticket_id), [])
    if not incoming or policy is None:
        return []
    for i, item in enumerate(batch):
        tid = parse_ticket_id(item[1].ticket_id)
        if tid in incoming and item[1].outcome in _KINDS:
            incoming[tid].append((i, item))
    found = []
    for tid, arriving in incoming.items():
        entry = _conflict(conn, policy, tid, arriving, now)
        if entry is not None:
            found.append(entry)
    return found


def _conflict(conn: sqlite3.Connection, policy: EventPolicy, tid: int,
              arriving: list[tuple[int, Arriving]], now: float) -> ConflictEntry | None:
    rows = conn.execute(
        "SELECT scan_id, seq, device_id, device_time, direction, outcome, serial, gate, source "
        f"FROM scans WHERE ticket_id = ? AND outcome IN ({', '.join('?' * len(_KINDS))}) "
        "ORDER BY seq", (tid, *_KINDS)).fetchall()
    own_admitted = any(r[8] != "remote" and r[5] in ENTRY_ADMITS and r[4] == "entry"
                       for r in rows)
    if not own_admitted:
        return None
    known = {str(r[0]) for r in rows}
    logged = [Logged(str(r[0]), int(r[1]), r[2], float(r[3]), str(r[4]), str(r[5]))
              for r in rows]
    named = [ConflictScan(str(r[0]), r[6], str(r[7]), r[2], r[4], str(r[5]), float(r[3]),
                          False) for r in rows if r[5] != UNDONE]
    fresh = False
    for i, (sender, scan) in arriving:
        if scan.scan_id in known:
            continue  # held already (a resent datagram): it found its conflict back then
        known.add(scan.scan_id)
        fresh = True
        logged.append(Logged(scan.scan_id, _ARRIVING + i, sender, scan.device_time,
                             scan.direction, scan.outcome))
        if scan.outcome != UNDONE:
            way: Direction = "exit" if scan.direction == "exit" else "entry"
            named.append(ConflictScan(scan.scan_id, scan.serial, scan.gate, sender, way,
                                      scan.outcome, scan.device_time, False))
    if not fresh:
        return None
    moves = without_undone(logged)
    row = conn.execute("SELECT type_id FROM tickets WHERE ticket_id = ?", (tid,)).fetchone()
    ttype = policy.ticket_type(int(row[0])) if row is not None and row[0] is not None else None
    excess = set(over_admitted(moves, ttype, policy))
    if not excess:
        return None
    named.sort(key=lambda s: (s.device_time, s.scan_id))
    scans = tuple(ConflictScan(s.scan_id, s.serial, s.gate, s.device_id, s.direction,
                               s.outcome, s.device_time, s.scan_id in excess) for s in named)
    return ConflictEntry(0, tid, admitted_entries(moves), ttype.max_entries if ttype else 1,
                         now, len(scans), scans[-100:])
