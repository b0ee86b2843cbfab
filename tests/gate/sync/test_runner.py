"""The background runner: rounds on an interval, right after a scan when online, backoff offline."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.sync.engine import SyncConfig
from gatescan.gate.sync.runner import SyncRunner
from gatescan.gate.sync.status import SyncStatus
from gatescan.gate.verify.view import GateContext
from tests.factories import T0
from tests.gate.sync.fake import DEVICE, FakeServer, enrolled_gate

GATE = GateContext("Gate 1", "entry", DEVICE)


def wait_for(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_new_scan_is_pushed_at_once_while_online(tmp_path: Path) -> None:
    server = FakeServer()
    config = SyncConfig(interval=3600, watch_interval=0.05)
    engine = enrolled_gate(tmp_path / "g", server, config=config)
    statuses: list[SyncStatus] = []
    runner = SyncRunner(engine, on_status=statuses.append)
    runner.start()
    try:
        wait_for(lambda: statuses and statuses[-1].online)
        # Another process (the UI, `gatescan check`) records a scan: it goes up within moments.
        with Ledger(engine.settings.ledger_path) as ledger:
            sid = ledger.redeem(server.issuer.issue(0x1001).token(T0), T0, GATE).scan_id
        wait_for(lambda: runner.rounds == 2, timeout=5)  # not the hour-long interval
        assert sid in server.stored
        runner.request_sync()
        wait_for(lambda: runner.rounds == 3, timeout=5)
    finally:
        assert runner.stop()


def test_offline_backs_off_and_recovers(tmp_path: Path) -> None:
    server = FakeServer()
    down = threading.Event()
    down.set()

    def unreachable(request: httpx.Request) -> httpx.Response | None:
        if down.is_set():
            raise httpx.ConnectError("no route to host", request=request)
        return None

    server.before = unreachable
    config = SyncConfig(interval=3600, backoff_min=0.05, backoff_max=0.4, watch_interval=0.02)
    engine = enrolled_gate(tmp_path / "g", server, config=config)
    statuses: list[SyncStatus] = []
    runner = SyncRunner(engine, on_status=statuses.append)
    started = time.monotonic()
    runner.start()
    try:
        wait_for(lambda: len(statuses) >= 6)
        elapsed = time.monotonic() - started
        assert all(not st.online for st in statuses)
        # 0.05 + 0.1 + 0.2 + 0.4 + 0.4 (±20 %): backing off, not spinning.
        assert 0.6 < elapsed < 5
        with Ledger(engine.settings.ledger_path) as ledger:
            ledger.redeem(server.issuer.issue(0x1002).token(T0), T0, GATE)
        runner.request_sync()  # not forced: offline, so it waits for the backoff
        down.clear()
        wait_for(lambda: statuses[-1].online and statuses[-1].pending_uploads == 0)
        assert len(server.stored) == 1
    finally:
        assert runner.stop()
