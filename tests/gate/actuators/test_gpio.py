"""The GPIO relay and passage sensor on gpiozero's mock pins."""

from __future__ import annotations

import threading

from gpiozero.pins.mock import MockFactory

from gatescan.gate.actuators.gpio import GpioPassageSensor, GpioRelay


def test_pulse_drives_the_pin_high_for_the_configured_length(pins: MockFactory) -> None:
    relay = GpioRelay(17)
    pin = pins.pin(17)
    relay.pulse(120)
    states = [s.state for s in pin.states]
    assert states == [False, True, False]
    # Each timestamp is the time since the state before: the high phase lasted >= 120 ms.
    assert pin.states[2].timestamp >= 0.120
    relay.close()
    assert pin.state is False or pin.state == 0


def test_active_low_module_is_driven_low_for_the_pulse(pins: MockFactory) -> None:
    relay = GpioRelay(22, active_high=False)
    pin = pins.pin(22)
    assert pin.state in (True, 1)  # idle: relay off means the pin is high
    relay.pulse(60)
    assert [bool(s.state) for s in pin.states][-2:] == [False, True]
    assert pin.states[-1].timestamp >= 0.060
    relay.close()


def test_passage_sensor_sees_the_contact_close_after_arm(pins: MockFactory) -> None:
    sensor = GpioPassageSensor(27, bounce_ms=1)
    pin = pins.pin(27)
    assert pin.pull == "up"
    sensor.arm()
    assert sensor.wait(0.05) is False
    threading.Timer(0.05, pin.drive_low).start()
    assert sensor.wait(5.0) is True
    pin.drive_high()
    sensor.arm()  # an earlier passage is forgotten
    assert sensor.wait(0.05) is False
    sensor.close()
