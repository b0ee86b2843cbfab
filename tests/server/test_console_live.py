"""The live view: its figures from real pushed scans (SQLite and PostgreSQL), the page and the
JSON it polls, who may see them, and the wait estimate per lane."""

from __future__ import annotations

import time

import httpx
import pytest

from gatescan.server import live
from gatescan.server.console.roles import Role
from gatescan.server.store import IssuerStore
from tests.server.client import Gate, Organizer, scan
from tests.server.console_helpers import account, sign_in


def lane(view: dict[str, object], gate: str) -> dict[str, object]:
    lanes = view["lanes"]
    assert isinstance(lanes, list)
    return next(x for x in lanes if x["gate"] == gate)


def test_entries_exits_types_lanes_and_conflicts_move_with_the_scans(
        server: str, org: Organizer, store: IssuerStore) -> None:
    event_id = org.event()
    (t1, _, _), (t2, _, _), _ = org.issue(event_id, 3)
    org.issue(event_id, 1, type_id=2)
    account(store, "look@example.org", Role.VIEWER, event_id)
    now = time.time()
    with sign_in(server, "look@example.org") as viewer:
        empty = viewer.get(f"/console/events/{event_id}/live.json").json()
        assert (empty["entries"], empty["inside"], empty["conflicts_total"]) == (0, 0, 0)
        assert [x["state"] for x in empty["lanes"]] == ["idle"] * 3
        with Gate(server, org.device(event_id, "North")["code"]) as a, \
                Gate(server, org.device(event_id, "South", "Gate 2")["code"]) as b:
            a.push(scan(t1, now - 120), scan(t1, now - 119, outcome="repeat_read"),
                   scan(t2, now - 60), scan(t1, now - 30, direction="exit",
                                            outcome="exit_recorded"))
            b.push(scan(t1, now - 20, "Gate 2"))  # back in without re-entry: a conflict
        view = viewer.get(f"/console/events/{event_id}/live.json").json()
        page = viewer.get(f"/console/events/{event_id}/live")
    assert (view["entries"], view["exits"], view["inside"]) == (3, 1, 2)
    assert view["types"] == [{"name": "General", "admitted": 2, "sold": 3},
                             {"name": "Group of 3", "admitted": 0, "sold": 1},
                             {"name": "Re-entry", "admitted": 0, "sold": 0}]
    g1, g2 = lane(view, "Gate 1"), lane(view, "Gate 2")
    assert sum(g1["per_minute"]) == 2 and sum(g2["per_minute"]) == 1  # type: ignore[arg-type]
    assert len(g1["per_minute"]) == live.WINDOW_MIN  # type: ignore[arg-type]
    assert lane(view, "VIP Gate")["state"] == "idle"
    assert view["conflicts_total"] == 1
    [conflict] = view["conflicts"]
    assert conflict["ticket_id"] == t1
    entries = [s for s in conflict["scans"] if s["direction"] == "entry"
               and s["outcome"] == "admitted"]
    assert [(s["gate"], s["device_name"]) for s in entries] == [("Gate 1", "North"),
                                                                ("Gate 2", "South")]
    assert page.status_code == 200 and 'data-k="inside">2<' in page.text
    assert 'class="kpi alarm"' in page.text and "North" in page.text and "South" in page.text
    assert '<script src="/console/static/live.js" defer>' in page.text


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_lane_serving_back_to_back_is_full_and_a_quiet_one_flows(
        server: str, org: Organizer, store: IssuerStore) -> None:
    event_id = org.event()
    (t1, _, _), = org.issue(event_id, 1)
    now = time.time()
    with Gate(server, org.device(event_id, "Busy")["code"]) as busy, \
            Gate(server, org.device(event_id, "Quiet", "Gate 2")["code"]) as quiet:
        # One person every 4 s for 11 minutes: a queue the lane serves at its pace.
        busy.push(*[scan(t1, now - 660 + 4 * i, outcome="already_used") for i in range(165)])
        # Two people 3 s apart once a minute: the scanner is fast, the lane mostly waits.
        quiet.push(*[scan(t1, now - 600 + 60 * m + 3 * k, "Gate 2", outcome="already_used")
                     for m in range(10) for k in range(2)])
    event = store.event(event_id)
    assert event is not None
    view = live.live_view(store, event_id, event.policy, now=now)
    g1 = next(x for x in view.lanes if x.gate == "Gate 1")
    g2 = next(x for x in view.lanes if x.gate == "Gate 2")
    assert g1.arrivals == pytest.approx(15, abs=0.5) and g1.throughput == pytest.approx(15, abs=1)
    assert g1.state == "full" and g1.wait_min is None
    assert g2.arrivals == pytest.approx(2) and g2.throughput == pytest.approx(20)
    assert g2.state == "flowing" and g2.wait_min is not None and g2.wait_min < 0.1
    assert sum(g1.per_minute) == 0  # refusals move nobody in


def test_wait_estimate() -> None:
    assert live.wait_estimate(0, 10) == ("idle", None)
    assert live.wait_estimate(5, 10) == ("flowing", 0.1)  # rho .5: .5 / (10 - 5) minutes
    assert live.wait_estimate(9, 10) == ("flowing", 0.9)
    assert live.wait_estimate(9.5, 10) == ("full", None)  # a queue, of a length scans can't tell
    assert live.wait_estimate(3, None) == ("few", None)  # its scanners not timed yet


def test_the_live_page_needs_a_role_on_the_event(server: str, org: Organizer,
                                                 store: IssuerStore) -> None:
    first, other = org.event(), org.event()
    account(store, "look@example.org", Role.VIEWER, first)
    with sign_in(server, "look@example.org") as viewer:
        assert viewer.get(f"/console/events/{other}/live.json").status_code == 404
        assert viewer.get(f"/console/events/{other}/live").status_code == 404
        r = viewer.get(f"/console/events/{first}/live.json")
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    with httpx.Client(base_url=server) as anonymous:
        r = anonymous.get(f"/console/events/{first}/live.json")
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
