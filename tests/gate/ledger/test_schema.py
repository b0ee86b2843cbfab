"""Schema, pragmas, migrations, and the engine-level append-only guard on scans."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.schema import MIGRATIONS, migrate, schema_version
from gatescan.gate.verify.view import GateContext
from tests.factories import T0, Issuer
from tests.gate.ledger.util import ROOT, all_rows, indexes, table_names


def test_wal_and_full_sync_are_set(ledger: Ledger) -> None:
    assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ledger.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert ledger.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert ledger.conn.isolation_level is None  # we issue BEGIN/COMMIT ourselves


def test_wal_mode_persists_in_the_file(tmp_path: Path) -> None:
    Ledger(tmp_path / "l.db").close()
    raw = sqlite3.connect(tmp_path / "l.db")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_new_file_gets_latest_schema(ledger: Ledger) -> None:
    assert schema_version(ledger.conn) == len(MIGRATIONS)
    assert set(table_names(ledger.conn)) >= {"events", "keys", "tickets", "revocations",
                                             "scans", "sync_state", "settings"}
    indexed = indexes(ledger.conn, "scans")
    assert ("scans_ticket", ("ticket_id",)) in indexed
    assert ("scans_uploaded", ("uploaded",)) in indexed


def test_older_file_is_migrated_keeping_its_data(tmp_path: Path) -> None:
    """A file at version 1 opened by a program that knows version 2 is upgraded in place."""
    path = tmp_path / "old.db"
    with Ledger(path) as led:
        led.conn.execute("INSERT INTO settings VALUES ('gate', 'Gate 1')")
    applied: list[int] = []

    def v2_add_note(conn: sqlite3.Connection) -> None:
        applied.append(schema_version(conn))
        conn.execute("ALTER TABLE settings ADD COLUMN note TEXT")

    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, (*MIGRATIONS, v2_add_note)) == len(MIGRATIONS) + 1
    assert migrate(conn, (*MIGRATIONS, v2_add_note)) == len(MIGRATIONS) + 1  # idempotent
    assert applied == [len(MIGRATIONS)]
    assert conn.execute("SELECT key, value, note FROM settings").fetchall() == [
        ("gate", "Gate 1", None)]
    conn.close()


def test_failed_migration_leaves_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    Ledger(path).close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("migration bug")

    conn = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(RuntimeError):
        migrate(conn, (*MIGRATIONS, broken))
    assert schema_version(conn) == len(MIGRATIONS)
    assert "half_done" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()


def test_file_from_newer_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Ledger(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(LedgerError) as err:
        Ledger(path)
    assert err.value.code == "schema_too_new"


def test_scans_cannot_be_updated_or_deleted(loaded: Ledger, issuer: Issuer) -> None:
    loaded.redeem(issuer.issue(0x1001).token(T0), T0, GateContext("Gate 1"))
    for sql in ("UPDATE scans SET outcome = 'admitted'", "UPDATE scans SET device_time = 0",
                "DELETE FROM scans"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            loaded.conn.execute(sql)
    assert loaded.record_upload_results([r["scan_id"] for r in all_rows(loaded.conn, "scans")]) == 1
    assert loaded.status().pending_uploads == 0


def test_open_errors_are_typed(tmp_path: Path) -> None:
    (tmp_path / "junk.db").write_bytes(b"not a database " * 400)
    with pytest.raises(LedgerError) as err:
        Ledger(tmp_path / "junk.db")
    assert err.value.code == "ledger_damaged"  # found at open: the message says how to recover
    with pytest.raises(LedgerError) as err:
        Ledger(tmp_path / "missing-dir" / "ledger.db")
    assert err.value.code == "cant_open"


def test_sync_state_and_settings(ledger: Ledger, tmp_path: Path) -> None:
    assert ledger.sync_state("cursor") is None
    ledger.set_sync_state("cursor", "42")
    ledger.set_setting("gate", "Gate 2")
    with Ledger(ledger.path) as again:
        assert (again.sync_state("cursor"), again.setting("gate")) == ("42", "Gate 2")
    ledger.set_sync_state("cursor", None)
    assert ledger.sync_state("cursor") is None


def test_no_sqlite_utils_at_run_time() -> None:
    """The gate's ledger and the server's SQLite files are plain `sqlite3`: sqlite-utils
    (and its click, dateutil, tabulate, fts4 helpers) is not loaded by either."""
    code = ("import sys, gatescan.gate.ledger.ledger, gatescan.gate.ledger.reports\n"
            "import gatescan.server.db, gatescan.demo.phones, gatescan.server.store\n"
            "print(','.join(sorted(m for m in sys.modules if m.startswith('sqlite_utils'))))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""
