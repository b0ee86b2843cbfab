"""Supervisor actions in the scan log: "admit anyway" and "undo the last admission".

Each action is a scan row of its own kind, hash-chained and synced like any scan:

- `override_admitted`: a supervisor let a refused ticket in, with a reason. It is
  an entry of that ticket (the next scan of it sees it as used).
- `admission_undone`: the person admitted did not go through (the supervisor
  said so, or the turnstile's "passed" sensor saw no rotation). It un-counts
  that admission, so the ticket can enter again.

An undo row names its admission by rule, not by a stored link, so the rule is
the same in this ledger's SQL and on the server (`gatescan.protocol.movements`): it
cancels the latest entry admission of the same ticket by the same device that
comes before it in that device's log. Everything here runs inside a write
transaction the `Ledger` opens.
"""

from __future__ import annotations

import math
import re
import sqlite3
from dataclasses import dataclass

from gatescan.gate.verify.view import GateContext
from gatescan.protocol.verdict import Outcome, TicketFacts, Verdict

DEFAULT_UNDO_WINDOW = 300.0  # seconds an admission (or a refusal) stays open to a supervisor
MAX_REASON = 300  # the server keeps at most this much of a scan's reason
NO_PASSAGE = "no passage"  # the reason of an automatic undo (the turnstile did not turn)

ENTRY_ADMITS = (Outcome.ADMITTED.value, Outcome.OVERRIDE_ADMITTED.value)
UNDONE = Outcome.ADMISSION_UNDONE.value
_MARKS = ", ".join("?" for _ in ENTRY_ADMITS)
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")

# `a` is an entry admission cancelled by a later undo of the same ticket on the same device,
# with no other entry admission of that ticket on that device in between.
UNDONE_CLAUSE = (
    f"(a.outcome IN ({_MARKS}) AND a.direction = 'entry' AND EXISTS ("
    " SELECT 1 FROM scans u WHERE u.ticket_id = a.ticket_id AND u.device_id = a.device_id"
    f" AND u.outcome = '{UNDONE}' AND u.seq > a.seq AND NOT EXISTS ("
    "  SELECT 1 FROM scans b WHERE b.ticket_id = a.ticket_id AND b.device_id = a.device_id"
    f"  AND b.outcome IN ({_MARKS}) AND b.direction = 'entry'"
    "  AND b.seq > a.seq AND b.seq < u.seq)))"
)
UNDONE_PARAMS: tuple[str, ...] = (*ENTRY_ADMITS, *ENTRY_ADMITS)


class SupervisorError(ValueError):
    """A supervisor action that cannot be done; `code` is stable, the message is for people.

    Codes: `no_reason`, `nothing_to_undo`, `already_undone`, `too_late`,
    `not_refused`, `not_latest`.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ScanRef:
    """A scan of this device's log that a supervisor action is about."""

    scan_id: str
    seq: int
    event_id: int | None
    ticket_id: int | None
    serial: int | None
    outcome: str
    admit: bool
    device_time: float
    source: str


def clean_reason(text: str) -> str:
    """The reason a supervisor typed, trimmed; raises `SupervisorError` if blank or unprintable."""
    reason = " ".join(text.split())
    if not reason:
        raise SupervisorError("no_reason", "a reason is required")
    if _UNPRINTABLE.search(reason):
        raise SupervisorError("no_reason", "the reason must be printable text")
    return reason[:MAX_REASON]


def check_window(window: float) -> float:
    """An undo window in seconds: finite, 10 s to 1 hour."""
    if not math.isfinite(window) or not 10 <= window <= 3600:
        raise ValueError(f"the undo window must be 10 to 3600 seconds, not {window!r}")
    return float(window)


_REF_SQL = ("SELECT scan_id, seq, event_id, ticket_id, serial, outcome, admit, device_time, "
            "source FROM scans")


def _ref(row: tuple[object, ...] | None) -> ScanRef | None:
    if row is None:
        return None
    sid, seq, ev, tid, serial, outcome, admit, t, source = row
    return ScanRef(str(sid), int(str(seq)), None if ev is None else int(str(ev)),
                   None if tid is None else int(str(tid)),
                   None if serial is None else int(str(serial)), str(outcome),
                   bool(admit), float(str(t)), str(source))


def last_admission(conn: sqlite3.Connection, device_id: str) -> ScanRef | None:
    """This device's latest entry admission (not synced from elsewhere), undone or not."""
    return _ref(conn.execute(
        f"{_REF_SQL} WHERE device_id = ? AND source != 'remote' AND direction = 'entry' "
        f"AND outcome IN ({_MARKS}) ORDER BY seq DESC LIMIT 1",
        (device_id, *ENTRY_ADMITS)).fetchone())


