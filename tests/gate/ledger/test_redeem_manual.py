"""Manual admission by typed ticket id: same transaction, same rules, recorded as 'manual'."""

from __future__ import annotations

import io
import json
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.verify.view import GateContext, Movement
from gatescan.protocol.verdict import Level, Outcome
from tests.factories import T0, Issuer
from tests.gate.ledger.util import TICKETS, all_rows, run_worker

GATE = GateContext("Gate 1", device_id="gate-1-a")
GATE2 = GateContext("Gate 2", device_id="gate-2")


def row(ledger: Ledger, scan_id: str | None) -> sqlite3.Row:
    """The scan as another process sees it."""
    conn = sqlite3.connect(ledger.path)
    conn.row_factory = sqlite3.Row
    found = conn.execute("SELECT * FROM scans WHERE scan_id = ?", (scan_id,)).fetchone()
    conn.close()
    assert found is not None
    return found


def test_manual_admission_is_committed_and_logged_as_manual(loaded: Ledger) -> None:
    r = loaded.redeem_manual(0x1001, T0 + 0.5, GATE)
    assert r.recorded and r.seq == 1 and not loaded.conn.in_transaction
    v = r.verdict
    assert v.outcome is Outcome.ADMITTED and v.level is Level.ADMIT
    assert v.reason == "Manual: General"
    scan = row(loaded, r.scan_id)
    assert (scan["ticket_id"], scan["serial"], scan["event_id"]) == (0x1001, 0, 7)
    assert (scan["source"], scan["outcome"], scan["admit"], scan["uploaded"]) == (
        "manual", "admitted", 1, 0)
    assert (scan["gate"], scan["device_id"], scan["device_time"]) == (
        "Gate 1", "gate-1-a", T0 + 0.5)
    assert scan["reason"] == v.reason
    assert loaded.verify_chain().ok
    assert loaded.movements(0x1001) == [Movement(T0 + 0.5, "Gate 1", "entry", "gate-1-a")]
    unsent = loaded.unsent_scans()
    assert [(s.scan_id, s.source) for s in unsent] == [(r.scan_id, "manual")]


def test_manual_and_scanned_admissions_see_each_other(loaded: Ledger, issuer: Issuer) -> None:
    assert loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE).verdict.admit
    used = loaded.redeem_manual(0x1001, T0 + 60, GATE2).verdict
    assert used.outcome is Outcome.ALREADY_USED and used.previous_gate == "Gate 1"
    assert loaded.redeem_manual(0x1002, T0, GATE).verdict.admit
    by_code = loaded.redeem(issuer.issue(0x1002).token(T0 + 60), T0 + 60, GATE2).verdict
    assert by_code.outcome is Outcome.ALREADY_USED
    outcomes = [(s["source"], s["outcome"]) for s in all_rows(loaded.conn, "scans")]
    assert outcomes == [("cli", "admitted"), ("manual", "already_used"),
                        ("manual", "admitted"), ("cli", "already_used")]


def test_the_ledger_status_decides(loaded: Ledger, issuer: Issuer) -> None:
    refunded = loaded.redeem_manual(0x2002, T0, GATE).verdict
    assert refunded.outcome is Outcome.REVOKED and "refunded" in refunded.reason
    # A transferred ticket's current serial is what is admitted (and recorded).
    current = loaded.redeem_manual(0x3003, T0, GATE)
    assert current.verdict.admit and row(loaded, current.scan_id)["serial"] == 2
    unknown = loaded.redeem_manual(0xCCCC, T0, GATE)
    assert unknown.verdict.level is Level.CHECK and not unknown.verdict.admit
    assert unknown.recorded and row(loaded, unknown.scan_id)["ticket_id"] == 0xCCCC
    group = [loaded.redeem_manual(0x5005, T0 + i * 10, GATE).verdict.outcome for i in range(4)]
    assert group == [Outcome.ADMITTED] * 3 + [Outcome.ALREADY_USED]
    unset = loaded.redeem_manual(0x1002, T0, GateContext("Gate 1", clock_trusted=False))
    assert unset.verdict.outcome is Outcome.CLOCK_UNSET and unset.recorded


def test_no_event_loaded_records_nothing(ledger: Ledger) -> None:
    with pytest.raises(LedgerError) as info:
        ledger.redeem_manual(0x1001, T0, GATE)
    assert info.value.code == "no_event"
    assert ledger.status().scans == 0 and not ledger.conn.in_transaction


