"""Validating scan items one by one, so one bad item never rejects the rest of its batch.

A pushed batch is validated in one pass while all its items are well formed (the
usual case); if any is not, each item is validated on its own, so every item gets
the result and message it would get alone.

Besides its shape, an item must be in scope: for the pushing device's event,
at the device's own gate (any gate of the event plan if it has none), never
a gate the plan does not list. A refusal carries a stable reason code
(`REASONS`) and a message; it rejects only its item.
"""

from __future__ import annotations

from collections.abc import Sequence
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
        self._push_batch = TypeAdapter(list[ScanItem])
        self._import = TypeAdapter(ImportItem)

    def check(self, raw: Any, *, policy: EventPolicy, device_id: str | None,
              device_gate: str | None = None,
              known_devices: set[str] | None = None) -> ScanIn | ItemResult:
        """One item: a push item when `known_devices` is None, else an import line.

        `device_gate`: the pushing device's gate (None: unassigned, or an import).
        """
        scan_id = raw.get("scan_id") if isinstance(raw, dict) else None
        scan_id = scan_id if isinstance(scan_id, str) and len(scan_id) == 32 else None
        adapter = self._push if known_devices is None else self._import
        try:
            item = adapter.validate_python(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err.get("loc", ())) or "item"
            return refusal(scan_id, INVALID, f"{where}: {err.get('msg', 'invalid')}")
        return _in_scope(item, scan_id, policy, device_id, device_gate, known_devices, {})

    def check_push(self, raws: Sequence[Any], *, policy: EventPolicy, device_id: str,
                   device_gate: str | None) -> list[ScanIn | ItemResult]:
        """A pushed batch, item by item: what `check` gives for each, validated in one pass
        while every item is well formed (the usual case)."""
        try:
            items = self._push_batch.validate_python(raws)
        except ValidationError:  # some item is not: each on its own, for its own message
            return [self.check(raw, policy=policy, device_id=device_id,
                               device_gate=device_gate) for raw in raws]
        gates: dict[str, str | tuple[str, str]] = {}
        # A valid item's scan id is the raw item's string (the pattern takes no other).
        return [_in_scope(item, item.scan_id, policy, device_id, device_gate, None, gates)
                for item in items]


def _in_scope(item: ScanItem, scan_id: str | None, policy: EventPolicy, device_id: str | None,
              device_gate: str | None, known_devices: set[str] | None,
              gates: dict[str, str | tuple[str, str]]) -> ScanIn | ItemResult:
    """A well-formed item for this event and gate as `ScanIn`, else its refusal; `gates`
    remembers the verdict on each gate name (the same for every item of a batch)."""
    event_id = policy.event_id
    if item.event_id is not None and item.event_id != event_id:
        return refusal(scan_id, WRONG_EVENT, f"scan is for event {item.event_id}, "
                       f"not {event_id}")
    if isinstance(item, ImportItem) and item.device_id is not None:
        if known_devices is not None and item.device_id not in known_devices:
            return refusal(scan_id, UNKNOWN_DEVICE,
                           f"event {event_id} has no device {item.device_id}")
        device_id = item.device_id
    gate = gates.get(item.gate)
    if gate is None:
        gate = gates[item.gate] = _gate(policy, item.gate, device_gate)
    if isinstance(gate, tuple):
        return refusal(scan_id, *gate)
    # The fields of `item.to_wire()`, without building that record first (the pattern
    # proved the ticket id's range).
    return ScanIn(item.scan_id, int(item.ticket_id, 16), item.serial, gate, item.direction,
                  item.outcome.value, item.device_time, item.source, item.reason, device_id,
                  item.seq, item.hash)


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

