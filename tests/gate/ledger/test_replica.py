"""The ledger as a sync replica: pulled changes, remote scans, upload results, wipe, clock."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.replica import CURSOR_KEY
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.manifest import endorse_key
from gatescan.protocol.token import format_ticket_id, key_id
from gatescan.protocol.verdict import Outcome
from tests.factories import T0, Issuer, seeded_key
from tests.gate.ledger.util import TICKETS

GATE = GateContext("Gate 1", "entry", "dev_000000000001")
EVENT = 7


def scan_change(seq: int, ticket: int, at: float, gate: str = "Gate 2",
                scan_id: str | None = None, device: str | None = "dev_00000000000b",
                outcome: str = "admitted") -> dict[str, Any]:
    return {"seq": seq, "kind": "scan", "scan_id": scan_id or f"{seq:032x}",
            "ticket_id": format_ticket_id(ticket), "serial": 0, "gate": gate,
            "direction": "entry", "outcome": outcome, "device_time": at, "device_id": device}


def movement(scan_id: str, gate: str, excess: bool) -> dict[str, Any]:
    """One scan named by a conflict change, as the server writes it."""
    return {"device_id": "dev_00000000000b", "device_time": T0, "direction": "entry",
            "excess": excess, "gate": gate, "outcome": "admitted", "scan_id": scan_id,
            "serial": 0}


def test_remote_scan_makes_the_ticket_already_used_with_the_other_gate(
        loaded: Ledger, issuer: Issuer) -> None:
    loaded.apply_changes(EVENT, [scan_change(5, 0x1001, T0 - 300)], "5")
    v = loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE).verdict
    assert v.outcome is Outcome.ALREADY_USED
    assert (v.previous_gate, v.previous_time) == ("Gate 2", T0 - 300)
    row = loaded.conn.execute("SELECT source, uploaded, recorded_at, device_time FROM scans "
                              "WHERE seq = 1").fetchone()
    assert row[:2] == ("remote", 1) and row[3] == T0 - 300
    assert loaded.verify_chain().ok and loaded.sync_state(CURSOR_KEY) == "5"
    assert loaded.upload_counts().pending == 1  # only the local refusal waits for upload


def test_conflict_notice_marks_this_gates_own_scan_quietly(
        loaded: Ledger, issuer: Issuer, caplog: pytest.LogCaptureFixture) -> None:
    mine = loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE)
    assert mine.verdict.outcome is Outcome.ADMITTED and mine.scan_id is not None
    other = scan_change(8, 0x1001, T0 + 5, scan_id="ab" * 16)
    notice = {"seq": 9, "kind": "conflict", "ticket_id": format_ticket_id(0x1001),
              "entries": 2, "allowed": 1, "detected_at": T0 + 60, "scans_total": 2,
              "scans": [movement(mine.scan_id, "Gate 1", False),
                        movement(other["scan_id"], "Gate 2", True),
                        movement("cd" * 16, "Gate 3", False)]}
    with caplog.at_level("WARNING"):
        applied = loaded.apply_changes(EVENT, [other, notice], "9")
    assert applied.conflicts == 1 and applied.skipped == []
    assert "skipped" not in caplog.text
    rows = loaded.conn.execute("SELECT scan_id, status FROM upload_results").fetchall()
    assert rows == [(mine.scan_id, "conflict")]  # not the other gate's, not an unknown one
    assert loaded.upload_counts().conflicts == 1
    again = loaded.apply_changes(EVENT, [notice], "9")
    assert again.skipped == [] and loaded.upload_counts().conflicts == 1


def test_applying_a_page_twice_changes_nothing(loaded: Ledger) -> None:
    page = [
        {"seq": 1, "kind": "ticket", "ticket_id": format_ticket_id(0x7007), "type_id": 1,
         "serial": 0, "seat": "Z-9"},
        {"seq": 2, "kind": "revocation", "ticket_id": format_ticket_id(0x1002), "serial": None,
         "reason": "refund"},
        scan_change(3, 0x1001, T0 - 60),
        scan_change(4, 0x1001, T0 - 60),  # the same scan id twice in one page
    ]
    page[3]["scan_id"] = page[2]["scan_id"]
    first = loaded.apply_changes(EVENT, page, "4")
    before = [tuple(r) for r in loaded.conn.execute("SELECT * FROM scans ORDER BY seq")]
    tickets = [tuple(r) for r in loaded.conn.execute("SELECT * FROM tickets ORDER BY ticket_id")]
    again = loaded.apply_changes(EVENT, page, "4")
    assert (first.tickets, first.revocations, first.scans) == (1, 1, 1)
    assert again.scans == 0
    assert [tuple(r) for r in loaded.conn.execute("SELECT * FROM scans ORDER BY seq")] == before
    assert [tuple(r) for r in loaded.conn.execute(
        "SELECT * FROM tickets ORDER BY ticket_id")] == tickets
    assert loaded.ticket(0x1002).revoked and loaded.ticket(0x7007).seat == "Z-9"  # type: ignore[union-attr]


def test_transfer_supersedes_and_a_serial_never_goes_down(loaded: Ledger, issuer: Issuer) -> None:
    tid = format_ticket_id(0x1001)
    loaded.apply_changes(EVENT, [
        {"seq": 1, "kind": "revocation", "ticket_id": tid, "serial": 0, "reason": "transfer"},
        {"seq": 2, "kind": "transfer", "ticket_id": tid, "type_id": 1, "serial": 1, "seat": None,
         "previous_serial": 0}], "2")
    record = loaded.ticket(0x1001)
    assert record is not None and record.serial == 1 and not record.revoked
    old = loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE, dry_run=True).verdict
    new = loaded.redeem(issuer.issue(0x1001, serial=1).token(T0), T0, GATE, dry_run=True).verdict
    assert old.outcome is Outcome.SUPERSEDED and new.outcome is Outcome.ADMITTED
    # Replaying the original sale (an older change) leaves serial 1 in place.
    loaded.apply_changes(EVENT, [{"seq": 1, "kind": "ticket", "ticket_id": tid, "type_id": 1,
                                  "serial": 0, "seat": None}], "2")
    assert loaded.ticket(0x1001).serial == 1  # type: ignore[union-attr]


def test_new_key_and_policy_from_the_feed(loaded: Ledger, issuer: Issuer) -> None:
    new_key = seeded_key("issuer-2")
    public = bytes(new_key.verify_key)
    policy = issuer.policy.to_dict()
    policy["name"] = "Renamed Festival"
    result = loaded.apply_changes(EVENT, [
        {"seq": 1, "kind": "key", "kid": key_id(public).hex(), "public_key": public.hex(),
         "endorsed_by": issuer.kid.hex(),
         "endorsement": endorse_key(issuer.key, EVENT, public).hex()},
        {"seq": 2, "kind": "policy", "policy": policy}], "2")
    assert (result.keys, result.policies) == (1, 1)
    assert loaded.issuer_keys(EVENT, key_id(public)) == [public]
    assert loaded.event(EVENT).name == "Renamed Festival"  # type: ignore[union-attr]
    token = issuer.issue(0x1002, key=new_key).token(T0)
    assert loaded.redeem(token, T0, GATE).verdict.outcome is Outcome.ADMITTED


def test_a_key_from_the_feed_needs_a_trusted_keys_endorsement(loaded: Ledger,
                                                              issuer: Issuer) -> None:
    # A relay between gate and server adds its own key to the feed, then shows a ticket
    # it signed: the key is skipped, the ticket refused.
    relay = seeded_key("relay")
    public = bytes(relay.verify_key)
    unsigned = {"seq": 1, "kind": "key", "kid": key_id(public).hex(),
                "public_key": public.hex()}
    self_signed = {**unsigned, "seq": 2, "endorsement": endorse_key(relay, EVENT, public).hex()}
    other_event = {**unsigned, "seq": 3,
                   "endorsement": endorse_key(issuer.key, EVENT + 1, public).hex()}
    result = loaded.apply_changes(EVENT, [unsigned, self_signed, other_event], "3")
    assert result.keys == 0 and len(result.skipped) == 3
    assert all("endorsed" in why for why in result.skipped)
    assert loaded.issuer_keys(EVENT, key_id(public)) == []
    token = issuer.issue(0x1002, key=relay).token(T0)
    assert loaded.redeem(token, T0, GATE).verdict.outcome is not Outcome.ADMITTED


def test_a_bad_change_is_skipped_and_named_never_blocking_the_page(loaded: Ledger) -> None:
    result = loaded.apply_changes(EVENT, [
        {"seq": 1, "kind": "ticket", "ticket_id": "not hex", "type_id": 1, "serial": 0},
        {"seq": 2, "kind": "key", "kid": "00000000", "public_key": "ab" * 32},  # kid mismatch
        {"seq": 3, "kind": "teleport"},
        scan_change(4, 0x1001, float("nan")),
        {"seq": 5, "kind": "ticket", "ticket_id": format_ticket_id(0x7007), "type_id": 1,
         "serial": 0, "seat": None}], "5")
    assert result.tickets == 1 and len(result.skipped) == 4
    assert loaded.sync_state(CURSOR_KEY) == "5" and loaded.ticket(0x7007) is not None


def test_a_failed_page_keeps_the_old_cursor(loaded: Ledger, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    loaded.apply_changes(EVENT, [], "3")
    from gatescan.gate.ledger import replica

    def boom(self: Any) -> None:
        raise sqlite3.OperationalError("simulated crash mid-page")

    monkeypatch.setattr(replica._Page, "append_scans", boom)
    with pytest.raises(sqlite3.OperationalError):
        loaded.apply_changes(EVENT, [
            {"seq": 4, "kind": "ticket", "ticket_id": format_ticket_id(0x7007), "type_id": 1,
             "serial": 0, "seat": None}], "4")
    assert loaded.sync_state(CURSOR_KEY) == "3" and loaded.ticket(0x7007) is None


def test_changes_for_another_event_are_refused(loaded: Ledger, ledger: Ledger) -> None:
    with pytest.raises(LedgerError) as err:
        loaded.apply_changes(99, [], "1")
    assert err.value.code == "other_event"


def test_upload_results_item_by_item(loaded: Ledger, issuer: Issuer) -> None:
    ids = [loaded.redeem(issuer.issue(n).token(T0), T0, GATE).scan_id for n in (0x1001, 0x1002)]
    loaded.redeem("garbage", T0, GATE)
    a, b = ids[0], ids[1]
    assert a is not None and b is not None
    assert [s.scan_id for s in loaded.unsent_scans()] == [a, b]  # the garbage code stays local
    assert loaded.record_upload_results([a], [(b, "ticket_id: bad")], [a]) == 1
    counts = loaded.upload_counts()
    assert (counts.pending, counts.rejected, counts.conflicts, counts.local_only) == (0, 1, 1, 1)
    assert loaded.unsent_scans() == []
    assert [s.scan_id for s in loaded.iter_unsent()] == [b]  # still exported
    assert loaded.retry_rejected() == 1 and [s.scan_id for s in loaded.unsent_scans()] == [b]
    status = loaded.status()
    assert status.pending_uploads == 1 and status.upload_conflicts == 1


def test_unsent_scans_page_by_log_position(loaded: Ledger, issuer: Issuer) -> None:
    token = issuer.issue(0x1001).token(T0)
    ids = [loaded.redeem(token, T0 + i, GATE).scan_id for i in range(7)]
    first = loaded.unsent_scans(limit=3)
    rest = loaded.unsent_scans(after_seq=first[-1].seq, limit=10)
    assert [s.scan_id for s in first + rest] == ids
    item = first[0].as_item()
    assert item["ticket_id"] == "0000000000001001" and item["device_time"] == T0
    assert item["event_id"] == EVENT and item["source"] == "cli"
    assert loaded.newest_unsent_seq() == 7


def test_wipe_forgets_the_event_and_keeps_the_log(loaded: Ledger, issuer: Issuer) -> None:
    loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE)
    loaded.set_sync_state(CURSOR_KEY, "9")
    loaded.wipe_event()
    status = loaded.status()
    assert status.event is None and status.tickets == 0 and status.scans == 1
    assert loaded.sync_state(CURSOR_KEY) is None and loaded.verify_chain().ok
    v = loaded.redeem(issuer.issue(0x1002).token(T0), T0, GATE).verdict
    assert v.outcome is Outcome.WRONG_EVENT  # a wiped gate admits nobody


def test_newest_time_seen(loaded: Ledger, issuer: Issuer) -> None:
    assert loaded.newest_time_seen() == T0  # the manifest's generation time
    loaded.update_sync_state({"x": "1"}, time_seen=T0 + 500)
    loaded.update_sync_state({}, time_seen=T0 + 100)  # never goes back
    assert loaded.newest_time_seen() == T0 + 500


def test_newer_manifest_updates_in_place_keeping_local_and_remote_scans(
        loaded: Ledger, issuer: Issuer, tmp_path: Path) -> None:
    loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE)
    loaded.apply_changes(EVENT, [scan_change(3, 0x1002, T0 - 30)], "3")
    newer = issuer.write_manifest(tmp_path / "v2.gsm", [*TICKETS, (0x9009, 1, 0, "new")],
                                  revocations=[(0x2002, None, "refunded")], sequence=2)
    result = loaded.import_manifest(newer)
    assert result.sequence == 2 and loaded.ticket(0x9009) is not None
    assert loaded.status().scans == 2 and loaded.verify_chain().ok
    for tid in (0x1001, 0x1002):
        v = loaded.redeem(issuer.issue(tid).token(T0 + 90), T0 + 90, GATE).verdict
        assert v.outcome is Outcome.ALREADY_USED
    assert loaded.upload_counts().pending == 3  # the first admit and both refusals


_values = st.one_of(st.none(), st.booleans(), st.integers(-2, 2**64), st.floats(),
                    st.sampled_from([2**63, 2**70, 0xFFFF, 0x10000, -1]),
                    st.text(max_size=40), st.sampled_from(["0000000000001001", "entry", "exit",
                                                           "admitted", "Gate 2", "ab" * 16]))
_changes = st.lists(st.fixed_dictionaries(
    {"seq": st.integers(0, 99), "kind": st.sampled_from(
        ["ticket", "transfer", "revocation", "key", "policy", "scan", "other"])},
    optional={k: _values for k in ("ticket_id", "type_id", "serial", "seat", "reason", "kid",
                                   "public_key", "policy", "scan_id", "gate", "direction",
                                   "outcome", "device_time", "device_id")}), max_size=8)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=_changes)
def test_hostile_change_pages_are_skipped_never_crash(loaded: Ledger, page: list[Any]) -> None:
    result = loaded.apply_changes(EVENT, page, "77")
    assert result.tickets + result.revocations + result.keys + result.policies + \
        result.scans + len(result.skipped) >= len([c for c in page if c["kind"] != "scan"])
    assert loaded.sync_state(CURSOR_KEY) == "77" and loaded.verify_chain().ok
