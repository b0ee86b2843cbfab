"""The screen's sentence comes from the wording table, and in English it is the verifier's.

Every sentence the verifier writes is reached here from real signed codes; the
table, filled in from the verdict's structured fields alone, must say the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.gate.ui import reasons
from gatescan.gate.ui.kinds import ScanSource
from gatescan.gate.ui.sentences import sentence
from gatescan.gate.verify.verifier import verify, verify_manual
from gatescan.gate.verify.view import GateContext, Movement, TicketRecord
from gatescan.protocol.clock import EventZone
from gatescan.protocol.policy import TicketType
from gatescan.protocol.token import decode_text, encode_text
from gatescan.protocol.verdict import Outcome, Verdict
from tests.factories import T0, DictView, Issuer, demo_policy, seeded_key

GATE1 = GateContext("Gate 1", "entry", "dev-1")
GATE2 = GateContext("Gate 2", "entry", "dev-2")
VIP = GateContext("VIP Gate", "entry", "dev-3")
OUT1 = GateContext("Gate 1", "exit", "dev-1")
ISSUER = Issuer(policy=replace(demo_policy(), ticket_types=(
    *demo_policy().ticket_types, TicketType(9, "Early Bird", zones=("main",)),
    TicketType(10, "Nowhere", gates=("Back door",)))))


def fresh_view() -> DictView:
    tickets = {n: TicketRecord(n, 1, 0, seat=f"A{n}") for n in range(1, 20)}
    tickets[20] = TicketRecord(20, 1, 0, revoked=True, revoked_reason="refunded")
    tickets[21] = TicketRecord(21, 1, 0, revoked=True)
    tickets[22] = TicketRecord(22, 1, 1)
    tickets[23] = TicketRecord(23, 3, 0)  # a group of 3
    return DictView(ISSUER, tickets=tickets)


def moved(view: DictView, ticket: int, at: float, gate: GateContext = GATE1) -> DictView:
    view.moves.setdefault(ticket, []).append(Movement(at, gate.gate, gate.direction,
                                                      gate.device_id))
    return view


def scan(ticket: int, at: float = T0, *, type_id: int = 1, gate: GateContext = GATE1,
         view: DictView | None = None, **issue: int) -> Verdict:
    phone = ISSUER.issue(ticket, type_id=type_id, **issue)
    return verify(phone.token(at), at, view or fresh_view(), gate)


def forged_issuer() -> Verdict:
    raw = bytearray(decode_text(Issuer(policy=ISSUER.policy,
                                       key=seeded_key("impostor")).issue(3).token(T0)))
    raw[1:5] = ISSUER.kid
    return verify(encode_text(bytes(raw)), T0, fresh_view(), GATE1)


def forged_phone() -> Verdict:
    raw = bytearray(decode_text(ISSUER.issue(3).token(T0)))
    raw[-1] ^= 1  # the phone's signature is the last bytes
    return verify(encode_text(bytes(raw)), T0, fresh_view(), GATE1)


def group_all_in(gate: GateContext) -> Verdict:
    view = fresh_view()
    for n in range(3):
        moved(view, 70, T0 + n * 10, gate)
    return scan(70, T0 + 40, type_id=3, view=view)


def manual(ticket: int, view: DictView | None = None, gate: GateContext = GATE1,
           at: float = T0) -> Verdict:
    return verify_manual(ticket, at, view or fresh_view(), gate, ISSUER.policy)


def not_listed() -> Verdict:
    strict = Issuer(policy=replace(ISSUER.policy, admit_unlisted=False), key=ISSUER.key)
    return verify(strict.issue(999).token(T0), T0, DictView(strict), GATE1)


def fresh_view_typed() -> DictView:
    view = fresh_view()
    view.tickets[5] = TicketRecord(5, 5, 0)  # a 3-day pass: decided by the date
    return view


SCENARIOS: dict[str, Callable[[], Verdict]] = {
    "admitted": lambda: scan(3),
    "group person 2": lambda: scan(70, type_id=3, view=moved(fresh_view(), 70, T0 - 5)),
    "re-entry": lambda: scan(51, type_id=6, view=moved(moved(fresh_view(), 51, T0 - 900),
                                                       51, T0 - 600, OUT1)),
    "no re-entry": lambda: scan(50, view=moved(moved(fresh_view(), 50, T0 - 900),
                                               50, T0 - 600, OUT1)),
    "no re-entry yesterday": lambda: scan(50, view=moved(moved(fresh_view(), 50, T0 - 90000),
                                                         50, T0 - 86400, OUT1)),
    "used elsewhere": lambda: scan(3, view=moved(fresh_view(), 3, T0 - 600, GATE2)),
    "used here": lambda: scan(3, view=moved(fresh_view(), 3, T0 - 600)),
    "used yesterday": lambda: scan(3, view=moved(fresh_view(), 3, T0 - 86400, GATE2)),
    "group all in here": lambda: group_all_in(GATE1),
    "group all in elsewhere": lambda: group_all_in(GATE2),
    "exit": lambda: scan(3, gate=OUT1),
    "stale seconds": lambda: verify(ISSUER.issue(3).token(T0 - 90), T0, fresh_view(), GATE1),
    "stale minutes": lambda: verify(ISSUER.issue(3).token(T0 - 900), T0, fresh_view(), GATE1),
    "stale hours": lambda: verify(ISSUER.issue(3).token(T0 - 9000), T0, fresh_view(), GATE1),
    "future": lambda: verify(ISSUER.issue(3).token(T0 + 600), T0, fresh_view(), GATE1),
    "forged ticket": forged_issuer,
    "forged phone": forged_phone,
    "unknown key": lambda: verify(Issuer(policy=ISSUER.policy, key=seeded_key("other"))
                                  .issue(3).token(T0), T0, fresh_view(), GATE1),
    "wrong event": lambda: verify(Issuer(policy=demo_policy(99)).issue(3).token(T0), T0,
                                  fresh_view(), GATE1),
    "malformed": lambda: verify("not a ticket", T0, fresh_view(), GATE1),
    "unknown type": lambda: scan(3, type_id=77),
    "not listed": not_listed,
    "cancelled with reason": lambda: scan(20),
    "cancelled": lambda: scan(21),
    "transferred": lambda: scan(22),
    "not valid yet": lambda: scan(3, valid_from=T0 + 3600),
    "expired": lambda: scan(3, valid_until=T0 - 60),
    "slot ended": lambda: scan(30, T0 + 3600 + 700, type_id=4),
    "slot starts": lambda: scan(30, T0 - 3600 - 700, type_id=4),
    "wrong gate, go to": lambda: scan(42, type_id=9, gate=VIP),
    "wrong gate, one": lambda: scan(40, type_id=7),
    "wrong gate, none": lambda: scan(43, type_id=10),
    "clock unset": lambda: scan(3, gate=replace(GATE1, clock_trusted=False)),
    "short code, credential not held": lambda: verify(ISSUER.issue(3).compact(T0), T0,
                                                      fresh_view(), GATE1),
    "manual admitted": lambda: manual(2),
    "manual group": lambda: manual(23, moved(fresh_view(), 23, T0 - 5)),
    "manual unknown number": lambda: manual(999),
    "manual cancelled": lambda: manual(20),
    "manual clock unconfirmed": lambda: verify_manual(
        5, T0, fresh_view_typed(), replace(GATE1, clock_confirmed=False), ISSUER.policy),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_english_table_says_what_the_verifier_says(name: str) -> None:
    verdict = SCENARIOS[name]()
    assert sentence(verdict, EventZone.of(ISSUER.policy)) == verdict.reason, verdict.outcome


def test_the_scenarios_reach_every_verifier_outcome() -> None:
    reached = {SCENARIOS[name]().outcome for name in SCENARIOS}
    supervisor_only = {Outcome.OVERRIDE_ADMITTED, Outcome.ADMISSION_UNDONE, Outcome.REPEAT_READ}
    assert reached | supervisor_only == set(Outcome)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_panel_shows_the_table_sentence_unless_it_repeats_the_title(name: str) -> None:
    verdict = SCENARIOS[name]()
    shown = reasons.describe_verdict(verdict, zone=EventZone.of(ISSUER.policy),
                                     source=ScanSource.MANUAL if "manual" in name
                                     else ScanSource.CAMERA)
    assert shown.reason in ("", verdict.reason)
    assert shown.reason or verdict.reason == shown.title


@given(st.text(max_size=80) | st.binary(max_size=120))
def test_any_unreadable_code_is_worded_as_the_verifier_words_it(text: str | bytes) -> None:
    verdict = verify(text, T0, fresh_view(), GATE1)
    assert sentence(verdict, EventZone.of(ISSUER.policy)) == verdict.reason


@given(st.integers(min_value=-3 * 86400, max_value=3 * 86400))
def test_slots_validity_and_previous_uses_at_any_time(offset: int) -> None:
    at = T0 + offset
    zone = EventZone.of(ISSUER.policy)
    for verdict in (scan(30, at, type_id=4),
                    scan(3, at, valid_from=T0 + 3600, valid_until=T0 + 86400),
                    scan(3, at, view=moved(fresh_view(), 3, T0, GATE2)),
                    scan(50, at, view=moved(moved(fresh_view(), 50, T0 - 60), 50, T0, OUT1))):
        assert sentence(verdict, zone) == verdict.reason
