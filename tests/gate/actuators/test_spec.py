"""Parsing the relay settings (outside input)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.gate.actuators.spec import RelaySettings, RelaySpec, parse_relay


@pytest.mark.parametrize(("text", "spec"), [
    ("gpio:17", RelaySpec("gpio", pin=17)),
    ("GPIO:4:active-low", RelaySpec("gpio", pin=4, active_high=False)),
    ("serial:/dev/ttyUSB0", RelaySpec("serial", port="/dev/ttyUSB0")),
    ("serial:/dev/ttyUSB0:2", RelaySpec("serial", port="/dev/ttyUSB0", channel=2)),
    ("cmd:/usr/local/bin/open-door --zone 'main hall'",
     RelaySpec("cmd", argv=("/usr/local/bin/open-door", "--zone", "main hall"))),
])
def test_known_specs(text: str, spec: RelaySpec) -> None:
    assert parse_relay(text) == spec
    assert parse_relay(spec.describe()) == spec


@pytest.mark.parametrize(("text", "words"), [
    ("gpio:28", "0 to 27"), ("gpio:x", "must be a number"), ("gpio:17:sideways", "mode"),
    ("serial:/dev/ttyUSB0:9", "channel"), ("cmd:", "not a relay"), ("cmd:'open", "cannot be"),
    ("usb:1", "unknown relay kind"), ("17", "not a relay"),
])
def test_bad_specs_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_relay(text)


def test_settings_are_validated() -> None:
    gpio = parse_relay("gpio:17")
    assert RelaySettings(gpio, 500, 27, 10).passed_pin == 27
    with pytest.raises(ValueError, match="both the relay and"):
        RelaySettings(gpio, 500, 17)
    with pytest.raises(ValueError, match="needs a relay"):
        RelaySettings(None, 500, 27)
    with pytest.raises(ValueError, match="pulse length"):
        RelaySettings(gpio, 20)
    with pytest.raises(ValueError, match="passage timeout"):
        RelaySettings(gpio, 500, 27, float("nan"))


@given(st.text(max_size=80))
def test_any_text_is_a_spec_or_a_value_error(text: str) -> None:
    try:
        spec = parse_relay(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert spec.kind in ("gpio", "serial", "cmd")
    assert parse_relay(spec.describe()) == spec


@given(st.sampled_from(["gpio", "serial", "cmd"]), st.text(min_size=1, max_size=40))
def test_prefixed_text_round_trips_when_accepted(kind: str, rest: str) -> None:
    try:
        spec = parse_relay(f"{kind}:{rest}")
    except ValueError:
        return
    assert spec.kind == kind and parse_relay(spec.describe()) == spec
