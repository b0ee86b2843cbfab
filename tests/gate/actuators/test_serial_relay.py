"""The USB-serial relay board, through a real pseudo-terminal: the bytes the board would get."""

from __future__ import annotations

import os
import select
from collections.abc import Iterator

import pytest

from gatescan.gate.actuators.base import ActuatorError
from gatescan.gate.actuators.serial_relay import SerialRelay, lcus_command


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    """(master fd, slave device path): the test reads what the relay writes to the slave."""
    master, slave = os.openpty()
    try:
        yield master, os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


def _read(fd: int, n: int) -> bytes:
    got = b""
    for _ in range(50):  # bounded: 50 x 0.1 s
        if len(got) >= n:
            break
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            got += os.read(fd, n - len(got))
    return got


def test_lcus_commands_are_the_documented_bytes() -> None:
    assert lcus_command(1, True) == bytes.fromhex("A00101A2")
    assert lcus_command(1, False) == bytes.fromhex("A00100A1")
    assert lcus_command(2, True) == bytes.fromhex("A00201A3")
    with pytest.raises(ValueError):
        lcus_command(0, True)


def test_pulse_sends_on_then_off(pty: tuple[int, str]) -> None:
    master, path = pty
    relay = SerialRelay(path)
    relay.pulse(50)
    assert _read(master, 8) == bytes.fromhex("A00101A2A00100A1")
    relay.close()
    assert _read(master, 4) == bytes.fromhex("A00100A1")  # off again on close


def test_channel_two(pty: tuple[int, str]) -> None:
    master, path = pty
    relay = SerialRelay(path, channel=2)
    relay.pulse(50)
    assert _read(master, 8) == bytes.fromhex("A00201A3A00200A2")
    relay.close()


def test_missing_board_is_a_clear_error(tmp_path: os.PathLike[str]) -> None:
    with pytest.raises(ActuatorError) as err:
        SerialRelay(os.path.join(tmp_path, "ttyUSB9"))
    assert err.value.code == "unavailable" and "ttyUSB9" in err.value.message
