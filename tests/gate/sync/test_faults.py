"""A bad network or a failing server never loses or doubles a scan (checked by count and id)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from gatescan.gate.sync.client import make_http_client
from gatescan.gate.sync.engine import SyncConfig, SyncEngine
from gatescan.gate.sync.status import SyncStatus
from tests.gate.sync.conftest import Gate, Venue
from tests.gate.sync.faults import CUT, DELAY, DROP, PASS, REFUSE, TWICE, FaultProxy, FlakyServer

SCANS = 115  # four batches of 30
BATCH = 30
READ_TIMEOUT = 2.5  # long enough for a loaded CI machine; the DELAY fault waits longer


def _flaky_http() -> httpx.Client:
    # A short read timeout (the proxy's delay is longer) and one connection per request,
    # so each proxy fault hits exactly one request.
    return make_http_client(httpx.Timeout(READ_TIMEOUT, connect=1.0),
                            limits=httpx.Limits(max_keepalive_connections=0))


def _scan_offline(venue: Venue, gate: Gate, count: int) -> set[str]:
    now = time.time()
    tokens = [venue.token(t, now) for t in venue.demo["tickets"]]
    for i in range(count):
        gate.scan(tokens[i % len(tokens)], now + i * 0.01)
    with gate.ledger() as ledger:
        ids = {r[0] for r in ledger.conn.execute("SELECT scan_id FROM scans WHERE uploaded = 0")}
    assert len(ids) == count
    return ids


def _drain(engine: SyncEngine, rounds: int = 40) -> list[SyncStatus]:
    seen = []
    for _ in range(rounds):
        st = engine.sync_once()
        seen.append(st)
        if st.online and st.pending_uploads == 0:
            return seen
    raise AssertionError(f"still pending after {rounds} rounds: {seen[-1]}")


def _exactly_once(venue: Venue, local: set[str]) -> None:
    held = [s["scan_id"] for s in venue.scans()]
    assert len(held) == len(local)  # by count...
    assert set(held) == local  # ...and by id


@pytest.fixture
def proxied(venue: Venue, make_gate: Any) -> Any:
    proxy = FaultProxy(venue.server.port, delay=READ_TIMEOUT + 1.0).start()
    gate = make_gate("gate", http=_flaky_http(), config=SyncConfig(batch_size=BATCH))
    gate.enroll(venue.handshake("Behind a bad network", "Gate 1", url=proxy.url))
    yield proxy, gate
    proxy.stop()


@pytest.mark.parametrize("fault", [REFUSE, DROP, DELAY, CUT, TWICE])
def test_each_network_fault_leaves_every_scan_stored_once(venue: Venue, proxied: Any,
                                                          fault: str) -> None:
    proxy, gate = proxied
    local = _scan_offline(venue, gate, SCANS)
    proxy.fail_next(fault, PASS, fault, fault)  # batch 1, then batch 2 twice, ...
    rounds = _drain(gate.engine)
    assert proxy.seen[fault] == 3
    if fault != TWICE:  # a duplicated delivery is answered: the round goes on
        assert sum(not st.online for st in rounds) == 3
        assert rounds[0].offline_since is not None and rounds[0].pending_uploads == SCANS
        assert rounds[1].pending_uploads == SCANS - BATCH  # batch 1 went through, batch 2 not
    _exactly_once(venue, local)


def test_a_storm_of_mixed_faults(venue: Venue, proxied: Any) -> None:
    proxy, gate = proxied
    local = _scan_offline(venue, gate, SCANS)
    proxy.fail_next(CUT, DROP, TWICE, DELAY, CUT, PASS, REFUSE, CUT, TWICE, CUT)
    _drain(gate.engine)
    assert not proxy.plan
    _exactly_once(venue, local)


@pytest.mark.parametrize("mode", [FlakyServer.BEFORE, FlakyServer.AFTER])
def test_server_500s_before_or_after_storing(venue: Venue, make_gate: Any, mode: str) -> None:
    flaky = FlakyServer()
    venue.server.stop()
    venue.server.wrap = flaky.wrap
    venue.server.start()
    gate = make_gate("gate", config=SyncConfig(batch_size=BATCH))
    gate.enroll(venue.handshake("Flaky", "Gate 1"))
    local = _scan_offline(venue, gate, SCANS)
    flaky.fail_next(mode, mode, mode)
    rounds = _drain(gate.engine)
    assert flaky.seen[mode] == 3 and not rounds[0].online
    assert rounds[0].error is not None and "500" in rounds[0].error
    _exactly_once(venue, local)


class Crash(BaseException):
    """The gate process dying (not an error the engine may handle)."""


@pytest.mark.parametrize(("stage", "held"), [("answered", 1), ("pushed", 2)])
def test_gate_crash_between_send_and_acknowledgement(venue: Venue, make_gate: Any, stage: str,
                                                     held: int) -> None:
    """The gate dies with batch 1 answered but not recorded: before batch 2 is sent
    ("answered"), or after (the server stores batch 2 too; "pushed"). Nothing is lost,
    nothing is stored twice."""
    gate = make_gate("gate", config=SyncConfig(batch_size=BATCH))
    gate.enroll(venue.handshake("Crashy", "Gate 1"))
    local = _scan_offline(venue, gate, SCANS)

    def die(at: str) -> None:
        if at == stage:
            raise Crash

    gate.engine.crash_hook = die
    with pytest.raises(Crash):
        gate.engine.sync_once()
    # The server stored what it was sent (the push in flight finishes as the round
    # unwinds); the gate never heard of any of it.
    assert len(venue.scans()) == held * BATCH
    # A new process: nothing in memory, everything from the ledger.
    reborn = SyncEngine(gate.settings, gate.http, config=SyncConfig(batch_size=BATCH))
    assert reborn.status().pending_uploads == SCANS
    _drain(reborn)
    _exactly_once(venue, local)
