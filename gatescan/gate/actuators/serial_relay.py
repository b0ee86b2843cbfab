"""A USB-serial relay board (the common "LCUS-1" type, CH340 USB chip, 9600 baud).

These boards take four-byte commands: start byte 0xA0, the relay channel
(1..8), the state (1 on, 0 off) and the sum of the first three bytes (mod 256).
Channel 1 on is `A0 01 01 A2`, off is `A0 01 00 A1`. The port stays open
between pulses; a board that was unplugged is reopened on the next pulse.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from gatescan.gate.actuators.base import ActuatorError

log = logging.getLogger(__name__)

DEFAULT_BAUD = 9600
MAX_CHANNEL = 8


def lcus_command(channel: int, on: bool) -> bytes:
    """The board's command to switch relay `channel` on or off."""
    if not 1 <= channel <= MAX_CHANNEL:
        raise ValueError(f"relay channel must be 1 to {MAX_CHANNEL}, not {channel}")
    state = 1 if on else 0
    return bytes((0xA0, channel, state, (0xA0 + channel + state) & 0xFF))


class SerialRelay:
    """Relay `channel` of a serial relay board on `port` (e.g. /dev/ttyUSB0)."""

    def __init__(self, port: str, *, channel: int = 1, baud: int = DEFAULT_BAUD) -> None:
        self.port = port
        self.channel = channel
        self.baud = baud
        self._on = lcus_command(channel, True)
        self._off = lcus_command(channel, False)
        self._lock = threading.Lock()
        self._serial: Any = None
        with self._lock:
            self._open()

    def _open(self) -> Any:
        import serial

        if self._serial is None:
            try:
                self._serial = serial.Serial(self.port, self.baud, timeout=1, write_timeout=1)
            except (serial.SerialException, OSError, ValueError) as exc:
                raise ActuatorError("unavailable", f"relay board {self.port}: {exc}") from exc
        return self._serial

    def _send(self, command: bytes) -> None:
        import serial

        port = self._open()
        try:
            port.write(command)
            port.flush()
        except (serial.SerialException, OSError) as exc:
            self._drop()
            raise ActuatorError("io_error", f"relay board {self.port}: {exc}") from exc

    def _drop(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except OSError as exc:
                log.debug("closing %s: %s", self.port, exc)
            self._serial = None

    def pulse(self, ms: int) -> None:
        """Switch the relay on for `ms` milliseconds (the off command is always sent)."""
        with self._lock:
            try:
                self._send(self._on)
                time.sleep(ms / 1000)
            finally:
                self._send(self._off)

    def close(self) -> None:
        """Switch the relay off and close the port."""
        with self._lock:
            try:
                if self._serial is not None:
                    self._send(self._off)
            except ActuatorError as exc:
                log.warning("could not switch the relay off on close: %s", exc)
            finally:
                self._drop()
