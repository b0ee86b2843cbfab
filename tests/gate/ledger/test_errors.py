"""Known environment failures become `LedgerError`, never a green verdict for an unrecorded scan."""

from __future__ import annotations

import io
import sqlite3

import pytest

from gatescan.gate.ledger.errors import LedgerError, translated
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.verdict import Outcome
from tests.factories import T0, Issuer
from tests.gate.ledger.util import all_rows

GATE = GateContext("Gate 1")


def test_disk_full_is_a_typed_error_and_no_green(loaded: Ledger, issuer: Issuer) -> None:
    """max_page_count makes SQLite hit SQLITE_FULL for real, as a full disk would."""
    pages = loaded.conn.execute("PRAGMA page_count").fetchone()[0]
    loaded.conn.execute(f"PRAGMA max_page_count = {pages}")
    returned = []
    with pytest.raises(LedgerError) as err:
        for i in range(5000):
            returned.append(loaded.redeem(issuer.issue(0x10_0000 + i).token(T0), T0, GATE))
    assert err.value.code == "disk_full"
    assert isinstance(err.value.__cause__, sqlite3.OperationalError)
    assert not loaded.conn.in_transaction
    # Everything that returned a verdict is on disk; the failed scan is not.
    recorded = {r["scan_id"] for r in all_rows(loaded.conn, "scans")}
    assert recorded == {r.scan_id for r in returned}
    assert all(r.verdict.outcome is Outcome.ADMITTED for r in returned)
    assert loaded.verify_chain().ok
    # Space comes back: the gate works again, the chain goes on.
    loaded.conn.execute("PRAGMA max_page_count = 1000000")
    again = loaded.redeem(issuer.issue(0x10_0000 + len(returned)).token(T0), T0, GATE)
    assert again.verdict.outcome is Outcome.ADMITTED and loaded.verify_chain().ok


def test_disk_full_during_import_leaves_ledger_usable(loaded: Ledger, issuer: Issuer) -> None:
    pages = loaded.conn.execute("PRAGMA page_count").fetchone()[0]
    loaded.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    big = issuer.manifest([(i, 1, 0, "seat") for i in range(1, 20_001)], sequence=2)
    with pytest.raises(LedgerError) as err:
        loaded.import_manifest(io.BytesIO(big))
    assert err.value.code == "disk_full"
    assert loaded.status().manifest_sequence == 1 and loaded.status().tickets == 6


def test_read_only_ledger(loaded: Ledger, issuer: Issuer) -> None:
    loaded.conn.execute("PRAGMA query_only = ON")
    token = issuer.issue(0x1001).token(T0)
    with pytest.raises(LedgerError) as err:
        loaded.redeem(token, T0, GATE)
    assert err.value.code == "read_only"
    assert loaded.redeem(token, T0, GATE, dry_run=True).verdict.admit  # checking still works


def test_locked_past_the_timeout(loaded: Ledger, issuer: Issuer) -> None:
    holder = sqlite3.connect(loaded.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Ledger(loaded.path, busy_timeout=0.2) as impatient, \
                pytest.raises(LedgerError) as err:
            impatient.redeem(issuer.issue(0x1001).token(T0), T0, GATE)
        assert err.value.code == "locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert loaded.status().scans == 0


def test_bugs_are_not_disguised_as_environment_errors(loaded: Ledger) -> None:
    with pytest.raises(sqlite3.OperationalError), translated():
        loaded.conn.execute("SELECT no_such_column FROM tickets")
