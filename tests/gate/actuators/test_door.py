"""One pulse per recorded admission and never otherwise; no passage undoes the admission."""

from __future__ import annotations

import threading

import pytest
from gpiozero.pins.mock import MockFactory

from gatescan.gate.actuators.door import Door, should_pulse
from gatescan.gate.actuators.gpio import GpioPassageSensor, GpioRelay
from gatescan.protocol.verdict import Level, Outcome, TicketFacts, Verdict

FACTS = TicketFacts(0x1001, 0, 1, "General")
OPENS = {Outcome.ADMITTED, Outcome.EXIT_RECORDED, Outcome.OVERRIDE_ADMITTED}


@pytest.mark.parametrize("outcome", list(Outcome))
def test_only_recorded_admissions_pulse(outcome: Outcome) -> None:
    verdict = Verdict(outcome, "reason", None if not outcome.verified else FACTS)
    assert should_pulse(True, verdict) is (outcome in OPENS)
    assert should_pulse(False, verdict) is False  # a dry run or a scan not recorded


def test_amber_check_does_not_pulse() -> None:
    assert not should_pulse(True, Verdict(Outcome.CLOCK_UNSET, "clock", FACTS,
                                          level=Level.CHECK))


def _high_pulses(pins: MockFactory, number: int) -> int:
    return sum(1 for s in pins.pin(number).states if s.state)


def test_door_pulses_once_per_admission(pins: MockFactory) -> None:
    door = Door(GpioRelay(17), pulse_ms=50)
    assert door.admitted("a" * 32, Verdict(Outcome.ADMITTED, "ok", FACTS))
    assert not door.admitted("b" * 32, Verdict(Outcome.REPEAT_READ, "again", FACTS))
    assert not door.admitted("c" * 32, Verdict(Outcome.ALREADY_USED, "used", FACTS))
    assert not door.admitted("d" * 32, Verdict(Outcome.ADMITTED, "ok", FACTS), recorded=False)
    assert door.close()  # finishes the queued pulse first
    assert door.pulses == 1 and _high_pulses(pins, 17) == 1


def test_no_passage_reports_the_admission_and_a_passage_does_not(pins: MockFactory) -> None:
    undone: list[str] = []
    done = threading.Event()

    def no_passage(scan_id: str) -> None:
        undone.append(scan_id)
        done.set()

    sensor = GpioPassageSensor(27, bounce_ms=1)
    door = Door(GpioRelay(17), pulse_ms=50, sensor=sensor, passed_timeout=0.3,
                on_no_passage=no_passage)
    door.admitted("a" * 32, Verdict(Outcome.ADMITTED, "ok", FACTS))
    assert done.wait(5)
    assert undone == ["a" * 32]
    # Now the person turns the turnstile while it waits: nothing is undone.
    door.admitted("b" * 32, Verdict(Outcome.ADMITTED, "ok", FACTS))
    threading.Timer(0.1, pins.pin(27).drive_low).start()
    # An exit is never undone, even with no passage; it is sent after b's wait ended.
    door.admitted("c" * 32, Verdict(Outcome.EXIT_RECORDED, "bye", FACTS))
    for _ in range(100):  # bounded: up to 10 s
        if door.pulses == 3:
            break
        threading.Event().wait(0.1)
    assert door.pulses == 3
    assert undone == ["a" * 32]
    assert door.close()
