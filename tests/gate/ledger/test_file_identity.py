"""The ledger file is the one on disk: a deleted, replaced or damaged file is never "recorded"."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.verify.view import GateContext
from tests.factories import T0, Issuer

GATE = GateContext("Gate 1")
WAYS = ["delete", "replace", "move_away", "delete_wal"]  # how the file goes


def _redeem(ledger: Ledger, issuer: Issuer, ticket: int) -> str | None:
    return ledger.redeem(issuer.issue(ticket).token(T0), T0, GATE).scan_id


@pytest.mark.parametrize("how", WAYS)
def test_a_file_gone_under_the_open_ledger_records_nothing(
        loaded: Ledger, issuer: Issuer, tmp_path: Path, how: str) -> None:
    assert _redeem(loaded, issuer, 0x1001) is not None
    path = loaded.path
    if how == "delete":
        path.unlink()
    elif how == "replace":
        other = tmp_path / "other.db"
        shutil.copyfile(path, other)
        os.replace(other, path)
    elif how == "move_away":
        path.rename(tmp_path / "moved.db")
    else:
        path.with_name(path.name + "-wal").unlink()
    with pytest.raises(LedgerError) as err:
        _redeem(loaded, issuer, 0x1002)
    assert err.value.code == "ledger_gone"
    with pytest.raises(LedgerError):  # and it stays that way: every later scan too
        loaded.redeem_manual(0x1002, T0, GATE)
    with pytest.raises(LedgerError):
        loaded.update_sync_state({"x": "1"})


def test_the_same_file_keeps_recording(loaded: Ledger, issuer: Issuer) -> None:
    """No false alarm: a second connection, a checkpoint and a WAL restart change nothing."""
    with Ledger(loaded.path) as other:
        other.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert _redeem(other, issuer, 0x1002) is not None
    for n in range(3):
        assert _redeem(loaded, issuer, 0x1003 + n) is not None
    assert loaded.status().scans == 4


def _damage_page(path: Path, table: str) -> None:
    """Overwrite the b-tree page header of `table`'s root page (the file is checkpointed)."""
    conn = sqlite3.connect(path)
    root, page_size = conn.execute(
        "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_master "
        "WHERE name = ?", (table,)).fetchone()
    conn.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\x07\xff\xff\xff\xff\xff\xff\xff")


def test_a_damaged_btree_page_is_refused_at_open(tmp_path: Path, manifest: Path) -> None:
    path = tmp_path / "damaged.db"
    with Ledger(path) as led:
        led.import_manifest(manifest)
    _damage_page(path, "tickets")
    with pytest.raises(LedgerError) as err:
        Ledger(path)
    assert err.value.code == "ledger_damaged"
    assert "gatescan recover" in err.value.message


def test_a_damaged_schema_page_is_a_ledger_error(tmp_path: Path, manifest: Path) -> None:
    """SQLite quotes the damaged schema text in its message; the stdlib cannot decode it."""
    path = tmp_path / "schema.db"
    with Ledger(path) as led:
        led.import_manifest(manifest)
    data = bytearray(path.read_bytes())
    at = data.index(b"CREATE TABLE tickets")
    data[at + 7:at + 12] = b"\xd6\xff\xfe\xd6\xff"
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerError) as err:
        Ledger(path)
    assert err.value.code == "ledger_damaged"


def test_text_that_is_not_utf8_is_a_ledger_error(loaded: Ledger) -> None:
    loaded.conn.execute("UPDATE sync_state SET value = value")  # a write path still works
    loaded.conn.execute("INSERT INTO settings VALUES ('x', CAST(x'c3ff41' AS TEXT))")
    with pytest.raises(LedgerError) as err:
        loaded.setting("x")
    assert err.value.code == "corrupt"
