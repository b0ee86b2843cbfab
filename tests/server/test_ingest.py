"""Ingest's set-at-a-time paths (COPY, index probes per key, one UPDATE of grown conflicts).

On SQLite and PostgreSQL: a batch holding the same scan twice stores it once;
two writers racing on one ticket make one conflict, announced once, then grown;
scan ids of any text are found (array literals quote them).
"""

from __future__ import annotations

import json
import threading
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gatescan.protocol.policy import Gate, TicketType
from gatescan.server import devices, issuer
from gatescan.server.ingest import DUPLICATE, STORED, ScanIn, ingest
from gatescan.server.storage import bulk
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore


def _event(store: IssuerStore) -> tuple[int, list[int]]:
    policy = issuer.create_event(store, "Race", gates=[Gate("Gate 1")],
                                 ticket_types=[TicketType(1, "General")])
    tickets = issuer.issue_tickets(store, policy.event_id, [
        issuer.TicketRequest(1, bytes(32), 0, 0xFFFFFFFF)] * 3)
    return policy.event_id, [t.ticket_id for t in tickets]


def _entry(scan_id: str, ticket_id: int, at: float, device: str | None = None) -> ScanIn:
    return ScanIn(scan_id, ticket_id, 0, "Gate 1", "entry", "admitted", at, "camera", None,
                  device)


def _conflict_changes(store: IssuerStore, event_id: int) -> list[dict[str, object]]:
    c = s.changes.c
    with store.snapshot() as conn:
        return [json.loads(r.data) for r in conn.execute(
            select(c.data).where(c.event_id == event_id, c.kind == s.CONFLICT_KIND)
            .order_by(c.seq))]


def test_a_scan_twice_in_one_batch_is_stored_once(store: IssuerStore) -> None:
    event_id, (ticket, *_) = _event(store)
    a, b = "a" * 32, "b" * 32  # each item its own object, as read off the wire
    got = ingest(store, event_id, [_entry(a, ticket, 1000.0), _entry(a, ticket, 1000.0),
                                   _entry(b, ticket, 1001.0), _entry(a, ticket, 1000.0)],
                 via="push", now=time.time())
    assert [r.status for r in got] == [STORED, DUPLICATE, STORED, DUPLICATE]
    with store.snapshot() as conn:
        stored = sorted(r.scan_id for r in conn.execute(select(s.scans.c.scan_id)))
    assert stored == [a, b]
    # Two admissions of a one-entry ticket: one conflict, every admitted entry flagged.
    assert all(r.conflict for r in got)
    assert [ch["entries"] for ch in _conflict_changes(store, event_id)] == [2]


def test_writers_racing_on_one_ticket_make_one_conflict(store: IssuerStore) -> None:
    event_id, (ticket, *_) = _event(store)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def push(n: int) -> None:
        try:
            start.wait(5)
            ingest(store, event_id, [_entry(f"{n:02d}" * 16, ticket, 1000.0 + n)], via="push",
                   now=time.time())
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    c = s.conflicts.c
    with store.snapshot() as conn:
        rows = conn.execute(select(c.ticket_id, c.entries, c.allowed)
                            .where(c.event_id == event_id)).all()
    assert [tuple(r) for r in rows] == [(ticket, 4, 1)]
    # Found by the second writer, grown by the third and the fourth: one change each time.
    assert [ch["entries"] for ch in _conflict_changes(store, event_id)] == [2, 3, 4]


