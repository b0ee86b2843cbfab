"""Validating scan items one by one, so one bad item never rejects the rest of its batch.

Besides its shape, an item must be in scope: for the pushing device's event,
at the device's own gate (any gate of the event plan if it has none), never
a gate the plan does not list. A refusal carries a stable reason code
(`REASONS`) and a message; it rejects only its item.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from gatescan.protocol.policy import EventPolicy
from gatescan.server.api.sync_models import ImportItem, ScanItem
from gatescan.server.ingest import REJECTED, ItemResult, ScanIn

INVALID = "invalid"
WRONG_EVENT = "wrong_event"
WRONG_GATE = "wrong_gate"
UNKNOWN_GATE = "unknown_gate"
UNKNOWN_DEVICE = "unknown_device"
REASONS = (INVALID, WRONG_EVENT, WRONG_GATE, UNKNOWN_GATE, UNKNOWN_DEVICE)


def refusal(scan_id: str | None, code: str, message: str) -> ItemResult:
    """A rejected item with its reason code and a message for people."""
    return ItemResult(scan_id, REJECTED, error=message, code=code)


class ItemChecker:
    """Turns raw JSON items into `ScanIn` or a rejection with a reason."""

    def __init__(self) -> None:
        self._push = TypeAdapter(ScanItem)
        self._import = TypeAdapter(ImportItem)

    def check(self, raw: Any, *, policy: EventPolicy, device_id: str | None,
              device_gate: str | None = None,
              known_devices: set[str] | None = None) -> ScanIn | ItemResult:
        """One item: a push item when `known_devices` is None, else an import line.

        `device_gate`: the pushing device's gate (None: unassigned, or an import).
        """
        event_id = policy.event_id
        scan_id = raw.get("scan_id") if isinstance(raw, dict) else None
        scan_id = scan_id if isinstance(scan_id, str) and len(scan_id) == 32 else None
        adapter = self._push if known_devices is None else self._import
        try:
            item = adapter.validate_python(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err.get("loc", ())) or "item"
            return refusal(scan_id, INVALID, f"{where}: {err.get('msg', 'invalid')}")
        if item.event_id is not None and item.event_id != event_id:
            return refusal(scan_id, WRONG_EVENT, f"scan is for event {item.event_id}, "
                           f"not {event_id}")
        if isinstance(item, ImportItem) and item.device_id is not None:
            if known_devices is not None and item.device_id not in known_devices:
                return refusal(scan_id, UNKNOWN_DEVICE,
                               f"event {event_id} has no device {item.device_id}")
            device_id = item.device_id
        gate = _gate(policy, item.gate, device_gate)
        if isinstance(gate, tuple):
            return refusal(scan_id, *gate)
        scan = item.to_wire()
        return ScanIn(scan.scan_id, scan.ticket_id, scan.serial, gate, scan.direction,
                      scan.outcome, scan.device_time, scan.source, scan.reason, device_id,
                      scan.seq, scan.hash)


def _gate(policy: EventPolicy, named: str, device_gate: str | None) -> str | tuple[str, str]:
    """The event's spelling of the scan's gate, or (reason code, message)."""
    found = policy.gate(named)
    if device_gate is not None:
        if named.casefold() != device_gate.casefold():
            return WRONG_GATE, f"this device scans at {device_gate!r}, not {named[:100]!r}"
        return found.name if found is not None else device_gate
    if found is not None:
        return found.name
    if policy.gates:
        return UNKNOWN_GATE, f"event {policy.event_id} has no gate {named[:100]!r}"
    return named  # an event plan without gates: any gate name

