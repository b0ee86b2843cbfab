"""What the organizer sees: counts per gate, type and outcome; conflicts; entries over time; CSV."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select

from scanner.verify.policy import EventPolicy
from scanner.verify.token import format_ticket_id
from server_stub.movements import UNVERIFIED_OUTCOMES
from server_stub.storage import schema as s
from server_stub.store import IssuerStore

CSV_PAGE = 5000
CSV_COLUMNS = ("scan_id", "ticket_id", "serial", "ticket_type", "gate", "direction", "outcome",
               "device_time", "device_time_utc", "received_at", "device_id", "device_name",
               "source", "via", "reason", "conflict")


@dataclass(frozen=True, slots=True)
class Counts:
    """Scan counts of an event, several ways."""

    total: int
    admitted: int
    by_gate: dict[str, dict[str, int]]
    by_type: dict[str, dict[str, int]]
    by_outcome: dict[str, int]
    conflicts: int


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
    for gate, type_id, outcome, n in rows:
        by_gate[gate][outcome] += n
        proved = outcome not in UNVERIFIED_OUTCOMES  # older gates sent ids read from forgeries
        by_type[type_name(policy, type_id if proved else None)][outcome] += n
        by_outcome[outcome] += n
    return Counts(sum(by_outcome.values()), by_outcome.get("admitted", 0),
                  {k: dict(v) for k, v in sorted(by_gate.items())},
                  {k: dict(v) for k, v in sorted(by_type.items())},
                  dict(sorted(by_outcome.items())), int(n_conflicts))


def _scan_dict(row: Any, names: dict[str, str]) -> dict[str, Any]:
    return {"scan_id": row.scan_id, "ticket_id": format_ticket_id(row.ticket_id),
            "serial": row.serial, "gate": row.gate, "direction": row.direction,
            "outcome": row.outcome, "device_time": row.device_time,
            "received_at": row.received_at, "device_id": row.device_id,
            "device_name": names.get(row.device_id or ""), "source": row.source, "via": row.via}


def _device_names(conn: Any, event_id: int) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute(select(s.devices.c.device_id, s.devices.c.name)
                                             .where(s.devices.c.event_id == event_id))}


def conflicts(store: IssuerStore, event_id: int, policy: EventPolicy,
              limit: int = 1000) -> list[dict[str, Any]]:
    """Tickets admitted more than allowed, newest first, each with every one of its scans."""
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
                .order_by(sc.device_time, sc.scan_id)).all()
            type_id = scans[0].type_id if scans else None
            found.append({"ticket_id": format_ticket_id(row.ticket_id), "type_id": type_id,
                          "ticket_type": type_name(policy, type_id), "entries": row.entries,
                          "allowed": row.allowed, "detected_at": row.detected_at,
                          "scans": [_scan_dict(r, names) for r in scans]})
    return found


def timeline(store: IssuerStore, event_id: int, bucket: int = 300) -> dict[str, Any]:
    """Admitted entries per `bucket` seconds (device time) and gate."""
    sc = s.scans.c
    per: dict[int, Counter[str]] = defaultdict(Counter)
    gates: set[str] = set()
    with store.snapshot() as conn:
        for gate, when in conn.execute(select(sc.gate, sc.device_time).where(and_(
                sc.event_id == event_id, sc.outcome == "admitted", sc.direction == "entry"))):
            per[int(when // bucket) * bucket][gate] += 1
            gates.add(gate)
    return {"bucket": bucket, "gates": sorted(gates),
            "series": [{"start": start, "counts": dict(per[start])} for start in sorted(per)]}


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
            flagged = set(conn.execute(select(s.conflicts.c.ticket_id).where(
                s.conflicts.c.event_id == event_id)).scalars())
        for r in rows:
            proved = r.outcome not in UNVERIFIED_OUTCOMES
            out.writerow([r.scan_id, format_ticket_id(r.ticket_id) if proved else "",
                          r.serial if proved else "",
                          type_name(policy, r.type_id if proved else None), _cell(r.gate),
                          r.direction, r.outcome,
                          f"{r.device_time:.3f}", _utc(r.device_time), f"{r.received_at:.3f}",
                          r.device_id or "", _cell(names.get(r.device_id or "", "")),
                          r.source or "", r.via, _cell(r.reason or ""),
                          "yes" if r.ticket_id in flagged and r.outcome == "admitted" else ""])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
        if len(rows) < CSV_PAGE:
            return
        after = rows[-1].seq


def _cell(text: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: make it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
