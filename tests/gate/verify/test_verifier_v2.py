"""The verifier's v2 branch: compact codes checked against the credential the gate holds."""

from __future__ import annotations

import dataclasses

import base45
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatescan.gate.verify.verifier import verify
from gatescan.gate.verify.view import GateContext, Movement, TicketRecord
from gatescan.protocol.token import COMPACT_PREFIX, decode_text
from gatescan.protocol.verdict import Level, Outcome
from tests.factories import T0, DictView, Issuer, Phone, demo_policy, seeded_key

GATE1 = GateContext("Gate 1", "entry", "dev-1")


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


def holding(issuer: Issuer, *phones: Phone) -> DictView:
    """A gate that synced these phones' tickets and their signed credentials."""
    view = DictView(issuer, tickets={
        p.credential.ticket_id: TicketRecord(p.credential.ticket_id, p.credential.type_id,
                                             p.credential.serial, seat="B7")
        for p in phones})
    view.credentials = {p.credential.ticket_id: p.signed_credential for p in phones}
    return view


def test_a_compact_code_the_gate_holds_the_credential_for_is_admitted(issuer: Issuer) -> None:
    phone = issuer.issue(3, type_id=2)
    v = verify(phone.compact(T0), T0, holding(issuer, phone), GATE1)
    assert v.outcome is Outcome.ADMITTED and v.admit
    assert v.ticket is not None
    assert (v.ticket.ticket_id, v.ticket.type_name, v.ticket.seat) == (3, "VIP", "B7")


def test_without_the_credential_it_needs_the_full_code_and_shows_nothing(
        issuer: Issuer) -> None:
    phone = issuer.issue(3)
    view = holding(issuer, phone)
    view.credentials.clear()  # claimed after this gate's last sync
    v = verify(phone.compact(T0), T0, view, GATE1)
    assert v.outcome is Outcome.NEEDS_FULL_CODE and not v.admit
    assert v.level is Level.CHECK and v.ticket is None and "full code" in v.reason
    # The full code of the same phone is admitted (offline, as v1 always was).
    assert verify(phone.token(T0), T0, view, GATE1).outcome is Outcome.ADMITTED


def test_an_unlisted_ticket_is_never_admitted_by_a_compact_code(issuer: Issuer) -> None:
    view = DictView(issuer)  # admit_unlisted is on: a v1 code of it would be admitted
    phone = issuer.issue(99)
    assert verify(phone.token(T0), T0, view, GATE1).admit
    assert verify(phone.compact(T0), T0, view, GATE1).outcome is Outcome.NEEDS_FULL_CODE


def test_another_serial_than_the_held_credential_needs_the_full_code(issuer: Issuer) -> None:
    old, new = issuer.issue(4), issuer.issue(4, serial=1, holder_label="friend")
    view = holding(issuer, new)
    v = verify(old.compact(T0), T0, view, GATE1)
    assert v.outcome is Outcome.NEEDS_FULL_CODE and v.ticket is None
    # The newer phone is admitted; the old phone's full code says why it is refused.
    assert verify(new.compact(T0), T0, view, GATE1).admit
    assert verify(old.token(T0), T0, view, GATE1).outcome is Outcome.SUPERSEDED


def test_a_later_transfer_on_the_ledger_supersedes_the_held_credential(issuer: Issuer) -> None:
    phone = issuer.issue(4)
    view = holding(issuer, phone)
    view.tickets[4] = TicketRecord(4, 1, 1)  # moved on outside the wallet: no credential yet
    assert verify(phone.compact(T0), T0, view, GATE1).outcome is Outcome.SUPERSEDED


def test_a_forged_phone_signature_is_bad_signature_with_no_facts(issuer: Issuer) -> None:
    phone = issuer.issue(5)
    thief = dataclasses.replace(phone, holder=seeded_key("thief"))
    v = verify(thief.compact(T0), T0, holding(issuer, phone), GATE1)
    assert v.outcome is Outcome.BAD_SIGNATURE and v.ticket is None and v.because.phone_signature


