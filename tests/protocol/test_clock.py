"""The event clock: IANA zones, the legacy fixed offset, and daylight-saving changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.gate.verify.verifier import _clock, _day_clock, verify
from gatescan.gate.verify.view import GateContext, Movement, TicketRecord
from gatescan.protocol import clock
from gatescan.protocol.policy import EventPolicy, PolicyError
from gatescan.protocol.verdict import Outcome
from tests.factories import DictView, Issuer, demo_policy

BERLIN = "Europe/Berlin"
# 2026-10-25 is the last Sunday of October: 03:00 CEST becomes 02:00 CET.
DST_END = int(datetime(2026, 10, 25, 1, 0, tzinfo=UTC).timestamp())
MORNING = int(datetime(2026, 10, 25, 8, 0, tzinfo=UTC).timestamp())      # 09:00 CET
LATE_EVENING = int(datetime(2026, 10, 25, 22, 30, tzinfo=UTC).timestamp())  # 23:30 CET
NEXT_MORNING = int(datetime(2026, 10, 26, 8, 0, tzinfo=UTC).timestamp())
SUMMER_NOON = int(datetime(2026, 7, 1, 10, 0, tzinfo=UTC).timestamp())   # 12:00 CEST
GATE1 = GateContext("Gate 1", "entry", "dev-1")


def berlin(**kw: object) -> EventPolicy:
    return EventPolicy(event_id=1, name="x", tz=BERLIN, **kw)  # type: ignore[arg-type]


def test_event_zone_follows_daylight_saving() -> None:
    policy = berlin()
    assert clock.format_hm(SUMMER_NOON, policy) == "12:00"
    assert clock.format_hm(MORNING, policy) == "09:00"
    assert clock.format_iso(SUMMER_NOON, policy) == "2026-07-01T12:00:00+02:00"
    assert clock.format_iso(MORNING, policy) == "2026-10-25T09:00:00+01:00"


def test_verifier_reasons_use_the_zone_not_a_fixed_offset() -> None:
    # The defect: a fixed +120 (CEST) offset shows 10:00 for 09:00 CET after the change.
    policy = berlin(tz_offset_minutes=120)
    assert _clock(MORNING, policy) == "09:00"
    assert _day_clock(MORNING, policy) == "25 Oct 09:00"


def test_legacy_fixed_offset_still_works() -> None:
    policy = EventPolicy.from_dict({"event_id": 1, "name": "x", "tz_offset_minutes": 480})
    assert policy.tz is None
    assert clock.format_hm(SUMMER_NOON, policy) == "18:00"
    assert clock.format_iso(SUMMER_NOON, policy) == "2026-07-01T18:00:00+08:00"
    assert _day_clock(SUMMER_NOON, policy) == "01 Jul 18:00"


def test_local_day_is_right_across_the_october_change() -> None:
    policy = berlin(tz_offset_minutes=120)
    # 23:30 CET on the 25th is still the 25th (a fixed +2 h says the 26th).
    assert policy.local_day(LATE_EVENING) == policy.local_day(MORNING)
    assert policy.local_day(NEXT_MORNING) == policy.local_day(MORNING) + 1
    assert policy.local_day(DST_END - 1) == policy.local_day(DST_END)


def test_multi_day_pass_across_the_october_change() -> None:
    """Per-day entries for a 3-day pass: one in the morning, refused again late that evening."""
    base = demo_policy()
    issuer = Issuer(policy=replace(base, tz=BERLIN, tz_offset_minutes=120))
    view = DictView(issuer, tickets={60: TicketRecord(60, 5, 0)})
    phone = issuer.issue(60, type_id=5, valid_from=MORNING - 86400,
                         valid_until=NEXT_MORNING + 86400)
    view.moves[60] = [Movement(MORNING, "Gate 1", "entry", "dev-1")]
    late = verify(phone.token(LATE_EVENING), LATE_EVENING, view, GATE1)
    assert late.outcome is Outcome.ALREADY_USED
    assert late.reason.endswith(" at 09:00")  # 09:00 CET, not 10:00 (a fixed +2 h)
    nxt = verify(phone.token(NEXT_MORNING), NEXT_MORNING, view, GATE1)
    assert nxt.outcome is Outcome.ADMITTED


def test_policy_round_trips_the_zone() -> None:
    policy = replace(demo_policy(), tz=BERLIN)
    again = EventPolicy.from_dict(policy.to_dict())
    assert again == policy and again.tz == BERLIN


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", "/etc/localtime",
                                  "Europe/Berlin\x00", "zone1970.tab", 5, "a" * 200])
def test_unknown_zone_is_a_policy_error(name: object) -> None:
    with pytest.raises(PolicyError):
        EventPolicy.from_dict({"event_id": 1, "name": "x", "tz": name})


def test_offset_minutes_of_a_zone() -> None:
    assert clock.offset_minutes(BERLIN, SUMMER_NOON) == 120
    assert clock.offset_minutes(BERLIN, MORNING) == 60


@given(st.one_of(st.text(max_size=40), st.sampled_from(["UTC", BERLIN, "Asia/Shanghai",
                                                        "America/Argentina/Buenos_Aires",
                                                        "Etc/GMT+5"])),
       st.integers(min_value=-2**63, max_value=2**63 - 1))
def test_any_zone_text_is_accepted_or_refused_cleanly(name: str, t: int) -> None:
    try:
        policy = EventPolicy.from_dict({"event_id": 1, "name": "x", "tz": name})
    except PolicyError:
        return
    assert policy.tz == name
    assert EventPolicy.from_dict(policy.to_dict()) == policy
    # Accepted zones format any time a policy may carry without raising.
    assert len(clock.format_hm(t, policy)) == 5
    clock.local_day(t, policy)
