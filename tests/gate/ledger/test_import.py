"""Manifest import: round trip, trust rules, sequence rules, all-or-nothing, progress."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from pathlib import Path

import pytest

from gatescan.gate.ledger.importer import ImportResult
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.status import EventRef
from gatescan.gate.verify.view import GateContext, TicketRecord
from gatescan.protocol.manifest import ManifestError, ManifestWriter
from gatescan.protocol.token import key_id
from gatescan.protocol.verdict import Outcome
from tests.factories import T0, Issuer, demo_policy, seeded_key
from tests.gate.ledger.util import TICKETS, all_rows, dump

GATE = GateContext("Gate 1")


def refused(ledger: Ledger, source: Path | bytes, code: str, **kw: object) -> None:
    """Import must fail with `code` and leave every row of the ledger as it was."""
    before = dump(ledger)
    src = io.BytesIO(source) if isinstance(source, bytes) else source
    with pytest.raises(ManifestError) as err:
        ledger.import_manifest(src, **kw)  # type: ignore[arg-type]
    assert err.value.code == code, err.value.message
    assert dump(ledger) == before


def test_round_trip(ledger: Ledger, manifest: Path, issuer: Issuer) -> None:
    result = ledger.import_manifest(manifest)
    assert isinstance(result, ImportResult)
    assert (result.tickets, result.revocations, result.sequence) == (len(TICKETS), 1, 1)
    assert result.event == issuer.policy
    assert result.seconds >= 0
    assert ledger.event(issuer.policy.event_id) == issuer.policy
    assert ledger.event(issuer.policy.event_id + 1) is None
    assert ledger.issuer_keys(7, issuer.kid) == [issuer.public]
    assert ledger.issuer_keys(7, b"\0\0\0\0") == []
    assert ledger.ticket(0x1001) == TicketRecord(0x1001, 1, 0, seat="A-1")
    assert ledger.ticket(0x3003) == TicketRecord(0x3003, 1, 2)
    assert ledger.ticket(0x2002) == TicketRecord(0x2002, 1, 0, True, "refunded", "B-7")
    assert ledger.ticket(0x9999) is None
    status = ledger.status()
    assert status.event == EventRef(7, "Test Festival")
    assert (status.tickets, status.manifest_sequence, status.scans) == (6, 1, 0)
    assert status.last_import is not None


def test_file_object_and_progress_callback(ledger: Ledger, manifest: Path) -> None:
    calls: list[tuple[int, int | None]] = []
    data = manifest.read_bytes()
    ledger.import_manifest(io.BytesIO(data), progress=lambda done, total: calls.append(
        (done, total)))
    assert calls[0][0] == len(data.splitlines(keepends=True)[0])  # the header
    assert calls[-1] == (len(data), len(data))
    assert all(total == len(data) for _, total in calls)


def test_progress_true_off_a_terminal_is_quiet(ledger: Ledger, manifest: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    ledger.import_manifest(manifest, progress=True)
    assert capsys.readouterr().err == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal(ledger: Ledger, manifest: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    ledger.import_manifest(manifest, progress=True)
    assert "Importing Test Festival" in terminal.getvalue()


def test_large_manifest_spans_batches(ledger: Ledger, issuer: Issuer, tmp_path: Path) -> None:
    tickets = [(i * 7919 + 1, 1 + i % 8, i % 3, None) for i in range(45_000)]
    path = issuer.write_manifest(tmp_path / "big", tickets, revocations=[(1, None, "x")])
    assert ledger.import_manifest(path).tickets == 45_000
    assert ledger.status().tickets == 45_000
    assert ledger.ticket(1) == TicketRecord(1, 1, 0, True, "x")
    assert ledger.ticket(44_999 * 7919 + 1) == TicketRecord(44_999 * 7919 + 1, 8, 2)


def test_wrong_signer_is_refused(loaded: Ledger, issuer: Issuer) -> None:
    forger = Issuer(key=seeded_key("forger"))
    refused(loaded, forger.manifest(TICKETS, sequence=5), "untrusted_signer")


def test_forger_listing_the_real_key_still_refused(loaded: Ledger, issuer: Issuer) -> None:
    forger = Issuer(key=seeded_key("forger"))
    data = forger.manifest(TICKETS, sequence=5, extra_keys=[issuer.public])
    refused(loaded, data, "untrusted_signer")


def test_older_sequence_is_refused(ledger: Ledger, issuer: Issuer) -> None:
    ledger.import_manifest(io.BytesIO(issuer.manifest(TICKETS, sequence=4)))
    refused(ledger, issuer.manifest(TICKETS[:1], sequence=3), "older_manifest")


def test_other_event_needs_replace(loaded: Ledger, issuer: Issuer) -> None:
    other = Issuer(policy=demo_policy(event_id=8), key=seeded_key("issuer-8"))
    refused(loaded, other.manifest([(0x77, 1, 0, None)]), "other_event")
    loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE)
    result = loaded.import_manifest(io.BytesIO(other.manifest([(0x77, 1, 0, None)])),
                                    replace=True)
    assert result.replaced_event == 7
    assert loaded.event(7) is None and loaded.event(8) is not None
    assert loaded.ticket(0x1001) is None and loaded.ticket(0x77) is not None
    assert loaded.status().scans == 1  # the old event's scans are kept (not uploaded yet)


def test_expect_key_pins_the_first_import(ledger: Ledger, issuer: Issuer,
                                          manifest: Path) -> None:
    other = seeded_key("someone-else").verify_key
    refused(ledger, manifest, "unexpected_key", expect_key=bytes(other).hex())
    with pytest.raises(ValueError):
        ledger.import_manifest(manifest, expect_key="not hex")
    for pin in (issuer.kid.hex(), issuer.public.hex().upper(),
                hashlib.sha256(issuer.public).hexdigest()):
        ledger.import_manifest(manifest, expect_key=pin)


def test_trust_on_first_use(ledger: Ledger, manifest: Path, issuer: Issuer) -> None:
    ledger.import_manifest(manifest)
    assert ledger.issuer_keys(7, issuer.kid) == [issuer.public]


def test_newer_manifest_updates_in_place_and_keeps_scans(loaded: Ledger, issuer: Issuer) -> None:
    first = loaded.redeem(issuer.issue(0x1001).token(T0), T0, GATE)
    assert first.verdict.outcome is Outcome.ADMITTED
    loaded.redeem(issuer.issue(0x1002).token(T0), T0, GATE)
    scans_before = sorted(r["scan_id"] for r in all_rows(loaded.conn, "scans"))
    # Sequence 2: ticket 0x1002 transferred (serial 1), 0x1001 refunded, a new ticket.
    data = issuer.manifest([(0x1002, 1, 1, None), (0x6006, 1, 0, None)],
                           [(0x1001, 0, "refund")], sequence=2)
    result = loaded.import_manifest(io.BytesIO(data))
    assert (result.sequence, result.tickets, result.revocations) == (2, 2, 1)
    assert sorted(r["scan_id"] for r in all_rows(loaded.conn, "scans")) == scans_before
    assert loaded.verify_chain().ok
    assert loaded.ticket(0x1001) == TicketRecord(0x1001, 1, 0, True, "refund", "A-1")
    assert loaded.ticket(0x1002) == TicketRecord(0x1002, 1, 1)
    assert loaded.ticket(0x6006) is not None
    assert loaded.ticket(0x2002) == TicketRecord(0x2002, 1, 0, True, "refunded", "B-7")
    # The earlier admission still counts after the update.
    again = loaded.redeem(issuer.issue(0x1002, serial=1).token(T0 + 90), T0 + 90, GATE)
    assert again.verdict.outcome is Outcome.ALREADY_USED
    assert loaded.status().manifest_sequence == 2


def test_equal_sequence_reimport_is_idempotent(loaded: Ledger, manifest: Path) -> None:
    before = dump(loaded)
    loaded.import_manifest(manifest)
    after = dump(loaded)
    assert before.pop("events") != after.pop("events")  # only imported_at moved
    assert before == after


def test_transfer_after_refund_of_old_serial_is_valid(loaded: Ledger, issuer: Issuer) -> None:
    # 0x2002 serial 0 refunded "for good" (no serial) stays revoked on re-issue;
    # a revocation of one serial does not touch the next one.
    data = issuer.manifest([(0x1001, 1, 1, None), (0x2002, 1, 1, None)],
                           [(0x1001, 0, "transferred")], sequence=2)
    loaded.import_manifest(io.BytesIO(data))
    assert loaded.ticket(0x1001) == TicketRecord(0x1001, 1, 1)
    assert loaded.ticket(0x2002) == TicketRecord(0x2002, 1, 1, True, "refunded")


def test_key_rotation(loaded: Ledger, issuer: Issuer) -> None:
    new_key = seeded_key("issuer-2")
    # Signed by the trusted key, introducing the new one.
    loaded.import_manifest(io.BytesIO(issuer.manifest(
        TICKETS, sequence=2, extra_keys=[bytes(new_key.verify_key)])))
    rotated = Issuer(key=new_key)
    # Signed by the new key alone: leaving the old key out does not drop it (an older
    # server's manifest lacks newer keys)...
    loaded.import_manifest(io.BytesIO(rotated.manifest(TICKETS, sequence=3)))
    assert loaded.issuer_keys(7, issuer.kid) == [issuer.public]
    # ...only an explicit, signed withdrawal does.
    out = io.BytesIO()
    w = ManifestWriter(out, rotated.policy, [rotated.public], rotated.key, sequence=4,
                       generated_at=T0, withdrawn=[issuer.public])
    for t in TICKETS:
        w.ticket(*t)
    w.finish()
    loaded.import_manifest(io.BytesIO(out.getvalue()))
    assert loaded.issuer_keys(7, issuer.kid) == []
    assert loaded.issuer_keys(7, rotated.kid) == [rotated.public]
    refused(loaded, issuer.manifest(TICKETS, sequence=5), "untrusted_signer")
    old_token = issuer.issue(0x1001).token(T0)
    assert loaded.redeem(old_token, T0, GATE).verdict.outcome is Outcome.UNKNOWN_KEY
    assert loaded.redeem(rotated.issue(0x1001).token(T0), T0,
                         GATE).verdict.outcome is Outcome.ADMITTED


def test_policy_is_updated(loaded: Ledger, issuer: Issuer) -> None:
    changed = dataclasses.replace(issuer.policy, name="Renamed", rotation_period=15)
    data = Issuer(policy=changed).manifest(TICKETS, sequence=2)
    loaded.import_manifest(io.BytesIO(data))
    policy = loaded.event(7)
    assert policy is not None and (policy.name, policy.rotation_period) == ("Renamed", 15)
    assert loaded.status().event.name == "Renamed"


def test_a_stale_manifest_rolls_nothing_back(loaded: Ledger, issuer: Issuer) -> None:
    # What a server restored from an older backup serves: a fresh sequence, stale content.
    new_key = seeded_key("issuer-2")
    loaded.import_manifest(io.BytesIO(issuer.manifest(
        [(0x1001, 1, 1, None), (0x2002, 1, 0, None)], [(0x2002, None, "refund")], sequence=2,
        extra_keys=[bytes(new_key.verify_key)])))
    assert loaded.ticket(0x1001) == TicketRecord(0x1001, 1, 1)
    stale = issuer.manifest([(0x1001, 1, 0, None), (0x2002, 1, 0, None)], sequence=3)
    loaded.import_manifest(io.BytesIO(stale))
    assert loaded.ticket(0x1001) == TicketRecord(0x1001, 1, 1)  # serial never goes down
    assert loaded.ticket(0x2002) == TicketRecord(0x2002, 1, 0, True, "refund")  # still refunded
    assert loaded.issuer_keys(7, key_id(bytes(new_key.verify_key))) == [
        bytes(new_key.verify_key)]  # a key is not dropped by omission
    old_phone = issuer.issue(0x1001, serial=0).token(T0)
    assert loaded.redeem(old_phone, T0, GATE).verdict.outcome is not Outcome.ADMITTED
