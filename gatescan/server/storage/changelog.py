"""The change log: one counter numbers every change and every stored scan of every event.

Numbers are taken inside a write transaction (`Database.write`), which is
serialized with every other writer, so they commit in the order they were taken.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from gatescan.server.storage import bulk
from gatescan.server.storage import schema as s

__all__ = ["append_changes", "current_seq", "next_seqs"]

_CHANGE_COLUMNS = ("seq", "event_id", "kind", "ticket_id", "data", "at")


def append_changes(conn: Connection, event_id: int, rows: Sequence[tuple[str, int | None,
                                                                          dict[str, Any]]],
                   *, now: int) -> int:
    """Append (kind, ticket_id, data) rows to the change log; returns the first seq.

    Call inside a write transaction: sequence numbers are taken from the one
    counter there, so they commit in order (see `storage.engine`).
    """
    first = next_seqs(conn, len(rows))
    bulk.insert_rows(conn, s.changes, _CHANGE_COLUMNS, [
        (first + i, event_id, kind, tid, json.dumps(data, sort_keys=True), now)
        for i, (kind, tid, data) in enumerate(rows)])
    return first


def next_seqs(conn: Connection, count: int) -> int:
    """Reserve `count` change numbers in the current write transaction; returns the first."""
    last = conn.execute(update(s.counters).where(s.counters.c.name == "change")
                        .values(value=s.counters.c.value + count)
                        .returning(s.counters.c.value)).scalar_one()
    return int(last) - count + 1


def current_seq(conn: Connection) -> int:
    """The last change number handed out (committed, or taken by this transaction)."""
    return int(conn.execute(select(s.counters.c.value)
                            .where(s.counters.c.name == "change")).scalar_one())
