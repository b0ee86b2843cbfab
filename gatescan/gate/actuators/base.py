"""The actuator seam: something that opens the turnstile for one person, and what says they went.

Every call may block for the length of the pulse: callers run it off the GUI
thread (`gatescan.gate.actuators.door.Door` has its own worker thread).
"""

from __future__ import annotations

from typing import Protocol


class ActuatorError(Exception):
    """The relay could not be driven (unplugged board, missing pin library, failed command).

    `code` is stable: `unavailable`, `io_error`, `command_failed`, `timeout`.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Actuator(Protocol):
    """An output that opens the turnstile or door for one person."""

    def pulse(self, ms: int) -> None:
        """Close the relay contact for `ms` milliseconds, then open it again (blocks meanwhile)."""
        ...

    def close(self) -> None:
        """Leave the contact open and release the hardware."""
        ...


class PassageSensor(Protocol):
    """An input that says a person went through (a turnstile's rotation contact)."""

    def arm(self) -> None:
        """Forget earlier passages: the next `wait` waits for a new one."""
        ...

    def wait(self, timeout: float) -> bool:
        """True as soon as a person passed since `arm`, False after `timeout` seconds."""
        ...

    def close(self) -> None:
        """Release the input."""
        ...
