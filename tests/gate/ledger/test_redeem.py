"""Redemption: the verdict comes from the ledger's data and the scan is on disk first."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.verify.view import GateContext, Movement
from gatescan.protocol.verdict import Outcome
from tests.factories import T0, Issuer

GATE = GateContext("Gate 1", device_id="gate-1-a")


def scan_rows(path: Path) -> dict[str, sqlite3.Row]:
    """The scan log as another process would see it: a separate connection."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = {r["scan_id"]: r for r in conn.execute("SELECT * FROM scans")}
    conn.close()
    return rows


def test_scan_is_committed_before_redeem_returns(loaded: Ledger, issuer: Issuer) -> None:
    r = loaded.redeem(issuer.issue(0x1001).token(T0), T0 + 0.25, GATE, source="camera")
    assert r.verdict.outcome is Outcome.ADMITTED and r.recorded and r.seq == 1
    assert not loaded.conn.in_transaction
    row = scan_rows(loaded.path)[r.scan_id]  # type: ignore[index]
    assert (row["ticket_id"], row["serial"], row["event_id"]) == (0x1001, 0, 7)
    assert (row["gate"], row["device_id"], row["direction"]) == ("Gate 1", "gate-1-a", "entry")
    assert (row["outcome"], row["admit"], row["source"], row["uploaded"]) == (
        "admitted", 1, "camera", 0)
    assert row["device_time"] == T0 + 0.25
    assert row["reason"] == r.verdict.reason
    assert len(row["scan_id"]) == 32 and int(row["scan_id"], 16) >= 0


def test_every_scan_is_logged_refusals_and_garbage_too(loaded: Ledger,
                                                       issuer: Issuer) -> None:
    token = issuer.issue(0x1001).token(T0)
    outcomes = [loaded.redeem(t, T0, g).verdict.outcome for t, g in [
        (token, GATE),
        (token, GateContext("Gate 2", device_id="gate-2")),
        ("definitely not a ticket", GATE),
        (b"\xff\xfe", GATE),
        (issuer.issue(0x1002).token(T0 - 600), GATE),
    ]]
    assert outcomes == [Outcome.ADMITTED, Outcome.ALREADY_USED, Outcome.MALFORMED,
                        Outcome.MALFORMED, Outcome.STALE_CODE]
    rows = sorted(scan_rows(loaded.path).values(), key=lambda r: r["seq"])
    assert [r["outcome"] for r in rows] == [o.value for o in outcomes]
    assert [r["admit"] for r in rows] == [1, 0, 0, 0, 0]
    assert rows[2]["ticket_id"] is None and rows[2]["event_id"] is None
    assert rows[1]["ticket_id"] == 0x1001
    status = loaded.status()
    assert status.scans == 5 and status.pending_uploads == 3  # unparseable codes stay
    assert status.local_only_scans == 2
    assert status.scans_by_outcome == {"admitted": 1, "already_used": 1, "malformed": 2,
                                          "stale_code": 1}


def test_dry_run_writes_nothing(loaded: Ledger, issuer: Issuer) -> None:
    token = issuer.issue(0x1001).token(T0)
    r = loaded.redeem(token, T0, GATE, dry_run=True)
    assert r.verdict.outcome is Outcome.ADMITTED and not r.recorded and r.scan_id is None
    assert loaded.status().scans == 0
    assert loaded.redeem(token, T0, GATE).verdict.outcome is Outcome.ADMITTED


def test_revoked_and_superseded_from_the_manifest(loaded: Ledger, issuer: Issuer) -> None:
    refunded = loaded.redeem(issuer.issue(0x2002).token(T0), T0, GATE).verdict
    assert refunded.outcome is Outcome.REVOKED and "refunded" in refunded.reason
    old = loaded.redeem(issuer.issue(0x3003, serial=1).token(T0), T0, GATE).verdict
    assert old.outcome is Outcome.SUPERSEDED
    current = loaded.redeem(issuer.issue(0x3003, serial=2).token(T0), T0, GATE).verdict
    assert current.outcome is Outcome.ADMITTED


def test_revocation_of_an_unlisted_ticket(loaded: Ledger, issuer: Issuer) -> None:
    data = issuer.manifest([], [(0xAAAA, None, "chargeback"), (0xBBBB, 1, "transferred")],
                           sequence=2)
    loaded.import_manifest(io.BytesIO(data))
    v = loaded.redeem(issuer.issue(0xAAAA).token(T0), T0, GATE).verdict
    assert v.outcome is Outcome.REVOKED and "chargeback" in v.reason
    assert loaded.redeem(issuer.issue(0xBBBB, serial=0).token(T0), T0,
                         GATE).verdict.outcome is Outcome.SUPERSEDED
    assert loaded.redeem(issuer.issue(0xBBBB, serial=1).token(T0), T0,
                         GATE).verdict.outcome is Outcome.REVOKED
    # An unlisted ticket nobody revoked is admitted (the event allows unlisted tickets).
    assert loaded.redeem(issuer.issue(0xCCCC).token(T0), T0,
                         GATE).verdict.outcome is Outcome.ADMITTED


def test_movements_are_admissions_and_exits_oldest_first(loaded: Ledger,
                                                         issuer: Issuer) -> None:
    phone = issuer.issue(0x4004, type_id=6)
    exit_gate = GateContext("Gate 2", direction="exit", device_id="gate-2")
    steps = [(T0, GATE, Outcome.ADMITTED), (T0 + 100, exit_gate, Outcome.EXIT_RECORDED),
             (T0 + 200, GATE, Outcome.ADMITTED)]
    for t, gate, expected in steps:
        assert loaded.redeem(phone.token(t), t, gate).verdict.outcome is expected
    loaded.redeem(phone.token(T0 + 201), T0 + 201, GATE)  # repeat read: not a movement
    loaded.redeem("garbage", T0 + 202, GATE)
    assert loaded.movements(0x4004) == [
        Movement(float(T0), "Gate 1", "entry", "gate-1-a"),
        Movement(float(T0 + 100), "Gate 2", "exit", "gate-2"),
        Movement(float(T0 + 200), "Gate 1", "entry", "gate-1-a"),
    ]
    assert loaded.movements(0x1001) == []


def test_group_ticket_admits_its_size(loaded: Ledger, issuer: Issuer) -> None:
    phone = issuer.issue(0x5005, type_id=3)
    got = [loaded.redeem(phone.token(T0 + i * 10), T0 + i * 10, GATE).verdict.outcome
           for i in range(4)]
    assert got == [Outcome.ADMITTED] * 3 + [Outcome.ALREADY_USED]


def test_empty_ledger_refuses_everything_and_logs_it(ledger: Ledger, issuer: Issuer) -> None:
    v = ledger.redeem(issuer.issue(0x1001).token(T0), T0, GATE).verdict
    assert not v.admit and v.outcome is Outcome.WRONG_EVENT
    assert ledger.status().scans == 1 and ledger.status().event is None


def test_bad_arguments_are_bugs_not_verdicts(loaded: Ledger, issuer: Issuer) -> None:
    token = issuer.issue(0x1001).token(T0)
    with pytest.raises(ValueError):
        loaded.redeem(token, T0, GATE, source="telepathy")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        loaded.redeem(token, float("nan"), GATE)
    assert loaded.status().scans == 0
