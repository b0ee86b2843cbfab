"""`Ledger.status()` is a typed `LedgerStatus`; its `to_json` is `gatescan status --json`'s."""

from __future__ import annotations

import dataclasses
import json

import pytest

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.status import EventRef, LedgerStatus

# The ledger's part of `gatescan status --json`, in the order scripts have always seen.
KEYS = ["path", "schema_version", "event", "manifest_sequence", "manifest_generated_at",
        "last_import", "tickets", "revoked_tickets", "revocations", "scans",
        "scans_by_outcome", "admitted", "pending_uploads", "rejected_uploads",
        "upload_conflicts", "local_only_scans"]


def test_an_empty_ledger_has_no_event_and_keeps_the_json_keys(ledger: Ledger) -> None:
    status = ledger.status()
    assert status.event is None and status.tickets == 0 and status.scans_by_outcome == {}
    data = status.to_json()
    assert list(data) == KEYS and data["event"] is None and data["scans_by_outcome"] == {}
    json.dumps(data)  # JSON-ready as it is


def test_a_loaded_ledger_reports_its_event_as_before(loaded: Ledger) -> None:
    status = loaded.status()
    assert status.event == EventRef(7, "Test Festival") and status.manifest_sequence == 1
    data = status.to_json()
    assert list(data) == KEYS
    assert data["event"] == {"event_id": 7, "name": "Test Festival"}
    assert data["path"] == str(loaded.path) and data["tickets"] == status.tickets == 6


def test_the_status_is_frozen(loaded: Ledger) -> None:
    status = loaded.status()
    assert isinstance(status, LedgerStatus)
    with pytest.raises(dataclasses.FrozenInstanceError):
        status.tickets = 0  # type: ignore[misc]
