"""Debounce by ticket: rotating texts of one ticket are one scan; the next person is not delayed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.gate.camera.debounce import Debouncer, debounce_key, describe_code
from gatescan.protocol.token import format_ticket_id
from tests.factories import T0, Issuer


def test_rotating_token_is_one_scan(issuer: Issuer) -> None:
    phone = issuer.issue(41)
    deb = Debouncer(cooldown=3.0)
    # held in view for 95 s at 10 fps: the text changes four times (30 s period)
    texts = {phone.token(T0 + t / 10) for t in range(950)}
    assert len(texts) == 4
    accepted = [t for t in range(950) if deb.accept(phone.token(T0 + t / 10), t / 10)]
    assert accepted == [0]


def test_next_ticket_is_not_delayed(issuer: Issuer) -> None:
    a, b = issuer.issue(1), issuer.issue(2)
    deb = Debouncer(cooldown=3.0)
    assert deb.accept(a.token(T0), 0.0)
    assert not deb.accept(a.token(T0), 0.5)
    assert deb.accept(b.token(T0), 0.6)  # 0.1 s after A was last seen
    assert not deb.accept(a.token(T0 + 30), 1.0)  # A still in the corner of the frame


def test_cooldown_counts_from_last_sighting(issuer: Issuer) -> None:
    text = issuer.issue(5).token(T0)
    deb = Debouncer(cooldown=2.0)
    assert deb.accept(text, 10.0)
    assert not deb.accept(text, 11.5)  # still held: refreshes the timer
    assert not deb.accept(text, 13.0)  # 1.5 s after the last sighting
    assert deb.accept(text, 15.0)  # gone for 2 s, shown again: a new scan
    deb.forget(text)
    assert deb.accept(text, 15.1)


@pytest.mark.parametrize("cooldown", [0.0, 1.0, 5.0])
def test_cooldown_is_configurable(issuer: Issuer, cooldown: float) -> None:
    text = issuer.issue(6).token(T0)
    deb = Debouncer(cooldown=cooldown)
    assert deb.accept(text, 0.0)
    assert deb.accept(text, cooldown) is True
    with pytest.raises(ValueError):
        Debouncer(cooldown=-1)


def test_other_codes_debounce_by_text(issuer: Issuer) -> None:
    deb = Debouncer(cooldown=3.0)
    assert deb.accept("GSENROLL:abc", 0.0)
    assert not deb.accept("GSENROLL:abc", 1.0)
    assert deb.accept("GSENROLL:abd", 1.0)
    assert debounce_key("hello") == "text:hello"
    # same ticket id from two phones (a re-issue): one ticket, one key
    first, reissued = issuer.issue(9), issuer.issue(9, serial=1)
    assert debounce_key(first.token(T0)) == debounce_key(reissued.token(T0 + 99))
    assert debounce_key(first.token(T0)) == f"ticket:7:{format_ticket_id(9)}"


def test_log_label_never_holds_the_token(issuer: Issuer) -> None:
    token = issuer.issue(12).token(T0)
    label = describe_code(token)
    assert token[:20] not in label and format_ticket_id(12) in label
    assert len(describe_code("x" * 300)) < 40


def test_memory_is_bounded(issuer: Issuer) -> None:
    deb = Debouncer(cooldown=1.0, max_keys=50)
    for i in range(500):
        assert deb.accept(f"code {i}", i * 0.01)
    assert len(deb._last_seen) <= 50
    assert not deb.accept("code 499", 5.0)  # the newest sightings are kept


@given(st.text(max_size=500) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_any_text_has_a_key(text: str) -> None:
    key = debounce_key(text)
    assert key.startswith(("text:", "ticket:"))
    assert isinstance(describe_code(text), str)


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.floats(0, 0.5)), max_size=60),
       st.floats(0.1, 5.0))
def test_accepted_sightings_of_one_key_are_separated_by_a_gap(
        events: list[tuple[str, float]], cooldown: float) -> None:
    deb = Debouncer(cooldown=cooldown)
    now, last_seen, accepted = 0.0, {}, []
    for text, step in events:
        now += step
        if deb.accept(text, now):
            assert text not in last_seen or now - last_seen[text] >= cooldown
            accepted.append(text)
        else:
            assert now - last_seen[text] < cooldown
        last_seen[text] = now
    assert set(accepted) == {t for t, _ in events}  # every code got through at least once


def test_key_cache_is_bounded_and_consistent(issuer: Issuer) -> None:
    deb = Debouncer(cooldown=1.0)
    for i in range(300):
        deb.accept(f"code {i}", float(i))
    assert len(deb._keys) <= 64
    token = issuer.issue(77).token(T0)
    assert deb.key(token) == deb.key(token) == debounce_key(token)


def test_a_rotating_compact_code_is_keyed_by_its_ticket(issuer: Issuer) -> None:
    phone = issuer.issue(0xABC)
    first, later = phone.compact(T0), phone.compact(T0 + 60)
    assert first != later
    assert debounce_key(first) == debounce_key(later) == f"ticket:~7:{format_ticket_id(0xABC)}"
    assert debounce_key(issuer.issue(0xABD).compact(T0)) != debounce_key(first)
