"""The change feed a gate pulls: tickets, transfers, revocations, keys, policy, other gates'
scans, and conflicts.

A cursor is opaque to gates. Inside, it is two change numbers: `t`, the last
ticket/key/policy change the gate has, and `s`, the last scan it has. They are
equal ("1042") except right after a manifest, which carries every ticket but
no scans ("1042.0": changes after 1042, scans from the start). One numbering
covers both, so a page is the merge of both streams in seq order, read from one
snapshot; the cursor after a full page is its last seq, after the last page the
snapshot's end. Writers commit seqs in order (`storage.engine`), so nothing
that commits later can land below a cursor already handed out. Conflict
changes are about scans, so they ride with the scan side: after a manifest a
gate gets every conflict so far, along with every scan.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, literal_column, or_, select

from gatescan.protocol.token import format_ticket_id
from gatescan.protocol.wire import FeedEntry, FeedPage, ScanEntry, ServerView, entry_from_json
from gatescan.server import compact
from gatescan.server.errors import IssuerError
from gatescan.server.instance import flag_rollback, skip_past
from gatescan.server.storage import schema as s
from gatescan.server.storage.changelog import current_seq
from gatescan.server.store import IssuerStore

_CURSOR = re.compile(r"(0|[1-9][0-9]{0,17})(?:\.(0|[1-9][0-9]{0,17}))?(?:~([0-9a-f]{8}))?")


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in the feed: ticket-side and scan-side change numbers."""

    tickets: int
    scans: int
    mark: str | None = None  # identifies what this server numbered `top` (see `mark_of`)

    @property
    def top(self) -> int:
        """The highest number the cursor has seen."""
        return max(self.tickets, self.scans)

    def __str__(self) -> str:
        pos = str(self.tickets) if self.tickets == self.scans else f"{self.tickets}.{self.scans}"
        return pos if self.mark is None else f"{pos}~{self.mark}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """Read a cursor a gate sent back; `IssuerError("bad_cursor")` if it is not one."""
        m = _CURSOR.fullmatch(text)
        if m is None:
            raise IssuerError("bad_cursor", "cursor is not one this server handed out")
        t = int(m.group(1))
        return cls(t, t if m.group(2) is None else int(m.group(2)), m.group(3))


@dataclass(frozen=True, slots=True)
class Page:
    """One page of the feed."""

    changes: list[FeedEntry]
    cursor: Cursor
    more: bool

    def to_wire(self, server: ServerView | None, server_time: float) -> FeedPage:
        """The page as the gate gets it (`GET /api/v1/device/changes`)."""
        return FeedPage(tuple(self.changes), str(self.cursor), self.more, server, server_time)


def _change(row: Any) -> FeedEntry:
    """A change-log row as its feed entry (the data column holds the kind's fields)."""
    item: dict[str, Any] = {"seq": row.seq, "kind": row.kind}
    if row.ticket_id is not None:
        item["ticket_id"] = format_ticket_id(row.ticket_id)
    item.update(json.loads(row.data))
    return entry_from_json(item)


def _scan(row: Any) -> FeedEntry:
    return ScanEntry(row.seq, row.scan_id, row.ticket_id, row.serial, row.gate, row.direction,
                     row.outcome, row.device_time, row.device_id)


def page(store: IssuerStore, event_id: int, device_id: str | None, cursor: Cursor,
         limit: int, *, own: bool = False) -> Page:
    """Up to `limit` changes after `cursor`, leaving out the asking device's own scans
    unless `own` (a gate rebuilding its ledger from the manifest asks for them)."""
    with store.snapshot() as conn:
        end = current_seq(conn)
        # Only a cursor that moved costs a write: a gate polling an idle feed writes nothing.
        held = compact.pulled(conn, device_id) if device_id is not None else None
        # A number this server never handed out, or one it now uses for something else (it
        # was restored from a backup and handed the number out again): the gate's view of
        # the feed cannot be continued from here.
        known = cursor.top <= end and (cursor.mark is None
                                       or mark_of(conn, cursor.top) == cursor.mark)
        if known:
            merged = sorted(_read(conn, event_id, None if own else device_id, cursor, limit),
                            key=lambda x: x[0])
            more = len(merged) > limit
            merged = merged[:limit]
            if more:
                last = merged[-1][0]
                after = Cursor(max(cursor.tickets, last), max(cursor.scans, last))
            else:
                after = Cursor(end, end)
            after = Cursor(after.tickets, after.scans, mark_of(conn, after.top))
    if not known:
        if device_id is not None:  # the device saw numbers this server does not have
            flag_rollback(store, device_id, {"kind": "cursor_ahead", "gate_cursor": str(cursor),
                                             "server_head": end}, now=time.time())
            skip_past(store, cursor.top)
        raise IssuerError("cursor_ahead", "cursor is ahead of this server (was its "
                          "database replaced or restored from a backup?): pull the manifest "
                          "again")
    if device_id is not None and (held is None or held < cursor.tickets):
        compact.note_pull(store, device_id, cursor.tickets)  # it holds every change up to it
    return Page([make(row) for _, make, row in merged], after, more)


def mark_of(conn: Connection, number: int) -> str:
    """8 hex digits naming what this server numbered `number` (a change, a scan, or nothing).

    A restored server that hands a number out again, for another change or scan,
    gives it another mark, so a cursor from before the restore is not continued.
    """
    ch, sc = s.changes.c, s.scans.c
    row = conn.execute(select(ch.kind, ch.ticket_id, ch.data, ch.at).where(ch.seq == number)
                       ).first()
    if row is not None:
        what = f"c|{row.kind}|{row.ticket_id}|{row.data}|{row.at}"
    else:
        scan = conn.execute(select(sc.scan_id).where(sc.seq == number)).first()
        what = "-" if scan is None else f"s|{scan.scan_id}"
    return hashlib.sha256(f"{number}|{what}".encode()).hexdigest()[:8]


def manifest_cursor(store: IssuerStore, number: int) -> str:
    """The feed cursor after a manifest consistent with change `number` (scans from 0)."""
    with store.snapshot() as conn:
        return str(Cursor(number, 0, mark_of(conn, number)))


Maker = Callable[[Any], FeedEntry]


def _read(conn: Connection, event_id: int, device_id: str | None, cursor: Cursor,
          limit: int) -> list[tuple[int, Maker, Any]]:
    """Both streams after `cursor`, each up to `limit` + 1 rows, as (seq, maker, row)."""
    ch, sc = s.changes.c, s.scans.c
    rows = conn.execute(
        select(ch.seq, ch.kind, ch.ticket_id, ch.data)
        .where(and_(ch.event_id == event_id, ch.seq > cursor.tickets))
        .order_by(ch.seq).limit(limit + 1)).all()
    if cursor.scans < cursor.tickets:
        # A literal kind, so SQLite can use the partial index of conflict changes.
        rows = [*rows, *conn.execute(
            select(ch.seq, ch.kind, ch.ticket_id, ch.data)
            .where(and_(ch.event_id == event_id,
                        ch.kind == literal_column(f"'{s.CONFLICT_KIND}'"),
                        ch.seq > cursor.scans, ch.seq <= cursor.tickets))
            .order_by(ch.seq).limit(limit + 1))]
    scan_filter = and_(sc.event_id == event_id, sc.seq > cursor.scans)
    if device_id is not None:
        scan_filter = and_(scan_filter, or_(sc.device_id.is_(None), sc.device_id != device_id))
    scan_rows = conn.execute(
        select(sc.seq, sc.scan_id, sc.ticket_id, sc.serial, sc.gate, sc.direction,
               sc.outcome, sc.device_time, sc.device_id)
        .where(scan_filter).order_by(sc.seq).limit(limit + 1)).all()
    return [(r.seq, _change, r) for r in rows] + [(r.seq, _scan, r) for r in scan_rows]