def is_undone(conn: sqlite3.Connection, scan_id: str) -> bool:
    """True if a later undo row cancels this admission."""
    return conn.execute(f"SELECT 1 FROM scans a WHERE a.scan_id = ? AND {UNDONE_CLAUSE}",
                        (scan_id, *UNDONE_PARAMS)).fetchone() is not None


def _facts(conn: sqlite3.Connection, ref: ScanRef, type_name: str | None) -> TicketFacts | None:
    if ref.ticket_id is None:
        return None
    row = conn.execute("SELECT type_id, seat FROM tickets WHERE ticket_id = ?",
                       (ref.ticket_id,)).fetchone()
    return TicketFacts(ref.ticket_id, ref.serial or 0, int(row[0]) if row else 0, type_name,
                       seat=row[1] if row else None, listed=row is not None)


def _type_id(conn: sqlite3.Connection, ticket_id: int | None) -> int | None:
    if ticket_id is None:
        return None
    row = conn.execute("SELECT type_id FROM tickets WHERE ticket_id = ?", (ticket_id,)).fetchone()
    return None if row is None else int(row[0])


def undo_target(conn: sqlite3.Connection, now: float, gate: GateContext, window: float,
                scan_id: str | None = None) -> ScanRef:
    """The admission an undo would cancel now, or `SupervisorError` saying why there is none.

    Without `scan_id`: this device's latest admission. With it: that admission,
    which must still be this device's latest admission of its ticket.
    """
    last = last_admission(conn, gate.device_id)
    if scan_id is not None:
        target = _ref(conn.execute(
            f"{_REF_SQL} WHERE scan_id = ? AND device_id = ? AND source != 'remote' "
            f"AND direction = 'entry' AND outcome IN ({_MARKS})",
            (scan_id, gate.device_id, *ENTRY_ADMITS)).fetchone())
        if target is None:
            raise SupervisorError("nothing_to_undo", "that scan is not an admission of this gate")
        newer = conn.execute(
            f"SELECT 1 FROM scans WHERE ticket_id = ? AND device_id = ? AND seq > ? "
            f"AND direction = 'entry' AND outcome IN ({_MARKS})",
            (target.ticket_id, gate.device_id, target.seq, *ENTRY_ADMITS)).fetchone()
        if newer is not None:
            raise SupervisorError("not_latest", "the ticket was admitted again since")
    elif last is None:
        raise SupervisorError("nothing_to_undo", "this gate has admitted nobody yet")
    else:
        target = last
    if target.ticket_id is None:
        raise SupervisorError("nothing_to_undo", "that admission has no ticket to un-count")
    if is_undone(conn, target.scan_id):
        raise SupervisorError("already_undone", "that admission was already undone")
    if not -5.0 <= now - target.device_time <= window:
        raise SupervisorError("too_late", f"admissions can be undone for {int(window // 60)} "
                              "min; this one is older")
    return target


def refused_target(conn: sqlite3.Connection, scan_id: str, now: float, gate: GateContext,
                   window: float) -> ScanRef:
    """The refused scan an "admit anyway" is about: this device's latest scan, refused, recent."""
    ref = _ref(conn.execute(
        f"{_REF_SQL} WHERE device_id = ? AND source != 'remote' ORDER BY seq DESC LIMIT 1",
        (gate.device_id,)).fetchone())
    if ref is None or ref.scan_id != scan_id:
        raise SupervisorError("not_latest", "only the latest scan of this gate can be "
                              "admitted anyway")
    if ref.admit or ref.outcome in (UNDONE, Outcome.OVERRIDE_ADMITTED.value):
        raise SupervisorError("not_refused", "that scan was not refused")
    if not -5.0 <= now - ref.device_time <= window:
        raise SupervisorError("too_late", "that refusal is too old to admit anyway")
    return ref


def action_values(conn: sqlite3.Connection, ref: ScanRef, outcome: Outcome, reason: str,
                  now: float, gate: GateContext,
                  type_name: str | None) -> tuple[tuple[object, ...], Verdict]:
    """The scan-row fields (seq and scan id, hash left to the caller) and the verdict."""
    verdict = Verdict(outcome, reason, _facts(conn, ref, type_name), event_id=ref.event_id)
    return (ref.event_id, ref.ticket_id, ref.serial, gate.device_id, gate.gate, "entry",
            outcome.value, int(verdict.admit), reason, now), verdict


def type_id_of(conn: sqlite3.Connection, ref: ScanRef) -> int | None:
    """The ticket type of the scan's ticket as this gate knows it."""
    return _type_id(conn, ref.ticket_id)
