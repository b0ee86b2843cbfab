"""Organizer routes: counts, conflicts, entries over time, CSV export, and scan file import."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from gatescan.protocol.scan_export import ExportFileError
from gatescan.server import reports, scan_import
from gatescan.server.api import models as m
from gatescan.server.api import sync_models as sm
from gatescan.server.api.deps import AdminDep, StoreDep, event_or_404
from gatescan.server.api.errors import ApiError, error_responses
from gatescan.server.api.routes.events import EventId
from gatescan.server.api.scan_items import ItemChecker
from gatescan.server.errors import IssuerError
from gatescan.server.store import IssuerStore

IMPORT_DOC = {"requestBody": {"required": True, "content": {
    "application/x-ndjson": {"schema": {"type": "string", "description": (
        "JSON Lines: one ScanItem object per line, optionally with `device_id` "
        "(`gatescan export-scans`)")}},
    "text/csv": {"schema": {"type": "string", "description": (
        "the kiosk's CSV export (its header row first)")}}}}}


def _import(store: IssuerStore, checker: ItemChecker, event_id: int, body: bytes,
            device_id: str | None) -> sm.ImportOut:
    try:
        done = scan_import.import_file(store, event_id, body, device_id=device_id,
                                       checker=checker)
    except ExportFileError as exc:
        raise ApiError(413 if exc.code == "too_large" else 422, exc.code, exc.message) from None
    except IssuerError as exc:
        raise ApiError(404, exc.code, exc.message) from None
    out = [sm.ImportLineOut.model_validate(
               {"line": x.line, "scan_id": x.scan_id, "status": x.status, "conflict": x.conflict,
                "error": x.error, "code": x.code}) for x in done.results]
    return sm.ImportOut(**done.totals(), results=out, server_time=time.time())


def router() -> APIRouter:
    """The report routes."""
    r = APIRouter(prefix="/api/v1/admin/events/{event_id}", tags=["organizer: reports"],
                  responses=error_responses(401, 403, 404, 422))
    checker = ItemChecker()

    @r.get("/report", response_model=m.CountsOut)
    def report(event_id: EventId, store: StoreDep, _: AdminDep) -> m.CountsOut:
        """Scan counts per gate, ticket type and outcome."""
        event = event_or_404(store, event_id)
        c = reports.counts(store, event_id, event.policy)
        return m.CountsOut(event_id=event_id, total=c.total, admitted=c.admitted,
                           conflicts=c.conflicts, by_gate=c.by_gate, by_type=c.by_type,
                           by_outcome=c.by_outcome, time_flagged=c.time_flagged,
                           server_time=time.time())

    @r.get("/conflicts", response_model=m.ConflictList)
    def conflicts(event_id: EventId, store: StoreDep, _: AdminDep) -> m.ConflictList:
        """Tickets admitted more often than allowed, with every scan of each."""
        event = event_or_404(store, event_id)
        found = reports.conflicts(store, event_id, event.policy)
        return m.ConflictList(conflicts=[m.ConflictOut(**c) for c in found],
                              server_time=time.time())

    @r.get("/timeline", response_model=m.TimelineOut)
    def timeline(event_id: EventId, store: StoreDep, _: AdminDep,
                 bucket: Annotated[int, Query(ge=60, le=86400)] = 300) -> m.TimelineOut:
        """Admitted entries per bucket (default five minutes, by gate time) and gate.

        At most 400 buckets (the latest) and 50 gate series; implausible device times
        are left out."""
        event_or_404(store, event_id)
        return m.TimelineOut(**reports.timeline(store, event_id, bucket), server_time=time.time())

    @r.get("/scans.csv", response_class=StreamingResponse,
           responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                            "description": "every scan, one row each"}})
    def scans_csv(event_id: EventId, store: StoreDep, _: AdminDep) -> StreamingResponse:
        """Every scan of the event as CSV (device time in unix seconds and UTC)."""
        event = event_or_404(store, event_id)
        return StreamingResponse(
            reports.scans_csv(store, event_id, event.policy), media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="scans-{event_id}.csv"'})

    @r.post("/scans/import", response_model=sm.ImportOut, openapi_extra=IMPORT_DOC,
            responses=error_responses(413))
    async def import_scans(event_id: EventId, request: Request, store: StoreDep, _: AdminDep,
                           device_id: Annotated[str | None, Query(
                               pattern=r"^dev_[0-9a-f]{12}$",
                               description="the gate the file came from")] = None,
                           ) -> sm.ImportOut:
        """Import a gate's export file (JSON Lines of scan items, or the kiosk's CSV);
        idempotent like push. Rows of other gates' scans in a CSV are `skipped`."""
        await run_in_threadpool(event_or_404, store, event_id)
        body = await request.body()
        return await run_in_threadpool(_import, store, checker, event_id, body, device_id)

    return r
