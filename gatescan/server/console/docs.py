"""The interactive API docs from local files: Swagger UI (swagger-ui-bundle) at /docs.

FastAPI's default /docs and /redoc load their scripts from a CDN, which leaves a
blank page at a venue without internet; these pages load nothing from outside.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

STATIC = Path(__file__).parent / "static"
SWAGGER = "/console/static/swagger"


def install(app: FastAPI) -> None:
    """Serve /docs from the bundled Swagger UI and the console's own static files.

    The app must be built with `docs_url=None, redoc_url=None`.
    """
    app.mount(SWAGGER, StaticFiles(directory=swagger_ui_path), name="swagger")
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI for /openapi.json, every file served by this server."""
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} – API docs",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        """Swagger UI's OAuth2 helper page (unused by GateScan's bearer tokens, kept local)."""
        return get_swagger_ui_oauth2_redirect_html()
