"""Issuer operations with real keys: issue, revoke, transfer, rotate, write manifests.

Every test runs against SQLite and PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nacl.signing import SigningKey

from gatescan.protocol.policy import Gate, TicketType
from gatescan.protocol.token import build_token, key_id, step_for
from gatescan.protocol.verdict import Outcome
from gatescan.server import issuer
from gatescan.server.entropy import SeededEntropy
from gatescan.server.errors import IssuerError
from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore
from tests.server.helpers import ManifestView, leaked

T0 = 1_790_000_000


# `settings` and `store` come from conftest: every test runs on SQLite and PostgreSQL.


@pytest.fixture
def event_id(store: IssuerStore) -> int:
    return issuer.create_event(
        store, "Issuer Test", gates=[Gate("Gate 1", "main"), Gate("VIP Gate", "vip")],
        ticket_types=[TicketType(1, "General"), TicketType(2, "VIP", zones=("vip",))],
        entropy=SeededEntropy(11), now=T0).event_id


def _phone(label: int) -> SigningKey:
    return SigningKey(bytes([label]) * 32)


def _issue(store: IssuerStore, event_id: int, phone: SigningKey, type_id: int = 1,
           seat: str | None = None) -> issuer.IssuedCredential:
    return issuer.issue_ticket(store, event_id, type_id, bytes(phone.verify_key), T0 - 3600,
                               T0 + 3600, seat, now=T0)


def _code(issued: issuer.IssuedCredential, phone: SigningKey, at: float = T0) -> str:
    return build_token(issued.signed, phone, step_for(at, 30))


def _manifest(store: IssuerStore, event_id: int, path: Path) -> ManifestView:
    issuer.write_manifest(store, event_id, path, now=T0)
    return ManifestView.load(path)


def test_issued_credential_verifies_at_the_gate(store: IssuerStore, event_id: int,
                                                tmp_path: Path) -> None:
    phone = _phone(1)
    issued = _issue(store, event_id, phone, seat="A-1")
    cred = issued.credential
    assert (cred.event_id, cred.serial, cred.type_id) == (event_id, 0, 1)
    assert cred.holder_key == bytes(phone.verify_key)
    assert cred.kid == store.keys(event_id)[0].kid
    assert issued.signed[:61] == cred.body()
    view = _manifest(store, event_id, tmp_path / "m.gsm")
    verdict = view.scan(_code(issued, phone), T0)
    assert verdict.outcome is Outcome.ADMITTED
    assert verdict.ticket is not None and verdict.ticket.seat == "A-1"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"type_id": 9}, "unknown_type"),
    ({"holder_public_key": b"short"}, "bad_holder_key"),
    ({"valid_from": T0, "valid_until": T0 - 1}, "bad_validity"),
    ({"valid_until": 2**32}, "bad_validity"),
    ({"seat": "x" * 65}, "bad_seat"),
    ({"seat": "\ud800"}, "bad_seat"),
])
def test_issue_refuses_bad_requests(store: IssuerStore, event_id: int,
                                    kwargs: dict[str, object], code: str) -> None:
    args: dict[str, object] = {"type_id": 1, "holder_public_key": bytes(32),
                               "valid_from": T0, "valid_until": T0 + 1, "seat": None}
    args.update(kwargs)
    with pytest.raises(IssuerError) as err:
        issuer.issue_ticket(store, event_id, **args)  # type: ignore[arg-type]
    assert err.value.code == code
    assert store.ticket_types(event_id) == []


def test_unknown_event_and_bad_policy(store: IssuerStore) -> None:
    with pytest.raises(IssuerError) as err:
        issuer.issue_ticket(store, 12345, 1, bytes(32), T0, T0 + 1)
    assert err.value.code == "unknown_event"
    with pytest.raises(IssuerError) as err:
        issuer.create_event(store, "Dup", gates=[],
                            ticket_types=[TicketType(1, "A"), TicketType(1, "B")])
    assert err.value.code == "bad_policy"
    assert store.latest_event() is None  # nothing half-created


def test_revoke_reaches_the_gate(store: IssuerStore, event_id: int, tmp_path: Path) -> None:
    phone = _phone(2)
    issued = _issue(store, event_id, phone)
    ticket = issuer.revoke(store, issued.ticket_id, "refund", now=T0)
    assert (ticket.status, ticket.revoked_reason) == ("revoked", "refund")
    assert issuer.revoke(store, issued.ticket_id, "other").revoked_reason == "refund"
    view = _manifest(store, event_id, tmp_path / "m.gsm")
    assert view.scan(_code(issued, phone), T0).outcome is Outcome.REVOKED
    with pytest.raises(IssuerError) as err:
        issuer.revoke(store, issued.ticket_id + 1)
    assert err.value.code == "unknown_ticket"
    with pytest.raises(IssuerError):
        issuer.revoke(store, issued.ticket_id, "")


def test_transfer_supersedes_the_old_credential(store: IssuerStore, event_id: int,
                                                tmp_path: Path) -> None:
    old_phone, new_phone = _phone(3), _phone(4)
    issued = _issue(store, event_id, old_phone, type_id=2)
    moved = issuer.transfer(store, issued.ticket_id, bytes(new_phone.verify_key), now=T0)
    assert moved.credential.serial == 1 and moved.ticket_id == issued.ticket_id
    assert moved.credential.type_id == 2
    assert (moved.credential.valid_from, moved.credential.valid_until) == (T0 - 3600, T0 + 3600)
    view = _manifest(store, event_id, tmp_path / "m.gsm")
    assert view.scan(_code(issued, old_phone), T0, "VIP Gate").outcome is Outcome.SUPERSEDED
    assert view.scan(_code(moved, new_phone), T0, "VIP Gate").outcome is Outcome.ADMITTED
    # A phone holding the old credential cannot sign for the new one either.
    assert view.scan(_code(moved, old_phone), T0 + 60,
                     "VIP Gate").outcome is Outcome.BAD_SIGNATURE
    issuer.revoke(store, issued.ticket_id)
    with pytest.raises(IssuerError) as err:
        issuer.transfer(store, issued.ticket_id, bytes(32))
    assert err.value.code == "revoked"


def test_manifest_sequence_order_revocations_and_public_keys_only(
        store: IssuerStore, event_id: int, settings: ServerSettings, tmp_path: Path) -> None:
    issued = [_issue(store, event_id, _phone(10 + i)) for i in range(6)]
    issuer.revoke(store, issued[2].ticket_id, "fraud")
    path = tmp_path / "out" / "m.gsm"
    infos = [issuer.write_manifest(store, event_id, path, now=T0) for _ in range(3)]
    assert [i.sequence for i in infos] == [1, 2, 3]
    assert (infos[-1].tickets, infos[-1].revocations) == (6, 1)
    lines = path.read_text().splitlines()
    ids = [int(line.split(",")[1]) for line in lines if line.startswith('["t"')]
    assert ids == sorted(i.ticket_id for i in issued)
    assert lines[-2].startswith('["r",') and '"fraud"' in lines[-2]
    assert ManifestView.load(path).sequence == 3
    seeds = [p.read_bytes() for p in settings.keys_dir.glob("*.key")]
    assert seeds and not leaked(seeds, path.read_bytes())
    assert not list(path.parent.glob(".*tmp"))


def test_failed_manifest_write_keeps_the_sequence(store: IssuerStore, event_id: int,
                                                  tmp_path: Path) -> None:
    _issue(store, event_id, _phone(1))
    blocked = tmp_path / "blocked.gsm"
    blocked.mkdir()
    with pytest.raises(OSError):
        issuer.write_manifest(store, event_id, blocked)
    assert not list(tmp_path.glob(".*tmp"))
    event = store.event(event_id)
    assert event is not None and event.manifest_sequence == 0
    assert issuer.write_manifest(store, event_id, tmp_path / "ok.gsm").sequence == 1


def test_key_rotation_keeps_old_tickets_valid(store: IssuerStore, event_id: int,
                                              tmp_path: Path) -> None:
    old_phone, new_phone = _phone(5), _phone(6)
    before = _issue(store, event_id, old_phone)
    rotated = issuer.rotate_key(store, event_id, entropy=SeededEntropy(12), now=T0)
    after = _issue(store, event_id, new_phone)
    assert after.credential.kid == rotated.kid != before.credential.kid
    view = _manifest(store, event_id, tmp_path / "m.gsm")
    assert set(view.keys) == {before.credential.kid, rotated.kid}
    assert key_id(view.keys[rotated.kid]) == rotated.kid
    assert view.scan(_code(before, old_phone), T0).outcome is Outcome.ADMITTED
    assert view.scan(_code(after, new_phone), T0).outcome is Outcome.ADMITTED
