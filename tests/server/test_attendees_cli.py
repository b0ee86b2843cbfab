"""`gatescan-server tickets import` through the real console script: exit 0/1/2, the
mail-merge CSV, nothing issued twice; `ticket issue|link` still work under the old name."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from gatescan.server.console import events
from gatescan.server.console.plans import build_plan
from gatescan.server.settings import load_settings
from gatescan.server.store import IssuerStore
from tests.server.helpers import cli

ATTENDEES = """order_code;type;seat;name
A100;Standing;;Ann Lee
A100;Standing;;Bo Chen
B200;Balcony;;Unknown type
C300;VIP;R1 S1;Cai Wu
"""


def server(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "gatescan-server"
    return subprocess.run([str(script), "--data", str(data), *args], capture_output=True,
                          text=True, timeout=120)


def make_event(data: Path, name: str = "Riverside") -> int:
    with IssuerStore.open(load_settings(data, {})) as store:
        return events.create(store, build_plan({
            "name": name, "tz": "UTC", "gates": [{"name": "North"}],
            "ticket_types": [{"name": "Standing"}, {"name": "VIP"}]}))


def test_import_exit_status_links_out_and_nothing_twice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    event_id = make_event(data)
    source, out = tmp_path / "attendees.csv", tmp_path / "links.csv"
    source.write_text(ATTENDEES, encoding="utf-8-sig")
    first = server(data, "tickets", "import", str(source), "--links-out", str(out),
                   "--url", "https://tickets.example.org")
    assert first.returncode == 1, first.stderr
    assert "line 4: rejected (unknown_type)" in first.stdout
    assert "3 issued, 0 already issued, 1 rejected" in first.stdout
    assert f"importing into event {event_id}" in first.stderr  # the event it chose, said
    assert "1 rows were rejected" in first.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["name"] for r in rows] == ["Ann Lee", "Bo Chen", "Cai Wu"]
    assert all(r["link"].startswith("https://tickets.example.org/wallet/#claim=gsw_")
               for r in rows)
    assert out.stat().st_mode & 0o077 == 0  # claim links are secrets

    source.write_text(ATTENDEES.replace("Balcony", "VIP"), encoding="utf-8")
    again = server(data, "tickets", "import", str(source), "--event", str(event_id),
                   "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["issued"], report["already"], report["rejected"]) == (1, 3, 0)
    assert [r["status"] for r in report["results"]] == ["already", "already", "issued",
                                                        "already"]
    assert [r["ticket_id"] for r in report["results"] if r["status"] == "already"] == \
        [r["ticket"] for r in rows]
    assert report["results"][2]["link"].startswith("http")


def test_a_first_import_without_links_out_does_not_strand_the_tickets(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_event(data)
    source, out = tmp_path / "attendees.csv", tmp_path / "links.csv"
    source.write_text(ATTENDEES.replace("Balcony", "VIP"), encoding="utf-8")
    first = server(data, "tickets", "import", str(source), "--url", "https://t.example.org")
    assert first.returncode == 0 and "pass --links-out" in first.stdout, first.stderr
    again = server(data, "tickets", "import", str(source), "--links-out", str(out),
                   "--url", "https://t.example.org")
    assert again.returncode == 0, again.stderr
    assert "0 issued, 4 already issued" in again.stdout
    assert "4 tickets issued before and not yet on a phone got new links" in again.stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["name"] for r in rows] == ["Ann Lee", "Bo Chen", "Unknown type", "Cai Wu"]
    assert all(r["link"].startswith("https://t.example.org/wallet/#claim=gsw_") for r in rows)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "data"
    source = tmp_path / "a.csv"
    source.write_text(ATTENDEES)
    no_event = server(data, "tickets", "import", str(source))
    assert no_event.returncode == 2 and "no event" in no_event.stderr
    event_id = make_event(data)
    make_event(data, "Second")
    several = cli(data, "tickets", "import", str(source))
    assert several.exit_code == 2 and "--event" in several.output
    source.write_text("name\nx\n")
    bad = cli(data, "tickets", "import", str(source), "--event", str(event_id))
    assert bad.exit_code == 2 and "no column order_code or type" in bad.output
    missing = cli(data, "tickets", "import", str(tmp_path / "nope.csv"), "--event", "1")
    assert missing.exit_code == 2 and "cannot read" in missing.output
    bad_url = cli(data, "tickets", "import", str(source), "--url", "not a url")
    assert bad_url.exit_code == 2


def test_the_old_group_name_still_issues_and_links(tmp_path: Path) -> None:
    data = tmp_path / "data"
    event_id = make_event(data)
    for group in ("ticket", "tickets"):
        made = cli(data, group, "issue", "--event", str(event_id), "--type", "1", "--json")
        assert made.exit_code == 0, made.output
        again = cli(data, group, "link", json.loads(made.stdout)["ticket_id"], "--json")
        assert again.exit_code == 0 and "#claim=gsw_" in again.stdout
    listed = cli(None, "--help")
    commands = listed.output.split("Commands:")[1].splitlines()
    names = [line.split()[0] for line in commands if line.strip()]
    assert "tickets" in names and "ticket" not in names
