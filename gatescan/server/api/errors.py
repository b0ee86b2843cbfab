"""Error bodies: every refusal is `{"error": {"code", "message"}}` with a fitting 4xx status."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gatescan.server.errors import IssuerError

log = logging.getLogger(__name__)

# IssuerError codes that are not 422 (a request the server understood but cannot do).
STATUS_OF = {
    "bad_cursor": 400,
    "unauthenticated": 401,
    "forbidden": 403, "device_revoked": 403,
    "not_found": 404, "unknown_event": 404, "unknown_ticket": 404, "unknown_device": 404,
    "code_unknown": 404,
    "conflict": 409, "code_used": 409, "name_taken": 409, "revoked": 409,
    "serial_exhausted": 409, "type_in_use": 409, "cursor_ahead": 409, "sold_out": 409,
    "code_expired": 410,
    "too_large": 413,
    "key_missing": 503, "key_damaged": 503, "no_key": 503, "unavailable": 503,
}
_HTTP_CODES = {400: "invalid_request", 401: "unauthenticated", 403: "forbidden",
               404: "not_found", 405: "method_not_allowed", 406: "not_acceptable",
               413: "too_large", 415: "unsupported_media_type"}


class ErrorDetail(BaseModel):
    """A stable snake_case code and a message in plain words."""

    code: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail
    server_time: float


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these error statuses."""
    return {status: {"model": ErrorBody, "description": "error"} for status in statuses}


class ApiError(Exception):
    """A refusal raised by a route: HTTP status, code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error response."""
    return JSONResponse({"error": {"code": code, "message": message},
                         "server_time": time.time()}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def install_error_handlers(app: FastAPI) -> None:
    """Route every failure to an error body; the input is never echoed back."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.code, exc.message)

    async def issuer_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, IssuerError)
        status = STATUS_OF.get(exc.code, 422)
        if status >= 500:
            log.error("cannot serve request: %s (%s)", exc.code, exc.message)
        return error_response(status, exc.code, exc.message)

    async def validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(422, "invalid_request", _validation_message(exc))

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "invalid_request")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    async def db_unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", type(exc).__name__)
        return error_response(503, "unavailable", "the database is busy or unreachable: retry",
                              {"Retry-After": "2"})

    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        return error_response(500, "internal", "internal error (logged on the server)")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(IssuerError, issuer_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OperationalError, db_unavailable)
    app.add_exception_handler(Exception, internal)
