"""Supervisor actions on the server: an override is an entry, an undone admission is not."""

from __future__ import annotations

import time

import httpx
from hypothesis import given
from hypothesis import strategies as st

from gatescan.protocol.movements import Logged, without_undone
from tests.server.client import Gate, Organizer, scan


def _logged(*spec: tuple[str, str]) -> list[Logged]:
    """(device, outcome) in arrival order."""
    return [Logged(f"s{i}", i, dev, float(i), "entry", outcome)
            for i, (dev, outcome) in enumerate(spec)]


def test_an_undo_cancels_the_latest_admission_of_its_device() -> None:
    moves = without_undone(_logged(("a", "admitted"), ("b", "admitted"),
                                   ("a", "admission_undone")))
    assert [m.scan_id for m in moves] == ["s1"]
    override = without_undone(_logged(("a", "override_admitted"), ("a", "admission_undone"),
                                      ("a", "admitted")))
    assert [m.scan_id for m in override] == ["s2"]
    # An undo with no admission before it on its device cancels nothing.
    assert [m.scan_id for m in without_undone(_logged(("b", "admission_undone"),
                                                      ("a", "admitted")))] == ["s1"]


@given(st.lists(st.tuples(st.sampled_from(["a", "b"]),
                          st.sampled_from(["admitted", "override_admitted", "admission_undone",
                                           "already_used"])), max_size=20))
def test_movements_never_grow_and_undos_never_count(spec: list[tuple[str, str]]) -> None:
    moves = without_undone(_logged(*spec))
    entries = [o for _, o in spec if o in ("admitted", "override_admitted")]
    undos = sum(1 for _, o in spec if o == "admission_undone")
    assert len(entries) - undos <= len(moves) <= len(entries)
    assert {m.scan_id for m in moves} <= {f"s{i}" for i, (_, o) in enumerate(spec)
                                          if o in ("admitted", "override_admitted")}


def test_undone_admission_is_no_conflict_and_override_is_one(server: str,
                                                             org: Organizer) -> None:
    event_id = org.event()
    now = float(int(time.time()))  # plausible device times (far-off ones are not charted)
    (t1, _, _), (t2, _, _) = org.issue(event_id, 2)
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b", "Gate 2")["code"]) as b:
        # Gate 1 admits t1, then the supervisor undoes it: the person did not go through.
        pushed = a.push(scan(t1, now + 1000), scan(t1, now + 1030, outcome="admission_undone",
                                               reason="did not go through"))
        assert [r["status"] for r in pushed] == ["stored", "stored"]
        # So Gate 2 admitting t1 later is the one entry, not a conflict.
        assert b.push(scan(t1, now + 1100, "Gate 2"))[0]["conflict"] is False
        # An override is an entry: t2 admitted at Gate 1 then "admitted anyway" at Gate 2.
        a.push(scan(t2, now + 1200))
        over = b.push(scan(t2, now + 1210, "Gate 2", outcome="override_admitted",
                           reason="checked with box office"))
        assert over[0]["conflict"] is True
        conflicts = org.ok("GET", f"/api/v1/admin/events/{event_id}/conflicts")["conflicts"]
        assert [c["ticket_id"] for c in conflicts] == [t2]
        report = org.ok("GET", f"/api/v1/admin/events/{event_id}/report")
        assert report["admitted"] == 3  # t1 once (one undone), t2 twice
        assert report["by_outcome"]["admission_undone"] == 1
        assert report["by_outcome"]["override_admitted"] == 1
        timeline = org.ok("GET", f"/api/v1/admin/events/{event_id}/timeline")
        assert sum(sum(p["counts"].values()) for p in timeline["series"]) == 3
        csv_text = org.http.get(f"/api/v1/admin/events/{event_id}/scans.csv").text
        assert "admission_undone" in csv_text and "did not go through" in csv_text
        assert "override_admitted" in csv_text and "checked with box office" in csv_text
    with httpx.Client(base_url=server) as browser:
        browser.post("/dashboard/login", data={"token": org.token})
        page = browser.get("/dashboard", params={"event": event_id}).text
        assert "3 admitted" in page
        assert "<th>override_admitted</th>" in page and "<th>admission_undone</th>" in page
