"""Manual admission by typed ticket id: the ticket-level rules without a code (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatescan.gate.verify.verifier import verify, verify_manual
from gatescan.gate.verify.view import GateContext, Movement, TicketRecord
from gatescan.protocol.verdict import Level, Outcome
from tests.factories import T0, DictView, Issuer

GATE1 = GateContext("Gate 1", "entry", "dev-1")
GATE2 = GateContext("Gate 2", "entry", "dev-2")
VIP = GateContext("VIP Gate", "entry", "dev-3")
EXIT1 = GateContext("Gate 1", "exit", "dev-1")
ISSUER = Issuer()
POLICY = ISSUER.policy


@pytest.fixture
def view() -> DictView:
    # ticket n has type n (1..8); 20 is cancelled, 21 has a type the event does not know
    tickets = {n: TicketRecord(n, n, 0, seat=f"A{n}") for n in range(1, 9)}
    tickets[20] = TicketRecord(20, 1, 1, revoked=True, revoked_reason="refund")
    tickets[21] = TicketRecord(21, 99, 0)
    return DictView(ISSUER, tickets=tickets)


def manual(view: DictView, ticket_id: int, at: float = T0,
           gate: GateContext = GATE1) -> Outcome:
    """Decide, and record the movement the way the ledger would; returns the outcome."""
    v = verify_manual(ticket_id, at, view, gate, POLICY)
    if v.outcome.counts_as_movement:
        view.moves.setdefault(ticket_id, []).append(
            Movement(at, gate.gate, gate.direction, gate.device_id))
    return v.outcome


def test_a_listed_ticket_is_admitted_green_and_says_manual(view: DictView) -> None:
    v = verify_manual(2, T0, view, GATE1, POLICY)
    assert v.outcome is Outcome.ADMITTED and v.admit and v.level is Level.ADMIT
    assert v.reason == "Manual: VIP" and v.event_id == POLICY.event_id
    assert v.ticket is not None
    assert (v.ticket.ticket_id, v.ticket.serial, v.ticket.type_name, v.ticket.seat,
            v.ticket.zone, v.ticket.listed) == (2, 0, "VIP", "A2", "main", True)


def test_second_admission_is_already_used_with_when_and_where(view: DictView) -> None:
    assert manual(view, 1, T0 - 600, GATE2) is Outcome.ADMITTED
    v = verify_manual(1, T0, view, GATE1, POLICY)
    assert v.outcome is Outcome.ALREADY_USED and not v.admit and v.level is Level.REFUSE
    assert v.previous_gate == "Gate 2" and v.previous_time == T0 - 600
    assert v.reason.startswith("Already used at Gate 2 at")


def test_a_double_press_at_the_same_gate_is_a_repeat_not_already_used(view: DictView) -> None:
    assert manual(view, 1, T0) is Outcome.ADMITTED
    v = verify_manual(1, T0 + 2, view, GATE1, POLICY)
    assert v.outcome is Outcome.REPEAT_READ and v.reason == "Already admitted here 2 s ago"
    assert not v.admit and v.level is Level.REPEAT


def test_a_gate_clock_a_day_ahead_does_not_admit_a_pass_used_today(view: DictView) -> None:
    """Defect: with the gate clock 1 day ahead and "trusted", manual lookup admitted a
    3-day pass already used that day (a scan refuses: the code's time shows the clock is off)."""
    assert manual(view, 5, T0) is Outcome.ADMITTED  # used today, at another gate's right time
    ahead = T0 + 86400 + 600
    unconfirmed = replace(GATE2, clock_confirmed=False)  # own clock only, not the server's
    v = verify_manual(5, ahead, view, unconfirmed, POLICY)
    assert v.outcome is Outcome.CLOCK_UNSET and v.level is Level.CHECK and not v.admit
    # The scan path, same clock: the phone's code is a day "old", so it refuses too.
    phone = ISSUER.issue(5, type_id=5)
    by_code = verify(phone.token(T0 + 700), ahead, view, unconfirmed)
    assert by_code.outcome is Outcome.STALE_CODE and not by_code.admit
    # A time slot depends on the clock as well; a plain ticket does not.
    assert verify_manual(4, T0, view, unconfirmed, POLICY).outcome is Outcome.CLOCK_UNSET
    assert verify_manual(1, ahead, view, unconfirmed, POLICY).outcome is Outcome.ADMITTED
    # With the server's time, the next day of the pass is admitted as before.
    assert verify_manual(5, ahead, view, GATE2, POLICY).outcome is Outcome.ADMITTED


def test_unknown_number_is_a_check_and_never_admits(view: DictView) -> None:
    v = verify_manual(0xBEEF, T0, view, GATE1, POLICY)
    assert v.outcome is Outcome.UNKNOWN_TICKET_TYPE and not v.admit and v.level is Level.CHECK
    assert v.ticket is not None and v.ticket.ticket_id == 0xBEEF and not v.ticket.listed
    assert "not on this gate's list" in v.reason


def test_cancelled_ticket_is_refused_even_with_the_clock_unset(view: DictView) -> None:
    for gate in (GATE1, replace(GATE1, clock_trusted=False)):
        v = verify_manual(20, T0, view, gate, POLICY)
        assert v.outcome is Outcome.REVOKED and v.reason == "Ticket cancelled (refund)"
        assert v.level is Level.REFUSE


def test_unset_clock_refuses_a_time_dependent_admit_as_a_check(view: DictView) -> None:
    v = verify_manual(1, T0, view, replace(GATE1, clock_trusted=False), POLICY)
    assert v.outcome is Outcome.CLOCK_UNSET and v.level is Level.CHECK and not v.admit


def test_type_rules_still_apply(view: DictView) -> None:
    assert verify_manual(21, T0, view, GATE1, POLICY).outcome is Outcome.UNKNOWN_TICKET_TYPE
    wrong_gate = verify_manual(8, T0, view, GATE1, POLICY)
    assert wrong_gate.outcome is Outcome.WRONG_GATE and "Gate 2" in wrong_gate.reason
    lounge = verify_manual(7, T0, view, GATE1, POLICY)
    assert lounge.outcome is Outcome.WRONG_GATE and lounge.reason == (
        "Wrong entrance: go to VIP Gate (VIP lounge only)")
    assert verify_manual(7, T0, view, VIP, POLICY).outcome is Outcome.ADMITTED
    late = verify_manual(4, T0 + 3 * 3600, view, GATE1, POLICY)
    assert late.outcome is Outcome.OUTSIDE_TIME_SLOT and "ended" in late.reason
    assert verify_manual(4, T0, view, GATE1, POLICY).outcome is Outcome.ADMITTED


def test_group_multi_day_and_re_entry_rules(view: DictView) -> None:
    assert [manual(view, 3, T0 + 60 * i) for i in range(4)] == [
        Outcome.ADMITTED, Outcome.ADMITTED, Outcome.ADMITTED, Outcome.ALREADY_USED]
    group = verify_manual(3, T0 + 600, view, GATE2, POLICY)
    assert group.reason.startswith("All 3 already admitted")
    assert manual(view, 5, T0) is Outcome.ADMITTED
    assert manual(view, 5, T0 + 3600) is Outcome.ALREADY_USED
    assert manual(view, 5, T0 + 86400) is Outcome.ADMITTED  # the next day of a 3-day pass
    assert manual(view, 6, T0) is Outcome.ADMITTED
    exit_ = verify_manual(6, T0 + 60, view, EXIT1, POLICY)
    assert exit_.outcome is Outcome.EXIT_RECORDED and exit_.reason.startswith("Manual: ")
    assert manual(view, 6, T0 + 60, EXIT1) is Outcome.EXIT_RECORDED
    back = verify_manual(6, T0 + 120, view, GATE1, POLICY)
    assert back.outcome is Outcome.ADMITTED and "re-entry" in back.reason
    assert manual(view, 1, T0) is Outcome.ADMITTED
    assert manual(view, 1, T0 + 60, EXIT1) is Outcome.EXIT_RECORDED
    assert manual(view, 1, T0 + 120) is Outcome.REENTRY_NOT_ALLOWED


_moves = st.lists(st.tuples(st.integers(-3 * 86400, 0), st.sampled_from([GATE1, GATE2, EXIT1])),
                  max_size=5)


@settings(deadline=None)
@given(type_id=st.integers(1, 8), serial=st.integers(0, 3), revoked=st.booleans(),
       moves=_moves, gate=st.sampled_from([GATE1, GATE2, VIP, EXIT1]),
       offset=st.integers(-4 * 3600, 4 * 3600))
def test_manual_decides_like_a_valid_code_of_the_same_ticket(
        type_id: int, serial: int, revoked: bool, moves: list[tuple[int, GateContext]],
        gate: GateContext, offset: int) -> None:
    """With a good code and the clock set, only the signature separates the two paths."""
    now = T0 + offset
    record = TicketRecord(9, type_id, serial, revoked=revoked, revoked_reason="x")
    view = DictView(ISSUER, tickets={9: record}, moves={9: sorted(
        (Movement(now + dt, g.gate, g.direction, g.device_id) for dt, g in moves),
        key=lambda m: m.time)})
    phone = ISSUER.issue(9, type_id=type_id, serial=serial, valid_from=now - 10,
                         valid_until=now + 10)
    by_code = verify(phone.token(now), now, view, gate)
    by_hand = verify_manual(9, now, view, gate, POLICY)
    assert by_hand.outcome is by_code.outcome and by_hand.level is by_code.level
    assert by_hand.ticket == by_code.ticket
    assert (by_hand.previous_gate, by_hand.previous_time) == (by_code.previous_gate,
                                                              by_code.previous_time)
    expected = f"Manual: {by_code.reason}" if by_code.admit else by_code.reason
    assert by_hand.reason == expected
