"""Who saw whom: the `heard` object a gate sends, and the parser the server reads it with."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gatescan.protocol.mesh import DEVICE_ID, MAX_SEQ
from gatescan.protocol.mesh_heard import MAX_HEARD, Heard, heard_to_json, parse_heard

device_ids = st.text("0123456789abcdef", min_size=12, max_size=12).map(lambda s: "dev_" + s)
good = st.builds(Heard, st.floats(0, 2**32 - 1, allow_nan=False), st.integers(0, MAX_SEQ))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner,
                                                                  max_size=4), max_leaves=12)


@given(st.dictionaries(device_ids, good, max_size=100))
def test_what_a_gate_sends_parses_back_bounded(heard: dict[str, Heard]) -> None:
    wire = heard_to_json(heard)
    assert len(wire) == min(len(heard), MAX_HEARD)
    back = parse_heard(wire)
    assert back == {d: heard[d] for d in wire}
    if len(heard) > MAX_HEARD:  # the most recently heard are the ones kept
        assert min(h.at for h in back.values()) >= max(
            h.at for d, h in heard.items() if d not in back)


@settings(max_examples=300)
@given(json_values | st.dictionaries(device_ids | st.text(max_size=20),
                                     json_values | st.fixed_dictionaries(
                                         {"at": json_values, "lag": json_values}),
                                     max_size=80))
def test_any_outside_value_gives_only_valid_entries_and_never_raises(raw: Any) -> None:
    got = parse_heard(raw)
    assert len(got) <= MAX_HEARD
    for device_id, h in got.items():
        assert DEVICE_ID.fullmatch(device_id)
        assert math.isfinite(h.at) and 0 <= h.at < 2**32
        assert isinstance(h.lag, int) and 0 <= h.lag <= MAX_SEQ


@given(device_ids, good, st.sampled_from([
    {"at": float("nan")}, {"at": float("inf")}, {"at": -1}, {"at": True}, {"at": "1"},
    {"at": 1.0, "lag": -1}, {"at": 1.0, "lag": 1.5}, {"at": 1.0, "lag": False}, {}, None, 3]))
def test_a_bad_entry_is_dropped_and_the_rest_kept(ok_id: str, h: Heard, bad: Any) -> None:
    raw = {ok_id: h.to_json(), "dev_" + "0" * 12 if ok_id != "dev_" + "0" * 12
           else "dev_" + "1" * 12: bad, "not a device": h.to_json()}
    assert parse_heard(raw) == {ok_id: h}
