"""The sync engine against a scripted server (httpx.MockTransport): results, failures, states."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.replica import UnsentScan
from gatescan.gate.sync.client import SyncClient
from gatescan.gate.sync.clock import GateClock
from gatescan.gate.sync.credentials import Credentials
from gatescan.gate.sync.engine import SyncConfig, SyncEngine, _results
from gatescan.gate.sync.status import ClockState
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.token import format_ticket_id
from gatescan.protocol.wire import MAX_PUSH, MAX_PUSH_ADVERTISED, PushAnswer, PushResult
from tests.factories import T0
from tests.gate.sync.fake import DEVICE, TOKEN, FakeServer, enrolled_gate, error

GATE = GateContext("Gate 1", "entry", DEVICE)
TICKETS = (0x1001, 0x1002, 0x3003, 0x4004, 0x5005)


def scan(engine: SyncEngine, server: FakeServer, count: int) -> list[str]:
    """Record `count` scans at the gate (cycling through the listed tickets)."""
    ids = []
    with Ledger(engine.settings.ledger_path) as ledger:
        for i in range(count):
            tid = TICKETS[i % len(TICKETS)]
            serial = 2 if tid == 0x3003 else 0
            token = server.issuer.issue(tid, serial=serial).token(T0 + i)
            sid = ledger.redeem(token, T0 + i, GATE, source="camera").scan_id
            assert sid is not None
            ids.append(sid)
    return ids


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def engine(tmp_path: Path, server: FakeServer) -> SyncEngine:
    return enrolled_gate(tmp_path / "gate", server, config=SyncConfig(batch_size=4))


def test_push_in_batches_then_pull(engine: SyncEngine, server: FakeServer) -> None:
    ids = scan(engine, server, 10)
    st = engine.sync_once()
    assert st.online and st.pending_uploads == 0 and st.error is None
    assert [len(p) for p in server.pushes] == [4, 4, 2]
    assert list(server.stored) == ids
    item = server.stored[ids[0]]
    assert item["device_time"] == T0 and item["gate"] == "Gate 1"  # the scan's time, not now
    paths = [r.url.path for r in server.requests]
    assert paths[-1] == "/api/v1/device/changes" and "/api/v1/device/manifest" not in paths
    assert engine.last_report.pushed == 10


@pytest.mark.parametrize(("header", "sizes"), [
    (None, [4, 4, 4, 1]),        # a server from before the header: the gate's own batch
    ("2", [2] * 6 + [1]),         # said in every answer (the round's first request is /me)
    ("99999999999", [4, 4, 4, 1]),  # a server that overstates: never over the gate's batch
    ("0", [4, 4, 4, 1]), ("two", [4, 4, 4, 1]),
])
def test_batches_follow_the_push_limit_the_server_states(
        engine: SyncEngine, server: FakeServer, header: str | None, sizes: list[int]) -> None:
    server.max_push = header
    ids = scan(engine, server, 13)
    assert engine.sync_once().pending_uploads == 0
    assert [len(p) for p in server.pushes] == sizes
    assert list(server.stored) == ids


def test_a_gate_pushes_up_to_what_the_server_takes_and_1000_until_it_says() -> None:
    assert SyncConfig().batch_size == MAX_PUSH_ADVERTISED == 5000
    with httpx.Client() as http:
        assert SyncClient(http, "http://127.0.0.1:1").push_limit == MAX_PUSH == 1000


def test_rejected_item_is_kept_reported_and_not_retried(engine: SyncEngine,
                                                         server: FakeServer) -> None:
    ids = scan(engine, server, 9)
    bad = ids[1]
    server.reject = lambda item: "ticket_id: unknown format" if item["scan_id"] == bad else None
    st = engine.sync_once()
    assert st.online and st.pending_uploads == 0 and st.rejected_uploads == 1
    assert set(server.stored) == set(ids) - {bad}  # the rest of the queue went on
    pushed = len(server.pushes)
    engine.sync_once()
    assert len(server.pushes) == pushed  # not sent again, round after round
    with Ledger(engine.settings.ledger_path) as ledger:
        assert [s.scan_id for s in ledger.iter_unsent()] == [bad]  # still in the export
    assert engine.retry_rejected() == 1
    server.reject = lambda item: None
    assert engine.sync_once().rejected_uploads == 0 and set(server.stored) == set(ids)


def test_duplicated_foreign_and_missing_results(engine: SyncEngine, server: FakeServer) -> None:
    ids = scan(engine, server, 4)

    def messy(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/scans"):
            items = json.loads(request.content)["scans"]
            ok = [{"scan_id": i["scan_id"], "status": "stored", "conflict": False,
                   "error": None} for i in items[:2]]
            return server.answer({"results": ok + ok + [
                {"scan_id": "f" * 32, "status": "stored"},  # never sent
                {"scan_id": items[2]["scan_id"], "status": "weird"},
                "not even an object"]})
        return None

    server.before = messy
    st = engine.sync_once()
    assert st.pending_uploads == 2  # the two without a usable result wait for the next round
    with Ledger(engine.settings.ledger_path) as ledger:
        assert [s.scan_id for s in ledger.unsent_scans()] == ids[2:]
    server.before = None
    assert engine.sync_once().pending_uploads == 0 and set(server.stored) == set(ids[2:])


def refusing_batches_with(poison: str) -> Callable[[httpx.Request], httpx.Response | None]:
    """A server hook that refuses, as malformed, any push whose body holds `poison`."""

    def strict(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/scans") and poison.encode() in request.content:
            return error(422, "invalid_request", "body is not valid")
        return None

    return strict


def test_a_batch_refused_whole_is_split_to_find_the_bad_item(engine: SyncEngine,
                                                             server: FakeServer) -> None:
    ids = scan(engine, server, 8)
    poison = ids[5]

    server.before = refusing_batches_with(poison)
    st = engine.sync_once()
    assert st.online and st.pending_uploads == 0 and st.rejected_uploads == 1
    assert set(server.stored) == set(ids) - {poison}


def test_a_split_batch_is_stored_before_the_next_batch_is_sent(engine: SyncEngine,
                                                                server: FakeServer) -> None:
    ids = scan(engine, server, 12)  # batches of 4: the second one holds the bad item
    poison = ids[5]

    server.before = refusing_batches_with(poison)
    assert engine.sync_once().pending_uploads == 0
    assert list(server.stored) == [i for i in ids if i != poison]  # log order, halves first
    assert [len(p) for p in server.pushes] == [4, 1, 2, 4]  # accepted pushes: the split between


def test_interrupt_stops_the_push_after_the_batch_in_flight(engine: SyncEngine,
                                                            server: FakeServer) -> None:
    ids = scan(engine, server, 20)

    def stop_on_second(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/scans") and len(server.pushes) == 1:
            engine.interrupt()  # shutdown asked while batch 2 is with the server
        return None

    server.before = stop_on_second
    st = engine.sync_once()
    assert [len(p) for p in server.pushes] == [4, 4]  # batch 2 answered, no batch 3 sent
    assert st.online and st.pending_uploads == 12 and list(server.stored) == ids[:8]
    server.before = None
    assert engine.sync_once().pending_uploads == 0 and list(server.stored) == ids


@pytest.mark.parametrize("failure", ["500", "timeout", "refused", "garbage"])
def test_trouble_means_offline_with_backoff_and_nothing_lost(engine: SyncEngine,
                                                             server: FakeServer,
                                                             failure: str) -> None:
    ids = scan(engine, server, 6)

    def trouble(request: httpx.Request) -> httpx.Response:
        if failure == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if failure == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if failure == "garbage":
            return httpx.Response(200, text="<html>captive portal</html>")
        return httpx.Response(500, text="oops")

    server.before = trouble
    delays = []
    for _ in range(8):
        st = engine.sync_once()
        delays.append(engine.next_delay())
        assert not st.online and st.pending_uploads == 6 and st.offline_since is not None
    assert st.error is not None and st.error.startswith("offline")
    assert delays[0] < delays[3] and max(delays) <= engine.config.backoff_max * 1.2
    first_down = engine.status().offline_since
    server.before = None
    st = engine.sync_once()
    assert st.online and st.pending_uploads == 0 and st.offline_since is None
    assert engine.next_delay() == engine.config.interval and first_down is not None
    assert set(server.stored) == set(ids)


def test_revoked_device_wipes_event_data_and_says_so(engine: SyncEngine,
                                                     server: FakeServer) -> None:
    scan(engine, server, 3)
    server.before = lambda r: error(403, "device_revoked", "revoked")
    st = engine.sync_once()
    assert st.device_revoked and not st.enrolled
    assert st.error is not None and "wiped" in st.error and "3 unsent scans" in st.error
    assert Credentials.load(engine.settings.data_dir) is None
    with Ledger(engine.settings.ledger_path) as ledger:
        status = ledger.status()
        assert status.event is None and status.tickets == 0 and status.scans == 3
    asked = len(server.requests)
    assert engine.sync_once().device_revoked and len(server.requests) == asked  # no network


def test_unknown_token_asks_to_enroll_again(engine: SyncEngine, server: FakeServer) -> None:
    server.before = lambda r: error(401, "unauthenticated")
    st = engine.sync_once()
    assert st.online and st.error is not None and "enroll" in st.error


def test_pull_pages_until_done_and_survives_a_bad_change(engine: SyncEngine,
                                                         server: FakeServer) -> None:
    tid = format_ticket_id(0x7007)
    server.pages = {
        "10": {"changes": [{"seq": 11, "kind": "ticket", "ticket_id": tid, "type_id": 1,
                            "serial": 0, "seat": "Q-1"}, {"seq": 12, "kind": "bogus"}],
               "cursor": "12", "more": True},
        "12": {"changes": [{"seq": 13, "kind": "scan", "scan_id": "ab" * 16, "ticket_id": tid,
                            "serial": 0, "gate": "Gate 2", "direction": "entry",
                            "outcome": "admitted", "device_time": T0 - 5,
                            "device_id": "dev_00000000000b"}], "cursor": "13", "more": False},
    }
    st = engine.sync_once()
    assert st.online and engine.last_report.pulled == 3 and engine.last_report.remote_scans == 1
    with Ledger(engine.settings.ledger_path) as ledger:
        assert ledger.sync_state("cursor") == "13"
        assert [m.gate for m in ledger.movements(0x7007)] == ["Gate 2"]


def test_cursor_refused_pulls_the_manifest_again(engine: SyncEngine, server: FakeServer) -> None:
    def ahead(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/changes") and request.url.params["cursor"] == "10":
            return error(409, "cursor_ahead", "cursor is ahead of this server")
        return None

    server.before = ahead
    server.manifest_cursor = "4.0"
    st = engine.sync_once()
    assert st.online and engine.last_report.manifest
    # A cursor ahead of the server: it lost what it handed out (restored from a backup?)
    assert st.server_rollback is not None and st.server_rollback["kinds"] == ["cursor_ahead"]
    assert st.error is not None and "behind" in st.error
    with Ledger(engine.settings.ledger_path) as ledger:
        assert ledger.sync_state("cursor") == "4.0"
    assert engine.acknowledge_rollback() and engine.status().error is None


def test_first_sync_pulls_the_manifest(tmp_path: Path, server: FakeServer) -> None:
    engine = enrolled_gate(tmp_path / "g", server, cursor=None)
    st = engine.sync_once()
    assert st.online and engine.last_report.manifest
    with Ledger(engine.settings.ledger_path) as ledger:
        assert ledger.sync_state("cursor") == "10.0"


def test_clock_offset_is_learned_and_unset_clock_detected(tmp_path: Path,
                                                          server: FakeServer) -> None:
    wall = [T0 - 86400 * 30.0]  # a Pi that booted a month in the past
    boot = [100.0]
    clock = GateClock(wall=lambda: wall[0], boot=lambda: boot[0], boot_id_fn=lambda: "boot-1")
    engine = enrolled_gate(tmp_path / "g", server, clock=clock)
    before = engine.status()
    assert before.clock_state is ClockState.UNSET and before.clock_offset is None
    server.server_time = T0 + 10
    after = engine.sync_once()
    assert after.clock_state is ClockState.SYNCED
    assert after.clock_offset == pytest.approx(86400 * 30 + 10)
    boot[0] += 60
    wall[0] += 60
    assert engine.now() == pytest.approx(T0 + 70)
    assert after.last_sync == pytest.approx(T0 + 10)  # recorded in server time
    # Another process on the same boot reuses the offset; after a reboot it does not.
    same = GateClock(wall=lambda: wall[0], boot=lambda: boot[0], boot_id_fn=lambda: "boot-1")
    other = GateClock(wall=lambda: wall[0], boot=lambda: 5.0, boot_id_fn=lambda: "boot-2")
    assert SyncEngine(engine.settings, None, clock=same).status().clock_state is ClockState.SYNCED
    assert SyncEngine(engine.settings, None, clock=other).status().clock_state is ClockState.UNSET


def test_token_never_reaches_the_logs(engine: SyncEngine, server: FakeServer,
                                      caplog: pytest.LogCaptureFixture) -> None:
    scan(engine, server, 2)
    caplog.set_level(logging.DEBUG)
    engine.sync_once()
    server.before = lambda r: error(403, "device_revoked")
    engine.sync_once()
    assert caplog.records and TOKEN not in caplog.text
    assert TOKEN not in repr(Credentials("u", DEVICE, TOKEN, 1))


def test_not_enrolled_is_a_state_not_an_error(tmp_path: Path) -> None:
    from gatescan.gate.settings import ScannerSettings

    engine = SyncEngine(ScannerSettings(tmp_path / "none"), None)
    st = engine.sync_once()
    assert not st.enrolled and not st.online and st.pending_uploads == 0


def test_status_reports_counts_without_network(engine: SyncEngine, server: FakeServer,
                                               ) -> None:
    scan(engine, server, 3)
    asked = len(server.requests)
    st = engine.status()
    assert st.enrolled and st.pending_uploads == 3 and len(server.requests) == asked
    # Never synced, and the wall clock is not behind what the ledger has seen.
    assert not st.online and st.clock_state is ClockState.UNSYNCED and st.clock_offset is None
    data: dict[str, Any] = st.to_dict()
    assert json.loads(json.dumps(data)) == data  # JSON-ready, as `gatescan status --json` needs
    assert (data["clock_state"], data["pending_uploads"], data["enrolled"]) == ("unsynced", 3,
                                                                                True)


_SENT = [f"{i:032x}" for i in range(1, 5)]
_result = st.one_of(
    st.fixed_dictionaries({"scan_id": st.sampled_from([*_SENT, "f" * 32, None, 7]),
                           "status": st.sampled_from(["stored", "duplicate", "rejected", "x",
                                                      None]),
                           "conflict": st.sampled_from([True, False, "yes", None]),
                           "error": st.one_of(st.none(), st.text(max_size=500))}),
    st.none(), st.integers(), st.text(max_size=5))


@example(results=[{"scan_id": None, "status": "stored", "conflict": False, "error": None}] * 4)
@given(results=st.lists(_result, max_size=12))
def test_only_a_named_stored_or_duplicate_result_acknowledges_a_scan(results: list[Any]) -> None:
    batch = [UnsentScan(i, sid, 7, 0x1001, 0, DEVICE, "Gate 1", "entry", "admitted", "ok",
                        T0, "camera", "0" * 64) for i, sid in enumerate(_SENT, 1)]
    # Read as the client reads an answer: a result that is not the protocol is Unreadable.
    read = PushAnswer.from_json({"results": results}).results
    acked, rejected, conflicts = _results(batch, read)
    named_ok = {r.scan_id for r in read if isinstance(r, PushResult)
                and r.status in ("stored", "duplicate") and r.scan_id in _SENT}
    assert set(acked) == named_ok
    assert not set(acked) & {sid for sid, _ in rejected}  # acknowledged wins over rejected
    assert set(conflicts) <= set(acked) and all(len(err) <= 300 for _, err in rejected)
    assert {sid for sid, _ in rejected} <= set(_SENT)


def test_a_full_disk_is_a_reported_failure_not_a_crash(tmp_path: Path, server: FakeServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import tempfile

    engine = enrolled_gate(tmp_path / "g", server, cursor=None)

    def full(*args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", full)
    st = engine.sync_once()
    assert st.error is not None and "No space left" in st.error
    monkeypatch.undo()
    assert engine.sync_once().error is None
