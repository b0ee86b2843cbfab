"""Supervisor actions: "admit anyway" and "undo the last admission", in the hash-chained log."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatescan.gate.ledger import reports
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.supervisor import SupervisorError, clean_reason
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.movements import Logged, without_undone
from gatescan.protocol.verdict import Outcome
from tests.factories import T0, Issuer

GATE = GateContext("Gate 1", device_id="gate-1-a")
OTHER = GateContext("Gate 2", device_id="gate-2-b")


def test_after_an_undo_the_ticket_is_admitted_again(loaded: Ledger, issuer: Issuer) -> None:
    token = issuer.issue(0x1001).token(T0)
    first = loaded.redeem(token, T0, GATE, source="camera")
    assert first.verdict.outcome is Outcome.ADMITTED
    # Without the undo the same ticket at another gate is already used ...
    assert loaded.redeem(token, T0 + 20, OTHER, dry_run=True).verdict.outcome \
        is Outcome.ALREADY_USED
    undo = loaded.undo_admission("did not go through", T0 + 30, GATE)
    assert undo.recorded and undo.verdict.outcome is Outcome.ADMISSION_UNDONE
    assert not undo.verdict.admit
    assert undo.verdict.ticket is not None and undo.verdict.ticket.ticket_id == 0x1001
    # ... after it, it is not (the movement is gone), here or at another gate.
    assert loaded.movements(0x1001) == []
    again = loaded.redeem(issuer.issue(0x1001).token(T0 + 40), T0 + 40, GATE, source="camera")
    assert again.verdict.outcome is Outcome.ADMITTED and again.verdict.admit
    assert len(loaded.movements(0x1001)) == 1
    assert loaded.verify_chain().ok and loaded.verify_chain().scans == 3


def test_undo_un_counts_the_admission(loaded: Ledger, issuer: Issuer, tmp_path: Path) -> None:
    loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE, source="camera")
    loaded.redeem(issuer.issue(0x1002).token(T0), T0 + 1, GATE, source="camera")
    assert reports.gate_counts(loaded)[0] == 2
    loaded.undo_admission("turned back", T0 + 5, GATE)
    assert reports.gate_counts(loaded)[0] == 1
    assert loaded.status().admitted == 1
    assert loaded.status().scans_by_outcome["admission_undone"] == 1
    # The manager's CSV export has the undo as its own kind, with the reason.
    assert reports.export_scans(loaded, tmp_path / "scans.csv") == 3
    rows = list(csv.DictReader((tmp_path / "scans.csv").read_text("utf-8").splitlines()))
    assert [(r["outcome"], r["reason"]) for r in rows][-1] == ("admission_undone",
                                                               "turned back")
    report = reports.gate_report(loaded, T0 + 10)
    assert report.admitted == 1
    assert ("General", 1, 0) in report.by_type
    assert sum(b.admitted for b in report.buckets) == 1
    assert sum(b.refused for b in report.buckets) == 0


def test_undo_cancels_only_the_latest_admission_of_this_device(loaded: Ledger,
                                                                issuer: Issuer) -> None:
    loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE, source="camera")
    loaded.redeem(issuer.issue(0x1002).token(T0), T0 + 1, GATE, source="camera")
    undo = loaded.undo_admission("no", T0 + 2, GATE)
    assert undo.verdict.ticket is not None and undo.verdict.ticket.ticket_id == 0x1002
    assert len(loaded.movements(0x1001)) == 1 and loaded.movements(0x1002) == []
    with pytest.raises(SupervisorError) as again:
        loaded.undo_admission("twice", T0 + 3, GATE)
    assert again.value.code == "already_undone"
    with pytest.raises(SupervisorError) as other:
        loaded.undo_admission("not mine", T0 + 3, OTHER)
    assert other.value.code == "nothing_to_undo"


def test_undo_window_and_reason_are_enforced(loaded: Ledger, issuer: Issuer) -> None:
    loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE, source="camera")
    with pytest.raises(SupervisorError) as blank:
        loaded.undo_admission("   ", T0 + 10, GATE)
    assert blank.value.code == "no_reason"
    with pytest.raises(SupervisorError) as late:
        loaded.undo_admission("too late", T0 + 301, GATE)
    assert late.value.code == "too_late"
    assert loaded.undo_admission("in time", T0 + 60, GATE, window=120).recorded
    assert loaded.status().scans == 2  # refused actions record nothing


def test_automatic_undo_names_its_admission_and_keeps_its_source(loaded: Ledger,
                                                                  issuer: Issuer) -> None:
    first = loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE, source="camera")
    loaded.redeem(issuer.issue(0x1002).token(T0), T0 + 1, GATE, source="wedge")
    assert first.scan_id is not None
    undo = loaded.undo_admission("no passage", T0 + 11, GATE, scan_id=first.scan_id)
    assert undo.verdict.ticket is not None and undo.verdict.ticket.ticket_id == 0x1001
    row = loaded.conn.execute("SELECT source, reason, admit FROM scans WHERE scan_id = ?",
                              (undo.scan_id,)).fetchone()
    assert row == ("camera", "no passage", 0)
    assert loaded.movements(0x1001) == [] and len(loaded.movements(0x1002)) == 1


def test_admit_anyway_is_an_entry_with_its_reason(loaded: Ledger, issuer: Issuer) -> None:
    refused = loaded.redeem(issuer.issue(0x2002).token(T0), T0, GATE, source="camera")
    assert refused.verdict.outcome is Outcome.REVOKED and refused.scan_id is not None
    with pytest.raises(SupervisorError) as blank:
        loaded.admit_anyway(refused.scan_id, "", T0 + 5, GATE)
    assert blank.value.code == "no_reason"
    over = loaded.admit_anyway(refused.scan_id, "refund was a mistake, checked with box office",
                               T0 + 5, GATE)
    assert over.recorded and over.verdict.admit
    assert over.verdict.outcome is Outcome.OVERRIDE_ADMITTED
    row = loaded.conn.execute("SELECT ticket_id, outcome, admit, reason, source FROM scans "
                              "WHERE scan_id = ?", (over.scan_id,)).fetchone()
    assert row == (0x2002, "override_admitted", 1,
                   "refund was a mistake, checked with box office", "manual")
    assert [m.gate for m in loaded.movements(0x2002)] == ["Gate 1"]
    assert reports.gate_counts(loaded)[0] == 1
    # It cannot be applied twice, and it can be undone like any admission.
    with pytest.raises(SupervisorError) as twice:
        loaded.admit_anyway(refused.scan_id, "again", T0 + 6, GATE)
    assert twice.value.code == "not_latest"
    loaded.undo_admission("did not go in", T0 + 7, GATE)
    assert loaded.movements(0x2002) == []
    assert loaded.verify_chain().ok


def test_admit_anyway_refuses_an_admission_or_an_old_refusal(loaded: Ledger,
                                                             issuer: Issuer) -> None:
    ok = loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE, source="camera")
    assert ok.scan_id is not None
    with pytest.raises(SupervisorError) as admitted:
        loaded.admit_anyway(ok.scan_id, "why", T0 + 1, GATE)
    assert admitted.value.code == "not_refused"
    bad = loaded.redeem("not a ticket", T0 + 2, GATE, source="camera")
    assert bad.scan_id is not None
    with pytest.raises(SupervisorError) as late:
        loaded.admit_anyway(bad.scan_id, "why", T0 + 400, GATE)
    assert late.value.code == "too_late"


def test_synced_undo_from_another_gate_frees_the_ticket_here(loaded: Ledger,
                                                             issuer: Issuer) -> None:
    admitted = "a" * 32
    undone = "b" * 32
    common = {"ticket_id": "0000000000001001", "serial": 0, "gate": "Gate 2",
              "direction": "entry", "device_id": "dev_000000000002"}
    loaded.apply_changes(7, [
        {"seq": 1, "kind": "scan", "scan_id": admitted, "outcome": "admitted",
         "device_time": T0, **common},
        {"seq": 2, "kind": "scan", "scan_id": undone, "outcome": "admission_undone",
         "device_time": T0 + 9, **common},
    ], "2")
    assert loaded.movements(0x1001) == []
    verdict = loaded.redeem(issuer.issue(0x1001).token(T0 + 20), T0 + 20, GATE).verdict
    assert verdict.outcome is Outcome.ADMITTED


def test_supervisor_scans_are_uploaded_with_their_kind(loaded: Ledger, issuer: Issuer) -> None:
    loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE, source="camera")
    loaded.undo_admission("no passage", T0 + 10, GATE)
    items = [s.as_item() for s in loaded.unsent_scans()]
    assert [i["outcome"] for i in items] == ["admitted", "admission_undone"]
    assert items[1]["reason"] == "no passage"
    assert items[1]["ticket_id"] == items[0]["ticket_id"]


@given(st.text(max_size=400))
def test_clean_reason_accepts_only_printable_non_blank_text(text: str) -> None:
    try:
        reason = clean_reason(text)
    except SupervisorError as exc:
        assert exc.code == "no_reason"
        assert not text.split() or any(ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF
                                       for c in " ".join(text.split()))
    else:
        assert reason and reason == reason.strip() and len(reason) <= 300
        assert reason in " ".join(text.split())


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["dev_00000000000a", "dev_00000000000b"]),
                          st.sampled_from(["admitted", "override_admitted", "admission_undone",
                                           "already_used"])), max_size=12))
def test_the_gate_and_the_server_cancel_the_same_admissions(
        loaded: Ledger, spec: list[tuple[str, str]]) -> None:
    """The ledger's SQL rule and gatescan.protocol.movements.without_undone agree on any log."""
    ticket = 0x1002
    base = T0 + 10_000 * (loaded.status().scans + 1)
    changes = [{"seq": i + 1, "kind": "scan", "scan_id": f"{base + i:032x}",
                "ticket_id": f"{ticket:016x}", "serial": 0, "gate": "Gate 2",
                "direction": "entry", "outcome": outcome, "device_time": float(base + i),
                "device_id": device} for i, (device, outcome) in enumerate(spec)]
    before = {m.time for m in loaded.movements(ticket)}
    loaded.apply_changes(7, changes, "c")
    gate = {m.time for m in loaded.movements(ticket)} - before
    server = {m.time for m in without_undone(
        Logged(c["scan_id"], i, c["device_id"], c["device_time"], "entry", c["outcome"])
        for i, c in enumerate(changes))}
    assert gate == server
