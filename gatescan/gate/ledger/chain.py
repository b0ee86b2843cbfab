"""The scan log's SHA-256 hash chain: each row commits to its fields and the row before it.

Editing, deleting or reordering any scan row breaks the chain from that row on.
(Cutting rows off the end cannot be seen from the file alone; the uploaded
hashes on the server anchor the tail. See docs/ledger.md.)
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from gatescan.gate.ledger.schema import GENESIS_HASH

CHAIN_DOMAIN = "GATESCAN/v1/scan"

# The scan columns the chain covers, in hashing order. `uploaded` is left out on
# purpose: it is the one column that changes after the row is written.
HASHED_COLUMNS: tuple[str, ...] = (
    "seq", "scan_id", "event_id", "ticket_id", "serial", "device_id", "gate", "direction",
    "outcome", "admit", "reason", "device_time", "recorded_at", "source",
)

ScanValues = tuple[object, ...]  # values in HASHED_COLUMNS order


def new_scan_id(now_ns: int | None = None) -> str:
    """A new scan id: 32 hex digits, the wall clock's milliseconds (48 bits) then 80 random bits.

    Like a UUIDv7 (RFC 9562), ids made one after another sort together, so a batch of
    scans lands on a few pages of every `scan_id` index (the server's idempotency key,
    this ledger's primary key) rather than one page per scan: a pushed batch of 1,000
    wrote about 4 MB to the server's WAL with random ids. The 80 random bits keep an id
    unguessable and unique on its own; a clock set back only costs that locality.
    """
    ms = (time.time_ns() if now_ns is None else now_ns) // 1_000_000
    return f"{ms & 0xFFFF_FFFF_FFFF:012x}{secrets.token_hex(10)}"


def row_hash(prev_hash: str, values: Sequence[object]) -> str:
    """Hex SHA-256 of one scan row chained to the previous row's hash.

    Floats must already be floats (SQLite returns REAL columns as float, and
    JSON writes 5 and 5.0 differently).
    """
    body = json.dumps(list(values), separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)
    data = f"{CHAIN_DOMAIN}\n{prev_hash}\n{body}".encode("ascii")
    return hashlib.sha256(data).hexdigest()


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """The last scan's seq and hash, or (0, GENESIS_HASH) when the log is empty."""
    last = conn.execute("SELECT seq, hash FROM scans ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of re-checking the scan log's hash chain."""

    ok: bool
    scans: int
    head: str
    bad_seq: int | None = None
    problem: str | None = None


def verify_chain(conn: sqlite3.Connection) -> ChainReport:
    """Re-hash every scan row in order and report the first row that does not fit."""
    cols = ", ".join(HASHED_COLUMNS)
    rows = conn.execute(f"SELECT {cols}, prev_hash, hash FROM scans ORDER BY seq")
    prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for row in rows:
        values, prev_hash, stored = row[:-2], row[-2], row[-1]
        seq = values[0]
        if seq != expected_seq:
            return ChainReport(False, count, prev, seq,
                               f"scan {expected_seq} is missing (next is {seq})")
        if prev_hash != prev:
            return ChainReport(False, count, prev, seq,
                               f"scan {seq} does not link to scan {seq - 1}")
        try:
            computed = row_hash(prev, values)
        except (TypeError, ValueError):
            computed = ""
        if computed != stored:
            return ChainReport(False, count, prev, seq, f"scan {seq} was altered")
        prev = stored
        expected_seq += 1
        count += 1
    return ChainReport(True, count, prev)
