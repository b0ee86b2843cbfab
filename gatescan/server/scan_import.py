"""Importing a gate's export file (CSV or JSON Lines, off a USB stick): the USB round trip.

The file is read by `gatescan.protocol.scan_export`; each row is checked like a
pushed item (`ItemChecker`, as an import line) and stored through
`gatescan.server.ingest`, so the (device, scan id) idempotency is the sync's own:
importing a file twice, or importing it and letting the gate sync later, stores
every scan once (the rest are `duplicate`). `device_id` names the gate the file
came from when its rows do not (the kiosk's CSV holds the gate's local id). The
console page, `gatescan-server scans import` and the API route all call `import_file`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from gatescan.protocol.scan_export import ExportFile, read_export
from gatescan.server import devices, ingest
from gatescan.server.api.scan_items import INVALID, ItemChecker, refusal
from gatescan.server.errors import IssuerError
from gatescan.server.ingest import ItemResult, ScanIn
from gatescan.server.store import IssuerStore

BATCH = 1000
SKIPPED = "skipped"
SKIP_MESSAGES = {
    "remote": "another gate's scan, which this gate had from the server",
    "unverified": "a code that did not verify: the CSV has no ticket id for it",
}


@dataclass(frozen=True, slots=True)
class LineResult:
    """What became of one row of the file (1-based physical line)."""

    line: int
    scan_id: str | None
    status: str  # stored, duplicate, rejected, skipped
    conflict: bool = False
    error: str | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Totals and one result per row, in file order."""

    event_id: int
    form: str  # csv or jsonl
    results: list[LineResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many rows ended with `status`."""
        return sum(r.status == status for r in self.results)

    @property
    def conflicts(self) -> int:
        """Rows whose admission made (or joined) a conflict."""
        return sum(r.conflict for r in self.results)

    def totals(self) -> dict[str, int]:
        """stored, duplicate, rejected, skipped and conflicts."""
        return {"stored": self.count(ingest.STORED), "duplicate": self.count(ingest.DUPLICATE),
                "rejected": self.count(ingest.REJECTED), "skipped": self.count(SKIPPED),
                "conflicts": self.conflicts}


def import_file(store: IssuerStore, event_id: int, data: bytes | ExportFile, *,
                device_id: str | None = None, checker: ItemChecker | None = None,
                now: float | None = None) -> ImportReport:
    """Store the file's scans for the event.

    Raises `ExportFileError` for a file that is not an export, `IssuerError`
    (`unknown_event`, `unknown_device`) for an event or device that is not there.
    """
    export = data if isinstance(data, ExportFile) else read_export(data)
    event = store.event(event_id)
    if event is None:
        raise IssuerError("unknown_event", f"no event {event_id}")
    known = {d.device_id for d in devices.list_devices(store, event_id)}
    if device_id is not None and device_id not in known:
        raise IssuerError("unknown_device", f"event {event_id} has no device {device_id}")
    checker = checker or ItemChecker()
    items: list[ScanIn | ItemResult] = []
    lines = []
    skipped: dict[int, LineResult] = {}
    for x in export.lines:
        if x.skip is not None:
            skipped[x.line] = LineResult(x.line, x.scan_id, SKIPPED,
                                         error=SKIP_MESSAGES[x.skip], code=x.skip)
            continue
        lines.append(x.line)
        items.append(refusal(x.scan_id, INVALID, x.error or "invalid") if x.item is None else
                     checker.check(x.item, policy=event.policy, device_id=device_id,
                                   known_devices=known))
    stored: list[ItemResult] = []
    for start in range(0, len(items), BATCH):
        stored += ingest.ingest(store, event_id, items[start:start + BATCH], via="import",
                                now=time.time() if now is None else now)
    by_line = {n: LineResult(n, r.scan_id, r.status, r.conflict, r.error, r.code)
               for n, r in zip(lines, stored, strict=True)}
    by_line.update(skipped)
    return ImportReport(event_id, export.form, [by_line[n] for n in sorted(by_line)])
