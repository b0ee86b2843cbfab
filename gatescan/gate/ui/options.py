"""How the gate app was started: one typed object built by `gatescan run` and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gatescan.gate.actuators.spec import RelaySettings
from gatescan.gate.camera.profile import DEFAULT_PROFILE, ProfileName
from gatescan.gate.ledger.supervisor import DEFAULT_UNDO_WINDOW
from gatescan.gate.ui.kinds import Direction


@dataclass(frozen=True, slots=True)
class UiOptions:
    """Command-line choices; anything left None falls back to the saved gate settings."""

    kiosk: bool = False
    camera: str | None = None
    video: Path | None = None
    loop: bool = False
    gate: str | None = None
    direction: Direction | None = None
    language: str | None = None
    demo: bool = False
    sound: bool = True
    preview_fps: float = 30.0
    sync_interval: float = 15.0
    width: int = 1280
    height: int = 800
    announce_ready: bool = False  # print "READY <seconds>" on stdout (the bench reads it)
    relay: RelaySettings = field(default_factory=RelaySettings)  # turnstile (none by default)
    undo_window: float = DEFAULT_UNDO_WINDOW  # seconds a supervisor may undo an admission
    camera_profile: ProfileName = DEFAULT_PROFILE  # "phone": short exposure; "auto": untouched

    def camera_spec(self, saved: str | None) -> str:
        """The source to open: --video, else --camera, else the saved camera, else 0."""
        if self.video is not None:
            return str(self.video)
        return self.camera or saved or "0"
