"""Set-at-a-time statements for the ingest path: one round trip per batch on PostgreSQL.

A batch of scans asks about a few hundred ids at once. On SQLite (in-process,
no round trips) an `IN (...)` list in chunks of 500 is cheapest. On
PostgreSQL each statement is a round trip and each distinct `IN` length a
distinct statement (parsed and planned anew, never reused), so the whole set
travels as one array parameter: `col = ANY(:ids)`, one statement text for
every batch size. The array goes as one text literal (`{1,2,3}`) built here:
psycopg's own array dumper quotes element by element in Python, which cost
more than the query. Rows are inserted with one `COPY ... FROM STDIN` (rows
formatted by psycopg's C code), instead of one execution per row.

`rows_for` asks "the rows for each of these keys" without leaning on the
planner's statistics: on PostgreSQL it probes the index once per key (a
lateral subquery over `unnest` of the keys, as SQLite does with an `IN`
list). With `col = ANY(:ids)` the planner picks a sequential scan, or the
wrong index, whenever the statistics of a table that is filling up lag behind
it (a new event's `scans` in its first minutes: autovacuum analyzes once a
minute at most), and a push then reads the whole event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Select,
    Table,
    any_,
    bindparam,
    cast,
    func,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType

CHUNK = 500  # SQLite: bound parameters per IN list (well below its limit of 32,766)

__all__ = ["CHUNK", "array_literal", "chunks", "insert_rows", "is_postgresql", "member",
           "rows_for"]


def is_postgresql(conn: Connection) -> bool:
    """True on PostgreSQL (array parameters), False on SQLite."""
    return conn.dialect.name == "postgresql"


def chunks(conn: Connection, values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """`values` in as few parts as this database takes in one `member` test (none if empty)."""
    if not values:
        return
    if is_postgresql(conn):
        yield values
        return
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def member(conn: Connection, column: ColumnElement[Any], values: Sequence[Any]) -> \
        ColumnElement[bool]:
    """`column IN values`: one array parameter on PostgreSQL, a list of parameters on SQLite."""
    if not is_postgresql(conn):
        return column.in_(values)
    literal = array_literal(values)
    if literal is None:
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    # An untyped parameter in a CAST takes the array type itself (a constant in the plan, so
    # the index is used); a text parameter cast to an array would be an opaque expression.
    return column == any_(cast(bindparam(None, literal, type_=NullType()), ARRAY(column.type)))


def rows_for(conn: Connection, column: ColumnElement[Any], values: Sequence[Any],
             query: Callable[[ColumnElement[bool]], Select[Any]]) -> Iterator[Row[Any]]:
    """The rows of `query(column IN values)`, one index probe per value on PostgreSQL.

    `query` builds the select from the membership condition; its rows come in no set order.
    """
    if not is_postgresql(conn):
        for part in chunks(conn, values):
            yield from conn.execute(query(column.in_(part)))
        return
    values = list(dict.fromkeys(values))  # a key asked twice: its rows once, as with IN
    if not values:
        return
    literal = array_literal(values)
    param = (bindparam(None, list(values), type_=ARRAY(column.type)) if literal is None else
             cast(bindparam(None, literal, type_=NullType()), ARRAY(column.type)))
    keys = select(func.unnest(param).label("key")).subquery("keys")
    # OFFSET 0 keeps the subquery a subquery (never flattened into a join the planner might
    # turn into a scan): it runs once per key, with the key a parameter of its index probe.
    found = query(column == keys.c.key).offset(0).lateral("found")
    yield from conn.execute(select(found).select_from(keys.join(found, true())))


def array_literal(values: Sequence[Any]) -> str | None:
    """A PostgreSQL array literal of these ints or strings (None for any other type).

    Strings are double-quoted with `"` and `\\` escaped, so any text (commas,
    braces, quotes, spaces, `NULL`) stays one element, as given.
    """
    if all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    if all(type(v) is str for v in values):
        return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
                              for v in values) + "}"
    return None


def insert_rows(conn: Connection, table: Table, columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows (tuples in `columns` order) in one statement on PostgreSQL, else executemany."""
    if not rows:
        return
    names = ", ".join(columns)
    if not is_postgresql(conn):
        marks = ", ".join(["?"] * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
        return
    # COPY in the connection's transaction: same atomicity as an INSERT, a fraction of the CPU.
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
