"""The live view folds the event's scans incrementally (seq order): whatever the scans and
however they arrive (in several rounds, out of time order, flagged, undone, repeated),
its figures are what a plain count over every scan gives; a log restored from a backup
(the same numbers, other scans) is folded again from the start."""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select

from gatescan.protocol.movements import ENTRY_ADMITS, UNDONE, UNVERIFIED_OUTCOMES
from gatescan.server import live
from gatescan.server.console import events
from gatescan.server.console.plans import build_plan
from gatescan.server.storage import schema as s
from gatescan.server.store import IssuerStore

NOW = 1_780_000_000.0
GATES = ("North", "South")
OUTCOMES = ("admitted", "override_admitted", UNDONE, "already_used", "repeat_read",
            "exit_recorded", "bad_signature")

scan_rows = st.lists(st.fixed_dictionaries({
    "ticket_id": st.integers(1, 6),
    "type_id": st.sampled_from([1, 2, None]),
    "gate": st.sampled_from(GATES),
    "direction": st.sampled_from(["entry", "exit"]),
    "outcome": st.sampled_from(OUTCOMES),
    "device_time": st.floats(NOW - 3000, NOW + 4000, allow_nan=False),
    "device_id": st.sampled_from(["dev_000000000001", "dev_000000000002", None]),
    "time_flag": st.sampled_from([None, None, None, "late"]),
}), max_size=40)


def _reference(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures counted plainly over every scan, as the module doc defines them."""
    entries = sum(1 if r["outcome"] in ENTRY_ADMITS and r["direction"] == "entry"
                  else -1 if r["outcome"] == UNDONE else 0 for r in rows)
    exits = sum(r["outcome"] == "exit_recorded" for r in rows)
    net: Counter[tuple[int, int | None]] = Counter()
    for r in rows:
        if r["outcome"] not in UNVERIFIED_OUTCOMES and r["outcome"] in (*ENTRY_ADMITS, UNDONE):
            net[(r["ticket_id"], r["type_id"])] += -1 if r["outcome"] == UNDONE else 1
    admitted: Counter[int | None] = Counter(t for (_, t), n in net.items() if n > 0)
    last = int(NOW // 60)
    first = last - live.WINDOW_MIN + 1
    per: dict[str, list[int]] = defaultdict(lambda: [0] * live.WINDOW_MIN)
    for r in rows:
        minute = int(r["device_time"] // 60)
        if r["time_flag"] is None and first * 60 <= r["device_time"] < NOW + 3600:
            ok = 1 if r["outcome"] in ENTRY_ADMITS and r["direction"] == "entry" else \
                -1 if r["outcome"] == UNDONE else 0
            per[r["gate"]][min(minute, last) - first] += ok
    return {"entries": entries, "exits": exits,
            "admitted": {1: admitted.get(1, 0), 2: admitted.get(2, 0)},
            "lanes": {g: [max(0, n) for n in per[g]] for g in GATES}}


def _seen(view: live.LiveView) -> dict[str, Any]:
    return {"entries": view.entries, "exits": view.exits,
            "admitted": {1: view.types[0].admitted, 2: view.types[1].admitted},
            "lanes": {lane.gate: lane.per_minute for lane in view.lanes}}


def _store_rows(store: IssuerStore, event_id: int, rows: list[dict[str, Any]],
                first_seq: int) -> None:
    if not rows:
        return
    with store.db.write() as conn:
        conn.execute(insert(s.scans), [{
            **r, "seq": first_seq + i, "scan_id": secrets.token_hex(8), "event_id": event_id,
            "serial": 0, "received_at": NOW, "via": "push"} for i, r in enumerate(rows)])


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=st.lists(scan_rows, min_size=1, max_size=4), restored=scan_rows)
def test_the_fold_counts_what_a_plain_count_does(store: IssuerStore, rounds: list[Any],
                                                 restored: list[Any]) -> None:
    event_id = events.create(store, build_plan({
        "name": "Fold", "tz": "UTC", "gates": [{"name": g} for g in GATES],
        "ticket_types": [{"id": 1, "name": "One"}, {"id": 2, "name": "Two"}]}))
    event = store.event(event_id)
    assert event is not None
    seen: list[dict[str, Any]] = []
    with store.db.read() as conn:  # above anything numbered yet (examples share the store)
        base = seq = int(conn.execute(select(func.max(s.scans.c.seq))).scalar() or 0) + 1
    for batch in rounds:  # each round folds only what came after the last one
        _store_rows(store, event_id, batch, seq)
        seq += len(batch)
        seen += batch
        view = live.live_view(store, event_id, event.policy, now=NOW)
        assert _seen(view) == _reference(seen)
    with store.db.write() as conn:  # a backup restored: the same numbers, other scans
        conn.execute(delete(s.scans).where(s.scans.c.event_id == event_id))
    _store_rows(store, event_id, restored, base)
    view = live.live_view(store, event_id, event.policy, now=NOW)
    assert _seen(view) == _reference(restored)
