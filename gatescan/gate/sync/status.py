"""What the gate knows about its link to the central server, as plain data.

The sync engine produces a `SyncStatus` after every attempt; the UI's status
strip and `gatescan status --json` show it. `SyncService` is the small surface
the UI's sync worker drives, so the UI does not depend on how sync works.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Protocol

PINNED_KEYS = "pinned_keys"  # sync_state: enrollment's key fingerprints, for people to compare


class ClockState(StrEnum):
    """How far the gate trusts its own clock (a Raspberry Pi has no RTC)."""

    SYNCED = "synced"      # offset to server time known from a recent sync
    UNSYNCED = "unsynced"  # never synced, but the clock is plausible
    UNSET = "unset"        # clock earlier than times the ledger has already seen


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """One snapshot of the gate's sync state."""

    enrolled: bool = False
    online: bool = False
    offline_since: float | None = None
    pending_uploads: int = 0
    last_sync: float | None = None
    last_pull: float | None = None
    clock_offset: float | None = None
    clock_state: ClockState = ClockState.UNSYNCED
    device_revoked: bool = False
    conflicts: int = 0
    error: str | None = None
    rejected_uploads: int = 0  # scans the server refused: kept in the log, not re-sent
    # the server was found behind what it acknowledged (restored from a backup): details
    server_rollback: dict[str, Any] | None = None
    pinned_keys: tuple[str, ...] = ()  # issuer key fingerprints this gate was enrolled with
    error_code: str | None = None  # stable code of `error` (e.g. signer_not_pinned)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (used by `gatescan status --json`)."""
        data = asdict(self)
        data["clock_state"] = self.clock_state.value
        data["pinned_keys"] = list(self.pinned_keys)
        return data


class SyncService(Protocol):
    """The sync engine as the UI sees it: run one round, or report the current state."""

    def sync_once(self) -> SyncStatus:
        """Push pending scans, pull changes; never raises for network trouble."""
        ...

    def status(self) -> SyncStatus:
        """The current state without touching the network."""
        ...
