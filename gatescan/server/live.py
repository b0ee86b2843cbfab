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

The scans are folded incrementally (`_Fold`): a process reads an event's scans once,
then on each request only the ones numbered since; a view costs milliseconds at any size.

The wait estimate treats a lane as a single-server queue (M/M/1): utilization
rho = arrivals / throughput, expected wait rho / (throughput - arrivals) minutes.
A lane at 95 % of its throughput or more is `full`: scans alone cannot tell how
long its queue is, only that one is likely building, so it gets no figure; nor
does a lane whose devices scanned too little to time their service (`few`). The
figure is an estimate from scans only (no people counter), and says so on the page.
"""

from __future__ import annotations

import bisect
import itertools
import threading
import weakref
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, func, select

from gatescan.protocol.movements import ENTRY_ADMITS, UNDONE, UNVERIFIED_OUTCOMES
from gatescan.protocol.policy import EventPolicy
from gatescan.server import reports
from gatescan.server.reports import type_name
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


class _Fold:
    """What the live view needs from an event's scans, folded in seq order.

    Scans are an append-only log numbered in commit order (`changelog.next_seqs` holds
    the counter's row lock until commit), so each request reads only the rows after the
    last one folded: the first request of a process reads the event once, later ones
    milliseconds' worth. If the last folded row is gone or another (a database
    restored from a backup numbers again), the fold starts over.
    """

    def __init__(self) -> None:
        self.last_seq = 0
        self.last_scan: str | None = None
        self.entries = 0
        self.exits = 0
        self.net: dict[tuple[int, int | None], int] = {}  # (ticket, type) -> admits - undos
        self.admitted: Counter[int | None] = Counter()  # tickets of a type with net > 0
        self.minutes: dict[tuple[str, int], list[int]] = {}  # (gate, minute) -> entries, scans
        self.served: dict[tuple[str, str | None], list[float]] = defaultdict(list)

    def add(self, rows: Sequence[Any]) -> None:
        """Fold rows of the scans table (in seq order)."""
        unsorted: set[tuple[str, str | None]] = set()  # (gate, device) lists to sort
        for r in rows:
            admits = r.outcome in ENTRY_ADMITS and r.direction == "entry"
            step = 1 if admits else -1 if r.outcome == UNDONE else 0
            self.entries += step
            self.exits += r.outcome == EXIT
            if r.outcome not in UNVERIFIED_OUTCOMES and (r.outcome in ENTRY_ADMITS
                                                         or r.outcome == UNDONE):
                key = (int(r.ticket_id), r.type_id)
                before = self.net.get(key, 0)
                after = before + (-1 if r.outcome == UNDONE else 1)
                self.net[key] = after
                self.admitted[r.type_id] += (after > 0) - (before > 0)
            if r.time_flag is not None:
                continue  # an implausible device time: in no chart
            cell = self.minutes.setdefault((r.gate, int(r.device_time // 60)), [0, 0])
            cell[0] += step
            if r.outcome != REPEAT:
                cell[1] += 1
                times = self.served[(r.gate, r.device_id)]
                if times and times[-1] > r.device_time:
                    unsorted.add((r.gate, r.device_id))
                times.append(float(r.device_time))
        for lane in unsorted:
            self.served[lane].sort()
        if rows:
            self.last_seq, self.last_scan = int(rows[-1].seq), str(rows[-1].scan_id)

    def window(self, first: int, last: int, now: float
               ) -> tuple[dict[str, dict[int, int]], dict[str, dict[int, int]],
                          list[tuple[str, str | None, float]]]:
        """Entries and scans per gate and minute in `first`..`last` (a fast gate clock's
        minutes, up to an hour ahead, count as `last`), and the scans served lately."""
        entries: dict[str, dict[int, int]] = defaultdict(dict)
        scans: dict[str, dict[int, int]] = defaultdict(dict)
        ahead = int((now + 3600) // 60)
        for (gate, minute), (ok, n) in self.minutes.items():
            if first <= minute <= ahead:
                k = min(minute, last)
                entries[gate][k] = entries[gate].get(k, 0) + ok
                scans[gate][k] = scans[gate].get(k, 0) + n
        served = []
        for (gate, device), times in self.served.items():
            lo, hi = bisect.bisect_left(times, now - SERVICE_S), bisect.bisect_right(
                times, now + 60)
            served += [(gate, device, t) for t in times[lo:hi]]
        return entries, scans, served


_folds: weakref.WeakKeyDictionary[IssuerStore, OrderedDict[int, _Fold]] = \
    weakref.WeakKeyDictionary()
_folds_lock = threading.Lock()
MAX_FOLDS = 8  # events per store kept folded (least recently viewed dropped)
_FOLD_COLUMNS = ("seq", "scan_id", "ticket_id", "type_id", "gate", "direction", "outcome",
                 "device_time", "device_id", "time_flag")


def _fold_of(store: IssuerStore, event_id: int, conn: Connection) -> _Fold:
    """The event's fold brought up to date in this read (call with `_folds_lock` held)."""
    sc = s.scans.c
    per_store = _folds.setdefault(store, OrderedDict())
    fold = per_store.pop(event_id, None)
    if fold is not None and fold.last_scan is not None and conn.execute(
            select(sc.scan_id).where(and_(sc.event_id == event_id, sc.seq == fold.last_seq))
            ).scalar() != fold.last_scan:
        fold = None  # the log changed under us (a restored backup): start over
    fold = fold or _Fold()
    columns = [sc[c] for c in _FOLD_COLUMNS]
    while True:
        rows = conn.execute(select(*columns).where(and_(
            sc.event_id == event_id, sc.seq > fold.last_seq)).order_by(sc.seq)
            .limit(FOLD_PAGE)).all()
        fold.add(rows)
        if len(rows) < FOLD_PAGE:
            break
    per_store[event_id] = fold
    while len(per_store) > MAX_FOLDS:
        per_store.popitem(last=False)
    return fold


