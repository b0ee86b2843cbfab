"""The console's request plumbing other console pages build on: who is signed in, their
role per event, CSRF-checked forms, the page language, and rendering a template.

A page route takes `UserDep` (redirects to /console/login when signed out); a form
POST takes `FormDep` (also checks the per-session CSRF token), a file upload
`UploadDep`. `user.require(event_id, Role.STAFF)` raises `Forbidden` (a 403 page)
when the role is too low.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from gatescan.server.api.deps import StoreDep
from gatescan.server.console import accounts, events, i18n
from gatescan.server.console.plans import local_text
from gatescan.server.console.roles import ALL_EVENTS, Role, grants_of
from gatescan.server.store import IssuerStore

COOKIE = "gatescan_console"
PREFIX = "/console"
MAX_FORM = 256 * 1024
MAX_FIELDS = 2000
MAX_UPLOAD_FIELDS = 20
EventId = Annotated[int, PathParam(ge=1, le=0xFFFFFFFF)]
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


class LoginRequired(Exception):
    """The request needs a signed-in account."""


class Forbidden(Exception):
    """The signed-in account's role does not allow this (a 403 page)."""

    def __init__(self, message: str = "Your role does not allow this.") -> None:
        super().__init__(message)
        self.message = message


class NotFound(Exception):
    """No such event (or one this account may not see): a 404 page."""


class BadCsrf(Exception):
    """A form POST without this session's CSRF token (a 403 page, nothing changed)."""


@dataclass
class User:
    """The signed-in account, its grants (event id, 0 = every event -> role) and language."""

    session: accounts.Session
    grants: dict[int, Role]
    lang: str
    form: dict[str, list[str]] = field(default_factory=dict)

    def role(self, event_id: int | None) -> Role | None:
        """The account's role on an event (None: every-event grant only), or None."""
        found = [r for e, r in self.grants.items()
                 if e == ALL_EVENTS or (event_id is not None and e == event_id)]
        return max(found) if found else None

    def can(self, event_id: int | None, needed: Role) -> bool:
        """True if the account's role on the event is at least `needed`."""
        have = self.role(event_id)
        return have is not None and have >= needed

    def require(self, event_id: int | None, needed: Role) -> None:
        """Raise `Forbidden` unless the account has `needed` on the event."""
        if not self.can(event_id, needed):
            raise Forbidden()

    @property
    def visible(self) -> set[int] | None:
        """The events this account may see (None: every event)."""
        return None if ALL_EVENTS in self.grants else set(self.grants)

    @property
    def can_create(self) -> bool:
        """Whether the account may create events (owner somewhere)."""
        return any(r == Role.OWNER for r in self.grants.values())

    def value(self, name: str) -> str:
        """The first value of a posted form field ('' if absent)."""
        return (self.form.get(name) or [""])[0]


def lang_of(request: Request) -> str:
    """The page language of a request."""
    return i18n.pick(request.cookies.get(i18n.LANG_COOKIE),
                     request.headers.get("accept-language"))


def _load(store: IssuerStore, cookie: str | None, lang: str) -> User:
    sess = accounts.session(store, cookie or "", now=time.time())
    if sess is None:
        raise LoginRequired()
    return User(sess, grants_of(store, sess.account_id), lang)


async def current_user(request: Request, store: StoreDep) -> User:
    """The signed-in account (LoginRequired -> redirect to the sign-in page)."""
    return await run_in_threadpool(_load, store, request.cookies.get(COOKIE), lang_of(request))


async def posted_form(request: Request, user: Annotated[User, Depends(current_user)]) -> User:
    """The signed-in account with its posted form, after checking the form's CSRF token."""
    raw = await request.body()
    if len(raw) > MAX_FORM:
        raise BadCsrf()
    try:
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True,
                        max_num_fields=MAX_FIELDS)
    except ValueError:
        raise BadCsrf() from None
    sent = (form.get("csrf") or [""])[0]
    if not sent or not hmac.compare_digest(sent.encode(), user.session.csrf.encode()):
        raise BadCsrf()
    user.form = form
    return user


@dataclass
class Upload:
    """A CSRF-checked multipart form with one file: the account, the file and its fields."""

    user: User
    data: bytes
    filename: str


async def posted_upload(request: Request,
                        user: Annotated[User, Depends(current_user)]) -> Upload:
    """The signed-in account, the uploaded `file` and the other fields, after the CSRF check.

    The body's size is limited before this runs (BodyLimit, the import routes' limit)."""
    from starlette.datastructures import UploadFile

    async with request.form(max_files=1, max_fields=MAX_UPLOAD_FIELDS) as form:
        fields = {k: [v] for k, v in form.items() if isinstance(v, str)}
        sent = (fields.get("csrf") or [""])[0]
        if not sent or not hmac.compare_digest(sent.encode(), user.session.csrf.encode()):
            raise BadCsrf()
        part = form.get("file")
        data = await part.read() if isinstance(part, UploadFile) else b""
        name = (part.filename or "") if isinstance(part, UploadFile) else ""
    user.form = fields
    return Upload(user, data, Path(name.replace("\\", "/")).name[:200])


def event_or_404(store: IssuerStore, user: User, event_id: int) -> events.EventView:
    """The event as the console shows it; NotFound if absent or not visible to `user`."""
    event = store.event(event_id)
    if event is None or not user.can(event_id, Role.VIEWER):
        raise NotFound()
    return events.view(store, event)


UserDep = Annotated[User, Depends(current_user)]
FormDep = Annotated[User, Depends(posted_form)]
UploadDep = Annotated[Upload, Depends(posted_upload)]


def render(request: Request, name: str, user: User | None, status: int = 200,
           **context: Any) -> HTMLResponse:
    """Render a console template with the language, the user and their CSRF token."""
    lang = user.lang if user is not None else lang_of(request)
    return TEMPLATES.TemplateResponse(request, name, {
        "t": lambda text: i18n.translate(lang, text), "lang": lang, "user": user,
        "csrf": user.session.csrf if user is not None else "", "Role": Role,
        "local": local_text, "utc": _utc, "ago": lambda stamp: _ago(lang, stamp),
        **context}, status_code=status)


def _utc(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(stamp))


def _ago(lang: str, stamp: float | None, now: float | None = None) -> str:
    """How long ago, in the page language ("never" for None)."""
    if stamp is None:
        return i18n.translate(lang, "never")
    seconds = max(0, int((time.time() if now is None else now) - stamp))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return i18n.translate(lang, "{n} {unit} ago").format(
                n=seconds // size, unit=i18n.translate(lang, unit))
    return i18n.translate(lang, "{n} s ago").format(n=seconds)


def secure_request(request: Request) -> bool:
    """True when the browser reached us over HTTPS (directly or via a proxy that says so)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def see_other(path: str) -> RedirectResponse:
    """A 303 redirect after a form POST (or to the sign-in page)."""
    return RedirectResponse(path, status_code=303)


def install(app: FastAPI) -> None:
    """Turn the console's exceptions into pages: sign-in redirect, 403 pages."""

    async def login_required(request: Request, _: Exception) -> Response:
        return see_other(f"{PREFIX}/login")

    async def forbidden(request: Request, exc: Exception) -> Response:
        message = exc.message if isinstance(exc, Forbidden) else \
            "The form had expired or did not come from this page: nothing was changed."
        return render(request, "error.html", None, status=403, title="Not allowed",
                      message=message)

    async def not_found(request: Request, _: Exception) -> Response:
        return render(request, "error.html", None, status=404, title="Not found",
                      message="There is no such page or event.")

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(BadCsrf, forbidden)
