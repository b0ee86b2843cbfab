"""Storing scans pushed by gates (or imported from a gate's export file), and conflicts.

Each scan is stored once per device, keyed by (`device_id`, `scan_id`): a
retried batch, a duplicated item or an import of scans already pushed changes
nothing and is answered `duplicate`, while another device's scan with the same
id is a different scan. An import line naming no device matches a scan of that
id from any device of the event (and a device's push matches such a line).
Scans keep the gate's own time (`device_time`), never the time they reached the
server, and are stored even when the server would have refused them; a device
time outside the plausible window (`time_flag`) is stored but flagged, and
flagged scans never shape a chart. After each batch the movements of the
tickets it touched are replayed (`gatescan.server.conflicts`); tickets admitted
more often than allowed are listed in `conflicts`, announced in the change
feed, and their admitted entries flagged in the results. Each scan's place in
its gate's hash chain is kept and checked against what the gate pushed before
(`gatescan.server.checkpoints`).

A scan whose code did not verify (bad signature, unknown key, other event,
malformed) proves nothing about a ticket: it is stored under no ticket type
(an older gate may still send the ticket id it read from the code), and, like a
repeat read, it is never a movement, so it never makes a conflict.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from gatescan.protocol.movements import ENTRY_ADMITS, MOVEMENT_OUTCOMES, UNDONE, UNVERIFIED_OUTCOMES
from gatescan.server import checkpoints, conflicts
from gatescan.server.checkpoints import ChainItem
from gatescan.server.errors import IssuerError
from gatescan.server.storage import bulk
from gatescan.server.storage import schema as s
from gatescan.server.storage.changelog import next_seqs
from gatescan.server.store import IssuerStore

log = logging.getLogger(__name__)

STORED = "stored"
DUPLICATE = "duplicate"
REJECTED = "rejected"
# The plausible window of a device time: from a day before the event was created (issuer
# and server clocks may differ) to six hours after the scan reached the server (a gate
# clock a few hours fast is still charted). Outside it the gate clock is wrong.
EARLY_SLACK_S = 24 * 3600
LATE_SLACK_S = 6 * 3600
EARLY = "early"
LATE = "late"
Key = tuple[str, str]  # (device id or "", scan id)


def time_flag(device_time: float, *, event_created: float, received_at: float) -> str | None:
    """None for a plausible device time, else `early` or `late`."""
    if device_time < event_created - EARLY_SLACK_S:
        return EARLY
    if device_time > received_at + LATE_SLACK_S:
        return LATE
    return None


@dataclass(frozen=True, slots=True)
class ScanIn:
    """One validated scan as a gate recorded it."""

    scan_id: str
    ticket_id: int
    serial: int
    gate: str
    direction: str
    outcome: str
    device_time: float
    source: str | None = None
    reason: str | None = None
    device_id: str | None = None
    chain_seq: int | None = None
    chain_hash: str | None = None

    def chain(self) -> ChainItem:
        """Its place in its gate's hash chain (as the gate sent it)."""
        return ChainItem(self.scan_id, self.device_id, self.chain_seq, self.chain_hash)

    @property
    def key(self) -> Key:
        """What makes it one scan: the device and its scan id."""
        return self.device_id or "", self.scan_id


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What became of one pushed item."""

    scan_id: str | None
    status: str
    conflict: bool = False
    error: str | None = None
    code: str | None = None


_SCAN_COLUMNS = ("scan_id", "seq", "event_id", "ticket_id", "serial", "type_id", "gate",
                 "direction", "outcome", "device_time", "received_at", "device_id", "source",
                 "reason", "via", "chain_seq", "chain_hash", "time_flag")


def _insert_scans(conn: Connection, rows: list[tuple[object, ...]]) -> None:
    """One statement for the batch on PostgreSQL, a driver-level executemany on SQLite."""
    bulk.insert_rows(conn, s.scans, _SCAN_COLUMNS, rows)


def _existing(conn: Connection, event_id: int, scan_ids: Sequence[str]) -> dict[Key, ChainItem]:
    """Stored scans with these ids, by (device, scan id), with their place in their chain.

    A device belongs to one event; scans of other events are left out.
    """
    sc = s.scans.c
    found: dict[Key, ChainItem] = {}
    for row in bulk.rows_for(conn, sc.scan_id, scan_ids, lambda member: select(
            sc.scan_id, sc.device_id, sc.chain_seq, sc.chain_hash, sc.event_id).where(member),
                             name="ingest.existing"):
        if row.event_id == event_id:
            found[(row.device_id or "", row.scan_id)] = ChainItem(
                row.scan_id, row.device_id, row.chain_seq, row.chain_hash)
    return found


def _stored(sc: ScanIn, existing: dict[Key, ChainItem], by_id: set[str],
            anonymous: set[str]) -> bool:
    """Is this scan already stored? A deviceless import line matches any device's scan."""
    if sc.device_id is None:
        return sc.scan_id in by_id
    return sc.key in existing or sc.scan_id in anonymous


