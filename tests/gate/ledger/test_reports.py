"""Reports on the scan log: this gate's counts, five-minute buckets, recent scans, conflicts."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from gatescan.gate.ledger import reports
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.token import format_ticket_id
from tests.factories import T0, Issuer, demo_policy
from tests.gate.ledger.test_replica import scan_change
from tests.gate.ledger.util import TICKETS, all_rows, dump

GATE = GateContext("Gate 1", "entry", "dev_000000000001")
EVENT = 7


@pytest.fixture
def busy(loaded: Ledger, issuer: Issuer) -> Ledger:
    """Local scans by camera and by hand, a refusal, garbage, and one scan from Gate 2."""
    loaded.redeem(issuer.issue(0x1001).token(T0 - 900), T0 - 900, GATE, source="camera")
    loaded.redeem_manual(0x1002, T0 - 600, GATE)
    loaded.redeem(issuer.issue(0x1001).token(T0 - 60), T0 - 60, GATE, source="camera")
    loaded.redeem("not a ticket", T0 - 30, GATE, source="wedge")
    loaded.redeem(issuer.issue(0x5005, type_id=3).token(T0), T0, GATE, source="camera")
    loaded.apply_changes(EVENT, [scan_change(1, 0x4004, T0 - 300)], "1")  # another gate's
    return loaded


def test_counts_are_this_gates_own_scans(busy: Ledger) -> None:
    before = dump(busy)
    report = reports.gate_report(busy, T0)
    assert dump(busy) == before and not busy.conn.in_transaction  # read-only
    assert report.event_name == "Test Festival"
    assert (report.total, report.admitted) == (5, 3)
    assert report.pending_uploads == busy.upload_counts().pending == 4  # garbage stays local
    assert reports.gate_counts(busy) == (3, 4)
    assert dict((o, n) for o, n in report.by_outcome) == {
        "admitted": 3, "already_used": 1, "malformed": 1}
    assert report.by_type == [("General", 2, 1), ("Group of 3", 1, 0)]


def test_five_minute_buckets_cover_the_window(busy: Ledger) -> None:
    report = reports.gate_report(busy, T0, hours=1.0)
    assert len(report.buckets) == 13
    assert all(b.start % reports.BUCKET_SECONDS == 0 for b in report.buckets)
    assert report.buckets[-1].start <= T0 < report.buckets[-1].start + reports.BUCKET_SECONDS
    assert sum(b.admitted for b in report.buckets) == 3
    assert sum(b.refused for b in report.buckets) == 2
    assert [b.admitted for b in reports.gate_report(busy, T0 + 4 * 3600).buckets] == [0] * 37


def test_recent_scans_newest_first_with_their_source(busy: Ledger) -> None:
    recent = reports.gate_report(busy, T0, recent=4).recent
    assert [(r.outcome, r.source) for r in recent] == [
        ("admitted", "camera"), ("malformed", "wedge"), ("already_used", "camera"),
        ("admitted", "manual")]
    assert recent[0].ticket == format_ticket_id(0x5005) and recent[0].type_name == "Group of 3"
    assert recent[1].ticket is None and recent[1].type_name is None
    assert (recent[3].time, recent[3].gate, recent[3].admit) == (T0 - 600, "Gate 1", True)


def test_conflicts_name_the_other_admissions(loaded: Ledger, issuer: Issuer) -> None:
    ours = loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE, source="camera")
    loaded.apply_changes(EVENT, [scan_change(3, 0x1001, T0 - 120, gate="Gate 2")], "3")
    assert reports.conflicts(loaded) == []
    assert ours.scan_id is not None
    loaded.record_upload_results([ours.scan_id], conflicts=[ours.scan_id], at=T0 + 30)
    [conflict] = reports.conflicts(loaded)
    assert conflict.scan_id == ours.scan_id and conflict.ticket == format_ticket_id(0x1001)
    assert (conflict.type_name, conflict.time, conflict.gate, conflict.outcome,
            conflict.reported_at) == ("General", T0, "Gate 1", "admitted", T0 + 30)
    assert conflict.others == (reports.OtherAdmission(T0 - 120, "Gate 2", "dev_00000000000b"),)
    assert reports.gate_report(loaded, T0).conflicts == [conflict]


def test_empty_ledger_reports_nothing(ledger: Ledger) -> None:
    report = reports.gate_report(ledger, T0)
    assert report.event_name is None and report.total == 0 and report.recent == []
    assert report.by_type == [] and report.conflicts == [] and len(report.buckets) == 37
    assert reports.gate_counts(ledger) == (0, 0)


def test_export_writes_the_whole_log_atomically(busy: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "scans.csv"
    assert reports.export_scans(busy, out) == 6
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == reports.EXPORT_COLUMNS
    assert [r["source"] for r in rows] == ["camera", "manual", "camera", "wedge", "camera",
                                           "remote"]
    assert rows[0]["ticket_id"] == "0000000000001001" and rows[0]["type"] == "General"
    assert rows[3]["ticket_id"] == "" and rows[4]["type"] == "Group of 3"
    with pytest.raises(OSError):
        reports.export_scans(busy, tmp_path / "no such dir" / "scans.csv")
    assert not busy.conn.in_transaction
    assert not list(tmp_path.rglob("*.tmp"))


def forged(issuer: Issuer, ticket_id: int, at: float) -> str:
    """A real code of a listed ticket with its phone signature broken."""
    from gatescan.protocol.token import decode_text, encode_text
    raw = bytearray(decode_text(issuer.issue(ticket_id).token(at)))
    raw[-1] ^= 0x01
    return encode_text(bytes(raw))


def test_repeat_reads_and_forged_codes_are_recorded_but_not_counted(
        loaded: Ledger, issuer: Issuer, tmp_path: Path) -> None:
    """Defects: a repeat read counted as an admission (it was "admit": true), and a forged
    code was counted under the ticket id and type read from it."""
    phone = issuer.issue(0x1001)
    first = loaded.redeem(phone.token(T0), T0, GATE, source="camera")
    again = loaded.redeem(phone.token(T0 + 8), T0 + 8, GATE, source="camera")
    fake = loaded.redeem(forged(issuer, 0x1002, T0 + 20), T0 + 20, GATE, source="camera")
    assert first.verdict.admit and again.recorded and fake.recorded
    assert again.verdict.outcome.value == "repeat_read" and not again.verdict.admit
    assert fake.verdict.outcome.value == "bad_signature" and fake.verdict.ticket is None
    rows = {r["scan_id"]: r for r in all_rows(loaded.conn, "scans")}
    assert (rows[again.scan_id]["admit"], rows[again.scan_id]["ticket_id"]) == (0, 0x1001)
    assert (rows[fake.scan_id]["ticket_id"], rows[fake.scan_id]["serial"]) == (None, None)
    report = reports.gate_report(loaded, T0 + 30)
    assert (report.total, report.admitted, report.refused) == (3, 1, 1)
    assert report.by_type == [("General", 1, 0)]  # the forged code is under no type
    assert dict(report.by_outcome) == {"admitted": 1, "repeat_read": 1, "bad_signature": 1}
    assert (sum(b.admitted for b in report.buckets), sum(b.refused for b in report.buckets)) \
        == (1, 1)
    assert [(r.outcome, r.ticket) for r in report.recent] == [
        ("bad_signature", None), ("repeat_read", format_ticket_id(0x1001)),
        ("admitted", format_ticket_id(0x1001))]
    assert loaded.status().admitted == 1 and reports.gate_counts(loaded)[0] == 1
    assert loaded.movements(0x1001) == [loaded.movements(0x1001)[0]]  # the one admission
    assert loaded.movements(0x1002) == []
    # The forged code never goes to the server; the repeat read does (as what it is).
    assert [s.outcome for s in loaded.unsent_scans()] == ["admitted", "repeat_read"]
    out = tmp_path / "scans.csv"
    reports.export_scans(loaded, out)
    with out.open(encoding="utf-8") as f:
        last = list(csv.DictReader(f))[-1]
    assert (last["outcome"], last["ticket_id"], last["serial"], last["type"]) == (
        "bad_signature", "", "", "")


def test_export_gives_each_scan_its_event_local_time(tmp_path: Path) -> None:
    issuer = Issuer(policy=replace(demo_policy(), tz="Europe/Berlin", tz_offset_minutes=0))
    with Ledger(tmp_path / "ledger.db") as ledger:
        ledger.import_manifest(issuer.write_manifest(tmp_path / "m", TICKETS))
        ledger.redeem(issuer.issue(0x1001).token(T0), T0, GATE, source="camera")
        out = tmp_path / "scans.csv"
        reports.export_scans(ledger, out)
    with out.open(encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row["local_time"] == "2026-09-21T16:13:20+02:00"  # T0 is 14:13:20Z, CEST
