"""Set-at-a-time statements for the ingest path: one round trip per batch on PostgreSQL.

A batch of scans asks about a few hundred ids at once. On SQLite (in-process,
no round trips) an `IN (...)` list in chunks of 500 is cheapest. On
PostgreSQL each statement is a round trip and each distinct `IN` length a
distinct statement (parsed and planned anew, never reused), so the whole set
travels as one array parameter: `col = ANY(:ids)`, one statement text for
every batch size. Rows are inserted with one `INSERT ... SELECT FROM
unnest(...)` of one array per column, instead of one execution per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

CHUNK = 500  # SQLite: bound parameters per IN list (well below its limit of 32,766)

__all__ = ["CHUNK", "chunks", "insert_rows", "is_postgresql", "member"]


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
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


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
    casts = ", ".join(f"%s::{_pg_type(conn, table, c)}[]" for c in columns)
    arrays = tuple(list(col) for col in zip(*rows, strict=True))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({casts})",
                         arrays)


def _pg_type(conn: Connection, table: Table, column: str) -> str:
    """The column's PostgreSQL type name, for the array cast."""
    return str(table.c[column].type.compile(dialect=conn.dialect))
