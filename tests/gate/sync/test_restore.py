"""A server restored from an older backup: the gates notice, repair it, and roll nothing back.

The real server on loopback; its store is backed up (a SQLite file copy, or
`pg_dump` / `pg_restore` when GATESCAN_TEST_PG_URL is set) before refunds,
transfers and scans, then restored under the running gates.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from gatescan.demo.phones import Wallet
from gatescan.gate.cli import main as gate_cli
from gatescan.protocol.token import parse_ticket_id
from gatescan.protocol.verdict import Outcome
from gatescan.server.settings import load_settings
from tests.gate.sync.conftest import TIMEOUT, Gate, Venue, demo_cli_json, server_cli_json
from tests.gate.sync.live import LiveServer
from tests.server.backends import pg_base_url, pg_schema

Backup = Callable[[], Callable[[], None]]


def sqlite_backup(venue: Venue) -> Callable[[], None]:
    """Copy the stopped server's database files; returns the function that puts them back."""
    db = Path(venue.settings.database_path)
    saved = db.parent / "backup"
    saved.mkdir()
    venue.server.stop()
    for f in db.parent.glob(db.name + "*"):
        shutil.copy2(f, saved / f.name)
    venue.server.start()

    def restore() -> None:
        venue.server.stop()
        for f in db.parent.glob(db.name + "*"):
            f.unlink()
        for f in saved.iterdir():
            shutil.copy2(f, db.parent / f.name)
        venue.server.start()
    return restore


def early_birds(venue: Venue) -> list[str]:
    """Plain single-entry tickets of the demo (not the special ones)."""
    special = set(venue.demo["special"].values())
    return [t for t, kind in venue.demo["ticket_types"].items()
            if kind == "early_bird" and t not in special]


def old_phone_code(venue: Venue, ticket: str, at: float) -> str:
    """The code the ticket's previous holder's phone still shows after a transfer."""
    with Wallet(venue.settings.wallet_path) as wallet:
        entry = wallet.previous(parse_ticket_id(ticket))
        assert entry is not None
        return entry.token(at, int(venue.demo["rotation_period"]))


def own_scan_ids(gate: Gate) -> set[str]:
    """Scan ids this gate made itself."""
    with gate.ledger() as ledger:
        return {r[0] for r in ledger.conn.execute(
            "SELECT scan_id FROM scans WHERE source != 'remote' AND ticket_id IS NOT NULL")}


def gate_ticket(gate: Gate, ticket: str) -> tuple[int, bool]:
    """(serial, revoked) of a ticket in a gate's ledger."""
    with gate.ledger() as ledger:
        rec = ledger.ticket(parse_ticket_id(ticket))
        assert rec is not None
        return rec.serial, bool(rec.revoked)


def server_scan_ids(venue: Venue) -> set[str]:
    """Every scan id the server holds (its CSV scan log: the same on either store)."""
    with venue.admin() as admin:
        r = admin.get(f"/api/v1/admin/events/{venue.event_id}/scans.csv")
    assert r.status_code == 200
    return {row["scan_id"] for row in csv.DictReader(io.StringIO(r.text))}


def pg_backup(venue: Venue) -> Callable[[], None]:
    """`pg_dump -Fc` of the venue's schema; returns the function that `pg_restore`s it."""
    assert venue.database_url is not None
    url = make_url(venue.database_url)
    schema = str(url.query["options"]).removeprefix("-csearch_path=")
    libpq = url.set(drivername="postgresql").difference_update_query(["options"]) \
        .render_as_string(hide_password=False)
    dump = venue.data / "backup.dump"
    subprocess.run(["pg_dump", "-Fc", "-n", schema, "-f", str(dump), libpq], check=True,
                   timeout=60)

    def restore() -> None:
        venue.server.stop()
        subprocess.run(["pg_restore", "--clean", "--if-exists", "-n", schema, "-d", libpq,
                        str(dump)], check=True, timeout=60)
        venue.server.start()
    return restore


@pytest.fixture
def pg_venue(tmp_path: Path) -> Iterator[Venue]:
    """The demo venue on a fresh PostgreSQL schema, served on a loopback port."""
    with pg_schema(pg_base_url()) as url:
        data = tmp_path / "server"
        demo = demo_cli_json(data, "--database-url", url, "event", "--tickets", "40")
        admin = str(server_cli_json(data, "--database-url", url, "admin-token")["token"])
        server = LiveServer(load_settings(data, {}, database_url=url)).start()
        try:
            yield Venue(data, demo, admin, server, url)
        finally:
            server.stop()


def dashboard_html(venue: Venue) -> str:
    """The dashboard page, signed in with the admin token."""
    with httpx.Client(base_url=venue.server.url, timeout=TIMEOUT, trust_env=False) as browser:
        r = browser.post("/dashboard/login", data={"token": venue.admin_token},
                         follow_redirects=True)
        assert r.status_code == 200
        return r.text


