"""Console page: import a gate's export file (the USB round trip), per event, owner or staff.

The file goes through `gatescan.server.scan_import`, as `gatescan-server scans import`
and the API do; the page lists the totals and each row that was not stored as new
(every row for a small file), and the import is written to the audit log.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from gatescan.protocol.scan_export import ExportFileError
from gatescan.server import devices, scan_import
from gatescan.server.api.deps import StoreDep
from gatescan.server.console import audit
from gatescan.server.console.roles import Role
from gatescan.server.console.web import EventId, UploadDep, UserDep, event_or_404, render
from gatescan.server.errors import IssuerError
from gatescan.server.store import IssuerStore

ALL_ROWS = 200  # a file this small lists every row; a bigger one lists the rows not stored
MAX_LISTED = 1000


def _devices(store: IssuerStore, event_id: int) -> list[devices.DeviceInfo]:
    return [d for d in devices.list_devices(store, event_id) if d.status != devices.REVOKED]


def router() -> APIRouter:
    """The scan import page (included by the console's router, under its prefix)."""
    r = APIRouter(include_in_schema=False)

    @r.get("/events/{event_id}/scans/import", response_class=HTMLResponse)
    def import_form(request: Request, event_id: EventId, store: StoreDep,
                    user: UserDep) -> Response:
        found = event_or_404(store, user, event_id)
        user.require(event_id, Role.STAFF)
        return render(request, "scans_import.html", user, title="Import scans", event=found,
                      devices=_devices(store, event_id), tab="import")

    @r.post("/events/{event_id}/scans/import", response_class=HTMLResponse)
    def import_file(request: Request, event_id: EventId, store: StoreDep,
                    upload: UploadDep) -> Response:
        user = upload.user
        found = event_or_404(store, user, event_id)
        user.require(event_id, Role.STAFF)
        device = user.value("device_id") or None
        page: dict[str, Any] = {"title": "Import scans", "event": found, "tab": "import",
                                "devices": _devices(store, event_id),
                                "filename": upload.filename, "device_id": device}
        if not upload.data:
            return render(request, "scans_import.html", user, status=422,
                          error="Choose the file to import.", **page)
        try:
            report = scan_import.import_file(store, event_id, upload.data, device_id=device)
        except (ExportFileError, IssuerError) as exc:
            return render(request, "scans_import.html", user, status=422, error=exc.message,
                          **page)
        audit.record(store, user.session.email, "scans_import", event_id=event_id,
                     details={"file": upload.filename, "format": report.form,
                              **report.totals()}, now=time.time())
        rows = report.results if len(report.results) <= ALL_ROWS else \
            [x for x in report.results if x.status != "stored" or x.conflict]
        return render(request, "scans_import.html", user, report=report,
                      totals=report.totals(), rows=rows[:MAX_LISTED],
                      more=max(0, len(rows) - MAX_LISTED), **page)

    return r
