"""The UI's small vocabularies as enums: where a scan came from, which way the gate counts,
which screen is up. They travel through signals as objects, so a typo is a type error;
each converts to the ledger's and verifier's literals at that boundary.
"""

from __future__ import annotations

from enum import StrEnum

from gatescan.gate.verify.view import Direction as GateDirection


class ScanSource(StrEnum):
    """Where the UI got a code: the camera, a handheld (keyboard wedge) scanner, or typed in."""

    CAMERA = "camera"
    WEDGE = "wedge"
    MANUAL = "manual"


class Direction(StrEnum):
    """Which way this gate counts people."""

    ENTRY = "entry"
    EXIT = "exit"

    @classmethod
    def of(cls, value: object) -> Direction:
        """Read a stored or typed-in direction: only "exit" means exit."""
        return cls.EXIT if value == "exit" else cls.ENTRY

    def for_gate(self) -> GateDirection:
        """The verifier's literal for this direction (`GateContext.direction`)."""
        return "exit" if self is Direction.EXIT else "entry"


class Screen(StrEnum):
    """The window's screens."""

    SETUP = "setup"
    GATE = "gate"
    MANAGER = "manager"
