"""What `Ledger.status()` reports: the loaded event, counts and uploads, as one typed record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class EventRef:
    """The loaded event, by id and name."""

    event_id: int
    name: str


@dataclass(frozen=True, slots=True)
class LedgerStatus:
    """One consistent snapshot of the ledger, for `gatescan status` and the UI's event info."""

    path: str
    schema_version: int
    event: EventRef | None
    manifest_sequence: int | None
    manifest_generated_at: float | None
    last_import: float | None
    tickets: int
    revoked_tickets: int
    revocations: int
    scans: int
    scans_by_outcome: Mapping[str, int]
    admitted: int  # admissions (overrides included) minus undone ones
    pending_uploads: int
    rejected_uploads: int
    upload_conflicts: int
    local_only_scans: int

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict in `gatescan status --json`'s key order (which scripts read)."""
        return {
            "path": self.path,
            "schema_version": self.schema_version,
            "event": None if self.event is None else {"event_id": self.event.event_id,
                                                      "name": self.event.name},
            "manifest_sequence": self.manifest_sequence,
            "manifest_generated_at": self.manifest_generated_at,
            "last_import": self.last_import,
            "tickets": self.tickets,
            "revoked_tickets": self.revoked_tickets,
            "revocations": self.revocations,
            "scans": self.scans,
            "scans_by_outcome": dict(self.scans_by_outcome),
            "admitted": self.admitted,
            "pending_uploads": self.pending_uploads,
            "rejected_uploads": self.rejected_uploads,
            "upload_conflicts": self.upload_conflicts,
            "local_only_scans": self.local_only_scans,
        }