FOLD_PAGE = 50_000


def live_view(store: IssuerStore, event_id: int, policy: EventPolicy, *,
              now: float) -> LiveView:
    """The live view of an event at `now` (one consistent read)."""
    last_minute = int(now // 60)
    first_minute = last_minute - WINDOW_MIN + 1
    with store.snapshot() as conn:
        with _folds_lock:
            fold = _fold_of(store, event_id, conn)
            entries, scans, served = fold.window(first_minute, last_minute, now)
            admitted = dict(fold.admitted)
            moved = (fold.entries, fold.exits)
        t = s.tickets.c
        sold: dict[int | None, int] = {r[0]: int(r[1]) for r in conn.execute(
            select(t.type_id, func.count()).where(and_(
                t.event_id == event_id, t.status != "revoked")).group_by(t.type_id))}
        n_conflicts = conn.execute(select(func.count()).select_from(s.conflicts).where(
            s.conflicts.c.event_id == event_id)).scalar_one()
    found = reports.conflicts(store, event_id, policy, limit=MAX_CONFLICTS)
    gates = [g.name for g in policy.gates] or []
    gates += sorted(set(entries) - set(gates))
    capacity = _capacity(sorted(served, key=lambda x: (x[1] or "", x[2])))
    lanes = [_lane(g, entries.get(g, {}), scans.get(g, {}), first_minute, last_minute,
                   capacity.get(g)) for g in gates]
    type_ids = sorted({*admitted, *sold, *(tt.id for tt in policy.ticket_types)},
                      key=lambda x: (x is None, x or 0))
    types = [TypeCount(type_name(policy, tid), int(admitted.get(tid, 0)), int(sold.get(tid, 0)))
             for tid in type_ids if tid is not None]
    return LiveView(event_id, now, first_minute * 60.0, int(moved[0]), int(moved[1]),
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