def _types(conn: Connection, event_id: int, ticket_ids: Sequence[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    t = s.tickets.c
    # By primary key only: with `event_id` in the WHERE, SQLite may walk the event index.
    for row in bulk.rows_for(conn, t.ticket_id, ticket_ids, lambda member: select(
            t.ticket_id, t.type_id, t.event_id).where(member), name="ingest.types"):
        if row.event_id == event_id:
            found[row.ticket_id] = row.type_id
    return found


def ingest(store: IssuerStore, event_id: int, items: Sequence[ScanIn | ItemResult], *,
           via: str, now: float) -> list[ItemResult]:
    """Store a batch; `items` holds validated scans, or the rejection of a bad item."""
    scans = [it for it in items if isinstance(it, ScanIn)]
    # A ticket's type never changes once issued, nor an event's creation time: read before
    # the write lock, which every writer waits for (on PostgreSQL one lock for all the
    # workers). The policy read here is the one in force as the batch arrived; editing a
    # policy rechecks nothing, so a batch replayed under it is judged as it would have been
    # a moment earlier.
    with store.snapshot() as conn:
        event = store.event(event_id)
        if event is None:
            raise IssuerError("unknown_event", f"no event {event_id}")
        types = _types(conn, event_id, sorted({sc.ticket_id for sc in scans
                                               if sc.outcome not in UNVERIFIED_OUTCOMES}))
    with store.transaction() as conn:
        existing = _existing(conn, event_id, sorted({sc.scan_id for sc in scans}))
        # Ids this event already holds (from any device), and those held with no device.
        by_id = {sid for (_, sid) in existing}
        anonymous = {sid for (dev, sid) in existing if dev == ""}
        new: dict[Key, ScanIn] = {}
        for sc in scans:
            if sc.key not in new and not _stored(sc, existing, by_id, anonymous):
                new[sc.key] = sc
                by_id.add(sc.scan_id)
                if sc.device_id is None:
                    anonymous.add(sc.scan_id)
        fresh = list(new.values())
        first: int | None = None
        if fresh:
            first = next_seqs(conn, len(fresh))
            _insert_scans(conn, [
                (sc.scan_id, first + i, event_id, sc.ticket_id, sc.serial,
                 None if sc.outcome in UNVERIFIED_OUTCOMES else types.get(sc.ticket_id),
                 sc.gate, sc.direction, sc.outcome, sc.device_time, now, sc.device_id,
                 sc.source, sc.reason, via, sc.chain_seq, sc.chain_hash,
                 time_flag(sc.device_time, event_created=event.created_at, received_at=now))
                for i, sc in enumerate(fresh)])
        for device_id in sorted({sc.device_id for sc in scans if sc.device_id is not None}):
            checkpoints.record(
                conn, [sc.chain() for sc in scans if sc.device_id == device_id],
                {sid: item for (dev, sid), item in existing.items() if dev == device_id},
                {sid for (dev, sid) in new if dev == device_id}, now, stored_from=first)
        moved = sorted({sc.ticket_id for sc in scans
                        if sc.outcome in MOVEMENT_OUTCOMES or sc.outcome == UNDONE})
        conflicted = conflicts.recheck(conn, event_id, event.policy, moved, now)
    results: list[ItemResult] = []
    for it in items:
        if isinstance(it, ItemResult):
            results.append(it)
            continue
        stored = new.get(it.key) is it  # the first of its key in the batch, and new
        flag = (it.ticket_id in conflicted and it.outcome in ENTRY_ADMITS
                and it.direction == "entry")
        results.append(ItemResult(it.scan_id, STORED if stored else DUPLICATE, flag))
    if fresh:
        log.debug("stored %d scans (%s) for event %d", len(fresh), via, event_id)
    return results

