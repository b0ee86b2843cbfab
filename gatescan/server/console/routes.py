"""Console pages: sign in/out, language, events (list, new, edit, duplicate, archive,
delete a draft) and the audit log. Every change is written to the audit log."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from gatescan.server.api.deps import SettingsDep, StoreDep
from gatescan.server.console import (
    accounts,
    audit,
    devices,
    events,
    forms,
    i18n,
    live,
    scans,
    tickets,
)
from gatescan.server.console.plans import build_plan
from gatescan.server.console.roles import Role, grant
from gatescan.server.console.web import (
    COOKIE,
    PREFIX,
    EventId,
    Forbidden,
    FormDep,
    UserDep,
    event_or_404,
    render,
    secure_request,
    see_other,
)
from gatescan.server.errors import IssuerError
from gatescan.server.store import IssuerStore

FLASH = {"created": "Event created.", "saved": "Event saved.", "archived": "Event archived.",
         "restored": "Event restored.", "deleted": "Event deleted.",
         "copy": "Event duplicated: this is the copy."}


def _log(store: IssuerStore, user: Any, action: str, event_id: int | None,
         **details: Any) -> None:
    audit.record(store, user.session.email, action, event_id=event_id, details=details,
                 now=time.time())


def router() -> APIRouter:
    """The console's HTML routes (not in the API schema)."""
    r = APIRouter(prefix=PREFIX, include_in_schema=False)

    @r.get("")
    def home() -> Response:
        return see_other(f"{PREFIX}/events")

    @r.get("/login")
    def login_form(request: Request) -> Response:
        return render(request, "login.html", None, title="Sign in")

    @r.post("/login")
    async def login(request: Request, store: StoreDep, settings: SettingsDep) -> Response:
        from urllib.parse import parse_qs

        form = parse_qs((await request.body())[:8192].decode("utf-8", "replace"),
                        max_num_fields=5)
        email = (form.get("email") or [""])[0]
        password = (form.get("password") or [""])[0]
        account_id = await run_in_threadpool(accounts.authenticate, store, email, password)
        if account_id is None:
            return render(request, "login.html", None, status=401, title="Sign in",
                          error="Wrong e-mail or password.", email=email[:254])
        cookie = await run_in_threadpool(accounts.new_session, store, account_id,
                                         ttl=settings.session_ttl, now=time.time())
        await run_in_threadpool(audit.record, store, email.strip().lower(), "sign_in",
                                event_id=None, details={}, now=time.time())
        response = see_other(f"{PREFIX}/events")
        response.set_cookie(COOKIE, cookie, max_age=settings.session_ttl, httponly=True,
                            samesite="strict", path=PREFIX, secure=secure_request(request))
        return response

    @r.post("/logout")
    def logout(request: Request, store: StoreDep, user: FormDep) -> Response:
        accounts.end_session(store, request.cookies.get(COOKIE, ""))
        response = see_other(f"{PREFIX}/login")
        response.delete_cookie(COOKIE, path=PREFIX)
        return response

    @r.get("/lang/{code}")
    def set_lang(code: str, back: Annotated[str, Query(max_length=300)] = "") -> Response:
        target = back if back.startswith(f"{PREFIX}/") and "//" not in back else PREFIX
        response = see_other(target)
        if code in i18n.LANGS:
            response.set_cookie(i18n.LANG_COOKIE, code, max_age=365 * 86400,
                                samesite="strict", path=PREFIX)
        return response

    @r.get("/events", response_class=HTMLResponse)
    def list_events(request: Request, store: StoreDep, user: UserDep,
                    archived: bool = False, done: str = "") -> Response:
        found = events.views(store, archived=archived, only=user.visible)
        return render(request, "events.html", user, title="Events", events=found,
                      archived=archived, flash=FLASH.get(done))

    @r.get("/events/new", response_class=HTMLResponse)
    def new_event(request: Request, user: UserDep) -> Response:
        if not user.can_create:
            raise Forbidden()
        doc = {"name": "", "venue": "", "tz": "UTC", "rotation_period": 30,
               "gates": [], "ticket_types": []}
        return render(request, "event_form.html", user, title="New event", event=None,
                      doc=forms.rows(doc), editable=True)

    @r.post("/events")
    def create_event(request: Request, store: StoreDep, user: FormDep) -> Response:
        if not user.can_create:
            raise Forbidden()
        doc = forms.document(user.form)
        try:
            event_id = events.create(store, build_plan(doc))
        except IssuerError as exc:
            return render(request, "event_form.html", user, status=422, title="New event",
                          event=None, doc=forms.rows(doc), editable=True, error=exc.message)
        if user.role(None) != Role.OWNER:
            grant(store, user.session.account_id, Role.OWNER, event_id)
        _log(store, user, "event_create", event_id, name=doc["name"])
        return see_other(f"{PREFIX}/events/{event_id}?done=created")

    @r.get("/events/{event_id}", response_class=HTMLResponse)
    def show_event(request: Request, event_id: EventId, store: StoreDep, user: UserDep,
                   done: str = "") -> Response:
        found = event_or_404(store, user, event_id)
        editable = user.can(event_id, Role.OWNER)
        return render(request, "event_form.html", user, title=found.event.name, event=found,
                      doc=forms.rows(events.document(store, event_id),
                                     forms.EXTRA_ROWS if editable else 0),
                      editable=editable, flash=FLASH.get(done),
                      role=user.role(event_id))

    @r.post("/events/{event_id}")
    def edit_event(request: Request, event_id: EventId, store: StoreDep,
                   user: FormDep) -> Response:
        found = event_or_404(store, user, event_id)
        user.require(event_id, Role.OWNER)
        doc = forms.document(user.form)
        try:
            events.edit(store, event_id, build_plan(doc, event_id=event_id))
        except IssuerError as exc:
            return render(request, "event_form.html", user, status=422, title=found.event.name,
                          event=found, doc=forms.rows(doc), editable=True, error=exc.message,
                          role=user.role(event_id))
        _log(store, user, "event_edit", event_id, name=doc["name"])
        return see_other(f"{PREFIX}/events/{event_id}?done=saved")

    @r.post("/events/{event_id}/duplicate")
    def duplicate(event_id: EventId, store: StoreDep, user: FormDep) -> Response:
        event_or_404(store, user, event_id)
        user.require(event_id, Role.OWNER)
        doc = events.document(store, event_id)
        doc["name"] = f"{doc['name']} (copy)"[:200]
        copy_id = events.create(store, build_plan(doc))
        if user.role(None) != Role.OWNER:
            grant(store, user.session.account_id, Role.OWNER, copy_id)
        _log(store, user, "event_duplicate", copy_id, source=event_id)
        return see_other(f"{PREFIX}/events/{copy_id}?done=copy")

    @r.post("/events/{event_id}/archive")
    def archive(event_id: EventId, store: StoreDep, user: FormDep) -> Response:
        found = event_or_404(store, user, event_id)
        user.require(event_id, Role.OWNER)
        restore = found.archived
        events.set_archived(store, event_id, not restore)
        _log(store, user, "event_restore" if restore else "event_archive", event_id)
        return see_other(f"{PREFIX}/events/{event_id}?done="
                         f"{'restored' if restore else 'archived'}")

    @r.post("/events/{event_id}/delete")
    def delete(event_id: EventId, store: StoreDep, user: FormDep) -> Response:
        found = event_or_404(store, user, event_id)
        user.require(event_id, Role.OWNER)
        try:
            events.delete_draft(store, event_id)
        except IssuerError as exc:
            raise Forbidden(exc.message) from None
        _log(store, user, "event_delete", event_id, name=found.event.name)
        return see_other(f"{PREFIX}/events?done=deleted")

    @r.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request, store: StoreDep, user: UserDep) -> Response:
        return render(request, "audit.html", user, title="Audit log",
                      entries=audit.recent(store, events=user.visible))

    for page in (devices, live, scans, tickets):
        r.include_router(page.router())
    return r

