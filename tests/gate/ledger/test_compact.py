"""Signed credentials for compact (v2) codes: from the manifest and the feed into the ledger,
then a real redemption; old manifests and old ledger files still load."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest

from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.ledger.schema import MIGRATIONS, migrate, schema_version
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.manifest import ManifestError, ManifestWriter
from gatescan.protocol.token import format_ticket_id
from gatescan.protocol.verdict import Outcome
from gatescan.protocol.wire import b64url
from tests.factories import T0, Issuer, Phone
from tests.gate.ledger.util import TICKETS

GATE = GateContext("Gate 1", "entry", "dev_000000000001")
EVENT = 7


def credential_change(seq: int, phone: Phone) -> dict[str, object]:
    return {"seq": seq, "kind": "credential",
            "ticket_id": format_ticket_id(phone.credential.ticket_id),
            "serial": phone.credential.serial, "credential": b64url(phone.signed_credential)}


def test_a_credential_in_the_manifest_admits_the_compact_code(tmp_path: Path,
                                                              issuer: Issuer) -> None:
    phone = issuer.issue(0x1001)
    with Ledger(tmp_path / "l.db") as led:
        led.import_manifest(io.BytesIO(issuer.manifest(
            TICKETS, credentials=[phone.signed_credential])))
        assert led.credential(0x1001) == phone.signed_credential
        done = led.redeem(phone.compact(T0), T0, GATE)
        assert done.verdict.outcome is Outcome.ADMITTED and done.scan_id is not None
        row = led.conn.execute("SELECT ticket_id, serial, outcome FROM scans").fetchone()
        assert row == (0x1001, 0, "admitted")  # recorded and synced like a v1 scan
        # Same ticket, full code, a moment later: the same person still at the reader.
        again = led.redeem(phone.token(T0 + 2), T0 + 2, GATE).verdict
        assert again.outcome is Outcome.REPEAT_READ


def test_without_a_credential_the_scan_is_needs_full_code_and_keeps_no_ticket_id(
        loaded: Ledger, issuer: Issuer) -> None:
    phone = issuer.issue(0x1002)
    done = loaded.redeem(phone.compact(T0), T0, GATE)
    assert done.verdict.outcome is Outcome.NEEDS_FULL_CODE and not done.verdict.admit
    row = loaded.conn.execute("SELECT ticket_id, outcome, admit FROM scans").fetchone()
    assert row == (None, "needs_full_code", 0)
    assert loaded.redeem(phone.token(T0), T0, GATE).verdict.outcome is Outcome.ADMITTED


def test_a_credential_change_from_the_feed_and_never_an_older_serial(
        loaded: Ledger, issuer: Issuer) -> None:
    first = issuer.issue(0x3003, serial=2)
    later = issuer.issue(0x3003, serial=3, holder_label="friend")
    result = loaded.apply_changes(EVENT, [credential_change(11, later)], "11")
    assert result.credentials == 1 and not result.skipped
    loaded.apply_changes(EVENT, [credential_change(9, first)], "12")  # replayed, older
    assert loaded.credential(0x3003) == later.signed_credential
    assert loaded.redeem(first.compact(T0), T0, GATE).verdict.outcome is \
        Outcome.NEEDS_FULL_CODE
    # The ledger's ticket row is still at serial 2 (no transfer change yet): serial 3 is newer.
    assert loaded.redeem(later.compact(T0), T0, GATE).verdict.outcome is Outcome.ADMITTED


def test_a_credential_change_naming_another_ticket_is_skipped(loaded: Ledger,
                                                              issuer: Issuer) -> None:
    phone = issuer.issue(0x1001)
    change = credential_change(11, phone) | {"ticket_id": format_ticket_id(0x1002)}
    result = loaded.apply_changes(EVENT, [change], "11")
    assert result.credentials == 0 and len(result.skipped) == 1
    assert loaded.credential(0x1002) is None and loaded.credential(0x1001) is None


def test_a_version_1_manifest_still_imports_and_cannot_carry_credentials(
        tmp_path: Path, issuer: Issuer) -> None:
    with Ledger(tmp_path / "l.db") as led:
        result = led.import_manifest(io.BytesIO(issuer.manifest(TICKETS, version=1)))
        assert result.tickets == len(TICKETS)
    out = io.BytesIO()
    writer = ManifestWriter(out, issuer.policy, [issuer.public], issuer.key, sequence=1,
                            generated_at=T0, version=1)
    with pytest.raises(ValueError):
        writer.credential(issuer.issue(1).signed_credential)
    # A version-1 header with a credential record (hand-made): refused, signature or not.
    body = issuer.manifest(TICKETS, version=1).split(b"\n")
    line = b'["c","' + b64url(issuer.issue(1).signed_credential).encode() + b'"]'
    tampered = b"\n".join([*body[:-2], line, body[-2], b""])
    with Ledger(tmp_path / "m.db") as led, pytest.raises(ManifestError) as err:
        led.import_manifest(io.BytesIO(tampered))
    assert err.value.code == "bad_record"


@pytest.mark.parametrize("record", [
    b'["c"]', b'["c",null]', b'["c","AAAA"]', b'["c",' + b'"' + b"A" * 167 + b'"]',
    b'["c","' + b"A" * 166 + b'=",1]',
])
def test_a_damaged_credential_record_is_refused(tmp_path: Path, issuer: Issuer,
                                                record: bytes) -> None:
    good = issuer.manifest(TICKETS, credentials=[issuer.issue(0x1001).signed_credential])
    lines = good.split(b"\n")
    lines[-3] = record  # the credential line, before the trailer; the signature now fails too
    with Ledger(tmp_path / "l.db") as led, pytest.raises(ManifestError) as err:
        led.import_manifest(io.BytesIO(b"\n".join(lines)))
    assert err.value.code in {"bad_record", "bad_signature"}


def test_wiping_the_event_drops_its_credentials(tmp_path: Path, issuer: Issuer) -> None:
    phone = issuer.issue(0x1001)
    with Ledger(tmp_path / "l.db") as led:
        led.import_manifest(io.BytesIO(issuer.manifest(TICKETS,
                                                       credentials=[phone.signed_credential])))
        led.wipe_event()
        assert led.credential(0x1001) is None


def test_a_version_3_ledger_file_gains_the_credentials_table(tmp_path: Path,
                                                             issuer: Issuer) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:3]) == 3
    conn.close()
    with Ledger(path) as led:
        assert schema_version(led.conn) == len(MIGRATIONS)
        phone = issuer.issue(0x1001)
        led.import_manifest(io.BytesIO(issuer.manifest(TICKETS,
                                                       credentials=[phone.signed_credential])))
        assert led.redeem(phone.compact(T0), T0, GATE).verdict.admit
