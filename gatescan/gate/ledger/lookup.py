"""Finding a ticket without its code (a dead phone): by ticket number, order code or name.

Order codes and names are on the gate only for events that opted in
(`EventPolicy.attendee_data`); otherwise only the ticket number finds a ticket.
Ticket ids are random 63-bit numbers, so a mistyped number is "not found"
rather than somebody else's ticket.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal

from gatescan.protocol.token import TokenError, parse_ticket_id

MAX_MATCHES = 20
MIN_NAME_CHARS = 2
Match = Literal["ticket_id", "order_code", "name"]
_COLUMNS = "ticket_id, type_id, seat, revoked, holder_name, order_code"


@dataclass(frozen=True, slots=True)
class TicketMatch:
    """A ticket found for a lookup, and what it was found by."""

    ticket_id: int
    type_id: int
    seat: str | None
    revoked: bool
    holder_name: str | None
    order_code: str | None
    matched: Match


def name_key(name: str | None) -> str | None:
    """A name as the lookup compares it: case-folded, single spaces."""
    return None if name is None else " ".join(name.casefold().split())


def typed_ticket_id(text: str) -> int | None:
    """The ticket id `text` spells (hex; spaces and dashes ignored), or None."""
    try:
        return parse_ticket_id(text)
    except TokenError:
        return None


def _rows(conn: sqlite3.Connection, where: str, args: tuple[object, ...], matched: Match,
          limit: int, source: str = "tickets", order: str = "ticket_id") -> list[TicketMatch]:
    sql = f"SELECT {_COLUMNS} FROM {source} WHERE {where} ORDER BY {order} LIMIT ?"
    return [TicketMatch(r[0], r[1], r[2], bool(r[3]), r[4], r[5], matched)
            for r in conn.execute(sql, (*args, limit))]


def find_tickets(conn: sqlite3.Connection, query: str,
                 limit: int = MAX_MATCHES) -> list[TicketMatch]:
    """Tickets matching `query`: the exact ticket number, else the order code, else part of
    a name.

    At most `limit` + 1 rows come back, so a caller can tell "more than `limit`".
    """
    text = query.strip()
    if not text:
        return []
    found: dict[int, TicketMatch] = {}
    ticket_id = typed_ticket_id(text)
    if ticket_id is not None:
        for m in _rows(conn, "ticket_id = ?", (ticket_id,), "ticket_id", 1):
            found[m.ticket_id] = m
        if not found:  # refunded before it reached this gate's list: still an answer
            row = conn.execute("SELECT 1 FROM revocations WHERE ticket_id = ?",
                               (ticket_id,)).fetchone()
            if row is not None:
                found[ticket_id] = TicketMatch(ticket_id, 0, None, True, None, None, "ticket_id")
    for m in _rows(conn, "order_code = ? COLLATE NOCASE AND order_code IS NOT NULL", (text,),
                   "order_code", limit + 1):
        found.setdefault(m.ticket_id, m)
    key = name_key(text)
    # A name search scans the names: only when the number and the order code found nothing.
    if not found and key is not None and len(key) >= MIN_NAME_CHARS:
        for m in _rows(conn, "name_key IS NOT NULL AND instr(name_key, ?) > 0", (key,), "name",
                       limit + 1, "tickets INDEXED BY tickets_name_key", "name_key"):
            found[m.ticket_id] = m
    return list(found.values())[:limit + 1]
