"""Issuer storage (SQLite and PostgreSQL), key files and the simulated wallet."""

from __future__ import annotations

import sqlite3
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import insert, inspect, text, update

from gatescan.demo.phones import Wallet
from gatescan.protocol.policy import Gate, TicketType
from gatescan.protocol.token import key_id
from gatescan.server import devices, issuer
from gatescan.server.entropy import SeededEntropy
from gatescan.server.errors import IssuerError
from gatescan.server.settings import ServerSettings
from gatescan.server.storage import schema as s
from gatescan.server.storage.engine import SQLITE_WAL_AUTOCHECKPOINT_PAGES, Database
from gatescan.server.storage.migrations import MIGRATIONS, current_version
from gatescan.server.storage.schema import (
    V1_TABLES,
    V4_COLUMNS,
    V4_INDEXES,
    counters,
    schema_version,
)
from gatescan.server.store import IssuerStore


def _event(store: IssuerStore, seed: int = 1) -> int:
    policy = issuer.create_event(store, "Store Test", gates=[Gate("Gate 1")],
                                 ticket_types=[TicketType(1, "General")],
                                 entropy=SeededEntropy(seed), now=1_790_000_000)
    return policy.event_id


def test_database_is_versioned_and_reopens(store: IssuerStore,
                                           settings: ServerSettings) -> None:
    with store.db.read() as conn:
        assert current_version(conn) == len(MIGRATIONS)
    event_id = _event(store)
    store.close()
    with IssuerStore.open(settings) as again:  # reopening does not migrate twice
        assert again.event(event_id) is not None
        with again.db.read() as conn:
            assert current_version(conn) == len(MIGRATIONS)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_file_is_wal(store: IssuerStore) -> None:
    with store.db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        # Pushed batches rewrite the same index pages: checkpointed every 64 MiB of WAL, not
        # SQLite's 4 MB, and the file cut back after a checkpoint.
        assert (conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
                == SQLITE_WAL_AUTOCHECKPOINT_PAGES == 16_384)
        assert conn.exec_driver_sql("PRAGMA journal_size_limit").scalar() == 8 * 1024 * 1024


def test_newer_schema_is_refused(store: IssuerStore, settings: ServerSettings) -> None:
    with store.db.write() as conn:
        conn.execute(update(schema_version).values(version=99))
    with pytest.raises(IssuerError) as err:
        IssuerStore.open(settings)
    assert err.value.code == "schema_too_new"


def test_concurrent_openers_migrate_once(settings: ServerSettings) -> None:
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: IssuerStore.open(settings), range(4)))
    for st in stores:
        with st.db.read() as conn:
            assert current_version(conn) == len(MIGRATIONS)
        st.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_offline_issuer_file_is_migrated_with_its_change_log(settings: ServerSettings) -> None:
    """A data directory written by the sqlite-utils issuer (schema 1) keeps working."""
    settings.ensure_dirs()
    legacy = Database(settings.db_url)
    with legacy.write() as conn:
        for table in V1_TABLES:
            table.create(conn)
        conn.execute(insert(counters).values(name="change", value=0))
    legacy.dispose()
    raw = sqlite3.connect(settings.database_path)
    raw.execute("PRAGMA user_version = 1")
    raw.close()
    with IssuerStore.open(settings) as st:
        with st.db.read() as conn:
            assert current_version(conn) == len(MIGRATIONS)
        event_id = _event(st)
        assert st.last_change(event_id) > 0


def test_schema_3_database_gains_the_chain_columns_and_keeps_its_rows(
        settings: ServerSettings) -> None:
    """Version 4 adds columns to existing tables: on a version 3 database, in place."""
    with IssuerStore.open(settings) as st:
        event_id = _event(st)
        with st.db.write() as conn:
            conn.execute(insert(s.devices).values(device_id="dev_000000000001",
                                                  event_id=event_id, name="old", status="active",
                                                  created_at=1.0))
            for name in V4_INDEXES:
                conn.execute(text(f"DROP INDEX {name}"))
            for table, columns in V4_COLUMNS.items():
                for column in columns:
                    conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
            conn.execute(update(schema_version).values(version=4 - 1))
    with IssuerStore.open(settings) as st:
        with st.db.read() as conn:
            assert current_version(conn) == len(MIGRATIONS)
            seen = inspect(conn)
            for table, columns in V4_COLUMNS.items():
                assert set(columns) <= {c["name"] for c in seen.get_columns(table)}
            indexes = {i["name"] for t in ("scans", "changes") for i in seen.get_indexes(t)}
            assert set(V4_INDEXES) <= indexes
        [device] = devices.list_devices(st, event_id)
        assert device.name == "old" and device.checkpoint is None
        assert device.chain_mismatch is None and device.chain_mismatches == 0


def test_schema_9_database_gains_the_device_reports(settings: ServerSettings) -> None:
    """Version 10: the devices' self-reports, added in place."""
    with IssuerStore.open(settings) as st:
        event_id = _event(st)
        with st.db.write() as conn:
            conn.execute(insert(s.devices).values(device_id="dev_000000000002",
                                                  event_id=event_id, name="nine",
                                                  status="active", created_at=1.0))
            for table, columns in s.V10_COLUMNS.items():
                for column in columns:
                    conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
            conn.execute(update(schema_version).values(version=10 - 1))
    with IssuerStore.open(settings) as st:
        with st.db.read() as conn:
            assert current_version(conn) == len(MIGRATIONS) >= 10
            seen = inspect(conn)
            for table, columns in s.V10_COLUMNS.items():
                assert set(columns) <= {c["name"] for c in seen.get_columns(table)}
            assert "idx_scans_event_time" not in {i["name"] for i in seen.get_indexes("scans")}
        [device] = devices.list_devices(st, event_id)
        assert device.name == "nine"