def test_a_grown_conflict_is_updated_and_others_are_left_alone(store: IssuerStore) -> None:
    event_id, (one, two, three) = _event(store)
    ingest(store, event_id, [_entry("a1" * 16, one, 1.0), _entry("a2" * 16, one, 2.0),
                             _entry("b1" * 16, two, 1.0), _entry("b2" * 16, two, 2.0),
                             _entry("c1" * 16, three, 1.0)], via="push", now=100.0)
    ingest(store, event_id, [_entry("a3" * 16, one, 3.0), _entry("b1" * 16, two, 1.0)],
           via="push", now=200.0)
    c = s.conflicts.c
    with store.snapshot() as conn:
        got = {r.ticket_id: (r.entries, r.detected_at, r.updated_at) for r in conn.execute(
            select(c.ticket_id, c.entries, c.detected_at, c.updated_at))}
    assert got == {one: (3, 100.0, 200.0), two: (2, 100.0, 200.0)}
    assert [(ch["entries"], ch["detected_at"]) for ch in _conflict_changes(store, event_id)] \
        == [(2, 100.0), (2, 100.0), (3, 100.0)]


_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                min_size=1, max_size=32)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(_TEXT, min_size=1, max_size=20, unique=True), data=st.data())
def test_rows_for_finds_any_text_as_stored(store: IssuerStore, ids: list[str],
                                           data: st.DataObject) -> None:
    wanted = data.draw(st.lists(st.sampled_from(ids) | _TEXT, max_size=30))
    sc = s.scans.c
    with store.transaction() as conn:
        first = conn.execute(select(s.counters.c.value)).scalar_one() + 1_000_000
        bulk.insert_rows(conn, s.scans, ("seq", "scan_id", "event_id", "ticket_id", "serial",
                                         "gate", "direction", "outcome", "device_time",
                                         "received_at", "via", "reason"),
                         [(first + i, sid, 1, i, 0, sid, "entry", "admitted", 0.0, 0.0, "push",
                           sid) for i, sid in enumerate(ids)])
        found = [(r.scan_id, r.gate, r.reason) for r in bulk.rows_for(
            conn, sc.scan_id, wanted, lambda member: select(sc.scan_id, sc.gate, sc.reason)
            .where(member))]
        conn.rollback()
    expected = {w for w in wanted if w in ids}
    assert sorted(found) == sorted((w, w, w) for w in expected)


def _chained(scan_id: str, ticket_id: int, device: str, seq: int, tag: str) -> ScanIn:
    return ScanIn(scan_id, ticket_id, 0, "Gate 1", "entry", "already_used", 1000.0 + seq,
                  "camera", None, device, seq, (tag * 64)[:64])


def test_chain_places_are_judged_against_earlier_batches_and_within_one(
        store: IssuerStore) -> None:
    # The checkpoint check reads back only what earlier batches stored; a place taken
    # twice within one batch, or by an earlier batch, is still a mismatch, and a scan
    # sent twice in one batch (its copy at another place) is judged by its first copy.
    event_id, (ticket, *_) = _event(store)
    dev = devices.add_device(store, event_id, "north", "Gate 1", ttl=600, now=time.time())
    device = devices.enroll(store, dev.code, now=time.time())[0].device_id
    ids = [f"{i:032x}" for i in range(1, 8)]

    def mismatches() -> int:
        return devices.get_device(store, device).chain_mismatches

    got = ingest(store, event_id, [_chained(ids[0], ticket, device, 1, "a"),
                                   _chained(ids[1], ticket, device, 2, "b"),
                                   _chained(ids[1], ticket, device, 5, "c")],
                 via="push", now=time.time())
    assert [r.status for r in got] == [STORED, STORED, DUPLICATE]
    assert mismatches() == 0
    assert devices.get_device(store, device).checkpoint.seq == 2  # type: ignore[union-attr]
    # Place 5 was never taken (only named by a copy): a scan there is consistent.
    ingest(store, event_id, [_chained(ids[2], ticket, device, 5, "d")], via="push",
           now=time.time())
    assert mismatches() == 0
    # Place 2 was taken by an earlier batch, place 6 twice in this one.
    ingest(store, event_id, [_chained(ids[3], ticket, device, 2, "e"),
                             _chained(ids[4], ticket, device, 6, "f"),
                             _chained(ids[5], ticket, device, 6, "g")],
           via="push", now=time.time())
    assert mismatches() == 2
    assert devices.get_device(store, device).checkpoint.seq == 6  # type: ignore[union-attr]
