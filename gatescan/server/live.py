"""The live view of an event's doors: what the console's live page polls (`live.json`).

Per lane (gate): admitted entries per minute over the last `WINDOW_MIN` minutes
(by gate time; implausible device times left out, as in every chart), its
arrival rate (scans that were not repeat reads, per minute over the last five
whole minutes: a refused person queued too) against its throughput, and a wait
estimate from the two. Throughput is what the lane's scanners can do, from how
fast they serve when people are waiting: per device, the short end (25th
percentile) of the gaps between its consecutive scans in the last 15 minutes is
its service time; a gate's throughput is the sum over those devices (none with
enough scans yet: unknown).
Per ticket type: tickets admitted of tickets sold. Inside now: entries minus
exits. Conflicts: the newest, with their scans side by side.

The wait estimate treats a lane as a single-server queue (M/M/1): utilization
rho = arrivals / throughput, expected wait rho / (throughput - arrivals) minutes.
A lane at 95 % of its throughput or more is `full`: scans alone cannot tell how
long its queue is, only that one is likely building, so it gets no figure; nor
does a lane whose devices scanned too little to time their service (`few`). The
figure is an estimate from scans only (no people counter), and says so on the page.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select

from gatescan.protocol.movements import ENTRY_ADMITS, UNDONE, UNVERIFIED_OUTCOMES
from gatescan.protocol.policy import EventPolicy
from gatescan.server import reports
from gatescan.server.reports import _bucket_of, type_name
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

WINDOW_MIN = 30
RATE_S = 300  # arrivals: the last five minutes
SERVICE_S = 900  # service times: the gaps between a device's scans in the last 15 minutes
MAX_GAP_S = 120.0  # a longer pause between two scans is no service time
MIN_GAPS = 5
FULL = 0.95
MAX_CONFLICTS = 10
EXIT = "exit_recorded"
REPEAT = "repeat_read"


@dataclass(frozen=True, slots=True)
class Lane:
    """One gate: entries per minute (oldest first), arrivals and throughput per minute."""

    gate: str
    per_minute: list[int]
    arrivals: float
    throughput: float | None  # None until its scanners were timed
    state: str  # idle, few (too few scans to tell), flowing, full
    wait_min: float | None  # only when flowing


@dataclass(frozen=True, slots=True)
class TypeCount:
    """Tickets of one type admitted (at least one entry that stands) of those sold."""

    name: str
    admitted: int
    sold: int


@dataclass(frozen=True, slots=True)
class LiveView:
    """Everything the live page shows, for one moment (`now`, server time)."""

    event_id: int
    now: float
    minute0: float  # start of the first minute of every lane's `per_minute`
    entries: int
    exits: int
    lanes: list[Lane] = field(default_factory=list)
    types: list[TypeCount] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    conflicts_total: int = 0

    @property
    def inside(self) -> int:
        """Entries minus exits (never below zero)."""
        return max(0, self.entries - self.exits)

    def as_json(self) -> dict[str, Any]:
        """The JSON the page polls."""
        data = asdict(self)
        data["inside"] = self.inside
        return data


def wait_estimate(arrivals: float, throughput: float | None) -> tuple[str, float | None]:
    """(state, minutes) for a lane from its arrival rate and throughput, both per minute
    (throughput None: its scanners have not been timed yet)."""
    if arrivals <= 0:
        return "idle", None
    if throughput is None:
        return "few", None
    if arrivals >= FULL * throughput:
        return "full", None
    rho = arrivals / throughput
    return "flowing", round(rho / (throughput - arrivals), 1)


def live_view(store: IssuerStore, event_id: int, policy: EventPolicy, *,
              now: float) -> LiveView:
    """The live view of an event at `now` (one consistent read)."""
    sc = s.scans.c
    plausible = and_(sc.event_id == event_id, sc.time_flag.is_(None))
    last_minute = int(now // 60)
    first_minute = last_minute - WINDOW_MIN + 1
    with store.snapshot() as conn:
        minute = _bucket_of(conn, 60)
        recent = and_(plausible, sc.device_time >= first_minute * 60,
                      sc.device_time < now + 3600)
        rows = conn.execute(select(
            minute, sc.gate,
            func.sum(case((and_(sc.outcome.in_(ENTRY_ADMITS), sc.direction == "entry"), 1),
                          (sc.outcome == UNDONE, -1), else_=0)),
            func.sum(case((sc.outcome == REPEAT, 0), else_=1)))
            .where(recent).group_by(minute, sc.gate)).all()
        moved = conn.execute(select(
            func.sum(case((and_(sc.outcome.in_(ENTRY_ADMITS), sc.direction == "entry"), 1),
                          (sc.outcome == UNDONE, -1), else_=0)),
            func.sum(case((sc.outcome == EXIT, 1), else_=0)))
            .where(sc.event_id == event_id)).one()
        net = (select(sc.ticket_id, sc.type_id)
               .where(and_(sc.event_id == event_id, sc.outcome.not_in(UNVERIFIED_OUTCOMES),
                           sc.outcome.in_((*ENTRY_ADMITS, UNDONE))))
               .group_by(sc.ticket_id, sc.type_id)
               .having(func.sum(case((sc.outcome == UNDONE, -1), else_=1)) > 0).subquery())
        admitted: dict[int | None, int] = {
            r[0]: int(r[1]) for r in conn.execute(select(net.c.type_id, func.count())
                                                  .group_by(net.c.type_id))}
        t = s.tickets.c
        sold: dict[int | None, int] = {r[0]: int(r[1]) for r in conn.execute(
            select(t.type_id, func.count()).where(and_(
                t.event_id == event_id, t.status != "revoked")).group_by(t.type_id))}
        served = conn.execute(
            select(sc.gate, sc.device_id, sc.device_time)
            .where(and_(plausible, sc.outcome != REPEAT, sc.device_time >= now - SERVICE_S,
                        sc.device_time <= now + 60))
            .order_by(sc.device_id, sc.device_time)).all()
        n_conflicts = conn.execute(select(func.count()).select_from(s.conflicts).where(
            s.conflicts.c.event_id == event_id)).scalar_one()
    found = reports.conflicts(store, event_id, policy, limit=MAX_CONFLICTS)
    entries: dict[str, dict[int, int]] = defaultdict(dict)
    scans: dict[str, dict[int, int]] = defaultdict(dict)
    for k, gate, ok, n in rows:
        k = min(int(k), last_minute)  # a gate clock a little fast: its scans are "now"
        entries[gate][k] = entries[gate].get(k, 0) + int(ok or 0)
        scans[gate][k] = scans[gate].get(k, 0) + int(n or 0)
    gates = [g.name for g in policy.gates] or []
    gates += sorted(set(entries) - set(gates))
    capacity = _capacity(served)
    lanes = [_lane(g, entries.get(g, {}), scans.get(g, {}), first_minute, last_minute,
                   capacity.get(g)) for g in gates]
    type_ids = sorted({*admitted, *sold, *(tt.id for tt in policy.ticket_types)},
                      key=lambda x: (x is None, x or 0))
    types = [TypeCount(type_name(policy, tid), int(admitted.get(tid, 0)), int(sold.get(tid, 0)))
             for tid in type_ids if tid is not None]
    return LiveView(event_id, now, first_minute * 60.0, int(moved[0] or 0), int(moved[1] or 0),
                    lanes, types, found, int(n_conflicts))


def _capacity(served: Sequence[Any]) -> dict[str, float]:
    """Scans per minute each gate's recently active devices can serve (see the module doc)."""
    times: dict[tuple[str, str | None], list[float]] = defaultdict(list)
    for gate, device_id, at in served:
        times[(gate, device_id)].append(float(at))
    found: dict[str, float] = defaultdict(float)
    for (gate, _), ts in times.items():
        gaps = sorted(b - a for a, b in itertools.pairwise(ts) if 0 < b - a <= MAX_GAP_S)
        if len(gaps) >= MIN_GAPS:
            found[gate] += 60.0 / max(gaps[len(gaps) // 4], 0.5)
    return dict(found)


def _lane(gate: str, entries: dict[int, int], scans: dict[int, int], first: int, last: int,
          capacity: float | None) -> Lane:
    per_minute = [max(0, entries.get(m, 0)) for m in range(first, last + 1)]
    # Whole minutes only for rates (the current minute is partial): the five before it.
    recent = [scans.get(m, 0) for m in range(last - RATE_S // 60, last)]
    arrivals = sum(recent) / len(recent)
    throughput = None if capacity is None else max(capacity, arrivals)
    state, wait = wait_estimate(arrivals, throughput)
    return Lane(gate, per_minute, round(arrivals, 2),
                None if throughput is None else round(throughput, 2), state, wait)
