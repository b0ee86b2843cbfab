"""Helpers shared by the ledger tests (not fixtures: also used by the worker subprocess)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from gatescan.gate.ledger.ledger import Ledger

ROOT = Path(__file__).parents[3]

# ticket_id, type_id, serial, seat
TICKETS: list[tuple[int, int, int, str | None]] = [
    (0x1001, 1, 0, "A-1"),       # General
    (0x1002, 1, 0, None),
    (0x2002, 1, 0, "B-7"),       # refunded in the standard manifest
    (0x3003, 1, 2, None),        # transferred twice: serial 2 is current
    (0x4004, 6, 0, None),        # re-entry allowed
    (0x5005, 3, 0, "Group"),     # group of 3
]


def query(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """The rows `sql` selects, as dicts by column name."""
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def all_rows(conn: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    """Every row of `table`, in rowid order, as dicts by column name."""
    return query(conn, f'SELECT * FROM "{table}" ORDER BY rowid')


def table_names(conn: sqlite3.Connection) -> list[str]:
    """Every table of the file."""
    return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def indexes(conn: sqlite3.Connection, table: str) -> set[tuple[str, tuple[str, ...]]]:
    """(name, columns) of every index on `table`."""
    return {(name, tuple(c[2] for c in conn.execute(f'PRAGMA index_info("{name}")')))
            for _, name, *_ in conn.execute(f'PRAGMA index_list("{table}")')}


def dump(ledger: Ledger) -> dict[str, Any]:
    """Every row of every table plus the schema and version: equal dumps, equal ledgers."""
    out: dict[str, Any] = {
        "user_version": ledger.conn.execute("PRAGMA user_version").fetchone()[0],
        "schema": sorted(ledger.conn.execute(
            "SELECT type, name, sql FROM sqlite_master").fetchall(), key=repr),
    }
    for name in table_names(ledger.conn):
        out[name] = sorted((tuple(r.values()) for r in all_rows(ledger.conn, name)), key=repr)
    return out


def run_worker(*args: str, **kw: Any) -> subprocess.Popen[str]:
    """Start `python -m tests.gate.ledger.worker ARGS` in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.gate.ledger.worker", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kw)