def run_restore_scenario(venue: Venue, make_gate: Any, backup: Backup) -> None:
    """Back up, refund, transfer, scan, restore, sync: nothing lost, nothing rolled back."""
    g1, g2 = make_gate("g1", "Gate 1"), make_gate("g2", "Gate 2")
    e1 = g1.enroll(venue.handshake("North", "Gate 1"))
    g2.enroll(venue.handshake("South", "Gate 2"))
    plain = early_birds(venue)
    moved, refunded, before, after = plain[0], plain[1], plain[2], plain[3:6]
    now = time.time()
    assert g1.scan(venue.token(before, now), now).outcome is Outcome.ADMITTED
    assert g1.engine.sync_once().pending_uploads == 0

    restore = backup()

    venue.phones("transfer", moved)
    venue.cli("revoke", refunded, "--reason", "refund")
    for g in (g1, g2):
        assert g.engine.sync_once().error is None
        assert gate_ticket(g, moved) == (1, False) and gate_ticket(g, refunded)[1]
    for i, ticket in enumerate(after):
        at = now + 10 + i
        assert g1.scan(venue.token(ticket, at), at).outcome is Outcome.ADMITTED
    st = g1.engine.sync_once()
    assert st.pending_uploads == 0 and st.error is None
    sent = own_scan_ids(g1)
    assert sent <= server_scan_ids(venue)

    restore()
    assert not sent <= server_scan_ids(venue)  # the server lost scans

    for _ in range(2):
        s1 = g1.engine.sync_once()
        g2.engine.sync_once()
    # 0 scans lost on the server
    assert sent <= server_scan_ids(venue)
    assert s1.pending_uploads == 0
    # 0 rolled-back tickets at the gates
    at = now + 60
    for g in (g1, g2):
        assert gate_ticket(g, moved) == (1, False)
        assert gate_ticket(g, refunded)[1]
    assert g2.scan(old_phone_code(venue, moved, at), at).outcome is not Outcome.ADMITTED
    assert g2.scan(venue.token(refunded, at + 1), at + 1).outcome is Outcome.REVOKED
    # the operator is told: the gate's status, status --json, the server's device list, dashboard
    assert s1.server_rollback is not None and s1.error is not None
    assert "restored" in s1.error
    assert s1.server_rollback["resent"] == len(after)
    result = CliRunner().invoke(gate_cli, ["--data", str(g1.root), "status", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["server_rollback"]["resent"] == len(after) and shown["sync_error"]
    with venue.admin() as admin:
        devices = admin.get(f"/api/v1/admin/events/{venue.event_id}/devices").json()["devices"]
    flagged = {d["device_id"]: d["server_rollback"] for d in devices}
    assert flagged[e1.device_id] is not None
    assert "restored from an older backup" in dashboard_html(venue)


def test_sqlite_server_restored_from_a_file_copy(venue: Venue, make_gate: Any) -> None:
    run_restore_scenario(venue, make_gate, lambda: sqlite_backup(venue))


def test_postgresql_server_restored_from_pg_dump(pg_venue: Venue, make_gate: Any) -> None:
    run_restore_scenario(pg_venue, make_gate, lambda: pg_backup(pg_venue))


def remote_scan_ids(gate: Gate) -> set[str]:
    """Scan ids a gate learned from the feed (other gates' scans)."""
    with gate.ledger() as ledger:
        return {r[0] for r in ledger.conn.execute(
            "SELECT scan_id FROM scans WHERE source = 'remote'")}


def test_new_scans_after_the_restore_neither_hide_the_loss_nor_the_feed(
        venue: Venue, make_gate: Any) -> None:
    # The first gate back pushes fresh scans before anything else: its checkpoint on the
    # server climbs past the lost ones, and the fresh scans take numbers the other gate's
    # cursor has already passed.
    g1, g2 = make_gate("g1", "Gate 1"), make_gate("g2", "Gate 2")
    g1.enroll(venue.handshake("North", "Gate 1"))
    g2.enroll(venue.handshake("South", "Gate 2"))
    plain = early_birds(venue)
    restore = sqlite_backup(venue)
    now = time.time()
    for i, ticket in enumerate(plain[:3]):
        assert g1.scan(venue.token(ticket, now + i), now + i).outcome is Outcome.ADMITTED
    assert g1.engine.sync_once().pending_uploads == 0
    refunded = plain[9]
    venue.cli("revoke", refunded, "--reason", "refund")
    assert g2.engine.sync_once().error is None  # g2's cursor is at the refund, past g1's scans
    restore()
    for i, ticket in enumerate(plain[3:9]):
        at = now + 20 + i
        assert g1.scan(venue.token(ticket, at), at).outcome is Outcome.ADMITTED
    s1 = g1.engine.sync_once()
    s2 = g2.engine.sync_once()
    mine = own_scan_ids(g1)
    assert len(mine) == 9 and mine <= server_scan_ids(venue)  # none of the first 3 lost
    assert s1.server_rollback is not None and s1.server_rollback["resent"] == 3
    assert mine <= remote_scan_ids(g2)  # g2 missed none of g1's scans
    # The refund's number now names one of g1's fresh scans: g2 was told, and kept the refund.
    assert s2.server_rollback is not None and "cursor_ahead" in s2.server_rollback["kinds"]
    assert gate_ticket(g2, refunded)[1]
