"""`gatescan export-scans`: the unsent scans as a JSON Lines file, for when there is no network.

Each line is a push item (docs/sync-protocol.md) with the gate's device id and,
for people reading the file, `local_time`: the device time as ISO 8601 with the
event's UTC offset (the server ignores it). The organizer imports the file
with `gatescan-server scans import FILE`, the console's "Import scans" page or
`POST /api/v1/admin/events/{id}/scans/import` (gatescan.protocol.scan_export reads it
back there), which stores each scan id
once: importing the file twice, or importing it and then letting the gate sync,
stores every scan exactly once.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.sync.credentials import DEVICE_ID
from gatescan.protocol.clock import EventZone, format_iso
from gatescan.protocol.files import atomic_writer
from gatescan.protocol.scan_export import jsonl_line

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExportResult:
    """How many scans went into the file, and the events they belong to."""

    scans: int
    event_ids: tuple[int, ...]


def write_scans(ledger: Ledger, out: IO[str], device_id: str | None) -> ExportResult:
    """Write every unsent scan to `out`, one JSON object per line, in log order."""
    count = 0
    events: set[int] = set()
    server_id = device_id if device_id is not None and DEVICE_ID.fullmatch(device_id) else None
    zones: dict[int | None, EventZone] = {}
    for scan in ledger.iter_unsent():
        item = scan.as_item()
        if scan.event_id not in zones:
            policy = None if scan.event_id is None else ledger.event(scan.event_id)
            zones[scan.event_id] = EventZone.of(policy)
        item["local_time"] = format_iso(scan.device_time, zones[scan.event_id])
        # The scan's own device if the server knows it, else this gate's server id.
        device = scan.device_id if DEVICE_ID.fullmatch(scan.device_id) else server_id
        if device is not None:
            item["device_id"] = device
        out.write(jsonl_line(item))
        count += 1
        if scan.event_id is not None:
            events.add(scan.event_id)
    return ExportResult(count, tuple(sorted(events)))


def export_scans(ledger: Ledger, path: Path, device_id: str | None) -> ExportResult:
    """Write the file atomically (a half-written file on a pulled USB stick helps nobody)."""
    with atomic_writer(path, mode=None) as raw:  # mode=None: a USB stick has no Unix modes
        out = io.TextIOWrapper(raw, encoding="ascii", newline="\n")
        result = write_scans(ledger, out, device_id)
        out.flush()
        out.detach()
    log.info("exported %d unsent scans to %s", result.scans, path)
    return result
