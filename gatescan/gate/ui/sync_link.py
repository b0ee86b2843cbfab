"""The sync engine and enroller the gate app drives (`gatescan.gate.sync.enroll.ui_services`).

The engine always ships with the gate; a gate that is not enrolled runs from a
manifest file all the same and says so on screen.
"""

from __future__ import annotations

from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.enroll import ui_services
from gatescan.gate.sync.handshake import Enroller
from gatescan.gate.sync.status import SyncService


def find_sync(settings: ScannerSettings) -> tuple[SyncService, Enroller]:
    """The sync service and enroller for this gate (one HTTP client between them)."""
    service, enroller = ui_services(settings)
    return service, enroller
