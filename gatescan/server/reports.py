"""What the organizer sees: counts per gate, type and outcome; conflicts; entries over time; CSV.

Every report is bounded in work and size whatever the scans hold: counts and
the timeline are SQL aggregates, the timeline has at most `MAX_BUCKETS`
buckets of at most `MAX_GATES` gate series and leaves out scans whose device
time is flagged implausible (`ingest.time_flag`), conflicts are capped, and the
CSV streams in pages.
"""

from __future__ import annotations

import csv
import io
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    and_,
    case,
    cast,
    func,
    select,
)

from gatescan.protocol.clock import format_iso
from gatescan.protocol.movements import ENTRY_ADMITS, UNDONE, UNVERIFIED_OUTCOMES
from gatescan.protocol.policy import EventPolicy
from gatescan.protocol.token import format_ticket_id
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

CSV_PAGE = 5000
MAX_BUCKETS = 400  # timeline buckets (chart points per gate), whatever the data
MAX_GATES = 50  # timeline series; the rest are summed into OTHER_GATES
OTHER_GATES = "other gates"
MAX_CONFLICT_SCANS = 100  # scans listed per conflict (the first, by device time)
# Bucket sizes the dashboard picks from: the smallest that fits the entries in MAX_BUCKETS.
BUCKET_LADDER = (300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 86400)
CSV_COLUMNS = ("scan_id", "ticket_id", "serial", "ticket_type", "gate", "direction", "outcome",
               "device_time", "device_time_utc", "device_time_local", "received_at", "device_id",
               "device_name", "source", "via", "reason", "conflict", "time_flag")


@dataclass(frozen=True, slots=True)
class Counts:
    """Scan counts of an event, several ways."""

    total: int
    admitted: int
    by_gate: dict[str, dict[str, int]]
    by_type: dict[str, dict[str, int]]
    by_outcome: dict[str, int]
    conflicts: int
    time_flagged: int = 0


def type_name(policy: EventPolicy, type_id: int | None) -> str:
    """A ticket type's name, or a placeholder for unknown tickets."""
    ttype = policy.ticket_type(type_id) if type_id is not None else None
    return ttype.name if ttype else ("unknown ticket" if type_id is None else f"type {type_id}")


def counts(store: IssuerStore, event_id: int, policy: EventPolicy) -> Counts:
    """Counts per gate × outcome, per ticket type × outcome, per outcome."""
    sc = s.scans.c
    by_gate: dict[str, Counter[str]] = defaultdict(Counter)
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    by_outcome: Counter[str] = Counter()
    with store.snapshot() as conn:
        rows = conn.execute(select(sc.gate, sc.type_id, sc.outcome, func.count())
                            .where(sc.event_id == event_id)
                            .group_by(sc.gate, sc.type_id, sc.outcome)).all()
        n_conflicts = conn.execute(select(func.count()).select_from(s.conflicts).where(
            s.conflicts.c.event_id == event_id)).scalar_one()
        flagged = conn.execute(select(func.count()).where(and_(
            sc.event_id == event_id, sc.time_flag.is_not(None)))).scalar_one()
    for gate, type_id, outcome, n in rows:
        by_gate[gate][outcome] += n
        proved = outcome not in UNVERIFIED_OUTCOMES  # older gates sent ids read from forgeries
        by_type[type_name(policy, type_id if proved else None)][outcome] += n
        by_outcome[outcome] += n
    # An override is an admission; an undo takes one back (gatescan.protocol.movements).
    admitted = (by_outcome.get("admitted", 0) + by_outcome.get("override_admitted", 0)
                - by_outcome.get("admission_undone", 0))
    return Counts(sum(by_outcome.values()), admitted,
                  {k: dict(v) for k, v in sorted(by_gate.items())},
                  {k: dict(v) for k, v in sorted(by_type.items())},
                  dict(sorted(by_outcome.items())), int(n_conflicts), int(flagged))


def _scan_dict(row: Any, names: dict[str, str]) -> dict[str, Any]:
    return {"scan_id": row.scan_id, "ticket_id": format_ticket_id(row.ticket_id),
            "serial": row.serial, "gate": row.gate, "direction": row.direction,
            "outcome": row.outcome, "device_time": row.device_time,
            "received_at": row.received_at, "device_id": row.device_id,
            "device_name": names.get(row.device_id or ""), "source": row.source, "via": row.via,
            "time_flag": row.time_flag}


def _device_names(conn: Any, event_id: int) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute(select(s.devices.c.device_id, s.devices.c.name)
                                             .where(s.devices.c.event_id == event_id))}


def conflicts(store: IssuerStore, event_id: int, policy: EventPolicy,
              limit: int = 1000) -> list[dict[str, Any]]:
    """Tickets admitted more than allowed, newest first, each with its first scans."""
    c, sc = s.conflicts.c, s.scans.c
    with store.snapshot() as conn:
        rows = conn.execute(select(s.conflicts).where(c.event_id == event_id)
                            .order_by(c.detected_at.desc(), c.ticket_id).limit(limit)).all()
        names = _device_names(conn, event_id)
        found: list[dict[str, Any]] = []
        for row in rows:
            scans = conn.execute(select(s.scans).where(and_(
                sc.event_id == event_id, sc.ticket_id == row.ticket_id,
                sc.outcome.not_in(UNVERIFIED_OUTCOMES)))
                .order_by(sc.device_time, sc.scan_id).limit(MAX_CONFLICT_SCANS)).all()
            type_id = scans[0].type_id if scans else None
            found.append({"ticket_id": format_ticket_id(row.ticket_id), "type_id": type_id,
                          "ticket_type": type_name(policy, type_id), "entries": row.entries,
                          "allowed": row.allowed, "detected_at": row.detected_at,
                          "scans": [_scan_dict(r, names) for r in scans]})
    return found


