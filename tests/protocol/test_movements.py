"""The conflict rule: which admissions were more than a ticket type allows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gatescan.protocol.movements import Move, over_admitted
from gatescan.protocol.policy import EventPolicy, TicketType

POLICY = EventPolicy(1, "Rules")
DAY = 86400


def _moves(*spec: tuple[float, str]) -> list[Move]:
    return [Move(f"s{i}", t, d) for i, (t, d) in enumerate(spec)]


def test_single_entry_ticket_admitted_twice() -> None:
    moves = _moves((10, "entry"), (20, "entry"))
    assert over_admitted(moves, TicketType(1, "GA"), POLICY) == ["s1"]
    assert over_admitted(list(reversed(moves)), TicketType(1, "GA"), POLICY) == ["s1"]


def test_group_ticket_counts_people() -> None:
    moves = _moves(*[(t, "entry") for t in range(5)])
    assert over_admitted(moves, TicketType(1, "G", max_entries=4), POLICY) == ["s4"]


def test_reentry_after_exit_is_allowed_but_not_without() -> None:
    ok = _moves((1, "entry"), (2, "exit"), (3, "entry"))
    assert over_admitted(ok, TicketType(1, "R", reentry=True), POLICY) == []
    assert over_admitted(ok, TicketType(1, "GA"), POLICY) == ["s2"]
    twice = _moves((1, "entry"), (2, "entry"))
    assert over_admitted(twice, TicketType(1, "R", reentry=True), POLICY) == ["s1"]


def test_per_day_pass_counts_each_day() -> None:
    moves = _moves((DAY + 10, "entry"), (2 * DAY + 10, "entry"), (2 * DAY + 20, "entry"))
    assert over_admitted(moves, TicketType(1, "3-day", per_day=True), POLICY) == ["s2"]


def test_unknown_ticket_is_treated_as_single_entry() -> None:
    assert over_admitted(_moves((1, "entry"), (2, "entry")), None, POLICY) == ["s1"]


@given(st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["entry", "exit"])),
                max_size=30), st.integers(1, 5))
def test_excess_is_entries_beyond_the_limit(spec: list[tuple[int, str]], limit: int) -> None:
    """Without re-entry or days, exactly the entries past the limit are flagged."""
    moves = [Move(f"{i:03d}", t, d) for i, (t, d) in enumerate(spec)]
    ordered = sorted(moves, key=lambda m: (m.time, m.scan_id))
    entries = [m for m in ordered if m.direction == "entry"]
    flagged = over_admitted(moves, TicketType(1, "T", max_entries=limit), POLICY)
    assert set(flagged) <= {m.scan_id for m in entries}
    if not any(m.direction == "exit" for m in ordered):
        assert flagged == [m.scan_id for m in entries[limit:]]
