"""The export-file parser of `gatescan recover` (outside input) and restoring scans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.rebuild import RebuildError, move_aside, parse_export_line
from gatescan.gate.verify.view import GateContext
from tests.factories import T0, Issuer

GATE = GateContext("Gate 1", "entry", "dev_000000000001")
ITEM = {"scan_id": "ab" * 16, "ticket_id": "0000000000001001", "serial": 0, "gate": "Gate 1",
        "direction": "entry", "outcome": "admitted", "device_time": T0, "source": "camera",
        "reason": "Welcome", "seq": 1, "hash": "0" * 64, "event_id": 7,
        "device_id": "dev_000000000001"}

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=12)


@given(st.text(max_size=300) | st.binary(max_size=300))
def test_any_text_is_a_scan_or_a_rebuild_error(line: str | bytes) -> None:
    try:
        parse_export_line(line, "dev_x")
    except RebuildError as exc:
        assert exc.code == "bad_line"


@given(st.dictionaries(st.sampled_from(sorted(ITEM)), JSON, max_size=12))
def test_any_changed_field_is_checked(changes: dict[str, object]) -> None:
    line = json.dumps({**ITEM, **changes})
    try:
        scan = parse_export_line(line, "dev_x")
    except RebuildError:
        return
    assert scan.direction in ("entry", "exit") and 0 <= scan.device_time <= 0xFFFFFFFF
    assert isinstance(scan.gate, str) and isinstance(scan.serial, int)


def test_a_valid_line_reads_back() -> None:
    scan = parse_export_line(json.dumps(ITEM), "dev_x")
    assert (scan.scan_id, scan.ticket_id, scan.outcome, scan.device_time) == (
        "ab" * 16, 0x1001, "admitted", T0)
    without = dict(ITEM)
    del without["device_id"]
    assert parse_export_line(json.dumps(without), "dev_x").device_id == "dev_x"
    with pytest.raises(RebuildError):
        parse_export_line(json.dumps({**ITEM, "source": "remote"}), "dev_x")


def test_restored_scans_chain_and_are_refused_again(tmp_path: Path, manifest: Path,
                                                    issuer: Issuer) -> None:
    with Ledger(tmp_path / "old.db") as old:
        old.import_manifest(manifest)
        r = old.redeem(issuer.issue(0x1001).token(T0), T0, GATE)
        item = next(iter(old.iter_unsent())).as_item()
    with Ledger(tmp_path / "new.db") as new:
        new.import_manifest(manifest)
        scan = parse_export_line(json.dumps(item), "dev_000000000001")
        assert new.restore_scans([scan, scan]) == 1  # once, however often it is listed
        assert new.restore_scans([scan]) == 0
        assert new.verify_chain().ok and new.upload_counts().pending == 1
        assert [s.scan_id for s in new.unsent_scans()] == [r.scan_id]
        again = new.redeem(issuer.issue(0x1001).token(T0 + 600), T0 + 600, GATE).verdict
        assert again.outcome.value == "already_used"


def test_move_aside_takes_the_wal_and_index_too(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).write_text(suffix or "db")
    moved = move_aside(path)
    assert not any(tmp_path.glob("ledger.db-*")) and not path.exists()
    assert moved.read_text() == "db" and moved.with_name(moved.name + "-wal").read_text() == "-wal"
