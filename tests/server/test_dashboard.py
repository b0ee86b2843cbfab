"""The organizer dashboard: login with the admin token, counts, chart, conflicts, escaping."""

from __future__ import annotations

import io
import time
from csv import DictReader

import httpx
import pytest

from gatescan.protocol.clock import UTC_ZONE, EventZone, format_hms, format_iso
from gatescan.server.dashboard import chart_svg
from tests.server.client import Gate, Organizer, general_event, scan


@pytest.mark.parametrize("backend", ["sqlite"])
def test_login_page_and_dashboard(server: str, org: Organizer) -> None:
    event_id = org.event(general_event("<b>Gala</b> & Co", tz="Europe/Berlin"))
    (t1, _, _), = org.issue(event_id, 1)
    with Gate(server, org.device(event_id, "a")["code"]) as a, \
            Gate(server, org.device(event_id, "b", "Gate 2")["code"]) as b:
        at = time.time() - 3600  # device times near now: outside the window they are flagged
        a.push(scan(t1, at), scan(t1, at + 400, outcome="already_used"))
        b.push(scan(t1, at + 10, "Gate 2"))
    with httpx.Client(base_url=server) as browser:
        r = browser.get("/dashboard", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/dashboard/login"
        r = browser.post("/dashboard/login", data={"token": "gsa_nope"})
        assert r.status_code == 401 and "not a valid admin token" in r.text
        r = browser.post("/dashboard/login", data={"token": org.token}, follow_redirects=False)
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert org.token not in r.headers["set-cookie"]
        page = browser.get("/dashboard").text
        assert "&lt;b&gt;Gala&lt;/b&gt; &amp; Co" in page and "<b>Gala</b>" not in page
        assert "2 admitted" in page and "1 conflicts" in page
        assert "<svg" in page and "<polyline" in page and "Gate 2" in page
        assert t1 in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
        csv = browser.get("/dashboard/scans.csv", params={"event": event_id})
        assert csv.status_code == 200 and len(csv.text.splitlines()) == 4
        rows = list(DictReader(io.StringIO(csv.text)))
        berlin = EventZone("Europe/Berlin")  # the event's zone, not the server's (UTC)
        assert rows[0]["device_time_local"] == format_iso(at, berlin)
        assert f"{format_hms(at, berlin)} Gate 1" in page and "Europe/Berlin" in page
        browser.post("/dashboard/logout")
        assert browser.get("/dashboard", follow_redirects=False).status_code == 303


def test_chart_has_one_line_per_gate() -> None:
    timeline = {"bucket": 300, "gates": ["A", "B"], "series": [
        {"start": 0, "counts": {"A": 3}}, {"start": 900, "counts": {"A": 1, "B": 5}}]}
    svg = chart_svg(timeline, UTC_ZONE)
    assert svg.count("<polyline") == 2 and ">5<" in svg
    assert "No entries" in chart_svg({"bucket": 300, "gates": [], "series": []}, UTC_ZONE)


def test_chart_labels_are_event_local_across_daylight_saving() -> None:
    # 2026-10-25 08:00Z and 09:00Z: 09:00 and 10:00 CET, after the change from CEST.
    first, last = 1_792_915_200, 1_792_918_800
    timeline = {"bucket": 300, "gates": ["A"], "series": [
        {"start": first, "counts": {"A": 1}}, {"start": last, "counts": {"A": 2}}]}
    svg = chart_svg(timeline, EventZone("Europe/Berlin", 120))
    assert ">09:00<" in svg and ">10:00<" in svg
