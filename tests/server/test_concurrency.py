"""Cursor correctness with concurrent writers, on SQLite and PostgreSQL.

A puller pages the feed while other threads write: it must see every change
exactly once, including one whose transaction took its number first and
committed last.
"""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from gatescan.protocol.policy import Gate, TicketType
from gatescan.server import feed, issuer
from gatescan.server.ingest import ScanIn, ingest
from gatescan.server.store import IssuerStore


def _event(store: IssuerStore) -> int:
    return issuer.create_event(store, "Busy", gates=[Gate("Gate 1")],
                               ticket_types=[TicketType(1, "General")]).event_id


def _drain(store: IssuerStore, event_id: int, cursor: feed.Cursor,
           limit: int = 7) -> tuple[list[int], feed.Cursor]:
    seen: list[int] = []
    while True:
        page = feed.page(store, event_id, None, cursor, limit)
        seen += [c.seq for c in page.changes]
        cursor = page.cursor
        if not page.more:
            return seen, cursor


def test_a_late_commit_is_not_skipped(store: IssuerStore) -> None:
    event_id = _event(store)
    _, cursor = _drain(store, event_id, feed.Cursor(0, 0))
    event = store.event(event_id)
    assert event is not None
    doc = {"policy": event.policy.to_dict()}  # a change the feed can serve as a wire record
    holding = threading.Event()
    release = threading.Event()

    def slow_writer() -> None:
        with store.transaction():
            store.append_changes(event_id, [("policy", None, doc)], now=0)
            holding.set()
            release.wait(5)

    def fast_writer() -> None:
        store.append_changes(event_id, [("policy", None, doc)], now=0)

    slow = threading.Thread(target=slow_writer)
    slow.start()
    assert holding.wait(5)
    fast = threading.Thread(target=fast_writer)
    fast.start()
    seen: list[int] = []
    deadline = time.monotonic() + 0.4
    while time.monotonic() < deadline:  # pull while the slow transaction is open
        got, cursor = _drain(store, event_id, cursor)
        seen += got
        time.sleep(0.02)
    assert seen == []  # the fast writer waits for the slow one: nothing can overtake it
    release.set()
    slow.join(5)
    fast.join(5)
    got, cursor = _drain(store, event_id, cursor)
    seen += got
    assert len(seen) == 2 and seen == sorted(seen)


def test_puller_sees_every_change_once_while_many_write(store: IssuerStore) -> None:
    event_id = _event(store)
    holder = bytes(32)
    stop = threading.Event()

    def pusher(n: int) -> None:
        for _ in range(15):
            ingest(store, event_id, [
                ScanIn(secrets.token_hex(16), 1 + n, 0, "Gate 1", "entry", "admitted",
                       1000.0) for _ in range(10)], via="push", now=time.time())

    def seller() -> None:
        for _ in range(15):
            issuer.issue_tickets(store, event_id, [issuer.TicketRequest(1, holder, 0, 10)] * 3)

    seen: list[int] = []

    def puller() -> None:
        cursor = feed.Cursor(0, 0)
        while not stop.is_set():
            got, cursor = _drain(store, event_id, cursor, limit=5)
            seen.extend(got)
        got, cursor = _drain(store, event_id, cursor, limit=5)
        seen.extend(got)

    pull = threading.Thread(target=puller)
    pull.start()
    with ThreadPoolExecutor(5) as pool:
        for f in [pool.submit(pusher, n) for n in range(4)] + [pool.submit(seller)]:
            f.result()
    stop.set()
    pull.join(30)
    everything, _ = _drain(store, event_id, feed.Cursor(0, 0), limit=1000)
    # policy, key, scans, tickets; each push re-admits its ticket: a conflict found or grown
    assert len(everything) == 2 + 4 * 15 * 10 + 15 * 3 + 4 * 15
    assert seen == everything  # in order, none skipped, none twice