def test_issuer_key_lives_in_an_owner_only_file(store: IssuerStore,
                                                settings: ServerSettings) -> None:
    event_id = _event(store)
    files = list(settings.keys_dir.glob("*.key"))
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.keys_dir.stat().st_mode) == 0o700
    seed = files[0].read_bytes()
    if store.db.is_sqlite:
        assert stat.S_IMODE(settings.database_path.stat().st_mode) == 0o600
        store.close()  # every connection gone: the checkpoint can empty the WAL
        raw = sqlite3.connect(settings.database_path)
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        assert seed not in settings.database_path.read_bytes()
    assert bytes(store.signing_key(event_id)) == seed


def test_damaged_or_missing_key_file_is_a_clear_error(store: IssuerStore,
                                                      settings: ServerSettings) -> None:
    event_id = _event(store)
    (path,) = settings.keys_dir.glob("*.key")
    path.write_bytes(b"\x01" * 32)
    with pytest.raises(IssuerError) as err:
        store.signing_key(event_id)
    assert err.value.code == "key_damaged"
    path.unlink()
    with pytest.raises(IssuerError) as err:
        store.signing_key(event_id)
    assert err.value.code == "key_missing"


def test_several_keys_per_event_one_active(store: IssuerStore) -> None:
    event_id = _event(store)
    first = store.keys(event_id)[0]
    second = issuer.rotate_key(store, event_id, entropy=SeededEntropy(2), now=1_790_000_100)
    keys = store.keys(event_id)
    assert [k.kid for k in keys] == [first.kid, second.kid]
    assert [k.state for k in keys] == ["retired", "active"]
    assert key_id(bytes(store.signing_key(event_id).verify_key)) == second.kid


class _RepeatingEntropy(SeededEntropy):
    """Hands out the same few ticket ids again and again, to force collisions."""

    def __init__(self) -> None:
        super().__init__(0)
        self.values = iter([5, 5, 0, 6, 5, 6, 7, 8, 9])

    def randbits(self, k: int) -> int:
        return next(self.values)


def test_new_ticket_ids_are_unique_and_avoid_taken_ones(store: IssuerStore) -> None:
    event_id = _event(store)
    holder = bytes(32)
    store_ids = issuer.issue_tickets(store, event_id, [
        issuer.TicketRequest(1, holder, 0, 10)], entropy=_RepeatingEntropy())
    assert [i.ticket_id for i in store_ids] == [5]
    ids = store.new_ticket_ids(3, _RepeatingEntropy())
    assert sorted(ids) == [6, 7, 8]
    fresh = store.new_ticket_ids(500, SeededEntropy(3))
    assert len(set(fresh)) == 500 and all(0 < i < 2**63 for i in fresh)


def test_wallet_keeps_superseded_credentials(tmp_path: Path) -> None:
    with Wallet(tmp_path / "wallet.db") as wallet:
        a, b = Wallet.new_holder(SeededEntropy(1)), Wallet.new_holder(SeededEntropy(2))
        wallet.add([(77, 0, a, b"\x01" * 125)])
        assert wallet.previous(77) is None
        wallet.replace(77, 1, b, b"\x02" * 125)
        current, previous = wallet.current(77), wallet.previous(77)
        assert current is not None and previous is not None
        assert (current.serial, current.state, bytes(current.holder)) == (1, "current", bytes(b))
        assert (previous.serial, previous.state) == (0, "superseded")
        assert bytes(a).hex() not in repr(previous)
        assert wallet.current(78) is None
    conn = sqlite3.connect(tmp_path / "wallet.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_wallet_file_written_with_sqlite_utils_keeps_working(tmp_path: Path) -> None:
    """A `wallet.db` whose table sqlite-utils created (before 2026-12) opens and is used as is."""
    conn = sqlite3.connect(tmp_path / "wallet.db")
    conn.execute('CREATE TABLE "credentials" (\n   "ticket_id" INTEGER,\n   "serial" INTEGER,\n'
                 '   "state" TEXT NOT NULL,\n   "holder_seed" BLOB NOT NULL,\n'
                 '   "signed_credential" BLOB NOT NULL,\n   PRIMARY KEY ("ticket_id", "serial")\n)')
    holder = Wallet.new_holder(SeededEntropy(1))
    conn.execute("INSERT INTO credentials VALUES (5, 0, 'current', ?, ?)",
                 (bytes(holder), b"\x01" * 125))
    conn.commit()
    conn.close()
    with Wallet(tmp_path / "wallet.db") as wallet:
        current = wallet.current(5)
        assert current is not None and bytes(current.holder) == bytes(holder)
        wallet.replace(5, 1, Wallet.new_holder(SeededEntropy(2)), b"\x02" * 125)
        assert [e.state for e in wallet.entries(5)] == ["superseded", "current"]
        with pytest.raises(sqlite3.IntegrityError):
            wallet.add([(5, 1, holder, b"\x03" * 125)])  # the old primary key still holds


def test_one_tickets_scans_in_time_order_go_through_the_ticket_index(
        settings: ServerSettings) -> None:
    """The conflicts list and the ingest's replays read one ticket's scans by device time:
    on SQLite that must be a lookup by ticket, not a walk of the event's scans."""
    if settings.database_url:
        pytest.skip("SQLite's planner")
    with IssuerStore.open(settings) as st, st.db.read() as conn:
        plan = conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT * FROM scans WHERE event_id = 1 AND ticket_id = 5 "
            "AND outcome NOT IN ('bad_signature') ORDER BY device_time, scan_id LIMIT 100"
        )).all()
    assert any("idx_scans_event_ticket" in str(step[-1]) for step in plan), plan
