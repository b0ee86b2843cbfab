"""The scan log's hash chain: verifies when intact, points at the first tampered row."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.gate.ledger.chain import new_scan_id
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


def test_scan_ids_are_unguessable_hex_that_sort_in_the_order_they_were_made(
        loaded: Ledger, issuer: Issuer) -> None:
    # Time-ordered ids land together in every scan_id index (the server's idempotency key):
    # random ids cost one index page per scan in a pushed batch.
    gate = GateContext("Gate 1")
    for i in range(40):
        loaded.redeem(issuer.issue(0x3000 + i).token(T0 + i), T0 + i, gate)
    ids = [r[0] for r in loaded.conn.execute("SELECT scan_id FROM scans ORDER BY seq")]
    assert all(len(sid) == 32 and int(sid, 16) >= 0 and sid == sid.lower() for sid in ids)
    assert len(set(ids)) == len(ids)
    assert [sid[:12] for sid in ids] == sorted(sid[:12] for sid in ids)


@given(st.integers(min_value=0, max_value=2**48 - 2), st.integers(min_value=1, max_value=10**6))
def test_a_later_millisecond_makes_a_larger_scan_id(ms: int, later: int) -> None:
    first = new_scan_id(ms * 1_000_000 + 999_999)
    second = new_scan_id(min(ms + later, 2**48 - 1) * 1_000_000)
    assert first < second and first[:12] == f"{ms:012x}"
    assert new_scan_id(ms * 1_000_000)[12:] != new_scan_id(ms * 1_000_000)[12:]  # 80 random bits
