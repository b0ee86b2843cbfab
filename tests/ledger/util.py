"""Helpers shared by the ledger tests (not fixtures: also used by the worker subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from scanner.ledger.ledger import Ledger

ROOT = Path(__file__).parents[2]

# ticket_id, type_id, serial, seat
TICKETS: list[tuple[int, int, int, str | None]] = [
    (0x1001, 1, 0, "A-1"),       # General
    (0x1002, 1, 0, None),
    (0x2002, 1, 0, "B-7"),       # refunded in the standard manifest
    (0x3003, 1, 2, None),        # transferred twice: serial 2 is current
    (0x4004, 6, 0, None),        # re-entry allowed
    (0x5005, 3, 0, "Group"),     # group of 3
]


def dump(ledger: Ledger) -> dict[str, Any]:
    """Every row of every table plus the schema and version: equal dumps, equal ledgers."""
    db = ledger.db
    out: dict[str, Any] = {
        "user_version": ledger.conn.execute("PRAGMA user_version").fetchone()[0],
        "schema": sorted(ledger.conn.execute(
            "SELECT type, name, sql FROM sqlite_master").fetchall(), key=repr),
    }
    for name in db.table_names():
        out[name] = sorted((tuple(r.values()) for r in db[name].rows), key=repr)
    return out


def run_worker(*args: str, **kw: Any) -> subprocess.Popen[str]:
    """Start `python -m tests.ledger.worker ARGS` in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.ledger.worker", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kw)
