"""What the verdict panel shows, as plain data built from a verdict, a lookup or a failure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gatescan.gate.ui.kinds import ScanSource


class Tone(StrEnum):
    """The panel's colour and icon: the four verdict levels, plus 'not recorded'."""

    ADMIT = "admit"
    REFUSE = "refuse"
    CHECK = "check"
    REPEAT = "repeat"  # already admitted here moments ago: neither yes nor no, opens nothing
    ERROR = "error"  # the scan could not be recorded: never green


@dataclass(frozen=True, slots=True)
class VerdictDisplay:
    """One filled-in verdict panel: a big word, a title, a detail line and a reason."""

    tone: Tone
    word: str
    title: str
    detail: str = ""
    reason: str = ""
    source: ScanSource = ScanSource.CAMERA
