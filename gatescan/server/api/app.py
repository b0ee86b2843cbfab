"""The ASGI application factory: `create_app(settings)` builds a fresh app (nothing global).

`create_app_from_env` is the factory uvicorn calls in each worker process when
`gatescan-server serve --workers N` runs several (they share one PostgreSQL).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import RedirectResponse

from gatescan.server import redact
from gatescan.server.api import models as m
from gatescan.server.api.errors import error_responses, install_error_handlers
from gatescan.server.api.limits import BodyLimit, ServerTime
from gatescan.server.api.routes import dashboard, devices, events, reports, rollback, sync, tickets
from gatescan.server.api.sync_models import ScanItem
from gatescan.server.console import docs as console_docs
from gatescan.server.console import routes as console_routes
from gatescan.server.console import web as console_web
from gatescan.server.settings import ServerSettings, load_settings
from gatescan.server.store import IssuerStore
from gatescan.server.wallet import routes as wallet

log = logging.getLogger(__name__)
IMPORT_SUFFIX = "/scans/import"


def _version() -> str:
    try:
        return version("gatescan")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "0"


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document plus the scan item schema push bodies refer to."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        item = ScanItem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(item.pop("$defs", {}))
        schemas["ScanItem"] = item
        app.openapi_schema = doc
    return app.openapi_schema


def create_app(settings: ServerSettings, *, store: IssuerStore | None = None) -> FastAPI:
    """Build the app; opens (and migrates) the store unless one is given."""
    owned = store is None
    redact.install()  # before uvicorn logs a request line: secrets never reach a handler
    the_store = IssuerStore.open(settings) if store is None else store

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            the_store.close()

    app = FastAPI(title="GateScan issuing and sync server", version=_version(),
                  description="Organizer routes need an admin token, gate routes a device "
                              "token. See docs/sync-protocol.md.", lifespan=lifespan,
                  docs_url=None, redoc_url=None)  # served locally: gatescan/server/console/docs.py
    app.state.settings = settings
    app.state.store = the_store
    install_error_handlers(app)
    for module in (events, tickets, devices, reports, sync, rollback, dashboard, wallet):
        app.include_router(module.router(), responses=error_responses(422))
    app.include_router(console_routes.router())
    console_web.install(app)
    console_docs.install(app)

    @app.get("/api/v1/health", response_model=m.HealthOut, tags=["health"])
    def health() -> m.HealthOut:
        """Liveness and the server's clock (no authentication)."""
        return m.HealthOut(status="ok", version=app.version, server_time=time.time())

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        """The address the start-up banner prints leads to the organizer's pages."""
        return RedirectResponse("/dashboard", status_code=307)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    def limit_for(path: str) -> int:
        return settings.max_import_bytes if path.endswith(IMPORT_SUFFIX) else \
            settings.max_body_bytes

    app.add_middleware(BodyLimit, limit_for=limit_for)
    app.add_middleware(ServerTime)
    return app


def create_app_from_env() -> FastAPI:
    """The app for uvicorn worker processes: settings from `GATESCAN_*` variables."""
    return create_app(load_settings())
