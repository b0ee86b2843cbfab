"""Checkpoints of each gate's hash-chained scan log: the anchor outside the device.

A gate's scan log (docs/ledger.md) is hash-chained, but someone holding the
device can rewrite the chain from an edited row to the end, or cut rows off,
and the file alone shows nothing. Every pushed scan carries its `seq` and
`hash` in that chain; the server stores them with the scan and keeps, per
device, the highest (seq, hash) pushed since the device enrolled. A scan that
arrives with a hash for a `seq` the device already pushed with another hash (a
rewritten or shortened log), or an already-stored scan that comes back at
another place in the chain, marks the device `chain_mismatch` for the
organizer. The scan is still stored: nothing is ever dropped.

Enrolling again (a new SD card starts a new log) starts the comparison afresh;
scans pushed before are kept but no longer compared.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, select, update

from gatescan.server.storage import bulk
from gatescan.server.storage import schema as s

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChainItem:
    """A stored or pushed scan's place in its gate's chain."""

    scan_id: str
    device_id: str | None
    seq: int | None
    hash: str | None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The highest (seq, hash) of a device's chain the server holds, and when it moved."""

    seq: int
    hash: str
    at: float


def checkpoint_of(row: Any) -> Checkpoint | None:
    """The checkpoint stored on a `devices` row, if it has one."""
    if row.chain_seq is None or row.chain_hash is None:
        return None
    return Checkpoint(int(row.chain_seq), row.chain_hash, float(row.chain_at or 0.0))


def mismatch_of(row: Any) -> dict[str, Any] | None:
    """The first chain mismatch recorded on a `devices` row, if any."""
    if not row.chain_mismatch:
        return None
    found: dict[str, Any] = json.loads(row.chain_mismatch)
    return found


def record(conn: Connection, pushed: Sequence[ChainItem], stored_before: Mapping[str, ChainItem],
           fresh: set[str], now: float, *, stored_from: int | None = None) -> None:
    """Compare a stored batch with the devices' chains; move checkpoints, flag mismatches.

    `pushed`: the batch's valid items; `stored_before`: scans of the batch that
    were already stored, as stored; `fresh`: scan ids this batch stored, in the
    order of `pushed`; `stored_from`: the first `seq` this batch's scans took (the
    scans stored before it are then the only ones read back). Call in the write
    transaction that stored the batch.
    """
    by_device: dict[str, list[ChainItem]] = defaultdict(list)
    for item in pushed:
        if item.device_id is not None and item.seq is not None and item.hash is not None:
            by_device[item.device_id].append(item)
    for device_id, items in by_device.items():
        _device(conn, device_id, items, stored_before, fresh, now, stored_from)


def _first_at(conn: Connection, device_id: str, seqs: list[int], since: float,
              below: int | None) -> dict[int, ChainItem]:
    """For each chain seq, the first scan the device stored there since it enrolled
    (and, with `below`, before the scan numbered `below`)."""
    sc = s.scans.c
    first: dict[int, ChainItem] = {}
    wanted = [sc.device_id == device_id, sc.received_at >= since]
    if below is not None:
        wanted.append(sc.seq < below)
    for part in bulk.chunks(conn, seqs):
        for row in conn.execute(
                select(sc.scan_id, sc.chain_seq, sc.chain_hash)
                .where(and_(bulk.member(conn, sc.chain_seq, part), *wanted))
                .order_by(sc.seq)):
            first.setdefault(row.chain_seq, ChainItem(row.scan_id, device_id, row.chain_seq,
                                                      row.chain_hash))
    return first


def _device(conn: Connection, device_id: str, items: list[ChainItem],
            stored_before: Mapping[str, ChainItem], fresh: set[str], now: float,
            stored_from: int | None) -> None:
    d = s.devices.c
    row = conn.execute(select(d.enrolled_at, d.chain_seq, d.chain_hash, d.chain_at,
                              d.chain_mismatch, d.chain_mismatches)
                       .where(d.device_id == device_id)).first()
    if row is None:
        return
    first = _first_at(conn, device_id, sorted({it.seq for it in items if it.seq is not None
                                               and it.scan_id in fresh}),
                      row.enrolled_at or 0.0, stored_from)
    placed: set[str] = set()
    for it in items:  # this batch's scans come after every scan stored before it, in order
        if it.scan_id in fresh and it.scan_id not in placed and it.seq is not None:
            placed.add(it.scan_id)  # its first copy in the batch is the one stored
            first.setdefault(it.seq, it)
    found: list[dict[str, Any]] = []
    consistent: list[ChainItem] = []
    judged: set[str] = set()
    for it in items:
        if it.scan_id in judged:
            continue  # the same scan twice in one batch
        judged.add(it.scan_id)
        before = stored_before.get(it.scan_id)
        if before is not None:
            # Already stored: judged when it was; a different place now means a rewrite.
            if before.device_id == device_id and before.seq is not None and \
                    (before.seq, before.hash) != (it.seq, it.hash):
                found.append(_mismatch(it, before, now))
            else:
                consistent.append(it)
            continue
        if it.scan_id not in fresh:
            continue
        earlier = first.get(it.seq) if it.seq is not None else None
        if earlier is not None and earlier.scan_id != it.scan_id and earlier.hash != it.hash:
            found.append(_mismatch(it, earlier, now))
        else:
            consistent.append(it)
    values: dict[str, Any] = {}
    top = max(consistent, key=lambda it: it.seq or 0, default=None)
    if top is not None and top.seq is not None and (row.chain_seq is None
                                                    or top.seq > row.chain_seq):
        values.update(chain_seq=top.seq, chain_hash=top.hash, chain_at=now)
    if found:
        if row.chain_mismatch is None:
            values["chain_mismatch"] = json.dumps(found[0], sort_keys=True)
        values["chain_mismatches"] = (row.chain_mismatches or 0) + len(found)
        log.warning("device %s pushed %d scan(s) whose hash-chain place disagrees with what it "
                    "pushed before (first: seq %s): its scan log was rewritten or replaced",
                    device_id, len(found), found[0]["seq"])
    if values:
        conn.execute(update(s.devices).where(d.device_id == device_id).values(**values))


def _mismatch(pushed: ChainItem, stored: ChainItem, now: float) -> dict[str, Any]:
    return {"seq": pushed.seq, "scan_id": pushed.scan_id, "pushed_hash": pushed.hash,
            "stored_seq": stored.seq, "stored_hash": stored.hash,
            "stored_scan_id": stored.scan_id, "detected_at": now}