def _entries(event_id: int) -> ColumnElement[bool]:
    sc = s.scans.c
    # An override is an entry; a supervisor's undo takes one back (counted -1 below).
    return and_(sc.event_id == event_id, sc.time_flag.is_(None),
                sc.outcome.in_((*ENTRY_ADMITS, UNDONE)), sc.direction == "entry")


def _bucket_of(conn: Connection, bucket: int) -> ColumnElement[int]:
    """The bucket number of a scan's device time, in SQL (device times are never negative)."""
    quotient = s.scans.c.device_time / bucket
    if conn.dialect.name == "sqlite":
        return cast(quotient, Integer)  # truncation: the floor of a non-negative number
    return cast(func.floor(quotient), BigInteger)


def pick_bucket(low: float, high: float) -> int:
    """The smallest bucket of the ladder that fits `low`..`high` in MAX_BUCKETS buckets."""
    return next((b for b in BUCKET_LADDER if high // b - low // b < MAX_BUCKETS),
                BUCKET_LADDER[-1])


def timeline(store: IssuerStore, event_id: int, bucket: int | None = None,
             max_gates: int = MAX_GATES) -> dict[str, Any]:
    """Admitted entries per `bucket` seconds (device time) and gate, at most MAX_BUCKETS.

    Scans with a flagged device time are left out. With no `bucket`, the
    smallest of BUCKET_LADDER that fits; if the entries still span more, the
    latest MAX_BUCKETS buckets, and `clipped` says how many entries were earlier.
    At most `max_gates` series: the busiest gates, the rest summed as OTHER_GATES.
    """
    sc = s.scans.c
    where = _entries(event_id)
    with store.snapshot() as conn:
        low, high = conn.execute(select(func.min(sc.device_time), func.max(sc.device_time))
                                 .where(where)).one()
        if low is None or high is None:
            return {"bucket": bucket or BUCKET_LADDER[0], "gates": [], "series": [],
                    "start": None, "end": None, "clipped": 0}
        size = bucket or pick_bucket(low, high)
        last = int(high // size)
        first = max(int(low // size), last - MAX_BUCKETS + 1)
        number = _bucket_of(conn, size)
        clipped = 0
        if first > int(low // size):
            clipped = conn.execute(select(func.count()).where(
                and_(where, sc.device_time < first * size))).scalar_one()
        rows = conn.execute(select(number, sc.gate,
                                   func.sum(case((sc.outcome == UNDONE, -1), else_=1)))
                            .where(and_(where, sc.device_time >= first * size))
                            .group_by(number, sc.gate)).all()
    totals: Counter[str] = Counter()
    for _, gate, n in rows:
        totals[gate] += n
    kept = {g for g, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:max_gates]}
    per: dict[int, Counter[str]] = defaultdict(Counter)
    for k, gate, n in rows:
        per[int(k) * size][gate if gate in kept else OTHER_GATES] += n
    gates = sorted(kept) + ([OTHER_GATES] if len(totals) > len(kept) else [])
    return {"bucket": size, "gates": gates,
            "series": [{"start": start, "counts": dict(per[start])} for start in sorted(per)],
            "start": first * size, "end": (last + 1) * size, "clipped": int(clipped)}


def _utc(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def scans_csv(store: IssuerStore, event_id: int, policy: EventPolicy) -> Iterator[str]:
    """The event's scan log as CSV text, in pages (for a streaming response)."""
    sc = s.scans.c
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(CSV_COLUMNS)
    after = 0
    while True:
        with store.snapshot() as conn:
            names = _device_names(conn, event_id)
            rows = conn.execute(select(s.scans).where(and_(sc.event_id == event_id,
                                                           sc.seq > after))
                                .order_by(sc.seq).limit(CSV_PAGE)).all()
            page_tickets = sorted({r.ticket_id for r in rows})
            flagged = set(conn.execute(select(s.conflicts.c.ticket_id).where(and_(
                s.conflicts.c.event_id == event_id,
                s.conflicts.c.ticket_id.in_(page_tickets)))).scalars()) if rows else set()
        for r in rows:
            proved = r.outcome not in UNVERIFIED_OUTCOMES
            out.writerow([r.scan_id, format_ticket_id(r.ticket_id) if proved else "",
                          r.serial if proved else "",
                          type_name(policy, r.type_id if proved else None), _cell(r.gate),
                          r.direction, r.outcome,
                          f"{r.device_time:.3f}", _utc(r.device_time),
                          format_iso(r.device_time, policy), f"{r.received_at:.3f}",
                          r.device_id or "", _cell(names.get(r.device_id or "", "")),
                          r.source or "", r.via, _cell(r.reason or ""),
                          "yes" if r.ticket_id in flagged and r.outcome in ENTRY_ADMITS else "",
                          r.time_flag or ""])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
        if len(rows) < CSV_PAGE:
            return
        after = rows[-1].seq


def _cell(text: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: make it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
