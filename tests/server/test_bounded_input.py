"""Bounded, scoped input: absurd device times, cross-gate pushes, another device's scan ids."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from gatescan.protocol.policy import EventPolicy
from gatescan.server import reports
from gatescan.server.api.scan_items import REASONS, WRONG_GATE, ItemChecker
from gatescan.server.ingest import (
    EARLY,
    EARLY_SLACK_S,
    LATE,
    LATE_SLACK_S,
    REJECTED,
    ScanIn,
    time_flag,
)
from gatescan.server.reports import MAX_BUCKETS
from gatescan.server.settings import ServerSettings
from gatescan.server.storage import schema as s
from gatescan.server.storage.migrations import MIGRATIONS, current_version
from gatescan.server.storage.schema import V5_INDEXES
from gatescan.server.store import IssuerStore
from tests.server.client import Gate, Organizer, general_event, scan

DASHBOARD_BUDGET = 200_000  # bytes of HTML, whatever the data


def _dashboard(server: str, token: str, event_id: int) -> str:
    with httpx.Client(base_url=server, timeout=60) as browser:
        r = browser.post("/dashboard/login", data={"token": token}, follow_redirects=False)
        assert r.status_code == 303
        page = browser.get("/dashboard", params={"event": event_id})
        assert page.status_code == 200
        return page.text


def _chart_points(page: str) -> list[int]:
    return [len(p.split()) for p in re.findall(r'<polyline[^>]* points="([^"]*)"', page)]


def test_device_times_0_and_max_do_not_stretch_the_dashboard(server: str, org: Organizer,
                                                              store: IssuerStore) -> None:
    event_id = org.event()
    (t1, _, _), (t2, _, _), (t3, _, _) = org.issue(event_id, 3)
    now = time.time()
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b", "Gate 2")["code"]) as b:
        a.push(scan(t1, 0.0), scan(t2, 4294967295.0), scan(t3, now - 60))
        b.push(scan(t1, 4294967295.0, "Gate 2"), scan(t2, 0.0, "Gate 2"))
    page = _dashboard(server, org.token, event_id)
    assert len(page.encode()) < DASHBOARD_BUDGET
    points = _chart_points(page)
    assert points and max(points) <= MAX_BUCKETS + 1
    # Every scan is stored and counted; the absurd ones are flagged, never charted.
    assert "5 admitted" in page
    report = org.ok("GET", f"/api/v1/admin/events/{event_id}/report")
    assert report["total"] == 5 and report["time_flagged"] == 4
    timeline = org.ok("GET", f"/api/v1/admin/events/{event_id}/timeline")
    assert sum(sum(p["counts"].values()) for p in timeline["series"]) == 1
    rows = org.http.get(f"/api/v1/admin/events/{event_id}/scans.csv").text.splitlines()
    header = rows[0].split(",")
    flags = sorted(r.split(",")[header.index("time_flag")] for r in rows[1:])
    assert flags == ["", "early", "early", "late", "late"]


def test_timeline_is_bounded_even_for_plausible_but_long_spans(store: IssuerStore,
                                                               org: Organizer,
                                                               server: str) -> None:
    event_id = org.event()
    (t1, _, _), = org.issue(event_id, 1)
    now = time.time()
    with Gate(server, org.device(event_id, "a")["code"]) as a:
        # A gate whose clock says the event ran for days (within the plausible window).
        a.push(*[scan(t1, now - 3600 * 20 * k) for k in range(6)])
    found = reports.timeline(store, event_id, 60)
    assert len(found["series"]) <= MAX_BUCKETS
    assert found["clipped"] > 0 and found["bucket"] == 60
    chosen = reports.timeline(store, event_id)
    assert len(chosen["series"]) <= MAX_BUCKETS and chosen["clipped"] == 0
    page = _dashboard(server, org.token, event_id)
    assert max(_chart_points(page)) <= MAX_BUCKETS + 1


def test_a_gate_device_cannot_push_for_another_gate_or_event(server: str,
                                                            org: Organizer) -> None:
    event_id = org.event()
    other = org.event(general_event("Other night"))
    (t1, _, _), = org.issue(event_id, 1)
    now = time.time()
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "roaming", None)["code"]) as roaming:
        results = a.push(scan(t1, now, "Gate 1"), scan(t1, now, "VIP Gate"),
                         scan(t1, now, "gate 1"), scan(t1, now, event_id=other))
        assert [r["status"] for r in results] == ["stored", "rejected", "stored", "rejected"]
        assert [r["code"] for r in results] == [None, "wrong_gate", None, "wrong_event"]
        loose = roaming.push(scan(t1, now, "VIP Gate"), scan(t1, now, "Back door"))
        assert [r["status"] for r in loose] == ["stored", "rejected"]
        assert loose[1]["code"] == "unknown_gate"
    report = org.ok("GET", f"/api/v1/admin/events/{event_id}/report")
    assert set(report["by_gate"]) == {"Gate 1", "VIP Gate"}
    assert report["total"] == 3


def test_another_devices_scan_id_does_not_swallow_a_real_scan(server: str,
                                                             org: Organizer) -> None:
    event_id = org.event()
    (t1, _, _), (t2, _, _) = org.issue(event_id, 2)
    now = time.time()
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b", "Gate 2")["code"]) as b:
        real = scan(t1, now, "Gate 1")
        squatter = {**scan(t2, now - 5, "Gate 2"), "scan_id": real["scan_id"]}
        assert b.push(squatter)[0]["status"] == "stored"
        assert a.push(real)[0]["status"] == "stored"
        assert a.push(real)[0]["status"] == "duplicate"  # still idempotent per device
        assert b.push(squatter)[0]["status"] == "duplicate"
    report = org.ok("GET", f"/api/v1/admin/events/{event_id}/report")
    assert report["total"] == 2 and report["by_gate"]["Gate 1"] == {"admitted": 1}


def _v4_scans(conn: Connection) -> None:
    """Put back the version 4 `scans` table: scan id the primary key, no time flag."""
    old = MetaData()
    v4 = Table("scans", old,
               Column("scan_id", String(32), primary_key=True),
               Column("seq", BigInteger, nullable=False, unique=True),
               *[Column(c.name, c.type) for c in s.scans.c
                 if c.name not in ("scan_id", "seq", "time_flag")])
    Index("idx_scans_event_seq", v4.c.event_id, v4.c.seq)
    s.scans.drop(conn)
    v4.create(conn)
    conn.execute(insert(v4), [
        {"scan_id": "a" * 32, "seq": 1, "event_id": 7, "ticket_id": 1, "serial": 0,
         "gate": "Gate 1", "direction": "entry", "outcome": "admitted", "device_time": 5.0,
         "received_at": 6.0, "device_id": "dev_000000000001", "via": "push"},
        {"scan_id": "b" * 32, "seq": 2, "event_id": 7, "ticket_id": 2, "serial": 0,
         "gate": "Gate 2", "direction": "entry", "outcome": "admitted", "device_time": 7.0,
         "received_at": 8.0, "device_id": None, "via": "import"}])
    conn.execute(update(s.schema_version).values(version=4))


def test_schema_4_scans_are_rekeyed_by_device_and_keep_their_rows(
        settings: ServerSettings) -> None:
    with IssuerStore.open(settings) as st, st.db.write() as conn:
        _v4_scans(conn)
    with IssuerStore.open(settings) as st:
        with st.db.read() as conn:
            assert current_version(conn) == len(MIGRATIONS)
            seen = inspect(conn)
            assert seen.get_pk_constraint("scans")["constrained_columns"] == ["seq"]
            assert set(V5_INDEXES) <= {i["name"] for i in seen.get_indexes("scans")}
            rows = conn.execute(select(s.scans.c.scan_id, s.scans.c.device_id,
                                       s.scans.c.time_flag).order_by(s.scans.c.seq)).all()
        assert [tuple(r) for r in rows] == [("a" * 32, "dev_000000000001", None),
                                            ("b" * 32, None, None)]
        with st.db.write() as conn:  # the same scan id from another device is another scan
            conn.execute(insert(s.scans).values(
                scan_id="a" * 32, seq=3, event_id=7, ticket_id=1, serial=0, gate="Gate 1",
                direction="entry", outcome="admitted", device_time=5.0, received_at=6.0,
                device_id="dev_000000000002", via="push"))
        with pytest.raises(IntegrityError), st.db.write() as conn:
            conn.execute(insert(s.scans).values(
                scan_id="a" * 32, seq=4, event_id=7, ticket_id=1, serial=0, gate="Gate 1",
                direction="entry", outcome="admitted", device_time=5.0, received_at=6.0,
                device_id="dev_000000000002", via="push"))


PLAN = EventPolicy.from_dict({"event_id": 77, "name": "Plan", "gates": [
    {"name": "Gate 1"}, {"name": "Gate 2"}, {"name": "VIP Gate", "zone": "vip"}]})
CHECKER = ItemChecker()


@given(gate=st.one_of(st.sampled_from(["Gate 1", "gate 2", "VIP GATE", "Back door", ""]),
                      st.text(max_size=40)),
       device_gate=st.sampled_from([None, "Gate 1", "VIP Gate"]),
       event_id=st.one_of(st.none(), st.sampled_from([77, 78]), st.integers()),
       device_time=st.one_of(st.floats(), st.integers(-5, 2**40)))
def test_scope_check_refuses_with_a_reason_or_returns_a_gate_of_the_plan(
        gate: str, device_gate: str | None, event_id: int | None, device_time: float) -> None:
    raw = {"scan_id": "ab" * 16, "ticket_id": "0123456789abcdef", "serial": 0, "gate": gate,
           "direction": "entry", "outcome": "admitted", "device_time": device_time,
           "event_id": event_id}
    got = CHECKER.check(raw, policy=PLAN, device_id="dev_000000000001", device_gate=device_gate)
    if isinstance(got, ScanIn):
        assert PLAN.gate(got.gate) is not None and got.gate == PLAN.gate(gate.strip()).name
        assert device_gate is None or got.gate == device_gate
        assert event_id in (None, 77) and 0 <= got.device_time <= 0xFFFFFFFF
    else:
        assert got.status == REJECTED and got.code in REASONS and got.error
        if got.code == WRONG_GATE:
            assert device_gate is not None and gate.strip().casefold() != device_gate.casefold()


@given(device_time=st.floats(0, 0xFFFFFFFF), created=st.integers(0, 0xFFFFFFFF),
       received=st.floats(0, 2 * 0xFFFFFFFF))
def test_time_flag_marks_exactly_the_times_outside_the_window(
        device_time: float, created: int, received: float) -> None:
    flag = time_flag(device_time, event_created=created, received_at=received)
    early = device_time < created - EARLY_SLACK_S
    late = not early and device_time > received + LATE_SLACK_S
    assert flag == (EARLY if early else LATE if late else None)
