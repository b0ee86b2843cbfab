"""`parse_unix_time`: the `--at` values a person types, in both command lines."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.protocol.token import MAX_TYPED_TIME, MIN_TYPED_TIME, parse_unix_time


@given(st.text(max_size=40))
def test_any_text_is_a_plausible_time_or_a_value_error(text: str) -> None:
    try:
        value = parse_unix_time(text)
    except ValueError as exc:
        assert repr(text) in str(exc)
        return
    assert math.isfinite(value) and MIN_TYPED_TIME <= value <= MAX_TYPED_TIME
    assert value == float(text)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_numbers_read_back_or_are_refused_by_range(number: float) -> None:
    inside = MIN_TYPED_TIME <= number <= MAX_TYPED_TIME
    if inside:
        assert parse_unix_time(repr(number)) == number
    else:
        with pytest.raises(ValueError, match="out of range"):
            parse_unix_time(repr(number))
