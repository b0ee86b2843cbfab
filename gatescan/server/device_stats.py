"""What the server knows of each gate device of an event, for the console's devices page.

From the devices table: status, gate, when it enrolled, when it was last seen
(any authenticated call, noted at most once a minute) and its scan-chain
checkpoint. From the scans it stored: how many, the repeat reads, the last
upload (a push, not an import), the scans whose device time was implausible
(`time_flag`: the gate's clock was wrong), the clock lag of its latest upload
(server receive time minus device time: the gate's clock offset plus the time the
scan waited to be sent, so an upper bound of the offset), and the tickets in a
conflict it admitted. Pending uploads and the app version are what the gate last
reported (`DeviceInfo.app_version`, `pending_uploads`: docs/sync-protocol.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from gatescan.protocol.movements import ENTRY_ADMITS
from gatescan.server import devices
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

ONLINE_S = 180.0  # seen within three sync intervals of a minute-granular `last_seen_at`
REPEAT_READ = "repeat_read"


@dataclass(frozen=True, slots=True)
class DeviceStats:
    """One device with its counts (no token, no code)."""

    device: devices.DeviceInfo
    online: bool
    scans: int = 0
    repeat_reads: int = 0
    conflicts: int = 0
    clock_flags: int = 0
    last_upload: float | None = None
    upload_lag: float | None = None  # seconds, latest pushed scan: receive minus device time


def event_devices(store: IssuerStore, event_id: int, *, now: float) -> list[DeviceStats]:
    """The event's devices, oldest first, with what their scans tell."""
    sc = s.scans.c
    counts = (select(sc.device_id, func.count().label("n"),
                     func.sum(case((sc.outcome == REPEAT_READ, 1), else_=0)).label("repeats"),
                     func.sum(case((sc.time_flag.is_not(None), 1), else_=0)).label("flags"),
                     func.max(case((sc.via == "push", sc.received_at))).label("pushed"),
                     func.max(case((sc.via == "push", sc.seq))).label("last_seq"))
              .where(and_(sc.event_id == event_id, sc.device_id.is_not(None)))
              .group_by(sc.device_id))
    cf = s.conflicts.c
    conflicted = (select(sc.device_id, func.count(func.distinct(sc.ticket_id)).label("n"))
                  .select_from(s.scans.join(s.conflicts, and_(
                      cf.event_id == sc.event_id, cf.ticket_id == sc.ticket_id)))
                  .where(and_(sc.event_id == event_id, sc.outcome.in_(ENTRY_ADMITS),
                              sc.direction == "entry"))
                  .group_by(sc.device_id))
    with store.snapshot() as conn:
        by_device = {r.device_id: r for r in conn.execute(counts)}
        conflicts = {r.device_id: int(r.n) for r in conn.execute(conflicted)}
        seqs = [int(r.last_seq) for r in by_device.values() if r.last_seq is not None]
        lags = {r.device_id: float(r.received_at - r.device_time) for r in conn.execute(
            select(sc.device_id, sc.received_at, sc.device_time).where(and_(
                sc.event_id == event_id, sc.seq.in_(seqs))))} if seqs else {}
    found = []
    for d in devices.list_devices(store, event_id):
        row = by_device.get(d.device_id)
        online = d.status == devices.ACTIVE and d.last_seen_at is not None and \
            d.last_seen_at >= now - ONLINE_S
        if row is None:
            found.append(DeviceStats(d, online, conflicts=conflicts.get(d.device_id, 0)))
            continue
        found.append(DeviceStats(d, online, int(row.n), int(row.repeats or 0),
                                 conflicts.get(d.device_id, 0), int(row.flags or 0),
                                 None if row.pushed is None else float(row.pushed),
                                 lags.get(d.device_id)))
    return found
