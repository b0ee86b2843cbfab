"""Event policy parsing: round trip, defaults, and hostile documents."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.protocol.policy import (
    EventPolicy,
    Gate,
    PolicyError,
    TicketType,
    TimeSlot,
    plan_problems,
)
from tests.factories import demo_policy


def test_round_trip_through_json() -> None:
    policy = demo_policy()
    again = EventPolicy.from_dict(json.loads(json.dumps(policy.to_dict())))
    assert again == policy
    assert again.ticket_type(4) is not None and again.ticket_type(4).slot is not None
    assert EventPolicy.from_dict(policy.to_dict()) == policy


def test_defaults() -> None:
    policy = EventPolicy.from_dict({"event_id": 1, "name": "x"})
    assert policy.rotation_period == 30
    assert policy.clock_tolerance_steps == 1
    assert policy.gates == () and policy.ticket_type(1) is None
    assert policy.repeat_read_seconds == 60  # was 3: a person re-presenting a code got red


def test_a_gate_may_override_the_repeat_window() -> None:
    doc = {"event_id": 1, "name": "x", "repeat_read_seconds": 45,
           "gates": [{"name": "Gate 1", "repeat_read_seconds": 10}, {"name": "Gate 2"},
                     {"name": "Gate 3", "repeat_read_seconds": None}]}
    policy = EventPolicy.from_dict(doc)
    assert policy.gates[0] == Gate("Gate 1", "main", 10)
    assert [policy.repeat_window(n) for n in ("gate 1", "Gate 2", "Gate 3", "Nowhere")] == [
        10, 45, 45, 45]
    assert EventPolicy.from_dict(policy.to_dict()) == policy


def test_plan_problems_name_unserved_zones_and_missing_gates() -> None:
    assert plan_problems(demo_policy()) == []
    policy = EventPolicy(1, "x", gates=(Gate("Gate 1", "main"), Gate("VIP", "vip")),
                         ticket_types=(TicketType(1, "A", zones=("backstage",)),
                                       TicketType(2, "B", gates=("Gate 9",)),
                                       TicketType(3, "C", zones=("vip",), gates=("Gate 1",)),
                                       TicketType(4, "D", zones=("main", "vip"))))
    found = plan_problems(policy)
    assert len(found) == 3
    assert "'A'" in found[0] and "backstage" in found[0]
    assert "'B'" in found[1] and "Gate 9" in found[1]
    assert "'C'" in found[2]
    assert policy.gates_for(policy.ticket_types[3]) == ("Gate 1", "VIP")
    twins = EventPolicy(1, "x", gates=(Gate("Gate 1"), Gate("gate 1")))
    assert plan_problems(twins) == ["two gates have the same name"]


def test_gate_lookup_ignores_case() -> None:
    gate = demo_policy().gate("vip gate")
    assert gate is not None and gate.zone == "vip"


def test_local_day_uses_the_event_time_zone() -> None:
    policy = EventPolicy(event_id=1, name="x", tz_offset_minutes=8 * 60)
    # 2026-09-21T17:00Z is 01:00 the next day in UTC+8.
    assert policy.local_day(1_790_010_000) == policy.local_day(1_790_010_000 + 7 * 3600)


def test_slot_grace_is_inclusive() -> None:
    slot = TimeSlot(100, 200, grace=10)
    assert slot.contains(90) and slot.contains(210)
    assert not slot.contains(89) and not slot.contains(211)


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        {"name": "no id"},
        {"event_id": "1", "name": "x"},
        {"event_id": True, "name": "x"},
        {"event_id": 1, "name": ""},
        {"event_id": 1, "name": "x", "rotation_period": 0},
        {"event_id": 1, "name": "x", "gates": [{"zone": "main"}]},
        {"event_id": 1, "name": "x", "ticket_types": {"id": 1}},
        {"event_id": 1, "name": "x", "ticket_types": [{"id": 1, "name": "a"},
                                                       {"id": 1, "name": "b"}]},
        {"event_id": 1, "name": "x",
         "ticket_types": [{"id": 1, "name": "a", "slot": {"start": 5, "end": 1}}]},
        {"event_id": 1, "name": "x", "ticket_types": [{"id": 1, "name": "a", "zones": "vip"}]},
        {"event_id": 1, "name": "x", "repeat_read_seconds": -1},
        {"event_id": 1, "name": "x", "repeat_read_seconds": 3601},
        {"event_id": 1, "name": "x", "gates": [{"name": "G", "repeat_read_seconds": "5"}]},
        {"event_id": 1, "name": "x", "gates": [{"name": "G", "repeat_read_seconds": 99999}]},
    ],
)
def test_bad_documents_raise_policy_error(doc: Any) -> None:
    with pytest.raises(PolicyError):
        EventPolicy.from_dict(doc)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["event_id", "name", "gates", "ticket_types", "slot",
                                       "id", "zones", "max_entries", "rotation_period",
                                       "start", "end", "zone", "repeat_read_seconds"]),
                        children, max_size=6),
    max_leaves=20,
)


@given(_json)
def test_any_json_gives_a_policy_or_policy_error(doc: Any) -> None:
    try:
        policy = EventPolicy.from_dict(doc)
    except PolicyError:
        return
    assert EventPolicy.from_dict(policy.to_dict()) == policy  # what was accepted reads back
    assert all(0 <= policy.repeat_window(g.name) <= 3600 for g in policy.gates)
    assert isinstance(plan_problems(policy), list)
