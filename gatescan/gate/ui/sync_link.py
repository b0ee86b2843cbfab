"""Finding the sync engine, if this build has one.

The engine (`gatescan.gate.sync.engine`, written separately) is expected to offer
`ui_services(settings) -> (SyncService | None, Enroller | None)`. Without it
the gate runs from a manifest file and says so on screen.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.status import SyncService
from gatescan.gate.ui.enrollment import Enroller

log = logging.getLogger(__name__)

ENGINE_MODULE = "gatescan.gate.sync.engine"
FACTORY = "ui_services"


def find_sync(settings: ScannerSettings) -> tuple[SyncService | None, Enroller | None]:
    """The sync service and enroller for this gate, or (None, None) without an engine."""
    try:
        engine: Any = importlib.import_module(ENGINE_MODULE)
    except ImportError:
        log.info("no sync engine in this build: running from manifest files")
        return None, None
    factory = getattr(engine, FACTORY, None)
    if factory is None:
        log.warning("%s has no %s(): running without sync", ENGINE_MODULE, FACTORY)
        return None, None
    service, enroller = factory(settings)
    return service, enroller
