"""A gate reports its app version and unsent scans; the server's device list shows them."""

from __future__ import annotations

import time
from typing import Any

import pytest

from gatescan.gate import __version__
from gatescan.gate.sync.engine import SyncConfig
from gatescan.protocol.verdict import Outcome
from tests.gate.sync.conftest import Venue


class Cut(Exception):
    """The gate loses power right after its first batch is acknowledged."""


def _device(venue: Venue, device_id: str) -> dict[str, Any]:
    found = [d for d in venue.cli("device", "list", "--event", str(venue.event_id))["devices"]
             if d["device_id"] == device_id]
    assert len(found) == 1
    return found[0]


def test_pending_uploads_and_app_version_reach_the_device_list(
        venue: Venue, make_gate: Any) -> None:
    gate = make_gate("north", config=SyncConfig(batch_size=2))
    device_id = gate.enroll(venue.handshake("North")).device_id
    assert _device(venue, device_id)["pending_uploads"] == 0  # enrollment ran a first round
    now = time.time()
    for i, ticket in enumerate(venue.demo["tickets"][:5]):
        assert gate.scan(venue.token(ticket, now + i), now + i).outcome is Outcome.ADMITTED

    def cut(stage: str) -> None:
        raise Cut(stage)

    gate.engine.crash_hook = cut
    with pytest.raises(Cut):
        gate.engine.sync_once()  # said "5 unsent", then pushed 2 and died
    seen = _device(venue, device_id)
    assert seen["app_version"] == __version__ and seen["pending_uploads"] == 5
    gate.engine.crash_hook = None
    assert gate.engine.sync_once().error is None
    seen = _device(venue, device_id)
    assert seen["pending_uploads"] == 0 and seen["app_version"] == __version__
    assert len([s for s in venue.scans() if s["device_id"] == device_id]) == 5
