"""What the server tells a gate about itself in every sync answer, and the rollback flag.

A server restored from an older backup forgets scans it acknowledged, ticket
changes it fed, and the numbers it handed out; nothing in the restored database
shows it. The gates remember. So every push and pull answer carries a small
`server` object a gate can check against what it was told before:

- `instance_id`: made once with the store (schema v6). A copy or a restore of the
  same database keeps it; a fresh or another database has another one.
- `head`: the newest change number the server has handed out.
- `chain`: the highest place in this gate's hash-chained scan log the server
  holds (`{"seq", "hash"}`, null before the first push): the checkpoint of
  `gatescan.server.checkpoints`.

A gate that finds the server behind what it acknowledged reports it
(`POST /api/v1/device/server-rollback`); the server also flags a device itself
when the device's feed cursor is ahead of everything it has handed out
(`cursor_ahead`). The flag (`devices.server_rollback`, JSON) is shown on the
device objects and as a banner on the dashboard; it stays (it is history: the
organizer has to re-apply the refunds and transfers made after the backup).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import select, update

from gatescan.server.storage import schema as s
from gatescan.server.storage.changelog import current_seq
from gatescan.server.store import IssuerStore

log = logging.getLogger(__name__)

MAX_SKIP = 100_000_000  # how far a cursor_ahead may move the numbering at once


def instance_id(store: IssuerStore) -> str:
    """The store's instance id (made by migration 6)."""
    with store.snapshot() as conn:
        return str(conn.execute(select(s.server_instance.c.instance_id)).scalar_one())


def server_view(store: IssuerStore, device_id: str) -> dict[str, Any]:
    """The `server` object of a push or pull answer for this device."""
    d = s.devices.c
    with store.snapshot() as conn:
        instance = conn.execute(select(s.server_instance.c.instance_id)).scalar_one()
        head = current_seq(conn)
        row = conn.execute(select(d.chain_seq, d.chain_hash)
                           .where(d.device_id == device_id)).first()
    chain = None
    if row is not None and row.chain_seq is not None and row.chain_hash is not None:
        chain = {"seq": int(row.chain_seq), "hash": row.chain_hash}
    return {"instance_id": str(instance), "head": int(head), "chain": chain}


def flag_rollback(store: IssuerStore, device_id: str, report: dict[str, Any], *,
                  now: float) -> dict[str, Any]:
    """Record that this device found the server behind (the first report is kept; counted)."""
    d = s.devices.c
    with store.transaction() as conn:
        row = conn.execute(select(d.server_rollback).where(d.device_id == device_id)).first()
        if row is None:
            return report
        found: dict[str, Any] = json.loads(row.server_rollback) if row.server_rollback else {
            **report, "detected_at": now, "reports": 0}
        found["reports"] = int(found.get("reports", 0)) + 1
        found["last_at"] = now
        if report.get("resent"):
            found["resent"] = int(found.get("resent") or 0) + int(report["resent"])
        conn.execute(update(s.devices).where(d.device_id == device_id)
                     .values(server_rollback=json.dumps(found, sort_keys=True)))
    log.error("device %s found this server behind what it had acknowledged (%s): was it "
              "restored from an older backup? %s", device_id, report.get("kind"),
              {k: v for k, v in report.items() if k != "kind"})
    return found


def skip_past(store: IssuerStore, seen: int) -> None:
    """Number every later change above `seen`, a number a gate holds from before a restore.

    This server handed those numbers out once for changes it no longer has; a new
    change that took one of them would hide below that gate's cursor. The jump is
    bounded, so a device cannot push the numbering out of the cursors' range.
    """
    c = s.counters.c
    with store.transaction() as conn:
        current = conn.execute(select(c.value).where(c.name == "change")).scalar_one()
        if current < seen <= current + MAX_SKIP:
            conn.execute(update(s.counters).where(c.name == "change").values(value=seen))


def rollback_of(row: Any) -> dict[str, Any] | None:
    """The rollback flag stored on a `devices` row, if any."""
    raw = getattr(row, "server_rollback", None)
    if not raw:
        return None
    found: dict[str, Any] = json.loads(raw)
    return found
