"""The USB round trip: a real gate's export files (the kiosk's CSV, `export-scans` JSON Lines)
imported in the console and with `gatescan-server scans import`, against the real server.

Every scan is stored once, whatever the order of imports and syncs; another gate's scan
in a CSV is skipped; an offline double admission imported from a stick is a conflict;
staff may import, a viewer may not; a file that is no export is refused with its reason.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from gatescan.gate.ledger import reports as gate_reports
from gatescan.gate.sync import export as gate_export
from gatescan.protocol.scan_export import CSV_COLUMNS
from gatescan.protocol.verdict import Outcome
from gatescan.server.cli import main as server_cli
from gatescan.server.console.roles import Role
from gatescan.server.settings import load_settings
from gatescan.server.store import IssuerStore
from tests.gate.sync.conftest import Gate, Venue, demo_template, gates, make_gate, venue
from tests.server.console_helpers import account, csrf_of, sign_in
from tests.server.live import serving

__all__ = ["demo_template", "gates", "make_gate", "venue"]  # fixtures used here


def upload(client: httpx.Client, event_id: int, data: bytes, name: str,
           device_id: str = "", csrf: str | None = None) -> httpx.Response:
    path = f"/console/events/{event_id}/scans/import"
    token = csrf_of(client, path) if csrf is None else csrf
    return client.post(path, data={"csrf": token, "device_id": device_id},
                       files={"file": (name, data, "text/csv")})


def totals(page: str) -> dict[str, int]:
    """The result counts the page shows."""
    found = dict((label, int(n)) for n, label in re.findall(
        r"<li(?: class=\"bad\")?><strong>(\d+)</strong> ([^<]+)</li>", page))
    return {"stored": found["stored"], "duplicate": found["already here (duplicates)"],
            "rejected": found["rejected"], "skipped": found["skipped"],
            "conflicts": found["in a conflict"]}


def accounts(venue: Venue) -> None:
    with IssuerStore.open(venue.settings) as store:
        account(store, "door@example.org", Role.STAFF, venue.event_id)
        account(store, "look@example.org", Role.VIEWER, venue.event_id)


def scans_import(venue: Venue, *args: str) -> Any:
    return CliRunner().invoke(server_cli, ["--data", str(venue.data), "scans", "import", *args])


def test_kiosk_csv_and_jsonl_import_each_scan_once_then_sync_finds_them(
        venue: Venue, make_gate: Any, tmp_path: Path) -> None:
    accounts(venue)
    gate: Gate = make_gate("north", "Gate 1")
    enrolled = gate.enroll(venue.handshake("North", "Gate 1"))
    venue.server.stop()  # the gate never gets network again before the stick goes over
    now = time.time()
    tickets = venue.demo["tickets"][:3]
    for i, ticket in enumerate(tickets):
        assert gate.scan(venue.token(ticket, now + i), now + i).outcome is Outcome.ADMITTED
    again = gate.scan(venue.token(tickets[0], now + 200), now + 200)
    assert again.outcome is Outcome.ALREADY_USED
    kiosk, jsonl = tmp_path / "scans.csv", tmp_path / "scans.jsonl"
    with gate.ledger() as ledger:
        assert gate_reports.export_scans(ledger, kiosk) == 4
        assert gate_export.export_scans(ledger, jsonl, enrolled.device_id).scans == 4
    venue.server.start()

    with sign_in(venue.server.url, "door@example.org") as staff:
        form = staff.get(f"/console/events/{venue.event_id}/scans/import")
        assert form.status_code == 200 and enrolled.device_id in form.text
        first = upload(staff, venue.event_id, kiosk.read_bytes(), "scans.csv",
                       enrolled.device_id)
        assert first.status_code == 200, first.text
        assert totals(first.text) == {"stored": 4, "duplicate": 0, "rejected": 0,
                                      "skipped": 0, "conflicts": 0}
        assert "scans.csv (CSV)" in first.text
        second = upload(staff, venue.event_id, kiosk.read_bytes(), "scans.csv")
        assert totals(second.text)["duplicate"] == 4 and totals(second.text)["stored"] == 0
        third = upload(staff, venue.event_id, jsonl.read_bytes(), "scans.jsonl")
        assert totals(third.text)["duplicate"] == 4 and "(JSONL)" in third.text
    out = scans_import(venue, str(jsonl), "--json")
    assert out.exit_code == 0, out.output
    cli = json.loads(out.stdout)
    assert cli["event_id"] == venue.event_id and cli["format"] == "jsonl"
    assert (cli["stored"], cli["duplicate"]) == (0, 4) and len(cli["results"]) == 4

    assert gate.engine.sync_once().pending_uploads == 0  # its push finds them all there
    held = venue.scans()
    assert len(held) == 4 and {s["device_id"] for s in held} == {enrolled.device_id}
    assert {s["via"] for s in held} == {"import"}
    with IssuerStore.open(venue.settings) as store:
        from gatescan.server.console import audit
        logged = [e for e in audit.recent(store, events=None) if e.action == "scans_import"]
    assert len(logged) == 4 and logged[-1].actor == "door@example.org"


def test_a_stick_from_an_offline_gate_shows_the_double_admission_and_skips_remote_rows(
        venue: Venue, make_gate: Any, tmp_path: Path) -> None:
    accounts(venue)
    north, south = make_gate("north", "Gate 1"), make_gate("south", "Gate 2")
    north.enroll(venue.handshake("North", "Gate 1"))
    south.enroll(venue.handshake("South", "Gate 2"))
    ticket, other = venue.demo["special"]["early_bird"], venue.demo["tickets"][5]
    now = time.time()
    assert north.scan(venue.token(other, now), now).outcome is Outcome.ADMITTED
    assert north.engine.sync_once().pending_uploads == 0
    assert south.engine.sync_once().error is None  # South now holds North's scan (remote)
    venue.server.stop()
    assert north.scan(venue.token(ticket, now + 5), now + 5).outcome is Outcome.ADMITTED
    assert south.scan(venue.token(ticket, now + 60), now + 60).outcome is Outcome.ADMITTED
    venue.server.start()
    assert north.engine.sync_once().pending_uploads == 0
    stick = tmp_path / "south.csv"
    with south.ledger() as ledger:
        assert gate_reports.export_scans(ledger, stick) == 2  # North's (remote) and its own

    out = scans_import(venue, str(stick), "--event", str(venue.event_id))
    assert out.exit_code == 0, out.output
    assert "line 2: skipped: another gate's scan" in out.stdout
    assert "1 stored, 0 duplicate, 0 rejected, 1 skipped; 1 in a conflict" in out.stdout
    with venue.admin() as admin:
        found = admin.get(f"/api/v1/admin/events/{venue.event_id}/conflicts").json()
    [conflict] = found["conflicts"]
    assert conflict["ticket_id"] == ticket
    assert {s["gate"] for s in conflict["scans"]} == {"Gate 1", "Gate 2"}
    with sign_in(venue.server.url, "door@example.org") as staff:
        page = upload(staff, venue.event_id, stick.read_bytes(), "south.csv")
    assert totals(page.text) == {"stored": 0, "duplicate": 1, "rejected": 0, "skipped": 1,
                                 "conflicts": 1}
    assert "another gate&#39;s scan" in page.text and "conflict" in page.text


def test_the_command_fails_when_some_rows_were_rejected(venue: Venue, make_gate: Any,
                                                        tmp_path: Path) -> None:
    gate = make_gate("north", "Gate 1")
    gate.enroll(venue.handshake("North", "Gate 1"))
    venue.server.stop()
    now = time.time()
    for i, ticket in enumerate(venue.demo["tickets"][:2]):
        gate.scan(venue.token(ticket, now + i), now + i)
    stick = tmp_path / "north.csv"
    with gate.ledger() as ledger:
        assert gate_reports.export_scans(ledger, stick) == 2
    lines = stick.read_text().splitlines()
    lines[2] = lines[2].replace(",Gate 1,", ",Gate 99,")  # a gate the event does not have
    stick.write_text("\n".join(lines) + "\n")
    out = scans_import(venue, str(stick), "--event", str(venue.event_id))
    assert out.exit_code == 1, out.output  # a script or operator must not miss a lost row
    assert "line 3: rejected" in out.stdout and "1 stored, 0 duplicate, 1 rejected" in out.stdout
    again = scans_import(venue, str(stick), "--event", str(venue.event_id), "--json")
    assert again.exit_code == 1 and json.loads(again.stdout)["rejected"] == 1


def test_the_api_takes_the_kiosk_csv_too(venue: Venue, make_gate: Any, tmp_path: Path) -> None:
    gate = make_gate("north", "Gate 1")
    gate.enroll(venue.handshake("North", "Gate 1"))
    now = time.time()
    gate.scan(venue.token(venue.demo["tickets"][0], now), now)
    kiosk = tmp_path / "k.csv"
    with gate.ledger() as ledger:
        gate_reports.export_scans(ledger, kiosk)
    path = f"/api/v1/admin/events/{venue.event_id}/scans/import"
    with venue.admin() as admin:
        r = admin.post(path, content=kiosk.read_bytes(), headers={"content-type": "text/csv"})
        assert r.status_code == 200, r.text
        assert (r.json()["stored"], r.json()["skipped"]) == (1, 0)
        bad = admin.post(path, content=b"\x89PNG\r\n\x1a\n", headers={"content-type": "text/csv"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "not_export"


def test_refusals_viewer_csrf_and_files_that_are_no_export(venue: Venue,
                                                           tmp_path: Path) -> None:
    accounts(venue)
    event_id = venue.event_id
    with sign_in(venue.server.url, "look@example.org") as viewer:
        assert viewer.get(f"/console/events/{event_id}/scans/import").status_code == 403
        token = csrf_of(viewer, f"/console/events/{event_id}")
        r = upload(viewer, event_id, b"", "x.csv", csrf=token)
        assert r.status_code == 403
    with sign_in(venue.server.url, "door@example.org") as staff:
        no_csrf = upload(staff, event_id, b"seq,scan_id\n", "x.csv", csrf="")
        assert no_csrf.status_code == 403
        png = upload(staff, event_id, b"\x89PNG\r\n\x1a\n\x00\x00", "photo.png")
        assert png.status_code == 422 and "Nothing was imported" in png.text
        assert "not a gate&#39;s scan export" in png.text
        empty = upload(staff, event_id, b"", "none.csv")
        assert empty.status_code == 422 and "Choose the file" in empty.text
        header = ",".join(CSV_COLUMNS).encode()
        ghost = upload(staff, event_id, header, "x.csv", device_id="dev_000000000000")
        assert ghost.status_code == 422 and "has no device dev_000000000000" in ghost.text
    assert venue.scans() == []
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"hello\n")
    out = scans_import(venue, str(junk))
    assert out.exit_code == 2 and "not a gate's scan export" in out.output
    out = scans_import(venue, str(tmp_path / "missing.csv"))
    assert out.exit_code == 2 and "cannot read" in out.output


def test_a_file_over_the_limit_gets_a_page_not_json(tmp_path: Path) -> None:
    settings = replace(load_settings(tmp_path / "data", {}), max_import_bytes=64 * 1024)
    with IssuerStore.open(settings) as store, serving(settings, store) as url:
        account(store, "door@example.org", Role.OWNER)
        with sign_in(url, "door@example.org") as staff:
            big = b"seq,scan_id\n" + b"1,x\n" * 40_000
            r = upload(staff, 4242, big, "big.csv", csrf="x")
            assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
            assert "larger than 64 KiB: nothing was imported" in r.text
            zh = staff.post("/console/events/4242/scans/import", content=big,
                            headers={"accept-language": "zh-CN,zh;q=0.9",
                                     "content-type": "text/csv"})
            assert zh.status_code == 413 and "未导入任何内容" in zh.text
        with httpx.Client(base_url=url, trust_env=False) as api:
            r = api.post("/api/v1/admin/events/4242/scans/import", content=big)
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
