"""Validating scan items one by one, so one bad item never rejects the rest of its batch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import TypeAdapter, ValidationError

from server_stub.api.sync_models import ImportItem, ScanItem
from server_stub.ingest import REJECTED, ItemResult, ScanIn

MAX_LINE = 64 * 1024


class ItemChecker:
    """Turns raw JSON items into `ScanIn` or a rejection with a reason."""

    def __init__(self) -> None:
        self._push = TypeAdapter(ScanItem)
        self._import = TypeAdapter(ImportItem)

    def check(self, raw: Any, *, event_id: int, device_id: str | None,
              known_devices: set[str] | None = None) -> ScanIn | ItemResult:
        """One item: a push item when `known_devices` is None, else an import line."""
        scan_id = raw.get("scan_id") if isinstance(raw, dict) else None
        scan_id = scan_id if isinstance(scan_id, str) and len(scan_id) == 32 else None
        adapter = self._push if known_devices is None else self._import
        try:
            item = adapter.validate_python(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err.get("loc", ())) or "item"
            return ItemResult(scan_id, REJECTED, error=f"{where}: {err.get('msg', 'invalid')}")
        if item.event_id is not None and item.event_id != event_id:
            return ItemResult(scan_id, REJECTED, error=f"scan is for event {item.event_id}, "
                              f"not {event_id}")
        if isinstance(item, ImportItem) and item.device_id is not None:
            if known_devices is not None and item.device_id not in known_devices:
                return ItemResult(scan_id, REJECTED,
                                  error=f"event {event_id} has no device {item.device_id}")
            device_id = item.device_id
        # The pattern already proved 16 hex digits below 2**63.
        return ScanIn(item.scan_id, int(item.ticket_id, 16), item.serial, item.gate,
                      item.direction, item.outcome.value, item.device_time, item.source,
                      item.reason, device_id, item.seq, item.hash)


def jsonl_items(body: bytes) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, parsed JSON or None, error) for each non-blank line of a JSON Lines file."""
    for number, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE:
            yield number, None, f"line is longer than {MAX_LINE} bytes"
            continue
        try:
            yield number, json.loads(line), None
        except (ValueError, RecursionError):
            yield number, None, "not a JSON object"
