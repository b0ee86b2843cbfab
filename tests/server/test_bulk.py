"""Set-at-a-time statements (`gatescan.server.storage.bulk`) on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, select, text

from gatescan.server.storage import bulk
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

COLUMNS = ("scan_id", "seq", "event_id", "ticket_id", "serial", "type_id", "gate", "direction",
           "outcome", "device_time", "received_at", "device_id", "source", "reason", "via",
           "chain_seq", "chain_hash", "time_flag")


def _row(i: int, **over: object) -> tuple[object, ...]:
    base: dict[str, object] = {
        "scan_id": f"{i:032x}", "seq": 10_000 + i, "event_id": 7, "ticket_id": 2**63 - 1 - i,
        "serial": i % 3, "type_id": None if i % 2 else 1, "gate": "Gate ü", "direction": "entry",
        "outcome": "admitted", "device_time": 1.5 + i, "received_at": 2.25,
        "device_id": None if i % 5 == 0 else "dev_1", "source": None, "reason": "x'\"",
        "via": "push", "chain_seq": None if i % 4 else i, "chain_hash": None, "time_flag": None}
    base.update(over)
    return tuple(base[c] for c in COLUMNS)


def test_insert_rows_stores_every_value_as_given(store: IssuerStore) -> None:
    rows = [_row(i) for i in range(1200)]  # more than one SQLite chunk
    with store.transaction() as conn:
        bulk.insert_rows(conn, s.scans, COLUMNS, rows)
        bulk.insert_rows(conn, s.scans, COLUMNS, [])
    with store.snapshot() as conn:
        got = conn.execute(select(*(s.scans.c[c] for c in COLUMNS)).order_by(s.scans.c.seq)).all()
    assert [tuple(r) for r in got] == rows


def test_member_finds_the_same_rows_as_in_whatever_the_count(store: IssuerStore) -> None:
    rows = [_row(i) for i in range(1200)]
    with store.transaction() as conn:
        bulk.insert_rows(conn, s.scans, COLUMNS, rows)
    sc = s.scans.c
    wanted = [f"{i:032x}" for i in range(0, 1500, 3)]  # some absent
    with store.snapshot() as conn:
        found = [r.scan_id for part in bulk.chunks(conn, wanted) for r in conn.execute(
            select(sc.scan_id).where(bulk.member(conn, sc.scan_id, part)))]
        tickets = [r.ticket_id for part in bulk.chunks(conn, [2**63 - 1, 2**63 - 3, 5])
                   for r in conn.execute(select(sc.ticket_id).where(
                       bulk.member(conn, sc.ticket_id, part)))]
        assert list(bulk.chunks(conn, [])) == []
    assert sorted(found) == [w for w in wanted if int(w, 16) < 1200]
    assert sorted(tickets) == [2**63 - 3, 2**63 - 1]


def test_postgresql_plans_each_execution_for_its_own_parameters(store: IssuerStore) -> None:
    # A generic plan, made when the tables of a new event were near empty, scanned every
    # row of `scans` for each pushed batch once psycopg had prepared the statement.
    if store.db.is_sqlite:
        return
    with store.snapshot() as conn:
        assert conn.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"


def test_rows_for_a_kept_statement_binds_each_call_s_own_keys_and_parameters(
        store: IssuerStore) -> None:
    # A kept statement is built once: the keys and the parameters of later calls must still
    # reach it (a value baked into the first build would answer every later call with it).
    rows = [_row(i, event_id=7 + i % 2) for i in range(300)]
    with store.transaction() as conn:
        bulk.insert_rows(conn, s.scans, COLUMNS, rows)
    sc = s.scans.c

    def query(member: ColumnElement[bool]) -> Select[Any]:
        return select(sc.scan_id).where(and_(member, sc.event_id == bindparam("event_id")))

    def found(keys: list[Any], event_id: int, *, name: str | None) -> list[str]:
        with store.snapshot() as conn:
            return sorted(r.scan_id for r in bulk.rows_for(
                conn, sc.scan_id, keys, query, name=name, params={"event_id": event_id}))

    for event_id, keys in ((7, [f"{i:032x}" for i in range(0, 40)]),
                           (8, [f"{i:032x}" for i in range(20, 90)] + ["absent", "x\"{,}"]),
                           (7, [f"{i:032x}" for i in (5, 5, 6, 299, 298)])):
        expected = sorted(k for k in set(keys) if k.isalnum() and len(k) == 32
                          and 7 + int(k, 16) % 2 == event_id)
        assert found(keys, event_id, name=None) == expected
        assert found(keys, event_id, name="test.kept") == expected
    assert found([], 7, name="test.kept") == []
