"""The command relay, with real subprocesses."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gatescan.gate.actuators.base import ActuatorError
from gatescan.gate.actuators.command import CommandRelay
from gatescan.gate.actuators.spec import parse_relay

WRITE = "import os, sys; open(sys.argv[1], 'a').write(os.environ['GATESCAN_PULSE_MS'] + '\\n')"


def test_each_pulse_runs_the_command_once_with_the_length(tmp_path: Path) -> None:
    out = tmp_path / "pulses.txt"
    relay = CommandRelay([sys.executable, "-c", WRITE, str(out)])
    relay.pulse(500)
    relay.pulse(250)
    assert out.read_text().splitlines() == ["500", "250"]


def test_no_shell_metacharacters_are_interpreted(tmp_path: Path) -> None:
    out = tmp_path / "args.txt"
    evil = tmp_path / "evil"
    spec = parse_relay(f"cmd:{sys.executable} -c 'import sys; open(sys.argv[1], \"w\")"
                       f".write(repr(sys.argv[2:]))' {out} '; touch {evil}' '$(touch {evil})'")
    CommandRelay(spec.argv).pulse(100)
    assert not evil.exists()
    assert out.read_text() == repr([f"; touch {evil}", f"$(touch {evil})"])


def test_failure_and_hang_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ActuatorError) as failed:
        CommandRelay([sys.executable, "-c", "import sys; sys.exit('door jammed')"]).pulse(50)
    assert failed.value.code == "command_failed" and "door jammed" in failed.value.message
    with pytest.raises(ActuatorError) as hung:
        CommandRelay([sys.executable, "-c", "import time; time.sleep(30)"],
                     timeout=0.5).pulse(50)
    assert hung.value.code == "timeout"
    with pytest.raises(ActuatorError) as missing:
        CommandRelay([str(tmp_path / "no-such-tool")]).pulse(50)
    assert missing.value.code == "unavailable"