def test_bad_arguments_are_bugs_not_verdicts(loaded: Ledger) -> None:
    for bad in (-1, 2**63, True, "1001"):
        with pytest.raises(ValueError):
            loaded.redeem_manual(bad, T0, GATE)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        loaded.redeem_manual(0x1001, float("inf"), GATE)
    assert loaded.status().scans == 0


def test_a_disk_failure_is_a_ledger_error_and_nothing_half_written(loaded: Ledger) -> None:
    blocker = sqlite3.connect(loaded.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with Ledger(loaded.path, busy_timeout=0.2) as impatient, \
                pytest.raises(LedgerError) as info:
            impatient.redeem_manual(0x1001, T0, GATE)
        assert info.value.code == "locked"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert loaded.status().scans == 0
    assert loaded.redeem_manual(0x1001, T0, GATE).verdict.admit


def test_processes_typing_and_scanning_the_same_tickets_admit_each_once(
        loaded: Ledger, issuer: Issuer, tmp_path: Path) -> None:
    tickets = list(range(0x7000, 0x7000 + 20))
    # Typed numbers must be on the list (nothing proves an unlisted one): sequence 2 lists them.
    loaded.import_manifest(io.BytesIO(issuer.manifest(
        [*TICKETS, *((t, 1, 0, None) for t in tickets)], sequence=2)))
    texts = [issuer.issue(t).token(T0) for t in tickets]
    start_at = time.time() + 1.5  # after every interpreter has started
    workers = []
    for w, gate in enumerate(["Gate 1", "Gate 2", "VIP Gate"]):
        jobs: list[dict[str, object]] = []
        for k, (ticket, text) in enumerate(zip(tickets, texts, strict=True)):
            job: dict[str, object] = {"now": T0, "gate": gate, "device": f"dev-{w}",
                                      "at": start_at + k * 0.015}
            job.update({"manual": ticket} if (w + k) % 2 else {"text": text})
            jobs.append(job)
        path = tmp_path / f"{w}.json"
        path.write_text(json.dumps(jobs))
        workers.append(run_worker(str(loaded.path), str(path), str(start_at)))
    results = []
    for proc in workers:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results += [json.loads(line) for line in out.splitlines()]
    per_ticket = Counter((r["ticket_id"], r["outcome"]) for r in results)
    for t in tickets:
        assert per_ticket[(t, "admitted")] == 1 and per_ticket[(t, "already_used")] == 2
    sources = Counter(r["source"] for r in all_rows(loaded.conn, "scans"))
    assert sources["manual"] > 0 and sources["cli"] > 0
    assert loaded.verify_chain().ok


def test_manual_lookup_obeys_the_clock_rule_of_scans(loaded: Ledger, issuer: Issuer,
                                                    tmp_path: Path) -> None:
    """Defect: a gate clock a day ahead, "trusted", admitted a 3-day pass used that day.
    A per-day pass typed in needs a confirmed clock: the server's, or a code scanned here
    in the last 15 minutes whose time step matched (what the scan path checks)."""
    loaded.import_manifest(io.BytesIO(issuer.manifest(
        [*TICKETS, (0x6006, 5, 0, None), (0x6007, 5, 0, None)], sequence=2)))
    assert loaded.redeem_manual(0x6006, T0, GATE2).verdict.admit  # today, at Gate 2
    own_clock = GateContext("Gate 1", device_id="gate-1-a", clock_confirmed=False)
    ahead = T0 + 86400 + 600
    v = loaded.redeem_manual(0x6006, ahead, own_clock).verdict
    assert v.outcome is Outcome.CLOCK_UNSET and v.level is Level.CHECK and not v.admit
    # A code scanned at this gate a day ahead is stale: it vouches for nothing.
    stale = loaded.redeem(issuer.issue(0x1001).token(T0 + 700), ahead + 5, own_clock)
    assert stale.verdict.outcome is Outcome.STALE_CODE
    assert loaded.redeem_manual(0x6006, ahead + 10, own_clock).verdict.outcome \
        is Outcome.CLOCK_UNSET
    # With the clock right, a scanned code that matched it confirms the time for a while.
    right = T0 + 3600
    assert loaded.redeem(issuer.issue(0x1002).token(right), right, own_clock).verdict.admit
    assert loaded.redeem_manual(0x6006, right + 60, own_clock).verdict.outcome \
        is Outcome.ALREADY_USED  # the same day: used at Gate 2
    assert loaded.redeem_manual(0x6007, right + 120, own_clock).verdict.admit
    late = loaded.redeem_manual(0x6007, right + 120 + 86400, own_clock).verdict
    assert late.outcome is Outcome.CLOCK_UNSET  # a day later with no code since: not confirmed