def test_a_tampered_credential_in_the_ledger_refuses_instead_of_admitting(
        issuer: Issuer) -> None:
    """The feed is not signed: a credential row is checked against the issuer key at scan."""
    phone = issuer.issue(5)
    mallory = seeded_key("mallory")
    forged = Issuer(key=mallory).issue(5, holder_label="mallory-phone")
    # Same key id as the event's key would need a collision; a forged row under the event's
    # key id with a bad signature:
    body = bytearray(forged.signed_credential)
    body[1:5] = issuer.kid
    view = holding(issuer, phone)
    view.credentials[5] = bytes(body)
    fake = Phone(forged.holder, bytes(body), forged.credential)
    v = verify(fake.compact(T0), T0, view, GATE1)
    assert v.outcome is Outcome.BAD_SIGNATURE and v.ticket is None
    # A credential under a key this gate does not trust at all:
    view.credentials[5] = forged.signed_credential
    assert verify(forged.compact(T0), T0, view, GATE1).outcome is Outcome.UNKNOWN_KEY


def test_a_screenshot_goes_stale_and_a_future_code_is_refused(issuer: Issuer) -> None:
    phone = issuer.issue(6)
    view = holding(issuer, phone)
    assert verify(phone.compact(T0 - 30), T0, view, GATE1).admit  # within the tolerance
    stale = verify(phone.compact(T0 - 120), T0, view, GATE1)
    assert stale.outcome is Outcome.STALE_CODE and stale.because.code_age is not None
    assert verify(phone.compact(T0 + 120), T0, view, GATE1).outcome is Outcome.FUTURE_CODE


def test_a_screenshot_65536_steps_old_rebuilds_near_now_and_fails_its_signature(
        issuer: Issuer) -> None:
    phone = issuer.issue(6)
    v = verify(phone.compact(T0 - 65536 * 30), T0, holding(issuer, phone), GATE1)
    assert v.outcome is Outcome.BAD_SIGNATURE and not v.admit


def test_the_ticket_rules_apply_as_for_v1(issuer: Issuer) -> None:
    phone = issuer.issue(7, valid_until=T0 - 10)
    view = holding(issuer, phone)
    assert verify(phone.compact(T0), T0, view, GATE1).outcome is Outcome.EXPIRED
    ok = issuer.issue(8)
    view = holding(issuer, ok)
    view.moves[8] = [Movement(T0 - 600, "Gate 2", "entry", "dev-2")]
    assert verify(ok.compact(T0), T0, view, GATE1).outcome is Outcome.ALREADY_USED
    view.tickets[8] = TicketRecord(8, 1, 0, revoked=True, revoked_reason="refund")
    assert verify(ok.compact(T0), T0, view, GATE1).outcome is Outcome.REVOKED
    unset = dataclasses.replace(GATE1, clock_trusted=False)
    assert verify(ok.compact(T0), T0, view, unset).outcome is Outcome.CLOCK_UNSET


def test_a_code_of_another_event_with_the_same_ticket_id_is_not_checked_here(
        issuer: Issuer) -> None:
    phone = issuer.issue(9)
    other = Issuer(policy=demo_policy(event_id=8), key=seeded_key("other-event"))
    v = verify(other.issue(9).compact(T0), T0, holding(issuer, phone), GATE1)
    assert v.outcome is Outcome.NEEDS_FULL_CODE  # event tag 8 is not this credential's 7


@settings(max_examples=200)
@given(st.binary(min_size=1, max_size=120))
def test_hostile_compact_codes_never_admit_or_raise(data: bytes) -> None:
    issuer = Issuer()
    phone = issuer.issue(1)
    view = holding(issuer, phone)
    genuine = decode_text("GS1:" + phone.compact(T0)[len(COMPACT_PREFIX):])
    for raw in (data, genuine[:14] + data[:64].ljust(64, b"\0")):
        text = COMPACT_PREFIX + str(base45.b45encode(raw).decode("ascii"))
        v = verify(text, T0, view, GATE1)
        assert not v.admit and (v.ticket is None or v.outcome.verified)
