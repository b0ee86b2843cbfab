"""The relay settings: `--relay gpio:17`, `serial:/dev/ttyUSB0`, `cmd:...`, pulse and sensor.

`parse_relay` reads the text of a setting (outside input: it raises
`ValueError` with a sentence for the operator); `open_relay` and `open_sensor`
make the real device.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass
from typing import Literal

from gatescan.gate.actuators.base import Actuator, PassageSensor
from gatescan.gate.actuators.serial_relay import DEFAULT_BAUD, MAX_CHANNEL

MAX_BCM_PIN = 27  # the 40-pin header's GPIO0..GPIO27
PULSE_MS_RANGE = (50, 10_000)
PASSED_TIMEOUT_RANGE = (1.0, 120.0)
DEFAULT_PULSE_MS = 500
DEFAULT_PASSED_TIMEOUT = 10.0
USAGE = ("use gpio:PIN[:active-low], serial:PORT[:CHANNEL] or cmd:COMMAND "
         "(e.g. gpio:17, serial:/dev/ttyUSB0, cmd:/usr/local/bin/open-door)")


@dataclass(frozen=True, slots=True)
class RelaySpec:
    """Which output opens the turnstile."""

    kind: Literal["gpio", "serial", "cmd"]
    pin: int | None = None
    active_high: bool = True
    port: str | None = None
    channel: int = 1
    argv: tuple[str, ...] = ()

    def describe(self) -> str:
        """The spec as the setting spells it."""
        if self.kind == "gpio":
            return f"gpio:{self.pin}" + ("" if self.active_high else ":active-low")
        if self.kind == "serial":
            return f"serial:{self.port}" + ("" if self.channel == 1 else f":{self.channel}")
        return "cmd:" + shlex.join(self.argv)


@dataclass(frozen=True, slots=True)
class RelaySettings:
    """The turnstile part of the gate's settings (no relay: `relay` is None)."""

    relay: RelaySpec | None = None
    pulse_ms: int = DEFAULT_PULSE_MS
    passed_pin: int | None = None
    passed_timeout: float = DEFAULT_PASSED_TIMEOUT

    def __post_init__(self) -> None:
        lo, hi = PULSE_MS_RANGE
        if isinstance(self.pulse_ms, bool) or not lo <= self.pulse_ms <= hi:
            raise ValueError(f"the pulse length must be {lo} to {hi} ms, not {self.pulse_ms}")
        tlo, thi = PASSED_TIMEOUT_RANGE
        if not math.isfinite(self.passed_timeout) or not tlo <= self.passed_timeout <= thi:
            raise ValueError(f"the passage timeout must be {tlo:g} to {thi:g} s, "
                             f"not {self.passed_timeout}")
        if self.passed_pin is not None:
            check_pin(self.passed_pin, "the passed sensor")
            if self.relay is None:
                raise ValueError("a passed sensor needs a relay (--relay)")
            if self.relay.kind == "gpio" and self.relay.pin == self.passed_pin:
                raise ValueError(f"GPIO{self.passed_pin} cannot be both the relay and the "
                                 "passed sensor")


def check_pin(pin: int, what: str) -> int:
    """A BCM GPIO number on the 40-pin header, or `ValueError`."""
    if isinstance(pin, bool) or not 0 <= pin <= MAX_BCM_PIN:
        raise ValueError(f"{what} needs a BCM GPIO number 0 to {MAX_BCM_PIN}, not {pin}")
    return pin


def _number(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 3:
        raise ValueError(f"{what} must be a number, not {text!r}"[:120])
    return int(text)


def parse_relay(text: str) -> RelaySpec:
    """Parse a `--relay` value; raises `ValueError` saying what is wrong."""
    kind, sep, rest = text.strip().partition(":")
    kind = kind.lower()
    if not sep or not rest.strip():
        raise ValueError(f"not a relay: {text!r:.60}; {USAGE}")
    if kind == "gpio":
        pin_text, _, mode = rest.partition(":")
        pin = check_pin(_number(pin_text, "the GPIO pin"), "the relay")
        if mode not in ("", "active-high", "active-low"):
            raise ValueError(f"unknown GPIO mode {mode!r:.40}: use active-high or active-low")
        return RelaySpec("gpio", pin=pin, active_high=mode != "active-low")
    if kind == "serial":
        port, channel = rest, 1
        head, _, tail = rest.rpartition(":")
        if head and tail.isascii() and tail.isdigit():
            port, channel = head, _number(tail, "the relay channel")
        if not 1 <= channel <= MAX_CHANNEL:
            raise ValueError(f"the relay channel must be 1 to {MAX_CHANNEL}, not {channel}")
        if not port.isprintable() or port != port.strip():
            raise ValueError(f"not a serial port: {port!r:.60}")
        return RelaySpec("serial", port=port, channel=channel)
    if kind == "cmd":
        try:
            argv = tuple(shlex.split(rest))
        except ValueError as exc:
            raise ValueError(f"the relay command cannot be read: {exc}") from exc
        if not argv or "\x00" in rest:
            raise ValueError("the relay command is empty or has a NUL character")
        return RelaySpec("cmd", argv=argv)
    raise ValueError(f"unknown relay kind {kind!r:.20}; {USAGE}")


def open_relay(spec: RelaySpec) -> Actuator:
    """The real output for `spec` (raises `ActuatorError` if the hardware is not there)."""
    if spec.kind == "gpio":
        from gatescan.gate.actuators.gpio import GpioRelay

        assert spec.pin is not None
        return GpioRelay(spec.pin, active_high=spec.active_high)
    if spec.kind == "serial":
        from gatescan.gate.actuators.serial_relay import SerialRelay

        assert spec.port is not None
        return SerialRelay(spec.port, channel=spec.channel, baud=DEFAULT_BAUD)
    from gatescan.gate.actuators.command import CommandRelay

    return CommandRelay(spec.argv)


def open_sensor(pin: int) -> PassageSensor:
    """The turnstile's "passed" contact on GPIO `pin`."""
    from gatescan.gate.actuators.gpio import GpioPassageSensor

    return GpioPassageSensor(check_pin(pin, "the passed sensor"))
