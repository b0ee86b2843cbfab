"""Wallet links on the store (SQLite and PostgreSQL): claim once, holder-signed requests."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from gatescan.protocol.policy import Gate, TicketType
from gatescan.protocol.token import build_token, parse_token
from gatescan.protocol.verdict import Outcome
from gatescan.server import issuer
from gatescan.server.errors import IssuerError
from gatescan.server.store import IssuerStore
from gatescan.server.wallet import links
from tests.server.helpers import ManifestView

NOW = 1_790_000_000.0


def _event(store: IssuerStore) -> int:
    return issuer.create_event(store, "Wallet Night", gates=[Gate("Gate 1")],
                               ticket_types=[TicketType(1, "General")],
                               rotation_period=10, now=int(NOW)).event_id


def _proof(phone: SigningKey, token: str) -> bytes:
    return phone.sign(links.CLAIM_DOMAIN + token.encode()).signature


def _claim(store: IssuerStore, token: str, phone: SigningKey,
           now: float = NOW + 5) -> links.Claimed:
    return links.claim(store, token, bytes(phone.verify_key), _proof(phone, token), now=now)


def _signed(phone: SigningKey, domain: bytes, credential: bytes, at: int) -> bytes:
    return phone.sign(links.request_message(domain, credential, at)).signature


def test_a_link_puts_the_ticket_on_one_phone(store: IssuerStore, tmp_path: Path) -> None:
    event_id = _event(store)
    issued, link = links.issue_with_link(store, event_id, 1, 0, 0xFFFFFFFF, "C-4", now=NOW)
    assert issued.credential.serial == 0 and link.token.startswith("gsw_")
    phone, other = SigningKey.generate(), SigningKey.generate()
    done = _claim(store, link.token, phone)
    token = parse_token(build_token(done.signed, phone, 179_000_000))
    assert token.credential.serial == 1 and token.credential.holder_key == bytes(phone.verify_key)
    assert done.ticket.seat == "C-4" and not done.again
    assert links.ticket_facts(done.event, done.ticket)["event_name"] == "Wallet Night"
    again = _claim(store, link.token, phone, now=NOW + 60)  # the answer was lost: same key
    assert again.again and again.signed == done.signed
    with pytest.raises(IssuerError) as used:
        _claim(store, link.token, other)
    assert used.value.code == "claim_used"
    # A gate with the manifest admits the phone's code, signed by the event key.
    path = issuer.write_manifest(store, event_id, tmp_path / "m.gsm", now=int(NOW)).path
    assert path is not None
    view = ManifestView.load(path)
    text = build_token(done.signed, phone, int((NOW + 10) // 10))
    assert view.scan(text, NOW + 10).outcome is Outcome.ADMITTED


def test_claim_refusals(store: IssuerStore) -> None:
    event_id = _event(store)
    phone = SigningKey.generate()
    _, link = links.issue_with_link(store, event_id, 1, 0, 0xFFFFFFFF, now=NOW)
    cases: list[tuple[str, object]] = []
    with pytest.raises(IssuerError) as bad:
        links.claim(store, link.token, bytes(phone.verify_key),
                    _proof(SigningKey.generate(), link.token), now=NOW)
    cases.append(("bad_proof", bad.value.code))
    with pytest.raises(IssuerError) as unknown:
        _claim(store, links.new_link_token(), phone)
    cases.append(("claim_unknown", unknown.value.code))
    with pytest.raises(IssuerError) as late:
        _claim(store, link.token, phone, now=link.expires_at + 1)
    cases.append(("claim_expired", late.value.code))
    newer = links.create_link(store, link.ticket_id, now=NOW + 1)
    with pytest.raises(IssuerError) as replaced:
        _claim(store, link.token, phone)
    cases.append(("claim_expired", replaced.value.code))
    issuer.transfer(store, link.ticket_id, bytes(SigningKey.generate().verify_key),
                    now=int(NOW) + 2)
    with pytest.raises(IssuerError) as stale:
        _claim(store, newer.token, phone)
    cases.append(("claim_stale", stale.value.code))
    fresh = links.create_link(store, link.ticket_id, now=NOW + 3)
    issuer.revoke(store, link.ticket_id, now=int(NOW) + 4)
    with pytest.raises(IssuerError) as revoked:
        _claim(store, fresh.token, phone)
    cases.append(("revoked", revoked.value.code))
    with pytest.raises(IssuerError) as no_link:
        links.create_link(store, link.ticket_id, now=NOW + 5)
    cases.append(("revoked", no_link.value.code))
    with pytest.raises(IssuerError) as missing:
        links.create_link(store, 12345, now=NOW)
    cases.append(("unknown_ticket", missing.value.code))
    assert [want for want, _ in cases] == [got for _, got in cases]


def test_transfer_to_a_friend_supersedes_the_old_phone(store: IssuerStore) -> None:
    event_id = _event(store)
    _, link = links.issue_with_link(store, event_id, 1, 0, 0xFFFFFFFF, now=NOW)
    alice, bob = SigningKey.generate(), SigningKey.generate()
    cred = _claim(store, link.token, alice).signed
    at = int(NOW) + 10
    status = links.status(store, cred, at, _signed(alice, links.STATUS_DOMAIN, cred, at),
                          now=NOW + 10)
    assert status.state == "current" and not status.transfer_pending
    with pytest.raises(IssuerError) as wrong_domain:  # a status signature is not a transfer
        links.transfer_link(store, cred, at, _signed(alice, links.STATUS_DOMAIN, cred, at),
                            now=NOW + 10)
    assert wrong_domain.value.code == "forbidden"
    with pytest.raises(IssuerError) as stranger:
        links.transfer_link(store, cred, at, _signed(bob, links.TRANSFER_DOMAIN, cred, at),
                            now=NOW + 10)
    assert stranger.value.code == "forbidden"
    with pytest.raises(IssuerError) as skewed:
        links.transfer_link(store, cred, at, _signed(alice, links.TRANSFER_DOMAIN, cred, at),
                            now=NOW + 10 + links.REQUEST_SKEW + 1)
    assert skewed.value.code == "bad_time"
    gift = links.transfer_link(store, cred, at, _signed(alice, links.TRANSFER_DOMAIN, cred, at),
                               now=NOW + 10)
    assert gift.kind == links.TRANSFER
    for replay_at in (at, at - 1):  # a captured request cannot mint another link
        with pytest.raises(IssuerError) as replay:
            links.transfer_link(store, cred, replay_at,
                                _signed(alice, links.TRANSFER_DOMAIN, cred, replay_at),
                                now=NOW + 11)
        assert replay.value.code == "replayed"
    pending = links.status(store, cred, at + 1,
                           _signed(alice, links.STATUS_DOMAIN, cred, at + 1), now=NOW + 11)
    assert pending.transfer_pending and pending.state == "current"
    new = _claim(store, gift.token, bob, now=NOW + 20)
    assert parse_token(build_token(new.signed, bob, 1)).credential.serial == 2
    old = links.status(store, cred, at + 20, _signed(alice, links.STATUS_DOMAIN, cred, at + 20),
                       now=NOW + 30)
    assert old.state == "superseded" and old.ticket.serial == 2
    with pytest.raises(IssuerError) as gone:
        links.transfer_link(store, cred, at + 21,
                            _signed(alice, links.TRANSFER_DOMAIN, cred, at + 21), now=NOW + 30)
    assert gone.value.code == "superseded"
    issuer.revoke(store, new.ticket.ticket_id, now=int(NOW) + 40)
    revoked = links.status(store, new.signed, at + 30,
                           _signed(bob, links.STATUS_DOMAIN, new.signed, at + 30), now=NOW + 40)
    assert revoked.state == "revoked"


def test_holder_requests_need_this_servers_credential(store: IssuerStore) -> None:
    event_id = _event(store)
    _, link = links.issue_with_link(store, event_id, 1, 0, 0xFFFFFFFF, now=NOW)
    phone = SigningKey.generate()
    cred = _claim(store, link.token, phone).signed
    at = int(NOW)
    tampered = bytearray(cred)
    tampered[20] ^= 1  # the serial: the issuer signature no longer matches
    forged = issuer.create_event(store, "Other", gates=[], ticket_types=[TicketType(1, "X")],
                                 now=int(NOW))
    other = links.issue_with_link(store, forged.event_id, 1, 0, 10, now=NOW)[1]
    other_cred = _claim(store, other.token, phone).signed
    mixed = other_cred[:5] + cred[5:61] + other_cred[61:]  # our ticket, another event's key
    for bad, code in ((bytes(tampered), "forbidden"), (mixed, "forbidden"),
                      (cred[:-1], "bad_credential"), (b"\x02" + cred[1:], "bad_credential")):
        with pytest.raises(IssuerError) as refused:
            links.status(store, bad, at, _signed(phone, links.STATUS_DOMAIN, bad, at), now=NOW)
        assert refused.value.code == code
    unknown = cred[:9] + (5).to_bytes(8, "big") + cred[17:]
    with pytest.raises(IssuerError) as missing:
        links.status(store, unknown, at, _signed(phone, links.STATUS_DOMAIN, unknown, at),
                     now=NOW)
    # Not `unknown_ticket`: the answer never says whether a ticket exists (issue 11).
    assert missing.value.code == "forbidden"


def test_the_same_credential_again_after_key_rotation(store: IssuerStore) -> None:
    event_id = _event(store)
    _, link = links.issue_with_link(store, event_id, 1, 0, 0xFFFFFFFF, now=NOW)
    phone = SigningKey.generate()
    first = _claim(store, link.token, phone)
    issuer.rotate_key(store, event_id, now=int(NOW) + 1)
    assert _claim(store, link.token, phone).signed == first.signed


def test_two_phones_racing_for_one_link(store: IssuerStore) -> None:
    event_id = _event(store)
    _, link = links.issue_with_link(store, event_id, 1, 0, 0xFFFFFFFF, now=NOW)
    results: list[str] = []
    start = threading.Barrier(4)

    def grab() -> None:
        phone = SigningKey.generate()
        start.wait()
        try:
            _claim(store, link.token, phone)
            results.append("won")
        except IssuerError as exc:
            results.append(exc.code)

    threads = [threading.Thread(target=grab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["claim_used"] * 3 + ["won"]
    ticket = store.ticket(link.ticket_id)
    assert ticket is not None and ticket.serial == 1
