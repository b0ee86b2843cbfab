"""Rebuilding a damaged ledger: the damaged file moved aside, the gate's own exported scans back in.

`gatescan recover` uses this. The export file (`gatescan export-scans`, JSON
Lines of push items) is outside input, so every line is checked field by field
(`parse_export_line`); a scan comes back with its own scan id, device time,
gate and outcome, appended to a fresh hash chain as not yet uploaded, so the
next sync pushes it again and the server, which stores each scan id of a
device once, keeps one copy. The event itself comes back from the server (the
sync pulls the manifest into an empty ledger) or from a manifest file.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gatescan.gate.ledger import chain
from gatescan.protocol.token import MAX_TICKET_ID, TokenError, parse_ticket_id
from gatescan.protocol.verdict import Outcome

MAX_LINE = 4096
MAX_TEXT = 300
_SCAN_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
_LOCAL_SOURCES = frozenset({"camera", "wedge", "manual", "cli"})
_OUTCOMES = frozenset(o.value for o in Outcome)
_INSERT = (f"INSERT INTO scans ({', '.join(chain.HASHED_COLUMNS)}, uploaded, prev_hash, hash) "
           f"VALUES ({', '.join('?' for _ in chain.HASHED_COLUMNS)}, 0, ?, ?)")
LEDGER_FILES = ("", "-wal", "-shm")


class RebuildError(Exception):
    """An export line that cannot be restored; `code` is stable, `message` names the line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ExportedScan:
    """One scan of the gate's export file, checked."""

    scan_id: str
    event_id: int | None
    ticket_id: int
    serial: int
    device_id: str
    gate: str
    direction: str
    outcome: str
    reason: str
    device_time: float
    source: str


def _text(item: dict[str, Any], key: str, default: str | None = None) -> str:
    value = item.get(key, default)
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValueError(f"{key} must be a string of at most {MAX_TEXT} characters")
    return value


def _int(item: dict[str, Any], key: str, hi: int) -> int:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= hi:
        raise ValueError(f"{key} must be an integer from 0 to {hi}")
    return value


def parse_export_line(line: str | bytes, device_id: str) -> ExportedScan:
    """Check one line of an export file; `device_id` is this gate's (for lines without one)."""
    if len(line) > MAX_LINE:
        raise RebuildError("bad_line", f"line longer than {MAX_LINE} characters")
    try:
        item = json.loads(line)
        if not isinstance(item, dict):
            raise ValueError("not a JSON object")
        scan_id = _text(item, "scan_id")
        if not _SCAN_ID.fullmatch(scan_id):
            raise ValueError("scan_id is not a scan id")
        ticket_id = parse_ticket_id(_text(item, "ticket_id"))
        if not 0 <= ticket_id <= MAX_TICKET_ID:
            raise ValueError("ticket_id out of range")
        event = item.get("event_id")
        event_id = None if event is None else _int(item, "event_id", 0xFFFFFFFF)
        direction = _text(item, "direction")
        outcome = _text(item, "outcome")
        source = _text(item, "source")
        if direction not in ("entry", "exit") or outcome not in _OUTCOMES \
                or source not in _LOCAL_SOURCES:
            raise ValueError("direction, outcome or source is not one GateScan writes")
        when = item.get("device_time")
        if isinstance(when, bool) or not isinstance(when, int | float) \
                or not math.isfinite(when) or not 0 <= when <= 0xFFFFFFFF:
            raise ValueError("device_time must be a unix time")
        return ExportedScan(scan_id, event_id, ticket_id, _int(item, "serial", 0xFFFFFFFF),
                            _text(item, "device_id", device_id), _text(item, "gate"),
                            direction, outcome, _text(item, "reason", ""), float(when), source)
    except (ValueError, TokenError, RecursionError) as exc:
        detail = getattr(exc, "message", None) or str(exc)
        raise RebuildError("bad_line", f"not a scan of an export file: {detail}"[:200]) from None


def restore_scans(conn: sqlite3.Connection, scans: Iterable[ExportedScan]) -> int:
    """Append the scans not in the log yet, as unsent, to the hash chain (inside a write txn)."""
    added = 0
    for scan in scans:
        if conn.execute("SELECT 1 FROM scans WHERE scan_id = ?", (scan.scan_id,)).fetchone():
            continue
        last_seq, prev = chain.head(conn)
        values: chain.ScanValues = (
            last_seq + 1, scan.scan_id, scan.event_id, scan.ticket_id, scan.serial,
            scan.device_id, scan.gate, scan.direction, scan.outcome,
            int(Outcome(scan.outcome).admits), scan.reason, scan.device_time,
            float(time.time()), scan.source)
        conn.execute(_INSERT, (*values, prev, chain.row_hash(prev, values)))
        added += 1
    return added


def move_aside(path: Path, *, now: float | None = None) -> Path:
    """Rename the ledger and its WAL and index files to `NAME.damaged-TIMESTAMP*`; the new name."""
    stamp = datetime.fromtimestamp(time.time() if now is None else now).strftime(
        "%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}-{secrets.token_hex(2)}")
    for suffix in LEDGER_FILES:
        part = path.with_name(path.name + suffix)
        if part.exists():
            part.rename(target.with_name(target.name + suffix))
    return target
