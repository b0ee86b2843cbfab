"""The scan log's hash chain: verifies when intact, points at the first tampered row."""

from __future__ import annotations

import sqlite3

import pytest

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.schema import GENESIS_HASH
from gatescan.gate.verify.view import GateContext
from tests.factories import T0, Issuer
from tests.gate.ledger.util import all_rows


@pytest.fixture
def logged(loaded: Ledger, issuer: Issuer) -> Ledger:
    """A ledger with five scans in its log."""
    gate = GateContext("Gate 1")
    for i, tid in enumerate([0x1001, 0x1002, 0x1001, 0x2002]):
        loaded.redeem(issuer.issue(tid).token(T0 + i * 10), T0 + i * 10, gate)
    loaded.redeem("garbage", T0 + 50, gate)
    return loaded


def raw(ledger: Ledger) -> sqlite3.Connection:
    """A second connection with the append-only triggers dropped: the attacker's view."""
    conn = sqlite3.connect(ledger.path, isolation_level=None)
    conn.execute("DROP TRIGGER scans_no_update")
    conn.execute("DROP TRIGGER scans_no_delete")
    return conn


def test_intact_chain_verifies(logged: Ledger) -> None:
    report = logged.verify_chain()
    assert report.ok and report.scans == 5 and report.problem is None
    rows = list(logged.conn.execute("SELECT seq, prev_hash, hash FROM scans ORDER BY seq"))
    assert rows[0][1] == GENESIS_HASH
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, 5))
    assert report.head == rows[-1][2]


def test_empty_chain_verifies(ledger: Ledger) -> None:
    assert ledger.verify_chain().ok


@pytest.mark.parametrize("edit", [
    "UPDATE scans SET outcome = 'admitted', admit = 1 WHERE seq = 3",
    "UPDATE scans SET device_time = device_time - 3600 WHERE seq = 3",
    "UPDATE scans SET gate = 'Gate 2' WHERE seq = 3",
    "UPDATE scans SET reason = 'ok' WHERE seq = 3",
])
def test_edited_row_is_detected(logged: Ledger, edit: str) -> None:
    conn = raw(logged)
    conn.execute(edit)
    conn.close()
    report = logged.verify_chain()
    assert not report.ok and report.bad_seq == 3 and report.scans == 2
    assert "altered" in (report.problem or "")


def test_edit_with_recomputed_hash_breaks_the_next_link(logged: Ledger) -> None:
    from gatescan.gate.ledger.chain import HASHED_COLUMNS, row_hash
    conn = raw(logged)
    conn.execute("UPDATE scans SET outcome = 'admitted', admit = 1 WHERE seq = 3")
    values = conn.execute(f"SELECT {', '.join(HASHED_COLUMNS)}, prev_hash FROM scans "
                          "WHERE seq = 3").fetchone()
    conn.execute("UPDATE scans SET hash = ? WHERE seq = 3", (row_hash(values[-1], values[:-1]),))
    conn.close()
    report = logged.verify_chain()
    assert not report.ok and report.bad_seq == 4


def test_deleted_row_is_detected(logged: Ledger) -> None:
    conn = raw(logged)
    conn.execute("DELETE FROM scans WHERE seq = 2")
    conn.close()
    report = logged.verify_chain()
    assert not report.ok and report.bad_seq == 3 and "missing" in (report.problem or "")


def test_uploaded_flag_is_outside_the_chain(logged: Ledger) -> None:
    logged.record_upload_results([r["scan_id"] for r in all_rows(logged.conn, "scans")])
    assert logged.verify_chain().ok


def test_chain_continues_across_processes_and_reopen(logged: Ledger, issuer: Issuer) -> None:
    with Ledger(logged.path) as other:
        other.redeem(issuer.issue(0x1002).token(T0 + 99), T0 + 99, GateContext("Gate 2"))
    logged.redeem(issuer.issue(0x3003, serial=2).token(T0 + 99), T0 + 99, GateContext("Gate 1"))
    report = logged.verify_chain()
    assert report.ok and report.scans == 7
