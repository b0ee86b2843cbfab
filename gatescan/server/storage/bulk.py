"""Set-at-a-time statements for the ingest path: one statement per set, whatever its size.

A batch of scans asks about a few hundred ids at once. The whole set travels
as one parameter, so every batch size runs the same statement text (parsed
and planned once, never re-expanded per value): on SQLite a JSON array read
by `json_each` (`col IN (SELECT value FROM json_each(:ids))`, which SQLite
answers with one index probe per value), on PostgreSQL an array
(`col = ANY(:ids)`). The PostgreSQL array goes as one text literal (`{1,2,3}`)
built here: psycopg's own array dumper quotes element by element in Python,
which cost more than the query. An `IN` list of bound parameters cost more on
SQLite too: SQLAlchemy expands and binds it value by value on every execution.
Rows are inserted with one `COPY ... FROM STDIN` on PostgreSQL (rows formatted
by psycopg's C code), a driver-level `executemany` on SQLite.

`rows_for` asks "the rows for each of these keys" without leaning on the
planner's statistics: on PostgreSQL it probes the index once per key (a
lateral subquery over `unnest` of the keys, as SQLite does with `IN`).
With `col = ANY(:ids)` the planner picks a sequential scan, or the
wrong index, whenever the statistics of a table that is filling up lag behind
it (a new event's `scans` in its first minutes: autovacuum analyzes once a
minute at most), and a push then reads the whole event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from sqlalchemy.types import NullType, Text

__all__ = ["array_literal", "chunks", "insert_rows", "is_postgresql", "json_list", "member",
           "rows_for"]


def is_postgresql(conn: Connection) -> bool:
    """True on PostgreSQL (array parameters), False on SQLite."""
    return conn.dialect.name == "postgresql"


def chunks(conn: Connection, values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """`values` in as few parts as this database takes in one `member` test (none if empty).

    One part on both databases (a set is one parameter); kept for callers written for parts.
    """
    if values:
        yield values


def json_list(values: Sequence[Any]) -> str:
    """The values as one JSON array, the SQLite parameter of a `member` test (UTF-8 as is)."""
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))


def _sqlite_member(column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN (SELECT value FROM json_each(:values))`: one parameter for any count."""
    each = func.json_each(bindparam(None, json_list(values), type_=Text())
                          ).table_valued("value")
    return column.in_(select(each.c.value).scalar_subquery())


def member(conn: Connection, column: ColumnElement[Any], values: Sequence[Any]) -> \
        ColumnElement[bool]:
    """`column IN values`: one array parameter on PostgreSQL, a list of parameters on SQLite."""
    if not is_postgresql(conn):
        return _sqlite_member(column, values)
    literal = array_literal(values)
    if literal is None:
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    # An untyped parameter in a CAST takes the array type itself (a constant in the plan, so
    # the index is used); a text parameter cast to an array would be an opaque expression.
    return column == any_(cast(bindparam(None, literal, type_=NullType()), ARRAY(column.type)))


def rows_for(conn: Connection, column: ColumnElement[Any], values: Sequence[Any],
             query: Callable[[ColumnElement[bool]], Select[Any]], *, name: str | None = None,
             params: Mapping[str, Any] | None = None) -> Iterator[Row[Any]]:
    """The rows of `query(column IN values)`, one index probe per value on PostgreSQL.

    `query` builds the select from the membership condition; its rows come in no set order.
    They are fetched in one driver call: fetching row by row cost more than the query.
    With a `name`, the statement is built once per database kind and kept under that name:
    `query` must then take every varying value as a named `bindparam`, given in `params`
    (building and hashing the statement again on every call cost more than running it).
    """
    keys = list(dict.fromkeys(values))  # a key asked twice: its rows once, as with IN
    if not keys:
        return
    postgresql = is_postgresql(conn)
    literal = array_literal(keys) if postgresql else json_list(keys)
    if literal is None:  # neither all ints nor all strings: psycopg binds the list itself
        statement = _statement(column, query, postgresql,
                               bindparam(None, keys, type_=ARRAY(column.type)))
        yield from conn.execute(statement, dict(params or {})).all()
        return
    if name is None:
        statement = _statement(column, query, postgresql, _keys_param(postgresql, literal))
        yield from conn.execute(statement, dict(params or {})).all()
        return
    kept = _STATEMENTS.get((name, postgresql))
    if kept is None:
        kept = _STATEMENTS[(name, postgresql)] = _statement(column, query, postgresql,
                                                            _keys_param(postgresql))
    yield from conn.execute(kept, {**(params or {}), _KEYS: literal}).all()


_KEYS = "rows_for_keys"
_STATEMENTS: dict[tuple[str, bool], Select[Any]] = {}


def _keys_param(postgresql: bool, literal: str | None = None) -> ColumnElement[Any]:
    """The keys as one text parameter: bound to `literal`, or left to bind as `_KEYS`."""
    kind = NullType() if postgresql else Text()
    return (bindparam(_KEYS, type_=kind) if literal is None
            else bindparam(None, literal, type_=kind))


def _statement(column: ColumnElement[Any], query: Callable[[ColumnElement[bool]], Select[Any]],
               postgresql: bool, keys_param: ColumnElement[Any]) -> Select[Any]:
    """The select of `rows_for`, its keys taken from `keys_param`."""
    if not postgresql:
        each = func.json_each(keys_param).table_valued("value")
        return query(column.in_(select(each.c.value).scalar_subquery()))
    # An untyped parameter in a CAST takes the array type itself (a constant in the plan, so
    # the index is used); a text parameter cast to an array would be an opaque expression.
    param = keys_param if isinstance(keys_param.type, ARRAY) else cast(keys_param,
                                                                        ARRAY(column.type))
    keys = select(func.unnest(param).label("key")).subquery("keys")
    # OFFSET 0 keeps the subquery a subquery (never flattened into a join the planner might
    # turn into a scan): it runs once per key, with the key a parameter of its index probe.
    found = query(column == keys.c.key).offset(0).lateral("found")
    return select(found).select_from(keys.join(found, true()))


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
