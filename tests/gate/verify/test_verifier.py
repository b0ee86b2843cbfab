"""Every verifier outcome, reached from real signed tokens."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.gate.verify.verifier import verify
from gatescan.gate.verify.view import GateContext, Movement, TicketRecord
from gatescan.protocol.token import TOKEN_LEN, decode_text, encode_text
from gatescan.protocol.verdict import Level, Outcome
from tests.factories import T0, DictView, Issuer, seeded_key

GATE1 = GateContext("Gate 1", "entry", "dev-1")
GATE2 = GateContext("Gate 2", "entry", "dev-2")
VIP = GateContext("VIP Gate", "entry", "dev-3")


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture
def view(issuer: Issuer) -> DictView:
    return DictView(issuer, tickets={
        n: TicketRecord(n, 1, 0, seat=f"A{n}") for n in range(1, 20)
    })


def admit(view: DictView, ticket_id: int, at: float, gate: GateContext = GATE1) -> None:
    """Record a movement the way the ledger would after an admitting verdict."""
    view.moves.setdefault(ticket_id, []).append(Movement(at, gate.gate, gate.direction,
                                                         gate.device_id))


def test_valid_token_is_admitted_with_ticket_facts(issuer: Issuer, view: DictView) -> None:
    v = verify(issuer.issue(3).token(T0), T0, view, GATE1)
    assert v.outcome is Outcome.ADMITTED and v.admit and v.level is Level.ADMIT
    assert v.ticket is not None
    assert (v.ticket.ticket_id, v.ticket.type_name, v.ticket.seat) == (3, "General", "A3")


def test_second_use_is_already_used_with_when_and_where(issuer: Issuer, view: DictView) -> None:
    admit(view, 3, T0 - 600, GATE2)
    v = verify(issuer.issue(3).token(T0), T0, view, GATE1)
    assert v.outcome is Outcome.ALREADY_USED and not v.admit
    assert v.previous_gate == "Gate 2" and v.previous_time == T0 - 600
    assert "Already used at Gate 2 at" in v.reason


def test_repeat_read_right_after_green_is_not_already_used(issuer: Issuer,
                                                           view: DictView) -> None:
    admit(view, 3, T0 - 1, GATE1)
    v = verify(issuer.issue(3).token(T0), T0, view, GATE1)
    assert v.outcome is Outcome.REPEAT_READ and v.level is Level.REPEAT
    # ...but only at the same gate and device.
    assert verify(issuer.issue(3).token(T0), T0, view, GATE2).outcome is Outcome.ALREADY_USED


def test_a_repeat_read_never_opens_the_gate(issuer: Issuer, view: DictView) -> None:
    """Defect: within 3 s the second read was green and "admit": true (a turnstile opened twice)."""
    admit(view, 3, T0 - 2, GATE1)
    v = verify(issuer.issue(3).token(T0), T0, view, GATE1)
    assert v.outcome is Outcome.REPEAT_READ and not v.admit and not v.outcome.admits
    assert v.to_dict()["admit"] is False and v.to_dict()["outcome"] == "repeat_read"
    assert v.level is Level.REPEAT and not v.outcome.counts_as_movement
    assert (v.previous_gate, v.previous_time, v.previous_here) == ("Gate 1", T0 - 2, True)
    assert v.reason == "Already admitted here 2 s ago" and v.since_previous == 2


@pytest.mark.parametrize("after", [4, 8, 30, 60])
def test_a_re_scan_seconds_after_admit_is_a_repeat_not_red(issuer: Issuer, view: DictView,
                                                           after: int) -> None:
    """Defect: 4-8 s after an ADMIT the same person at the same gate got a red ALREADY_USED."""
    admit(view, 3, T0 - after, GATE1)
    v = verify(issuer.issue(3).token(T0), T0, view, GATE1)
    assert v.outcome is Outcome.REPEAT_READ, v.reason
    assert v.reason == f"Already admitted here {after} s ago"


def test_outside_the_window_it_is_already_used_here(issuer: Issuer, view: DictView) -> None:
    admit(view, 3, T0 - 61, GATE1)
    v = verify(issuer.issue(3).token(T0), T0, view, GATE1)
    assert v.outcome is Outcome.ALREADY_USED and v.level is Level.REFUSE
    assert (v.previous_gate, v.previous_time, v.previous_here) == ("Gate 1", T0 - 61, True)
    assert v.reason.startswith("Already used here at ")
    elsewhere = verify(issuer.issue(3).token(T0), T0, view, GATE2)
    assert elsewhere.previous_here is False
    assert elsewhere.reason.startswith("Already used at Gate 1 at ")


def test_the_repeat_window_is_per_gate(issuer: Issuer, view: DictView) -> None:
    from dataclasses import replace as dc_replace

    from gatescan.protocol.policy import Gate
    gates = (Gate("Gate 1", "main", repeat_read_seconds=5), Gate("Gate 2", "main"),
             Gate("VIP Gate", "vip"))
    issuer.policy = dc_replace(issuer.policy, gates=gates, repeat_read_seconds=120)
    admit(view, 3, T0 - 10, GATE1)
    assert verify(issuer.issue(3).token(T0), T0, view, GATE1).outcome is Outcome.ALREADY_USED
    admit(view, 4, T0 - 100, GATE2)
    assert verify(issuer.issue(4).token(T0), T0, view, GATE2).outcome is Outcome.REPEAT_READ


def test_a_group_code_read_again_is_the_next_person(issuer: Issuer, view: DictView) -> None:
    phone = issuer.issue(70, type_id=3)  # group of 3: the code is read once per person
    admit(view, 70, T0 - 2)
    assert verify(phone.token(T0), T0, view, GATE1).outcome is Outcome.ADMITTED


def test_a_repeated_exit_is_a_repeat_read(issuer: Issuer, view: DictView) -> None:
    out = GateContext("Gate 1", "exit", "dev-1")
    admit(view, 3, T0 - 600)
    admit(view, 3, T0 - 5, out)
    v = verify(issuer.issue(3).token(T0), T0, view, out)
    assert v.outcome is Outcome.REPEAT_READ and not v.admit
    assert v.reason == "Already scanned out here 5 s ago"


def test_exit_is_recorded(issuer: Issuer, view: DictView) -> None:
    admit(view, 3, T0 - 600)
    v = verify(issuer.issue(3).token(T0), T0, view, GateContext("Gate 1", "exit", "dev-1"))
    assert v.outcome is Outcome.EXIT_RECORDED and v.admit


def test_stale_code_is_a_screenshot(issuer: Issuer, view: DictView) -> None:
    old = issuer.issue(3).token(T0 - 120)
    v = verify(old, T0, view, GATE1)
    assert v.outcome is Outcome.STALE_CODE and "Screenshot" in v.reason


def test_clock_tolerance_accepts_one_step_either_side(issuer: Issuer, view: DictView) -> None:
    phone = issuer.issue(3)
    assert verify(phone.token(T0 - 30), T0, view, GATE1).admit
    assert verify(phone.token(T0 + 30), T0, view, GATE1).admit


def test_code_from_the_future(issuer: Issuer, view: DictView) -> None:
    v = verify(issuer.issue(3).token(T0 + 600), T0, view, GATE1)
    assert v.outcome is Outcome.FUTURE_CODE


def test_forged_issuer_signature(issuer: Issuer, view: DictView) -> None:
    impostor = Issuer(policy=issuer.policy, key=seeded_key("impostor"))
    # Same key id as the real issuer, different key: the signature must fail.
    phone = impostor.issue(3)
    raw = bytearray(decode_text(phone.token(T0)))
    raw[1:5] = issuer.kid
    v = verify(encode_text(bytes(raw)), T0, view, GATE1)
    assert v.outcome is Outcome.BAD_SIGNATURE
    assert v.ticket is None  # nothing read from a forged code is shown


def test_a_code_failing_its_signatures_shows_no_ticket_facts(issuer: Issuer) -> None:
    """Defect: a code whose signatures fail showed details read from it ("VIP row 1 seat 3")."""
    from tests.factories import demo_policy
    view = DictView(issuer, tickets={3: TicketRecord(3, 2, 0, seat="row 1 seat 3")})
    good = decode_text(issuer.issue(3, type_id=2).token(T0))
    forged_phone = bytearray(good)
    forged_phone[-1] ^= 0x01  # the holder signature
    forged_issuer = bytearray(good)
    forged_issuer[20] ^= 0x01  # inside the signed credential
    stranger = Issuer(policy=issuer.policy, key=seeded_key("stranger")).issue(3, type_id=2)
    elsewhere = Issuer(policy=demo_policy(event_id=99)).issue(3, type_id=2)
    cases = {Outcome.BAD_SIGNATURE: [encode_text(bytes(forged_phone)),
                                     encode_text(bytes(forged_issuer))],
             Outcome.UNKNOWN_KEY: [stranger.token(T0)],
             Outcome.WRONG_EVENT: [elsewhere.token(T0)],
             Outcome.MALFORMED: ["VIP row 1 seat 3"]}
    for outcome, texts in cases.items():
        for text in texts:
            v = verify(text, T0, view, GATE1)
            assert v.outcome is outcome and not v.outcome.verified
            assert v.ticket is None and not v.admit
            out = v.to_dict()
            assert out["ticket_id"] is None and out["ticket_type"] is None
            assert out["seat"] is None


def test_unknown_issuer_key(issuer: Issuer, view: DictView) -> None:
    other = Issuer(policy=issuer.policy, key=seeded_key("other-issuer"))
    assert verify(other.issue(3).token(T0), T0, view, GATE1).outcome is Outcome.UNKNOWN_KEY


def test_rotated_key_is_trusted_when_listed(issuer: Issuer) -> None:
    new_key = seeded_key("issuer-2")

    class TwoKeys(DictView):
        def issuer_keys(self, event_id: int, kid: bytes) -> list[bytes]:
            keys = {issuer.kid: issuer.public,
                    Issuer(key=new_key).kid: bytes(new_key.verify_key)}
            return [keys[kid]] if kid in keys else []

    view = TwoKeys(issuer)
    assert verify(issuer.issue(1, key=new_key).token(T0), T0, view, GATE1).admit
    assert verify(issuer.issue(2).token(T0), T0, view, GATE1).admit


def test_wrong_event(issuer: Issuer, view: DictView) -> None:
    from tests.factories import demo_policy
    other = Issuer(policy=demo_policy(event_id=99))
    assert verify(other.issue(3).token(T0), T0, view, GATE1).outcome is Outcome.WRONG_EVENT


def test_revoked(issuer: Issuer, view: DictView) -> None:
    view.tickets[3] = TicketRecord(3, 1, 0, revoked=True, revoked_reason="refunded")
    v = verify(issuer.issue(3).token(T0), T0, view, GATE1)
    assert v.outcome is Outcome.REVOKED and "refunded" in v.reason


def test_superseded_by_transfer(issuer: Issuer, view: DictView) -> None:
    view.tickets[3] = TicketRecord(3, 1, 1)
    old = issuer.issue(3, serial=0)
    new = issuer.issue(3, serial=1, holder_label="friend")
    assert verify(old.token(T0), T0, view, GATE1).outcome is Outcome.SUPERSEDED
    assert verify(new.token(T0), T0, view, GATE1).outcome is Outcome.ADMITTED


def test_not_yet_valid_and_expired(issuer: Issuer, view: DictView) -> None:
    early = issuer.issue(3, valid_from=T0 + 3600)
    assert verify(early.token(T0), T0, view, GATE1).outcome is Outcome.NOT_YET_VALID
    late = issuer.issue(4, valid_until=T0 - 60)
    assert verify(late.token(T0), T0, view, GATE1).outcome is Outcome.EXPIRED


def test_time_slot_with_grace(issuer: Issuer, view: DictView) -> None:
    phone = issuer.issue(30, type_id=4)  # slot T0-3600 .. T0+3600, grace 600
    assert verify(phone.token(T0), T0, view, GATE1).admit
    t = T0 + 3600 + 500
    assert verify(phone.token(t), t, view, GATE1).admit
    t = T0 + 3600 + 700
    v = verify(phone.token(t), t, view, GATE1)
    assert v.outcome is Outcome.OUTSIDE_TIME_SLOT and "ended" in v.reason
    t = T0 - 3600 - 700
    assert verify(phone.token(t), t, view, GATE1).outcome is Outcome.OUTSIDE_TIME_SLOT


def test_wrong_gate_and_zone(issuer: Issuer, view: DictView) -> None:
    lounge = issuer.issue(40, type_id=7)  # zone vip only
    assert verify(lounge.token(T0), T0, view, GATE1).outcome is Outcome.WRONG_GATE
    assert verify(lounge.token(T0), T0, view, VIP).admit
    gate2_only = issuer.issue(41, type_id=8)
    v = verify(gate2_only.token(T0), T0, view, GATE1)
    assert v.outcome is Outcome.WRONG_GATE and "Gate 2" in v.reason
    assert verify(gate2_only.token(T0), T0, view, GATE2).admit


def test_wrong_entrance_names_the_gates_to_go_to(issuer: Issuer, view: DictView) -> None:
    """Defect: "Early Bird is for main, this gate is vip": zone jargon, not where to go."""
    from dataclasses import replace as dc_replace

    from gatescan.protocol.policy import TicketType
    early = TicketType(9, "Early Bird", zones=("main",))
    issuer.policy = dc_replace(issuer.policy, ticket_types=(*issuer.policy.ticket_types, early))
    v = verify(issuer.issue(42, type_id=9).token(T0), T0, view, VIP)
    assert v.outcome is Outcome.WRONG_GATE
    assert v.reason == "Wrong entrance: go to Gate 1 or Gate 2 (Early Bird)"
    assert v.go_to == ("Gate 1", "Gate 2") and v.to_dict()["go_to"] == ["Gate 1", "Gate 2"]
    lounge = verify(issuer.issue(40, type_id=7).token(T0), T0, view, GATE1)
    assert lounge.reason == "Wrong entrance: go to VIP Gate (VIP lounge only)"
    assert "zone" not in v.reason and "zone" not in lounge.reason


def test_reentry_rules(issuer: Issuer, view: DictView) -> None:
    out = GateContext("Gate 1", "exit", "dev-1")
    plain, again = issuer.issue(50, type_id=1), issuer.issue(51, type_id=6)
    for ticket in (50, 51):
        admit(view, ticket, T0 - 900)
        admit(view, ticket, T0 - 600, out)
    v = verify(plain.token(T0), T0, view, GATE1)
    assert v.outcome is Outcome.REENTRY_NOT_ALLOWED and not v.admit
    assert verify(again.token(T0), T0, view, GATE1).outcome is Outcome.ADMITTED
    # A re-entry ticket that is inside (no exit since) cannot enter twice.
    admit(view, 51, T0 - 90)
    assert verify(again.token(T0), T0, view, GATE1).outcome is Outcome.ALREADY_USED


def test_multi_day_pass_once_per_day(issuer: Issuer, view: DictView) -> None:
    phone = issuer.issue(60, type_id=5)
    admit(view, 60, T0 - 3 * 3600)  # earlier today (T0 is 14:13 UTC)
    assert verify(phone.token(T0), T0, view, GATE1).outcome is Outcome.ALREADY_USED
    tomorrow = T0 + 86400
    assert verify(phone.token(tomorrow), tomorrow, view, GATE1).outcome is Outcome.ADMITTED


def test_group_ticket_admits_its_size(issuer: Issuer, view: DictView) -> None:
    phone = issuer.issue(70, type_id=3)  # group of 3
    for n in range(3):
        v = verify(phone.token(T0 + n * 10), T0 + n * 10, view, GATE1)
        assert v.outcome is Outcome.ADMITTED and f"person {n + 1} of 3" in v.reason
        admit(view, 70, T0 + n * 10)
    v = verify(phone.token(T0 + 40), T0 + 40, view, GATE1)
    assert v.outcome is Outcome.ALREADY_USED and v.reason.startswith("All 3 already admitted")


def test_unlisted_ticket_with_valid_signature_is_admitted_and_marked(issuer: Issuer,
                                                                     view: DictView) -> None:
    v = verify(issuer.issue(999).token(T0), T0, view, GATE1)
    assert v.outcome is Outcome.ADMITTED and v.ticket is not None and not v.ticket.listed


def test_unknown_ticket_type(issuer: Issuer, view: DictView) -> None:
    v = verify(issuer.issue(3, type_id=77).token(T0), T0, view, GATE1)
    assert v.outcome is Outcome.UNKNOWN_TICKET_TYPE


def test_unset_clock_asks_for_a_person(issuer: Issuer, view: DictView) -> None:
    gate = GateContext("Gate 1", clock_trusted=False)
    v = verify(issuer.issue(3).token(T0), T0, view, gate)
    assert v.outcome is Outcome.CLOCK_UNSET and v.level is Level.CHECK and not v.admit


@pytest.mark.parametrize("text", ["", "not a ticket", "https://evil.example/x", "\x00" * 50])
def test_malformed(view: DictView, text: str) -> None:
    v = verify(text, T0, view, GATE1)
    assert v.outcome is Outcome.MALFORMED and not v.admit


_VALID = Issuer().issue(3)
_RAW = decode_text(_VALID.token(T0))


@given(st.integers(min_value=0, max_value=TOKEN_LEN - 1), st.integers(min_value=1, max_value=255))
def test_tampering_any_single_byte_never_admits(position: int, flip: int) -> None:
    view = DictView(Issuer())
    raw = bytearray(_RAW)
    raw[position] ^= flip
    v = verify(encode_text(bytes(raw)), T0, view, GATE1)
    assert not v.admit, (position, flip, v.outcome)


def test_tampering_every_position_never_admits() -> None:
    """Exhaustive over positions (the property test above samples the flips)."""
    view = DictView(Issuer())
    for position in range(TOKEN_LEN):
        for flip in (0x01, 0x80, 0xFF):
            raw = bytearray(_RAW)
            raw[position] ^= flip
            v = verify(encode_text(bytes(raw)), T0, view, GATE1)
            assert not v.admit, (position, flip, v.outcome)


@given(st.text(max_size=400) | st.binary(max_size=400))
def test_hostile_input_always_gives_a_verdict(text: str | bytes) -> None:
    v = verify(text, T0, DictView(Issuer()), GATE1)
    assert not v.admit
