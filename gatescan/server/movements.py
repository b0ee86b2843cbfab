"""The conflict rule lives in `gatescan.protocol.movements` (gates apply it to mesh scans too)."""

from gatescan.protocol.movements import (
    ENTRY_ADMITS,
    MOVEMENT_OUTCOMES,
    UNDONE,
    UNVERIFIED_OUTCOMES,
    Logged,
    Move,
    admitted_entries,
    over_admitted,
    without_undone,
)

__all__ = ["ENTRY_ADMITS", "MOVEMENT_OUTCOMES", "UNDONE", "UNVERIFIED_OUTCOMES", "Logged",
           "Move", "admitted_entries", "over_admitted", "without_undone"]
